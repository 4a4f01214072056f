"""The named errors of the analysis package: one root, `AnalysisError`.

Every error the package raises on purpose derives from `AnalysisError`, so a caller (the notebook
runner, a researcher's script) can catch them all with one ``except``. Most also derive from the
built-in class that describes them (``ValueError`` for a bad argument ...), so code written
against the built-in classes keeps working. The multiple systems estimation errors
(`analysis.mse.errors.MSEError` and its subclasses), `analysis.data.ExportError` and
`analysis.notebooks.NotebookError` are under the same root.

This module imports nothing beyond the standard library: ``python -m analysis.mse`` starts
without pandas and still raises errors under this root.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AnalysisError",
    "EmptyDataError",
    "IdentifyingDataError",
    "InvalidParameterError",
    "LedgerMismatchError",
    "MissingColumnsError",
    "ModelFitError",
]


class AnalysisError(Exception):
    """Base class of every error the analysis package raises on purpose."""


class InvalidParameterError(AnalysisError, ValueError):
    """An argument has a value outside what the function accepts (alpha, method, threshold...)."""


class LedgerMismatchError(AnalysisError, ValueError):
    """A table's declared cells do not count what the table says they count: the publication
    ledger would check the wrong records, so the table is not published."""


class MissingColumnsError(AnalysisError, ValueError):
    """The data frame lacks columns the function needs (the export contract names them)."""

    def __init__(self, missing: Sequence[str], what: str) -> None:
        self.missing = list(missing)
        super().__init__(f"{what} needs column(s) missing from the data: {', '.join(self.missing)}")


class IdentifyingDataError(AnalysisError, ValueError):
    """The frame holds identifying fields: analysis reads the researcher export only."""


class EmptyDataError(AnalysisError, ValueError):
    """No rows are left to analyse after the documented exclusions."""


class ModelFitError(AnalysisError, RuntimeError):
    """A model could not be fitted reliably (perfect separation, no convergence, singular design)."""
