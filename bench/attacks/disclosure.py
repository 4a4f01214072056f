"""Disclosure (issue 9, items 7-9): singling people out of the researcher export, differencing
published tables across runs, files anyone on the computer can read, names that outlive an
erasure.

The README's promises ("Nothing lost, nobody singled out"; "Tables cannot be differenced";
"Names are erasable on request"): the export reaches k over every quasi-identifier in the file
(home area, sex, age, dates, destination, sector), counting persons; ``--k`` below 2 and the
detailed level without ``--accept-reidentification-risk`` are refused; no cell or group of 1 to
threshold-1 records can be worked out from the tables published from the same data; registers,
backups, exports and reports are 0600 and the notebooks' export stays out of the results; an
erased person's names, ID numbers and phones (old values included) leave the file, the chain
still checks, and the erasure reaches merged registers.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

import register
from register import audit
from register.backup import backup
from register.erase import erase
from register.errors import RegisterError
from register.export import COLUMN_NAMES, QUASI_IDENTIFIERS
from register.merge import merge
from tests.conftest import TODAY

from .common import Tally, cli, commune_register, person_rows, scratch

SENSITIVE = ("name", "national_id", "phone", "birth_date", "home_village", "notes")
# The README's list of what an export's quasi-identifiers are: home area, sex, age, dates,
# destination, sector (the model marks sector since the campaign found it unmarked).
README_QUASI = tuple(dict.fromkeys((*QUASI_IDENTIFIERS, "sector")))


def _national(folder: Path, rng: random.Random) -> Path:
    """A seeded synthetic register of two or three provinces, merged."""
    from synthetic.write import write_country

    provinces = ["01", *rng.sample(["02", "03", "12", "17"], rng.randint(1, 2))]
    write_country(provinces, rng.randrange(10**6), folder / "communes",
                  scale=rng.uniform(0.02, 0.035), workers=1)
    out = folder / "national.db"
    merge(sorted((folder / "communes").glob("*.db")), out, link=False)
    return out


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    conn = sqlite3.connect(path)
    try:
        frame = pd.read_sql_query("SELECT * FROM journeys", conn)
    finally:
        conn.close()
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _smallest(frame: pd.DataFrame, quasi: tuple[str, ...]) -> tuple[int, list[str]]:
    """The smallest group (distinct persons) over the quasi-identifiers with a value in the file:
    measured here with pandas, independently of the program."""
    present = [q for q in quasi if q in frame and (frame[q] != "").any()]
    if not len(frame):
        return 0, present
    sizes = frame.groupby(present, dropna=False)["person_key"].nunique()
    return int(sizes.min()), present


def _export(db: Path, out: Path, api: bool, level: str, k: Any,
            risk: bool = False) -> tuple[bool, str]:
    """(written, what was said)."""
    if api:
        try:
            with register.open_register(db, actor="attack") as reg:
                register.export_researcher(reg, out, level=level, k=k, accept_risk=risk)
            return True, ""
        except RegisterError as exc:
            return False, str(exc)
    done = cli(["export", "--db", db, "--out", out, "--level", level, "--k", str(k),
                "--no-input", *(["--accept-reidentification-risk"] if risk else [])])
    if done.traceback:
        raise RuntimeError(done.crash())
    return done.code == 0, done.output


def attack_export(tally: Tally, rng: random.Random, tries: int) -> None:
    k_row = tally.row(7, "export at k 2-10, standard or strict, CSV or SQLite: smallest group "
                         "over the quasi-identifiers in the file", "at least k persons")
    readme = tally.row(7, "export: smallest group over the README's quasi-identifiers "
                          "(the file's, and sector)", "at least k persons")
    single = tally.row(7, "single out a person known by sex, age band, commune, destination and "
                          "departure month (girls under 18 first)",
                       "every record that fits is one of at least k persons, or none fits")
    refused = tally.row(7, "export refused: --k below 2; the detailed level without "
                           "--accept-reidentification-risk", "refused, no file written")
    detailed = tally.row(7, "detailed level with the risk accepted", "reports its true smallest "
                                                                      "group")
    for _ in range(tries):
        with scratch("attack-export-") as folder:
            row = k_row
            try:
                db = _national(folder, rng)
                with register.open_register(db) as reg:
                    truth = pd.DataFrame(register.researcher_rows(reg, "detailed"))
                for j in range(3):
                    api = rng.random() < 0.4
                    level = rng.choice(["standard", "strict"])
                    k = rng.choice([2, 3, 5, 5, 7, 10])
                    out = folder / f"export-{j}{rng.choice(['.csv', '.csv', '.db'])}"
                    how = f"{level}, k={k}, {out.suffix} ({'API' if api else 'CLI'})"
                    row = k_row
                    written, said = _export(db, out, api, level, k)
                    frame = _read(out) if written else pd.DataFrame()
                    smallest, present = _smallest(frame, QUASI_IDENTIFIERS)
                    leaked = [c for c in frame.columns if c in SENSITIVE or
                              c not in COLUMN_NAMES]
                    tally.record(k_row, written and smallest >= k and not leaked,
                                 f"{how}: written={written}, smallest {smallest} over {present}"
                                 f"{f', columns {leaked}' if leaked else ''}; {said[-100:]}")
                    row = readme
                    wide, over = _smallest(frame, README_QUASI)
                    tally.record(readme, written and wide >= k,
                                 f"{how}: smallest {wide} over {over}")
                    row = single
                    _single_out(tally, single, rng, truth, frame, k, how)
                row = refused
                for bad in rng.sample([1, 0, -3], 2):
                    out = folder / f"bad-k{bad}.csv"
                    written, said = _export(db, out, rng.random() < 0.5, "standard", bad)
                    tally.record(refused, not written and not out.exists(),
                                 f"--k {bad}: written={written}; {said[-80:]}")
                out = folder / "detailed.csv"
                api = rng.random() < 0.5
                written, said = _export(db, out, api, "detailed", 5)
                tally.record(refused, not written and not out.exists(),
                             f"detailed, no flag ({'API' if api else 'CLI'}): written={written}")
                row = detailed
                written, said = _export(db, out, False, "detailed", 5, risk=True)
                smallest, _ = _smallest(_read(out), QUASI_IDENTIFIERS) if written else (0, [])
                tally.record(detailed, written and f"smallest group {smallest} persons" in said,
                             f"measured {smallest}; said {said.strip().splitlines()[-3:]}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _single_out(tally: Tally, row: Any, rng: random.Random, truth: pd.DataFrame,
                frame: pd.DataFrame, k: int, how: str) -> None:
    """An attacker who knows a few facts about a person (a neighbour) looks for them in the file:
    records whose values fit (a blank or generalised value fits anything it could hide)."""
    if frame.empty:
        tally.record(row, True, f"{how}: nothing written")
        return
    girls = truth[(truth["sex"] == "F") & (truth["age_band"] == "<18")]
    pool = girls if len(girls) and rng.random() < 0.6 else truth
    targets = pool.sample(min(40, len(pool)), random_state=rng.randrange(2**31))
    worst, example = None, ""
    for _, person in targets.iterrows():
        fits = pd.Series(True, index=frame.index)
        known = {"sex": person["sex"], "age_band": person["age_band"],
                 "commune_code": person["commune_code"],
                 "destination_country": person["destination_country"],
                 "departure_date": str(person["departure_date"])[:7]}
        for column, value in known.items():
            have = frame[column] if column in frame else pd.Series("", index=frame.index)
            value = "" if value is None else str(value)
            if column == "age_band":
                fits &= (have == "") | (have == value) | (
                    have == ("<18" if value == "<18" else "18+"))
            elif column == "departure_date":
                year = frame.get("departure_year", pd.Series("", index=frame.index))
                fits &= ((have == "") | (have == value)) & ((year == "") | (year == value[:4]))
            elif column == "commune_code":
                district = frame.get("district_code", pd.Series("", index=frame.index))
                province = frame.get("province_code", pd.Series("", index=frame.index))
                fits &= ((have == "") | (have == value)) & (
                    (district == "") | (district == value[:4])) & (
                    (province == "") | (province == value[:2]))
            else:
                fits &= (have == "") | (have == value)
        persons = frame.loc[fits, "person_key"].nunique()
        if 0 < persons < k and (worst is None or persons < worst):
            worst, example = persons, ", ".join(f"{c}={v}" for c, v in known.items())
    tally.record(row, worst is None, f"{how}: {len(targets)} targets"
                 + (f"; one fits only {worst} persons ({example})" if worst else ""))


# -- 8. published tables differenced across runs -----------------------------------------------
def _publications(rng: random.Random, provinces: list[str], years: tuple[int, int]
                  ) -> list[tuple[str | None, tuple[int, int] | None]]:
    """2 to 4 runs over the same data: nested and overlapping selections, as a researcher makes
    them (the default; a province; the years up to last year; the last two years)."""
    first, last = years
    cut = rng.randint(last - 3, last - 1)
    choices: list[tuple[str | None, tuple[int, int] | None]] = [
        (None, None), (None, (first, cut)), (None, (cut + 1, last)),
        (provinces[0], None), (provinces[0], (first, cut)), (provinces[0], (cut + 1, last)),
        (None, (rng.randint(first, cut), last))]
    runs = rng.sample(choices, rng.randint(2, 4))
    if rng.random() < 0.5:  # the pair: the default run and the one without last years
        runs = [(None, None), (None, (first, cut)), *runs]
    return list(dict.fromkeys(runs))


def _publish_run(data: Path, results: Path, province: str | None,
                 period: tuple[int, int] | None, n: int) -> dict[str, pd.DataFrame]:
    """What the notebooks publish by area and year, through their own calls (10_data_quality:
    follow-up by year, completeness by province and commune; 20_prevalence: forced labour by
    province or district)."""
    import analysis as an

    run = an.notebook_setup(data, results / "nb" / f"run{n}", province=province, period=period,
                            threshold=5, seed=1, alpha=0.05)
    df = run.frame
    returned = {"journeys": None, "returns": "returned == 1"}
    follow = an.follow_up(df)
    tables = {}
    tables["follow_up_by_year"] = run.table(follow.to_frame(), "follow_up_by_year",
                                            counts=["journeys", "returns"], by="departure_year",
                                            populations=returned, show=False)
    tables["missing_by_province"] = run.table(
        an.completeness(df, by="province_code"), "missing_by_province", show=False,
        counts=["journeys", "returns"], by="province_code", populations=returned)
    area = "district_code" if province else "province_code"
    result = an.estimate_prevalence(df, outcome="forced_labour", by=area, alpha=0.05,
                                    threshold=5)
    tables[f"prevalence_{area}"] = run.table(result.to_frame(), "prevalence_forced_labour",
                                             show=False, **result.cells())
    return {name: t for name, t in tables.items() if t is not None}


COUNTS = ("journeys", "returns", "n", "n_recorded", "cases_recorded", "n_persons")


def attack_ledger(tally: Tally, rng: random.Random, tries: int) -> None:
    row = tally.row(8, "tables of 2-5 runs on the same data differenced (default minus a period, "
                       "a province minus its years ...; the notebooks' own calls)",
                    "no group of 1-4 records worked out")
    with scratch("attack-ledger-") as folder:
        try:
            db = _national(folder, rng)
            from analysis.export_cache import prepare_data

            data, _, _ = prepare_data(db, folder / "cache")
            frame = pd.read_parquet(data, columns=["province_code", "departure_year"])
            provinces = sorted(frame["province_code"].dropna().unique())
            years = (int(frame["departure_year"].min()), int(frame["departure_year"].max()))
        except Exception as exc:  # noqa: BLE001
            tally.crashed(row, exc)
            return
        for i in range(tries):
            results = folder / f"results-{i}"
            runs = _publications(rng, rng.sample(provinces, len(provinces)), years)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    published = {r: _publish_run(data, results, *r, n)
                                 for n, r in enumerate(runs)}
                leaks = _difference(published)
                tally.record(row, not leaks, f"runs {runs}: " + "; ".join(leaks[:3]))
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _difference(published: dict[Any, dict[str, pd.DataFrame]]) -> list[str]:
    """Subtract every published table from every other of the same name with a nested selection
    (one's records a subset of the other's): a difference of 1-4 is a small group worked out."""
    def inside(a: Any, b: Any) -> bool:  # selection a within selection b
        (pa, ya), (pb, yb) = a, b
        area = pb is None or pa == pb
        years = yb is None or (ya is not None and yb[0] <= ya[0] and ya[1] <= yb[1])
        return area and years and a != b

    leaks = []
    for small, big in itertools.permutations(published, 2):
        if not inside(small, big):
            continue
        for name, table in published[small].items():
            other = published[big].get(name)
            if other is None:
                continue
            both = table.index.intersection(other.index)
            for column in COUNTS:
                if column not in table or column not in other:
                    continue
                diff = (other.loc[both, column].astype("Float64")
                        - table.loc[both, column].astype("Float64")).dropna()
                found = diff[(diff > 0) & (diff < 5)]
                for key, value in found.items():
                    leaks.append(f"{name}[{key}].{column}: {big} minus {small} = {value:g}")
    return leaks


# -- 9. files anyone can read; the export beside the published tables ----------------------------
def attack_files(tally: Tally, rng: random.Random, tries: int) -> None:
    modes = tally.row(9, "files holding people's data (register, backup, export, merged "
                         "register, report, restore's safety copy), any umask",
                      "readable by their owner only (0600)")
    kept = tally.row(9, "notebooks' export: results folder beside (or holding) the register, "
                        "--cache inside the results", "no data file in the results folder")
    plain = tally.row(9, "init of an unencrypted register", "says so and recommends --encrypt")
    old = os.umask(0o022)
    try:
        for i in range(tries):
            os.umask(rng.choice([0o000, 0o002, 0o022]))
            with scratch("attack-files-") as folder:
                row = modes
                try:
                    db = folder / "kh.db"
                    done = cli(["init", "--commune", "010201", "--db", db, "--no-input"])
                    tally.record(plain, "--encrypt" in done.output, done.said())
                    with register.open_register(db, actor="attack") as reg:
                        register.add_records(reg, "departures", person_rows(rng, 6, f"f{i}"),
                                             today=TODAY)
                    made = [db]
                    for command in rng.sample(["backup", "export", "merge", "report",
                                               "restore"], 3):
                        made += _make(command, db, folder, rng)
                    loose = {p.name: oct(p.stat().st_mode & 0o777) for p in made
                             if p.exists() and p.stat().st_mode & 0o077}
                    missing = [p.name for p in made if not p.exists()]
                    tally.record(modes, not loose and not missing,
                                 f"umask {oct(os.umask(0o022))}: readable by others {loose}"
                                 + (f", not made {missing}" if missing else ""))
                    if i < 2:
                        row = kept
                        _runner(tally, kept, db, folder, inside=i == 1)
                except Exception as exc:  # noqa: BLE001
                    tally.crashed(row, exc)
    finally:
        os.umask(old)


def _make(command: str, db: Path, folder: Path, rng: random.Random) -> list[Path]:
    api = rng.random() < 0.5
    if command == "backup":
        out = folder / "usb.db"
        if api:
            backup(db, out)
        else:
            cli(["backup", "--db", db, "--out", out, "--no-input"])
        return [out]
    if command == "export":
        out = folder / f"export{rng.choice(['.csv', '.db'])}"
        cli(["export", "--db", db, "--out", out, "--k", "2", "--no-input"])
        return [out]
    if command == "merge":
        out = folder / "district.db"
        if api:
            merge([db], out, link=False)
        else:
            cli(["merge", db, "--out", out, "--no-link", "--no-input"])
        return [out]
    if command == "report":
        out = folder / "council.pdf"
        cli(["report", "--db", db, "--month", "2024-03", "--out", out, "--no-input"])
        return [out]
    copy = folder / "copy.db"
    backup(db, copy)
    before = set(folder.glob("kh.db.before-restore*"))
    cli(["restore", copy, "--db", db, "--no-input"])
    return sorted(set(folder.glob("kh.db.before-restore*")) - before) or [folder / "aside?"]


def _runner(tally: Tally, row: Any, db: Path, folder: Path, inside: bool) -> None:
    """The notebooks' runner with the results folder where a researcher may well put it."""
    from analysis.notebooks import run_notebooks

    if inside:
        results, cache = folder / "results", folder / "results" / "cache"
        how = "--cache inside --results"
    else:
        results, cache = folder, None  # the register's own folder as the results
        how = "--results the register's folder"
    results.mkdir(exist_ok=True)
    before = set(results.rglob("*"))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            run_notebooks(db, results, names=["10_"], cache=cache, report=False,
                          echo=lambda _: None)
        said = ""
    except Exception as exc:  # noqa: BLE001  (a refusal is fine; a data file in results is not)
        said = f"{type(exc).__name__}: {exc}"
    data = [str(p.relative_to(results)) for p in set(results.rglob("*")) - before
            if p.suffix in (".parquet", ".partial", ".csv", ".db") and "10_" not in str(p)]
    tally.record(row, not data, f"{how}: data files in the results {data[:3]}; {said[:120]}")


