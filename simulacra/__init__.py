"""simulacra: privacy-aware procedural scene synthesis (CLI, pipeline, dataset writing)."""

__version__ = "0.1.0"
