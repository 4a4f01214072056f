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


def _repeat_migrants(frame: pd.DataFrame) -> pd.DataFrame:
    """Every journey of the last year but two per district made by a person who returned to
    that district before: the last year adds many journeys but two persons per district."""
    frame = frame.copy()
    last = frame["departure_year"].astype(int) == frame["departure_year"].astype(int).max()
    for _, rows in frame[last].groupby("district_code"):
        earlier = frame.loc[~last & (frame["district_code"] == rows["district_code"].iloc[0]),
                            "person_key"].unique()
        frame.loc[rows.index[2:], "person_key"] = earlier[:len(rows) - 2]
    return frame


def _prevalence_runs(tmp_path, declare: bool, repeat: bool = False) -> dict[str, pd.DataFrame]:
    """The prevalence notebook's table from two runs (all years, then all but the last)."""
    import analysis as an
    from analysis.data import COLUMN_NAMES
    from tests.analysis.export_sim import planted_export

    frame, _ = planted_export(5, n=3000, n_prov=3)
    if repeat:
        frame = _repeat_migrants(frame)
    else:
        years = frame["departure_year"].astype(int)
        late = years == years.max()
        frame.loc[late & (frame.index % 9 != 0), "departure_year"] = years.max() - 1  # few late
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
    for column in ("n", "n_recorded", "cases_recorded", "n_persons"):
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


# -- what protect promises, checked by brute force ---------------------------------------------
def _published_vectors(frame: pd.DataFrame, cells: list) -> np.ndarray:
    """Each published cell as a 0/1 vector over the journeys, built here from pandas masks (not
    from the ledger's own code)."""
    rows = []
    for spec in cells:
        keep = pd.Series(True, index=frame.index)
        for column, values in spec.selection.items():
            keep &= frame[column].isin(values)
        if spec.key is not None:
            keep &= frame[spec.key[0]].astype(str) == str(spec.key[1])
        if spec.population:
            keep &= frame.eval(spec.population)
        rows.append(keep.to_numpy(dtype=float))
    return np.array(rows)


