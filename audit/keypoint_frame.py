"""The frame reference keypoints are detected and stored in.

Shared by the index builder (:mod:`simulacra.audit.collect`), which detects them, and the
manifest check (:mod:`simulacra.audit.manifest`), which refuses an index saved with other
settings; living apart from both keeps the two from importing each other.
"""

FRAME = 256.0  # keypoint coordinates live in a frame whose long side is this
SIDES = (128, 192, 256, 320)  # resamplings a reference's keypoints are detected at
MAX_FEATURES = 500  # per resampling
