"""One error root for the analysis package (issue 10 item 5): every exception class defined in
analysis/ derives from `analysis.errors.AnalysisError`, the MSE errors included."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import analysis
from analysis.errors import AnalysisError


def _modules() -> list[str]:
    names = ["analysis"]
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def test_every_exception_class_of_the_package_derives_from_the_root():
    checked = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, BaseException):
                continue
            if issubclass(cls, Warning):  # warnings are not errors
                continue
            assert issubclass(cls, AnalysisError), f"{name}.{cls.__name__}"
            checked.append(cls.__name__)
    assert {"MSEError", "ExportError", "NotebookError", "InvalidParameterError",
            "UnknownLayerError", "RuleMismatchError"} <= set(checked)


def test_the_old_names_stay_importable():
    from analysis import _validation
    from analysis.data import ExportError
    from analysis.mse.errors import MSEError, TooFewListsError
    from analysis.notebooks import NotebookError

    assert _validation.AnalysisError is AnalysisError
    assert _validation.InvalidParameterError is analysis.errors.InvalidParameterError
    for cls in (MSEError, TooFewListsError, ExportError, NotebookError):
        assert issubclass(cls, AnalysisError)
    assert issubclass(ExportError, ValueError)  # and the built-in class that describes them


def test_one_except_catches_an_mse_error():
    from analysis.mse import estimate
    from analysis.mse.table import CaptureTable

    table = CaptureTable.from_patterns(["a"], [[1]], [5])
    with pytest.raises(AnalysisError):
        estimate(table)
