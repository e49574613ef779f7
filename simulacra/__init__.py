"""simulacra: the conductor of privacy-aware scene synthesis (docs/architecture.md)."""

__version__ = "0.1.0"
