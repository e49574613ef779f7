"""Evaluation of finished datasets: statistics, version ids, downstream utility, coverage.

Public surface re-exported here; torch is imported inside the utility functions only,
so the pipeline can import statistics and version ids without it.
"""

from simulacra.errors import EvaluationError
from simulacra.evaluation.coverage import CoverageResult, density_coverage, evaluate_coverage
from simulacra.evaluation.stats import DatasetStatistics, dataset_statistics
from simulacra.evaluation.utility import SeedScore, UtilityResult, evaluate_utility
from simulacra.evaluation.version import dataset_version

__all__ = [
    "CoverageResult",
    "DatasetStatistics",
    "EvaluationError",
    "SeedScore",
    "UtilityResult",
    "dataset_statistics",
    "dataset_version",
    "density_coverage",
    "evaluate_coverage",
    "evaluate_utility",
]
