"""The command line, a thin edge: ``simulacra.cli.app`` assembles one module per command group."""

from simulacra.cli.app import app, main, run

__all__ = ["app", "main", "run"]