def _revealed(published: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Can a reader compute each vector's count from the published counts (is it in their
    span)? Yes when it is orthogonal to every vector the published cells cannot see (their null
    space)."""
    from scipy.linalg import null_space

    unseen = null_space(published)
    return np.abs(vectors @ unseen).max(axis=1, initial=0.0) < 1e-8


def _table(frame: pd.DataFrame, by: str, years: list[int] | None) -> pd.DataFrame:
    chosen = frame if years is None else frame[frame["departure_year"].isin(years)]
    table = pd.DataFrame({"journeys": chosen.groupby(by).size(),
                          "returns": chosen.groupby(by)["returned"].sum()})
    return table.reindex(sorted(frame[by].unique())).fillna(0).astype(int)


def test_no_small_group_is_determined_by_everything_published(tmp_path):
    """Five tables (by year, by province, by commune; then by commune and by year for fewer
    years) published through one ledger: no group of 1-4 journeys - the journeys counted by the
    same published cells, a hidden small cell, or a cell's journeys outside another cell inside
    it - can be computed from all the visible cells together. The check is a null-space test
    on vectors built here."""
    rng = np.random.default_rng(4)
    n = 900
    communes = [f"{p:02d}02{c:02d}" for p in (1, 2) for c in range(1, 9)]
    frame = pd.DataFrame({"person_key": [f"p{i}" for i in range(n)],
                          "register_commune": rng.choice(communes, n),
                          "departure_year": rng.choice(np.arange(2019, 2026), n,
                                                       p=[.2, .2, .2, .2, .1, .07, .03]),
                          "returned": rng.integers(0, 2, n)})
    frame["province_code"] = frame["register_commune"].str[:2]
    ledger = Ledger(tmp_path / "ledger.jsonl", "d")
    populations = {"journeys": None, "returns": "returned == 1"}
    plan = [("departure_year", None), ("province_code", None), ("register_commune", None),
            ("register_commune", list(range(2019, 2025))), ("departure_year", [2024, 2025])]
    extra_hidden = small_groups = 0
    for by, years in plan:
        table = _table(frame, by, years)
        selection = {"departure_year": years} if years else None
        cells = table_cells(table, ["journeys", "returns"], selection=selection, by=by,
                            populations=populations)
        counts = {k: int(table.loc[k]) for k in cells}
        first = suppress_table(table, 5).suppressed
        hidden = {k: bool(first.loc[k]) for k in cells}
        protected = ledger.protect(frame, cells, counts, hidden)
        assert protected is not None
        extra_hidden += sum(protected.values()) - sum(hidden.values())
        ledger.record(cells, protected)
        published = _published_vectors(frame, ledger.cells)
        # the groups a reader can tell apart: journeys counted by the same published cells
        _, group = np.unique(published.T, axis=0, return_inverse=True)
        group = np.asarray(group).ravel()
        small = [g for g in np.unique(group)
                 if 0 < (group == g).sum() < 5 and published[:, group == g].any()]
        if small:
            groups = np.array([(group == g).astype(float) for g in small])
            assert not _revealed(published, groups).any(), (by, years)
            small_groups += len(small)
        targets = [cells[k] for k, hide in protected.items() if hide and 0 < counts[k] < 5]
        if targets:
            assert not _revealed(published, _published_vectors(frame, targets)).any()
        # a cell minus another inside it (this table's against every cell so far)
        mine = _published_vectors(frame, list(cells.values()))
        every = np.vstack([published, mine])
        differences = [a - b for a in mine for b in every if ((b <= a).all() and
                                                              0 < (a - b).sum() < 5)]
        differences += [a - b for a in every for b in mine if ((b <= a).all() and
                                                               0 < (a - b).sum() < 5)]
        if differences:
            assert not _revealed(published, np.array(differences)).any(), (by, years)
            small_groups += len(differences)
    # the ledger had work to do, and the check above looked at small groups
    assert extra_hidden > 0 and small_groups > 0


def test_a_table_whose_cells_count_something_else_is_refused(tmp_path):
    """The prevalence table's n counted returns with the outcome recorded, but was declared as
    all returns: the ledger checked the wrong journeys. A declaration that does not count the
    table's numbers is now an error."""
    from analysis.errors import LedgerMismatchError

    frame = _data()
    table = frame.groupby("commune_code")["returned"].sum().rename("returns").to_frame()
    cells = table_cells(table, ["returns"], by="commune_code")  # no population: all journeys
    counts = {k: int(table.loc[k[0], "returns"]) for k in cells}
    with pytest.raises(LedgerMismatchError, match="do not count"):
        Ledger(tmp_path / "ledger.jsonl", "d").protect(frame, cells, counts,
                                                       dict.fromkeys(cells, False))


def test_row_labels_written_as_text_count_their_records(tmp_path):
    """The follow-up table labels its years '2015', '2016' ... : the ledger took them for no
    journey at all, so a later table could be subtracted from it. Labels are matched by their
    text when the column's values are numbers."""
    frame = _data()
    frame = frame[(frame["departure_year"] != 2025) | (frame.index % 6 == 0)]  # 3 in 2025
    ledger = Ledger(tmp_path / "ledger.jsonl", "d")
    by_year = frame.groupby("departure_year").size().rename("journeys").to_frame()
    by_year.index = by_year.index.astype(str)
    cells = table_cells(by_year, ["journeys"], by="departure_year")
    counts = {k: int(by_year.loc[k[0], "journeys"]) for k in cells}
    hidden = {k: k[0] == "2025" for k in cells}  # the 3 journeys of 2025
    assert counts[("2025", "journeys")] == 3
    protected = ledger.protect(frame, cells, counts, hidden)
    assert protected is not None
    ledger.record(cells, protected)
    # the national total minus the published years would give 2025's 3 journeys
    total = pd.DataFrame({"journeys": [len(frame)]}, index=["all"])
    frame = frame.assign(everyone="all")
    whole = table_cells(total, ["journeys"], by="everyone")
    reloaded = Ledger(tmp_path / "ledger.jsonl", "d")
    assert reloaded.protect(frame, whole, {("all", "journeys"): len(frame)},
                            {("all", "journeys"): False}) == {("all", "journeys"): True}


