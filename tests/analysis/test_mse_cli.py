"""The command line ``python -m analysis.mse`` and the result object's outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis.mse import (
    DATA_DIR,
    InvalidParameterError,
    TooFewListsError,
    compare,
    estimate,
    load_published,
)
from analysis.mse.__main__ import main

UK = str(DATA_DIR / "UKdat_5.csv")


def test_cli_json_has_the_required_fields(capsys):
    assert main([UK, "--json", "--ci", "profile"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("estimate", "ci_low", "ci_high", "observed", "method", "model"):
        assert key in out
    assert out["method"] == "stepwise" and out["observed"] == 2744
    assert out["estimate"] == pytest.approx(11312.99, abs=0.01)
    assert out["model"] == ["LA:NG", "LA:PFNCA", "NG:GO", "NG:GP", "PFNCA:GP", "GO:GP"]
    assert out["ci_low"] < out["estimate"] < out["ci_high"]


@pytest.mark.parametrize("method", ["independence", "aic", "bic"])
def test_cli_methods(capsys, method):
    assert main([str(DATA_DIR / "Western.csv"), "--method", method, "--json", "--ci", "profile"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == method
    assert all(":" in term for term in out["model"])


def test_cli_text_summary_and_bootstrap(capsys):
    assert (
        main(
            [
                str(DATA_DIR / "Western.csv"),
                "--ci",
                "percentile",
                "--n-boot",
                "50",
                "--seed",
                "1",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Estimated total: 2,483" in text and "bootstrap percentile" in text
    assert "A&E" in text  # the fitted-cells table


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("A,B,count\n1,0,3\n0,2,4\n", "must be 0 or 1"),
        ("A,B,C\n1,0,1\n0,1,1\n1,1,0\n", "no count column"),
        ("A,B,count\n1,0,3\n0,1,-4\n1,1,1\n", "negative"),
        ("A,B,count\n1,0,3\n1,1,2\n", "at least two informative lists"),
    ],
)
def test_cli_bad_input_exits_nonzero_without_traceback(tmp_path, capsys, content, message):
    path = tmp_path / "lists.csv"
    if content is not None:
        path.write_text(content)
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_module_entry_point_and_light_import(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,count\n1,0,x\n")
    run = subprocess.run(
        [sys.executable, "-m", "analysis.mse", str(bad)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1 and "not a number" in run.stderr and "Traceback" not in run.stderr
    probe = (
        "import sys, analysis.mse; "
        "print(sorted(m for m in ('pandas', 'scipy', 'statsmodels') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_result_outputs():
    res = estimate(load_published("Western"), ci="profile")
    frame = res.to_frame()
    assert len(frame) == 32 and list(frame.columns[:5]) == ["A", "B", "C", "D", "E"]
    assert frame["observed"].isna().sum() == 1  # the unseen cell
    assert frame["fitted"].iloc[0] == pytest.approx(res.unseen)
    assert frame["observed"].sum() == res.observed
    data = res.to_dict()
    json.dumps(data)  # serialisable
    assert data["unseen"] == pytest.approx(res.estimate - res.observed)
    assert data["steps"][0]["term"] == "A:E"
    assert "95% CI 1,691 to 3,940, profile likelihood" in res.summary()
    assert repr(res).startswith("<MSEResult: stepwise estimate 2,483")


def test_compare_side_by_side():
    table = compare(load_published("NewOrl_5"), ci="wald", n_jobs=1)
    assert list(table.index) == ["independence", "stepwise", "aic", "bic"]
    assert table.loc["stepwise", "estimate"] == pytest.approx(1034, abs=1)
    assert table.loc["independence", "model"] == "(independence)"


def test_estimate_validates_arguments():
    table = load_published("Western")
    for kwargs, message in [
        ({"method": "lasso"}, "method"),
        ({"ci": "jackknife"}, "ci"),
        ({"alpha": 0.7}, "alpha"),
        ({"pthresh": 2}, "pthresh"),
        ({"method": "fixed"}, "needs terms"),
        ({"terms": ["A:B"]}, "only used with method='fixed'"),
    ]:
        with pytest.raises(InvalidParameterError, match=message):
            estimate(table, **kwargs)
    with pytest.raises(InvalidParameterError, match="unknown list"):
        estimate(table, "fixed", terms=["A:Z"])
    fixed = estimate(table, "fixed", terms=["A:E", "B:E"], ci="profile")
    assert fixed.model == ("A:E", "B:E") and fixed.pthresh is None
    with pytest.raises(TooFewListsError):
        estimate(load_published("UKdat_5").keep_lists(["LA"]))
