"""Evaluation of finished datasets: downstream utility, coverage, the DCR share, comparison.

It reads datasets (through :mod:`simulacra.dataset.reader`) and never runs jobs; studies
that render datasets to compare them live in :mod:`simulacra.studies`. torch is imported
inside the utility functions only. Statistics and version ids belong to the dataset
itself: :mod:`simulacra.dataset.stats`, :mod:`simulacra.dataset.version`.
"""

from simulacra.errors import EvaluationError
from simulacra.evaluation.coverage import CoverageResult, density_coverage, evaluate_coverage
from simulacra.evaluation.utility import SeedScore, UtilityResult, evaluate_utility

__all__ = [
    "CoverageResult",
    "EvaluationError",
    "SeedScore",
    "UtilityResult",
    "density_coverage",
    "evaluate_coverage",
    "evaluate_utility",
]
