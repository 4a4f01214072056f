"""Multiple systems estimation (MSE): how many people did no list see?

Overlapping lists of the same population (victims known to MOSVY, the police, NGOs, commune
registers ...) are combined in a capture-history table, and Poisson log-linear models of the
observed cells estimate the cell no list could observe (Cormack 1989). This package follows the
sparse-data methodology of Chan, Silverman & Vincent (2021, JASA) behind the UK modern-slavery
estimate: existence and identifiability checks before fitting, non-informative list removal, the
stepwise model-selection rule, exhaustive AIC/BIC search, and profile-likelihood and bootstrap
intervals with model selection repeated in each replicate.

Quick start::

    from analysis.mse import estimate, read_capture_csv
    res = estimate(read_capture_csv("analysis/data/mse/UKdat_5.csv"))
    print(res.summary())

Command line: ``python -m analysis.mse FILE.csv [--method stepwise|independence|aic|bic]
[--json]``.

The package imports numpy only; scipy is loaded when a model is fitted and pandas only by the
DataFrame helpers, so the command line starts quickly.
"""

from .api import CI_METHODS, METHODS, MSEResult, compare, estimate
from .errors import (
    CaptureDataError,
    EstimateNotExistError,
    InvalidParameterError,
    ModelNotSupportedError,
    MSEError,
    NotIdentifiableError,
    TooFewListsError,
)
from .existence import ModelCheck, check_model, remove_noninformative_lists
from .intervals import BootstrapResult, bootstrap, profile_interval, wald_interval
from .models import ModelFit, fit_model
from .select import SearchResult, StepwiseStep, all_models, best_model, stepwise
from .simulate import simulate_capture
from .table import (
    DATA_DIR,
    PUBLISHED,
    CaptureTable,
    capture_table,
    load_published,
    read_capture_csv,
    split_strata,
)

__all__ = [
    "CI_METHODS",
    "DATA_DIR",
    "METHODS",
    "PUBLISHED",
    "BootstrapResult",
    "CaptureDataError",
    "CaptureTable",
    "EstimateNotExistError",
    "InvalidParameterError",
    "MSEError",
    "MSEResult",
    "ModelCheck",
    "ModelFit",
    "ModelNotSupportedError",
    "NotIdentifiableError",
    "SearchResult",
    "StepwiseStep",
    "TooFewListsError",
    "all_models",
    "best_model",
    "bootstrap",
    "capture_table",
    "check_model",
    "compare",
    "estimate",
    "fit_model",
    "load_published",
    "profile_interval",
    "read_capture_csv",
    "remove_noninformative_lists",
    "simulate_capture",
    "split_strata",
    "stepwise",
    "wald_interval",
]
