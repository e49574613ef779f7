"""Expected failures, each mapped by the CLI to one red line and exit code 2.

Every stage raises a subclass of :class:`SimulacraError` for input it refuses, with a
message that names the field or file at fault. Anything else is a bug and keeps its
traceback.
"""


class SimulacraError(Exception):
    """An input or environment problem the user can fix; the message says what and where."""


class SpecError(SimulacraError):
    """A scene spec is malformed, has an unknown field, or a value out of range."""


class AssetError(SimulacraError):
    """An asset or manifest is missing, corrupt, unlicensed, or escapes its root."""


class RenderError(SimulacraError):
    """Blender could not be set up or asked for a device that is not present."""


class ReferenceIndexError(SimulacraError):
    """A reference index is missing, corrupt, or was built for other descriptors."""


class NoReferences(ReferenceIndexError):
    """A reference folder (or one shard's part of it) holds no readable image."""


class OutputError(SimulacraError):
    """The output folder cannot be used without overwriting earlier work."""


class RefineError(SimulacraError):
    """A refiner's training data, settings or checkpoint cannot be used."""


class PolicyError(SimulacraError):
    """A license policy is malformed, or a job asks for a purpose it does not define."""


class DatasetError(SimulacraError):
    """A dataset folder is missing, or lacks the files simulacra writes into every dataset."""


class FarmError(SimulacraError):
    """A farm option (workers, shard, GPUs, Ray address) cannot be used as given."""


class EvaluationError(SimulacraError):
    """An evaluation setting cannot be used here: an unknown task, a size, a missing GPU, an empty folder."""


class MissingDependency(SimulacraError):
    """A package (or a model file inside one) that a feature needs is not installed.

    The message always ends in how to install it, so every such failure reads the same.

    Example:
        >>> raise MissingDependency("face identity needs dlib (No module named 'dlib')")
    """

    def __init__(self, what: str, hint: str = "install with `make setup`"):
        super().__init__(f"{what}; {hint}")


class UsageError(SimulacraError):
    """Command options that cannot be used as given together (one needs another, or excludes it)."""