# -- 9. erasure -------------------------------------------------------------------------------
def _values_in(path: Path, values: list[str]) -> list[str]:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            data += p.read_bytes()
    return [v for v in values if v.encode() in data]


def attack_erase(tally: Tally, rng: random.Random, tries: int) -> None:
    gone = tally.row(9, "erase a person (by person id, journey id or prefix; corrected names and "
                        "phones; API and CLI)", "no value left in the file; the chain checks "
                                                "against an earlier code; the others untouched")
    travels = tally.row(9, "erasure in the commune, then merged again",
                        "no value left in the merged register; it checks")
    elsewhere = tally.row(9, "erasure asked of a merged register", "refused, naming the commune")
    for i in range(tries):
        api = rng.random() < 0.5
        row = gone
        with scratch("attack-erase-") as folder:
            try:
                db = folder / "kh-010201.db"
                commune_register(db, rng, batches=rng.randint(1, 3), per_batch=(2, 4))
                with register.open_register(db, actor="clerk") as reg:
                    rows = list(reg.conn.execute(
                        "SELECT j.id, j.person_id, i.name, i.national_id, i.phone FROM journeys j "
                        "JOIN person_identity i ON i.person_id = j.person_id"))
                    journey, person, *values = rng.choice(rows)
                    for _ in range(rng.randint(0, 3)):  # corrections keep the old values aside
                        new = {"name": f"Renamed {rng.randrange(10**6)}",
                               "phone": f"0{rng.randrange(10**8):08d}"}
                        field = rng.choice(list(new))
                        register.correct(reg, person, {field: new[field]}, reason="typo")
                        values.append(new[field])
                    code = audit.anchor(reg.conn)
                    others = sorted(reg.conn.execute(
                        "SELECT * FROM person_identity WHERE person_id != ?", (person,)))
                merged = folder / "district.db"
                if i % 2:
                    merge([db], merged, link=False)
                ref = rng.choice([person, person[:8], journey, journey[:6]])
                how = f"ref {'journey' if ref in journey else 'person'}[:{len(ref)}] " \
                      f"({'API' if api else 'CLI'})"
                if api:
                    with register.open_register(db, actor="officer") as reg:
                        erase(reg, ref, reason="her request")
                else:
                    done = cli(["erase", ref, "--reason", "her request", "--db", db,
                                "--no-input"])
                    if done.code != 0 or done.traceback:
                        raise RuntimeError(done.said() or done.crash())
                left = _values_in(db, values)
                with register.open_register(db) as reg:
                    ok = register.check_register(reg, expect=code).ok
                    same = sorted(reg.conn.execute(
                        "SELECT * FROM person_identity WHERE person_id != ?", (person,))) == others
                    journeys = reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0]
                tally.record(gone, not left and ok and same and journeys == len(rows),
                             f"{how}, {len(values)} values: left {left}, checks={ok}, "
                             f"others untouched={same}")
                if i % 2:
                    row = elsewhere
                    with register.open_register(merged) as reg:
                        try:
                            erase(reg, person, reason="asked the province")
                            said = "erased"
                        except RegisterError as exc:
                            said = str(exc)
                    tally.record(elsewhere, "010201" in said, said[:100])
                    row = travels
                    merge([db], merged, link=False)
                    left = _values_in(merged, values)
                    with register.open_register(merged) as reg:
                        ok = register.check_register(reg).ok
                    tally.record(travels, not left and ok, f"{how}: left {left}, checks={ok}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)
