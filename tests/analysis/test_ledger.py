"""Tables from the same data cannot be subtracted (issue 9: the all-years table minus the
2015-2024 table recovered the 44 rows the 2025 table hid; district 0110's one case among 14
returnees came back the same way)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ledger import Ledger, table_cells
from analysis.suppress import suppress_table


def _data(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame({
        "person_key": [f"p{i}" for i in range(n)],
        "commune_code": rng.choice([f"0102{c:02d}" for c in range(1, 13)], n),
        "departure_year": rng.choice(np.arange(2015, 2025), n),
        "returned": rng.integers(0, 2, n),
    })
    # 2025: a handful of journeys per commune, the small cells a 2025 table hides
    late = pd.DataFrame({"person_key": [f"q{i}" for i in range(18)],
                         "commune_code": [f"0102{1 + i % 6:02d}" for i in range(18)],
                         "departure_year": 2025, "returned": 0})
    return pd.concat([frame, late], ignore_index=True)


def _publish(ledger: Ledger, frame: pd.DataFrame, years: list[int]) -> pd.Series | None:
    """What a notebook run does: count by commune for the selected years, suppress, protect."""
    selected = frame[frame["departure_year"].isin(years)]
    table = selected.groupby("commune_code").size().rename("journeys").to_frame()
    table = table.reindex(sorted(frame["commune_code"].unique()), fill_value=0)
    first = suppress_table(table, 5).suppressed["journeys"]
    cells = table_cells(table, ["journeys"], selection={"departure_year": years},
                        by="commune_code")
    counts = {k: int(table.loc[k[0], "journeys"]) for k in cells}
    hidden = {k: bool(first.loc[k[0]]) for k in cells}
    protected = ledger.protect(frame, cells, counts, hidden)
    if protected is None:
        return None
    ledger.record(cells, protected)
    return table["journeys"].where(~pd.Series({k[0]: v for k, v in protected.items()}))


def _recover_2025(all_years: pd.Series, earlier: pd.Series) -> pd.Series:
    return (all_years - earlier).dropna()


def test_without_a_ledger_the_difference_recovers_the_hidden_year(tmp_path):
    frame = _data()
    blind = [Ledger(tmp_path / f"l{i}.jsonl", "d") for i in range(2)]  # two separate ledgers
    all_years = _publish(blind[0], frame, list(range(2015, 2026)))
    earlier = _publish(blind[1], frame, list(range(2015, 2025)))
    recovered = _recover_2025(all_years, earlier)
    assert (recovered > 0).sum() == 6 and (recovered[recovered > 0] < 5).all()  # it works


def test_with_the_ledger_no_small_2025_cell_can_be_recovered(tmp_path):
    frame = _data()
    ledger = Ledger(tmp_path / "ledger.jsonl", "d")
    all_years = _publish(ledger, frame, list(range(2015, 2026)))
    earlier = _publish(Ledger(tmp_path / "ledger.jsonl", "d"), frame, list(range(2015, 2025)))
    assert all_years is not None and earlier is not None
    recovered = _recover_2025(all_years, earlier)
    assert not ((recovered > 0) & (recovered < 5)).any()
    # the six communes with no 2025 journey keep their published counts
    assert earlier.notna().sum() == 6


def test_a_ledger_belongs_to_one_data_set(tmp_path):
    frame = _data()
    path = tmp_path / "ledger.jsonl"
    _publish(Ledger(path, "first-data"), frame, list(range(2015, 2026)))
    other = Ledger(path, "second-data")
    assert other.cells == []
    assert len(Ledger(path, "first-data").cells) == frame["commune_code"].nunique()


def test_a_fully_suppressed_table_determined_by_its_margin_is_not_published(tmp_path):
    # One commune's 3 journeys split by year: every cell is small, but the commune's total
    # (published before) minus nothing... a single hidden cell equal to a published total.
    frame = pd.DataFrame({"person_key": ["a", "b", "c"], "commune_code": ["010201"] * 3,
                          "departure_year": [2024, 2024, 2024], "returned": [0, 0, 0]})
    ledger = Ledger(tmp_path / "ledger.jsonl", "d")
    total = table_cells(pd.DataFrame({"journeys": [3]}, index=["010201"]), ["journeys"],
                        by="commune_code")
    ledger.record(total, dict.fromkeys(total, False))  # published earlier (no suppression here)
    by_year = table_cells(pd.DataFrame({"journeys": [3]}, index=[2024]), ["journeys"],
                          by="departure_year")
    answer = ledger.protect(frame, by_year, dict.fromkeys(by_year, 3),
                            dict.fromkeys(by_year, True))
    assert answer is None


def test_notebook_runs_share_a_ledger_in_the_results_folder(tmp_path):
    """Two runs of a notebook on the same data (all years, then 2015-2024) through the
    publishing path: their commune tables cannot be subtracted."""
    import analysis as an
    from analysis.data import COLUMN_NAMES
    from tests.analysis.export_sim import planted_export

    frame, _ = planted_export(3, n=3000, n_prov=2)
    years = frame["departure_year"].astype(int)
    late = years == years.max()
    frame.loc[late & (frame.index % 7 != 0), "departure_year"] = years.max() - 1  # few late ones
    export = tmp_path / "export.csv"
    frame.reindex(columns=list(COLUMN_NAMES)).to_csv(export, index=False)
    last = int(frame["departure_year"].max())
    published = {}
    for name, period in (("all", None), ("earlier", f"{int(frame.departure_year.min())}:{last - 1}")):
        run = an.notebook_setup(export, tmp_path / "results" / "10_quality" / name, period=period)
        table = an.completeness(run.frame, by="register_commune", columns=["forced_labour"])
        published[name] = run.table(table, "by_commune", counts=["journeys", "returns"],
                                    by="register_commune",
                                    populations={"journeys": None, "returns": "returned == 1"},
                                    show=False)
    assert (tmp_path / "results" / "ledger.jsonl").exists()
    difference = (published["all"]["journeys"] - published["earlier"]["journeys"]).dropna()
    assert not ((difference > 0) & (difference < 5)).any()
    assert published["earlier"]["journeys"].notna().any()  # what is safe is still published


def _prevalence_runs(tmp_path, declare: bool) -> dict[str, pd.DataFrame]:
    """The prevalence notebook's table from two runs (all years, then all but the last)."""
    import analysis as an
    from analysis.data import COLUMN_NAMES
    from tests.analysis.export_sim import planted_export

    frame, _ = planted_export(5, n=3000, n_prov=3)
    years = frame["departure_year"].astype(int)
    late = years == years.max()
    frame.loc[late & (frame.index % 9 != 0), "departure_year"] = years.max() - 1  # few late ones
    tmp_path.mkdir()
    export = tmp_path / "export.csv"
    frame.reindex(columns=list(COLUMN_NAMES)).to_csv(export, index=False)
    last, first = int(frame["departure_year"].max()), int(frame["departure_year"].min())
    published = {}
    for name, period in (("all", None), ("earlier", f"{first}:{last - 1}")):
        run = an.notebook_setup(export, tmp_path / "results" / "20_prevalence" / name,
                                period=period)
        result = an.estimate_prevalence(run.frame, outcome="forced_labour", by="district_code",
                                        missing="complete_case")
        published[name] = run.table(result.to_frame(), "prevalence", show=False,
                                    **(result.cells() if declare else {}))
    return published