@pytest.mark.parametrize("missing", ["complete_case", "bounds", "impute"])
def test_prevalence_cells_count_the_table(missing):
    """A prevalence table's ``n`` counts the returns its estimate stands on, which depends on
    how missing outcomes are handled: its declared cells counted all returns in every mode.
    ``n_persons`` counts persons, and is declared so."""
    import analysis as an
    from tests.analysis.export_sim import planted_export

    frame, _ = planted_export(5, n=1500, n_prov=2)
    result = an.estimate_prevalence(frame, outcome="forced_labour", by="district_code",
                                    missing=missing, m=2)
    declared = result.cells()
    table = result.to_frame()
    assert result.n_outcome_missing > 0  # the modes differ on these data
    assert "n_persons" in declared["counts"]
    for column in declared["counts"]:
        chosen = frame[frame.eval(declared["populations"][column]).fillna(False).astype(bool)]
        grouped = chosen.groupby(declared["by"])
        if declared.get("units", {}).get(column) == "persons":
            counted = grouped["person_key"].nunique()
        else:
            counted = grouped.size()
        counted = counted.reindex(table.index, fill_value=0)
        assert (counted == table[column]).all(), column


def test_the_hidden_rows_together_are_a_group_too(tmp_path):
    """Found on the demo register: two communes whose rows are hidden (3 and 1 journeys not
    returned, each a small group by itself) still had 4 journeys not returned between them, the
    province's minus the visible communes'. The ledger looked at groups split by the hidden rows
    and never at the group a reader can tell apart: the hidden communes together."""
    rows = []
    for commune, journeys, returns in (("010201", 30, 20), ("010202", 19, 16),
                                       ("010203", 17, 16), ("020201", 30, 25)):
        rows += [(commune, i < returns) for i in range(journeys)]
    frame = pd.DataFrame(rows, columns=["register_commune", "returned"])
    frame["returned"] = frame["returned"].astype(int)
    frame["province_code"] = frame["register_commune"].str[:2]
    frame["person_key"] = [f"p{i}" for i in range(len(frame))]
    ledger = Ledger(tmp_path / "ledger.jsonl", "d")
    populations = {"journeys": None, "returns": "returned == 1"}
    hidden_rows = {}
    for by in ("province_code", "register_commune"):
        table = _table(frame.assign(departure_year=2024), by, None)
        cells = table_cells(table, ["journeys", "returns"], by=by, populations=populations)
        counts = {k: int(table.loc[k]) for k in cells}
        protected = ledger.protect(frame, cells, counts, dict.fromkeys(cells, False))
        assert protected is not None
        ledger.record(cells, protected)
        hidden_rows[by] = sorted({k[0] for k, hide in protected.items() if hide})
    assert hidden_rows["province_code"] == []
    # 010202 and 010203 hide their 3 and 1 journeys not returned; 010201 goes with them, or the
    # two together (4) would be the province's 14 minus 010201's 10
    assert hidden_rows["register_commune"] == ["010201", "010202", "010203"]


def test_the_persons_column_of_two_runs_cannot_be_subtracted(tmp_path):
    """Issue 9 item 8, left open at the last stop: the prevalence table's persons column was not
    in the ledger. When the last year's returns are mostly by persons who returned before, two
    runs give 18-31 returns but 1 or 2 persons per district apart: those persons singled out."""
    blind = _prevalence_runs(tmp_path / "blind", declare=False, repeat=True)
    persons = (blind["all"]["n_persons"] - blind["earlier"]["n_persons"]).dropna()
    journeys = (blind["all"]["n"] - blind["earlier"]["n"]).dropna()
    assert persons.between(1, 4).all() and len(persons) > 0 and (journeys >= 5).all()
    assert not _small_differences(_prevalence_runs(tmp_path / "declared", declare=True,
                                                   repeat=True)).any()
