"""Neural sim-to-real refinement (``simulacra.refine``); torch is imported lazily inside."""