def _small_differences(published: dict[str, pd.DataFrame]) -> pd.Series:
    small = []
    for column in ("n", "n_recorded", "cases_recorded"):
        diff = (published["all"][column].astype("Float64")
                - published["earlier"][column].astype("Float64")).dropna()
        small.append(diff[(diff > 0) & (diff < 5)])
    return pd.concat(small)


def test_prevalence_tables_of_two_runs_cannot_be_subtracted(tmp_path):
    """Issue 9 item 8, found again by the attack campaign: the prevalence tables were published
    without their cells' definitions, so the ledger never saw them."""
    blind = _small_differences(_prevalence_runs(tmp_path / "blind", declare=False))
    assert len(blind) > 0  # the attack works on a table the ledger does not know
    published = _prevalence_runs(tmp_path / "declared", declare=True)
    assert _small_differences(published).empty
    assert published["all"]["n"].notna().all()  # the first run is published whole


@pytest.mark.parametrize("missing", ["complete_case", "bounds", "impute"])
def test_prevalence_cells_count_the_table(missing):
    """A prevalence table's ``n`` counts the returns its estimate stands on, which depends on
    how missing outcomes are handled: its declared cells counted all returns in every mode."""
    import analysis as an
    from tests.analysis.export_sim import planted_export

    frame, _ = planted_export(5, n=1500, n_prov=2)
    result = an.estimate_prevalence(frame, outcome="forced_labour", by="district_code",
                                    missing=missing, m=2)
    declared = result.cells()
    table = result.to_frame()
    assert result.n_outcome_missing > 0  # the modes differ on these data
    for column in declared["counts"]:
        chosen = frame[frame.eval(declared["populations"][column]).fillna(False).astype(bool)]
        counted = chosen.groupby(declared["by"]).size().reindex(table.index, fill_value=0)
        assert (counted == table[column]).all(), column
