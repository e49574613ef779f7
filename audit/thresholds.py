"""Decision thresholds of the auditor, stored with every index built.

Every signal fires when its score reaches its threshold. The defaults were set
from measurements on synthetic tabletop renders (numpy/cv2 stand-ins for Blender
output, 256x256) against the demo reference set; rerun them with
``python -m simulacra.audit.calibration`` (numbers in the comments below).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Thresholds(BaseModel):
    """Scores at or above which a signal rejects an output.

    Attributes:
        global_cosine: cosine similarity of whole-image global descriptors (-1..1).
        region_inliers: keypoints consistent with one homography onto a reference.
        phash_bits: agreeing bits of the 64-bit perceptual hash (32 = unrelated).
        face_distance: euclidean distance between dlib face identity embeddings at or
            *below* which a face in the output is taken for a reference's person.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Measured with `python -m simulacra.audit.calibration --scenes 300 --seed S`, S = 0 and 2:
    # 1200 clean 256x256 scenes (600 clean twins, 600 procedural posters), 600 planted
    # posters, 13 edits x 5 references. Each threshold sits between the two sides.
    # global: clean max 0.431; whole-image edits (resize, grey, jitter, blur 4px, JPEG q40,
    # 64 px thumbnail, mirror) min 0.986. Crops are left to the region signal.
    global_cosine: float = Field(0.70, gt=0.0, le=1.0)
    # region: clean max 4 (one scene; 3 in four); planted min 6, then 8, 12; p5 23; median ~130.
    # Index format 4 (650 keypoints a reference, spread and foreshortening checks), `--scenes 60`:
    # clean max 0, planted min 18, p5 22. On 400 clean Blender renders: max 0.
    # Set low on purpose: a missed photo leaks, a false alarm costs one re-render.
    region_inliers: int = Field(5, ge=4)
    # phash: clean max 48 bits; whole-image edits min 62 (crops break it, by design).
    phash_bits: int = Field(54, ge=33, le=64)
    # face: measured with `python bench/face_bench.py` (embedding v2, faces from 20 px): the
    # astronaut and Grace Hopper pasted at 20-64 px under 7 edits, 20 plants per cell.
    # Recall from 24 px: 0.55 -> 532/560 (0.950), 0.60 -> 538/560 (0.961), 0.65 -> 0.964.
    # Non-member (the other person) matches: 0.55 -> 1/700, 0.60 -> 61/700 (8.7 %; none at
    # 64 px, all at 20-40 px, closest 0.545), 0.65 -> 418/700. Clean scenes: 0/300 at any.
    # 0.6 (also dlib's LFW operating point) keeps recall >= 0.95 with a margin: a missed
    # person is the worst leak; a small non-member face matched costs one re-render.
    face_distance: float = Field(0.6, gt=0.0, le=2.0)
