"""Named errors raised by `analysis.mse`.

One small class per failure, with a message that says what to do, all under `MSEError`, which
is itself under the analysis package's root `analysis.errors.AnalysisError` (a module of the
standard library only: the MSE command line still starts without pandas).
"""

from __future__ import annotations

from analysis.errors import AnalysisError

__all__ = [
    "CaptureDataError",
    "EstimateNotExistError",
    "InvalidParameterError",
    "MSEError",
    "ModelNotSupportedError",
    "NotIdentifiableError",
    "TooFewListsError",
]


class MSEError(AnalysisError):
    """Base class of every error `analysis.mse` raises on purpose."""


class CaptureDataError(MSEError, ValueError):
    """The capture-history table is malformed (columns, 0/1 values, counts)."""


class InvalidParameterError(MSEError, ValueError):
    """An argument is outside what the function accepts (alpha, method, threshold ...)."""


class TooFewListsError(MSEError, ValueError):
    """Fewer than two informative lists remain: no capture-recapture estimate is possible."""


class ModelNotSupportedError(MSEError, ValueError):
    """The data cannot support the requested log-linear model (see the two subclasses)."""


class EstimateNotExistError(ModelNotSupportedError):
    """The (extended) maximum likelihood estimate does not exist for this model and data.

    Detected by the Fienberg & Rinaldo (2012) linear-programming condition: the observed zero
    cells leave the sufficient statistics on the boundary of the marginal cone, so the likelihood
    keeps increasing as some fitted counts go to zero and the estimate of the unseen cell is
    undefined.
    """


class NotIdentifiableError(ModelNotSupportedError):
    """The model's parameters are not identifiable from the observable cells.

    The design matrix restricted to the cells the model can fit is column-rank deficient, so
    several parameter vectors (and several estimates of the unseen cell) fit equally well.
    """
