"""The evaluation's own expected failure, beside :mod:`simulacra.errors` (one line, exit 2)."""

from simulacra.errors import SimulacraError


class EvaluationError(SimulacraError):
    """An evaluation setting cannot be used here: an unknown task, a size, a missing GPU, an empty folder."""
