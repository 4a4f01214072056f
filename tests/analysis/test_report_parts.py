"""The pieces the report is made of: names, per cents, the publishing path (JSON included), the
odds-ratio chart with its reference categories, the MSE caveat, the synthetic marker, and how the
report renders a published table."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis._risk_core import RiskModelResult
from analysis.caveats import mse_headline, mse_linkage_caveat, planted_victims
from analysis.data import is_synthetic, parse_period
from analysis.errors import InvalidParameterError
from analysis.labels import area_name, percent, percent_interval, selection_label
from analysis.notebooks import settings_tag
from analysis.plots import odds_ratio_plot, term_label
from analysis.publish import TableView, report_items, save_json, save_table
from analysis.report_doc import table_block


def test_areas_are_named_in_english_and_khmer():
    assert area_name("01") == "Banteay Meanchey / បន្ទាយមានជ័យ (01)"
    assert area_name("0102").startswith("Mongkol Borei / ")
    assert area_name("99") == "99"  # unknown: the code as it is
    assert selection_label("24", (2019, 2020)) == \
        "province of Pailin / ប៉ៃលិន (24); departures 2019-2020"
    assert selection_label(None, None) == "Cambodia, all provinces"


def test_per_cents_and_intervals():
    assert percent(0.2174) == "21.7%"
    assert percent(float("nan")) == "" and percent(None) == ""
    assert percent_interval(0.2174, 0.2, 0.238) == "21.7% (20.0\u201323.8%)"
    assert percent_interval(None, 0.2, 0.238) == "20.0\u201323.8%"  # bounds: no point estimate


def test_periods_and_settings_names():
    assert parse_period("2019:2022") == (2019, 2022) == parse_period([2019, 2022])
    assert parse_period("2020") == (2020, 2020)
    assert parse_period(None) is None
    for bad in ("2022:2019", "soon", [1, 2, 3]):
        with pytest.raises(InvalidParameterError):
            parse_period(bad)
    defaults = {"province": None, "period": None, "alpha": 0.05, "seed": 1, "register": "x"}
    assert settings_tag({**defaults, "register": "y"}, defaults) == ""
    assert settings_tag({**defaults, "province": "01", "period": [2024, 2025]}, defaults) == \
        "province-01_2024-2025"
    assert settings_tag({**defaults, "alpha": 0.1}, defaults) == "alpha-0.1"
    long = settings_tag({**defaults, **{f"p{i}": "x" * 10 for i in range(9)}}, defaults)
    assert len(long) <= 60


def test_save_table_records_what_the_report_shows(tmp_path):
    frame = pd.DataFrame({"n": [120, 3, 80], "cases": [30, 1, 12],
                          "estimate": [0.25, 0.33, 0.15], "lower": [0.18, 0.05, 0.09],
                          "upper": [0.33, 0.77, 0.24], "publishable": [True, False, True]},
                         index=pd.Index(["01", "24", "02"], name="province_code"))
    view = TableView(title="Forced labour by province", interval=("estimate", "lower", "upper"),
                     interval_label="forced labour, % (95% CI)", columns={"n": "returned"})
    save_table(frame, tmp_path / "t.csv", view=view)
    items = report_items(tmp_path)
    assert items[0]["kind"] == "table" and items[0]["index"] == ["province_code"]
    block = table_block(tmp_path, items[0])
    assert block.header == ["province", "forced labour, % (95% CI)", "returned"]
    assert block.rows[0] == ["Banteay Meanchey / បន្ទាយមានជ័យ (01)", "25.0% (18.0\u201333.0%)",
                             "120"]
    hidden = block.rows[1]
    assert hidden[0].startswith("Pailin")
    assert hidden[1:] == ["not shown: small numbers (fewer than 5)", ""]  # the CSV is blank


def test_save_json_removes_small_counts_and_what_reveals_them(tmp_path):
    record = {"estimate": 3100.0, "observed": 1965,
              "cells": [{"pattern": "a", "observed": 2, "fitted": 2.4},
                        {"pattern": "b", "observed": 40, "fitted": 39.0},
                        {"pattern": "c", "observed": 9, "fitted": 9.8},
                        {"pattern": "d", "observed": 300, "fitted": 301.0}],
              "steps": [{"term": "a:b", "overlap": 3, "pvalue": 0.01}]}
    safe = save_json(record, tmp_path / "e.json")
    assert json.loads((tmp_path / "e.json").read_text()) == safe
    cells = safe["cells"]
    assert cells[0]["observed"] is None and cells[0]["fitted"] is None  # small, and its fit
    assert cells[2]["observed"] is None  # complementary: the next smallest goes too
    assert cells[1]["observed"] == 40 and cells[3]["observed"] == 300
    assert safe["steps"][0]["overlap"] is None and safe["observed"] == 1965


def _risk_result() -> RiskModelResult:
    terms = ["Intercept", "sector[agriculture]", "sector[fishing]", "has_debt", "n_brokers"]
    ratio = np.array([0.2, 1.3, 2.9, 1.8, 1.4])
    table = pd.DataFrame({"coef": np.log(ratio), "se": 0.1, "se_naive": 0.08,
                          "odds_ratio": ratio, "lower": ratio * 0.8, "upper": ratio * 1.25,
                          "z": 3.0, "p_value": 0.01}, index=pd.Index(terms, name="term"))
    return RiskModelResult(outcome="forced_labour", alpha=0.05, table=table,
                           covariates=("sector", "has_debt", "n_brokers"), missing="impute",
                           n_used=1000, n_events=200, n_dropped_missing=0, n_outcome_missing=0,
                           n_clusters=50, missing_by_covariate={}, notes=(),
                           references={"sector": "construction"})


def test_odds_ratio_chart_names_the_reference_categories():
    result = _risk_result()
    fig, ax = odds_ratio_plot(result)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "sector: agriculture (vs construction)"
    assert "has debt: yes (vs no)" in labels and "n brokers (per broker)" in labels
    assert "Intercept" not in labels
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "references"]
    assert notes and "sector: construction" in notes[0]
    assert "95% CI" in ax.get_xlabel()
    assert term_label("age_band[<18]", {"age_band": "25-34"}) == "age band: <18 (vs 25-34)"


def _mse(estimate, low, high, alpha=0.05, observed=1965):
    return SimpleNamespace(estimate=estimate, ci_low=low, ci_high=high, alpha=alpha,
                           observed=observed)


def test_the_mse_caveat_says_when_the_headline_misses_the_truth():
    """Issue 14, defect 1, with the demo's numbers: headline 6,253 (5,607-6,717) against a
    planted 4,923, linkage recall 0.81."""
    headline, linkage = _mse(6253, 5607, 6717), _mse(5010, 4480, 5690)
    text = mse_linkage_caveat(headline, linkage, {"recall": 0.81, "precision": 0.99}, 4923)
    assert "6,253" in text and "5,607 to 6,717" in text
    assert "4,480 to 5,690" in text and "quote this interval beside the headline" in text
    assert "81% of the true links" in text and "biased upward" in text
    assert "headline interval does NOT cover it" in text
    assert "linkage-aware interval covers it" in text
    fine = mse_linkage_caveat(_mse(4873, 4704, 5062), None, None, None)
    assert "recall is unknown" in fine and "NOT" not in fine
    table = mse_headline(headline, linkage, None, 4923)
    assert list(table["value"]) == [6253, 5010, 4923] and (table["observed"] == 1965).all()
    assert planted_victims({"mse": {"N": 4923}}) == 4923
    assert planted_victims({"mse": {"N": 4923}}, province="01") is None


def test_synthetic_registers_are_marked(tmp_path):
    import register
    from synthetic.write import mark_synthetic

    plain = tmp_path / "plain.db"
    register.init_register(plain, commune="010201").close()
    assert not is_synthetic(plain)
    marked = tmp_path / "marked" / "m.db"
    marked.parent.mkdir()
    with register.init_register(marked, commune="010201") as reg:
        mark_synthetic(reg.conn)
    assert is_synthetic(marked)
    # an export beside the README the generator writes
    export = tmp_path / "synth" / "export.csv"
    export.parent.mkdir()
    export.write_text("x")
    assert not is_synthetic(export)
    (export.parent / "README.txt").write_text("SYNTHETIC DATA made by `register synth`\n")
    assert is_synthetic(export)
    assert not list(tmp_path.rglob("*-wal")) and not list(tmp_path.rglob("*-shm"))
