"""Audit stage: compare every output against an index of real reference images.

Public surface re-exported here; imports neither bpy nor torch.
"""

from simulacra.audit.auditor import Auditor, ImageAuditor, SignalScore, Verdict
from simulacra.audit.images import MAX_PIXELS, read_image
from simulacra.audit.index import ReferenceIndex
from simulacra.audit.manifest import ReferenceRecord, SkippedFile
from simulacra.audit.privacy_metrics import (
    DcrShare,
    Holdout,
    IdentityLeaks,
    ShareEstimate,
    dcr_share,
    describe_holdout,
    identity_leaks,
)
from simulacra.audit.references import ReferenceSource, demo_names, write_demo_references
from simulacra.audit.shards import ShardedAuditor, ShardedIndex, auditor_of, load_index, open_auditor
from simulacra.audit.thresholds import Thresholds

__all__ = [
    "MAX_PIXELS",
    "Auditor",
    "DcrShare",
    "Holdout",
    "IdentityLeaks",
    "ImageAuditor",
    "ReferenceIndex",
    "ReferenceRecord",
    "ReferenceSource",
    "ShardedAuditor",
    "ShardedIndex",
    "ShareEstimate",
    "SignalScore",
    "SkippedFile",
    "Thresholds",
    "Verdict",
    "auditor_of",
    "dcr_share",
    "demo_names",
    "describe_holdout",
    "identity_leaks",
    "load_index",
    "open_auditor",
    "read_image",
    "write_demo_references",
]
