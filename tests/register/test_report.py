"""The council's monthly report: every number against an independent query of a synthetic
commune register, the public version's blanking, and the command."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import register
from register import i18n
from register.cli import app
from register.errors import MonthError
from register.report import monthly_report
from register.report_public import THRESHOLD, public_version
from register.validation import parse_month
from register.vocabulary import (
    CHANNELS,
    COERCION,
    ILO_INDICATORS,
    INVOLUNTARINESS,
    SECTORS,
    SEXES,
)

COMMUNE = "010702"  # Kouk Romiet, Thma Puok, Banteay Meanchey: the busiest synthetic commune
TODAY = dt.date(2026, 6, 30)
runner = CliRunner()


def write_synthetic_commune(path: Path, scale: float = 0.05, seed: int = 7) -> None:
    """One synthetic commune register, written through the register's API."""
    from synthetic.country import make_country

    records = make_country([COMMUNE[:2]], seed, scale=scale).commune_records(COMMUNE)
    with register.init_register(path, commune=COMMUNE, durable=False) as reg:
        for kind in ("agencies", "brokers", "departures", "returns", "referrals"):
            if getattr(records, kind):
                register.add_records(reg, kind, getattr(records, kind))


@pytest.fixture(scope="module")
def commune(tmp_path_factory) -> tuple[Path, str]:
    """A synthetic commune register and its busiest month of 2025 (the synthetic data end in
    December 2025), in which an unlicensed agency and a chain of brokers raise warnings."""
    path = tmp_path_factory.mktemp("report") / f"{COMMUNE}.db"
    write_synthetic_commune(path)
    with register.open_register(path) as reg:
        month = reg.conn.execute(
            "SELECT substr(departure_date, 1, 7) AS m FROM journeys WHERE departure_date LIKE "
            "'2025-%' GROUP BY m ORDER BY count(*) DESC, m LIMIT 1").fetchone()[0]
        agency = register.add_agency(reg, name="Test Recruitment (synthetic)",
                                     licence_status="unlicensed").ids[0]
        broker = register.add_broker(reg, name="Broker Test (synthetic)").ids[0]
        for day, extra in (("03", {"agency_id": agency}), ("09", {"n_brokers": 4}),
                           ("12", {"agency_id": agency, "n_brokers": 3})):
            register.add_departure(
                reg, name="សុខ ដារា (synthetic)", sex="F", birth_year=2000,
                home_village="01070205", departure_date=f"{month}-{day}",
                destination_country="MY", channel="broker", broker_id=broker, **extra)
    return path, month


@pytest.fixture(scope="module")
def commune_db(commune) -> Path:
    return commune[0]


@pytest.fixture(scope="module")
def busy_month(commune) -> str:
    return commune[1]


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language(None)


# -- independent queries ---------------------------------------------------------------------
AGE = """CASE WHEN p.birth_date IS NOT NULL THEN
             CAST(substr(j.departure_date, 1, 4) AS INT) - CAST(substr(p.birth_date, 1, 4) AS INT)
             - (substr(j.departure_date, 6, 5) < substr(p.birth_date, 6, 5))
          ELSE CAST(substr(j.departure_date, 1, 4) AS INT) - p.birth_year END"""
BAND = f"""CASE WHEN ({AGE}) IS NULL OR ({AGE}) < 0 THEN NULL WHEN ({AGE}) < 18 THEN '<18'
                WHEN ({AGE}) <= 24 THEN '18-24' WHEN ({AGE}) <= 34 THEN '25-34'
                WHEN ({AGE}) <= 44 THEN '35-44' ELSE '45+' END"""
DIMENSIONS = {"village": "p.home_village", "country": "j.destination_country",
              "sector": "j.sector", "sex": "p.sex", "age_band": BAND, "channel": "j.channel"}


def _count(conn, sql: str, params: tuple) -> int:
    return conn.execute(sql, params).fetchone()[0]


def _any(names: list[str], value: int) -> str:
    return "(" + " OR ".join(f"r.{n} = {value}" for n in names) + ")"


def _all(names: list[str], value: int) -> str:
    return "(" + " AND ".join(f"r.{n} = {value}" for n in names) + ")"


INVOL = [n for n, d in ILO_INDICATORS.items() if d == INVOLUNTARINESS]
COERC = [n for n, d in ILO_INDICATORS.items() if d == COERCION]
# age at departure, written out in SQL (from the birth date, else the birth year)
AGE = ("(CASE WHEN p.birth_date IS NOT NULL THEN CAST(substr(j.departure_date, 1, 4) AS INT) "
       "- CAST(substr(p.birth_date, 1, 4) AS INT) - (substr(j.departure_date, 6, 5) < "
       "substr(p.birth_date, 6, 5)) ELSE CAST(substr(j.departure_date, 1, 4) AS INT) "
       "- p.birth_year END)")
MINOR = f"({AGE} < 18)"
FORCED = {  # ICLS 2018, written out in SQL: involuntary AND under menace of penalty; a child
    # (under 18 at departure): coercion, or sexual exploitation
    "yes": f"(({MINOR} AND ({_any(COERC, 1)} OR r.exploitation_type = 'sexual')) OR "
           f"(NOT {MINOR} AND {_any(INVOL, 1)} AND {_any(COERC, 1)}))",
    "no": f"(({MINOR} AND {_all(COERC, 0)} AND r.exploitation_type != 'sexual') OR "
          f"(NOT {MINOR} AND ({_all(INVOL, 0)} OR {_all(COERC, 0)})))",
}
# SQL's NULL: a condition on a missing answer is neither true nor false
FORCED["unknown"] = f"NOT coalesce({FORCED['yes']}, 0) AND NOT coalesce({FORCED['no']}, 0)"


def test_every_number_matches_an_independent_query(commune_db, busy_month):
    with register.open_register(commune_db) as reg:
        report = monthly_report(reg, busy_month, today=TODAY)
        conn = reg.conn
        first, last = parse_month(busy_month)
        periods = {"month": (first.isoformat(), last.isoformat()),
                   "year": (f"{first.year}-01-01", last.isoformat())}
        checked = 0
        assert report.table("departures_by_sex").total[0] > 0  # a month with departures
        for dim, expr in DIMENSIONS.items():
            table = report.table(f"departures_by_{dim}")
            for i, (_, period) in enumerate(table.columns):
                base = ("FROM journeys j JOIN persons p ON p.id = j.person_id "
                        "WHERE j.departure_date BETWEEN ? AND ?")
                assert table.total[i] == _count(conn, f"SELECT count(*) {base}", periods[period])
                present = {row[0] for row in conn.execute(
                    f"SELECT DISTINCT {expr} {base}", periods[period])}
                shown = {row.keys[0] for row in table.rows if row.values[i]}
                assert shown == present, (dim, period)
                for row in table.rows:
                    cond = f"{expr} IS NULL" if row.keys[0] is None else f"{expr} = ?"
                    args = periods[period] + (() if row.keys[0] is None else (row.keys[0],))
                    assert row.values[i] == _count(conn, f"SELECT count(*) {base} AND {cond}",
                                                   args), (dim, row, period)
                    checked += 1
        # every category is listed, zeros included
        assert [r.keys[0] for r in report.table("departures_by_sex").rows] == list(SEXES)
        assert [r.keys[0] for r in report.table("departures_by_channel").rows] == list(CHANNELS)
        assert [r.keys[0] for r in report.table("departures_by_sector").rows][:9] == list(SECTORS)

        returns = report.table("returns_forced_labour")
        for i, (measure, period) in enumerate(returns.columns):
            base = ("FROM returns r JOIN journeys j ON j.id = r.journey_id JOIN persons p "
                    "ON p.id = j.person_id WHERE r.return_date BETWEEN ? AND ?")
            extra = f" AND {_any(list(ILO_INDICATORS), 1)}" if measure == "any_indicator" else ""
            for row in returns.rows:
                sql = f"SELECT count(*) {base} AND {FORCED[row.keys[0]]}{extra}"
                assert row.values[i] == _count(conn, sql, periods[period]), (row, measure)
                checked += 1
            assert returns.total[i] == _count(conn, f"SELECT count(*) {base}{extra}",
                                              periods[period])
        modes = report.table("returns_by_mode")
        for i, (_, period) in enumerate(modes.columns):
            for row in modes.rows:
                assert row.values[i] == _count(
                    conn, "SELECT count(*) FROM returns WHERE return_date BETWEEN ? AND ? "
                          "AND return_mode = ?", (*periods[period], row.keys[0]))
                checked += 1

        referrals = report.table("referrals")
        for i, (measure, period) in enumerate(referrals.columns):
            status = " AND status IN ('referred', 'received')" if measure == "open" else ""
            for row in referrals.rows:
                assert row.values[i] == _count(
                    conn, f"SELECT count(*) FROM referrals WHERE referral_date BETWEEN ? AND ? "
                          f"AND service = ?{status}", (*periods[period], row.keys[0]))
                checked += 1

        warnings = report.table("warnings")
        assert warnings.rows, "the synthetic commune raises protection warnings"
        warn_sql = """
            FROM warnings w JOIN journeys j ON j.id = w.record_id
            LEFT JOIN agencies a ON a.id = j.agency_id LEFT JOIN brokers b ON b.id = j.broker_id
            WHERE j.departure_date BETWEEN ? AND ?"""
        for i, (_, period) in enumerate(warnings.columns):
            expected = {}
            for code, agency, broker in conn.execute(
                    f"SELECT w.code, a.name, b.name {warn_sql}", periods[period]):
                party, name = ("broker", broker) if code == "many_brokers" else ("agency", agency)
                expected[party, name, code] = expected.get((party, name, code), 0) + 1
            assert {r.keys: r.values[i] for r in warnings.rows if r.values[i]} == expected
            assert warnings.total[i] == _count(conn, f"SELECT count(DISTINCT j.id) {warn_sql}",
                                               periods[period])
            checked += len(expected)

        summary = {row.keys[0]: row.values for row in report.table("summary").rows}
        for i, period in enumerate(("month", "year")):
            dep = _count(conn, "SELECT count(*) FROM journeys WHERE departure_date BETWEEN ? AND ?",
                         periods[period])
            ret = _count(conn, "SELECT count(*) FROM returns WHERE return_date BETWEEN ? AND ?",
                         periods[period])
            made = _count(conn, "SELECT count(*) FROM referrals WHERE referral_date BETWEEN ? "
                                "AND ?", periods[period])
            assert summary["departures"][i] == dep
            assert summary["returns"][i] == ret
            assert summary["referrals_made"][i] == made
            assert summary["returns_forced_labour"][i] == _count(
                conn, f"SELECT count(*) FROM returns r JOIN journeys j ON j.id = r.journey_id "
                      f"JOIN persons p ON p.id = j.person_id WHERE r.return_date BETWEEN ? AND ? "
                      f"AND {FORCED['yes']}", periods[period])
        assert checked > 100  # the loops above did run

        # the follow-up list, as of the month's last day (the planned stay, else 12 months)
        as_of = last.isoformat()
        assert report.as_of == as_of
        months = ("((CAST(substr(:a, 1, 4) AS INT) * 12 + CAST(substr(:a, 6, 2) AS INT)) - "
                  "(CAST(substr(j.departure_date, 1, 4) AS INT) * 12 + "
                  "CAST(substr(j.departure_date, 6, 2) AS INT)))")
        overdue = [r[0] for r in conn.execute(f"""
            SELECT j.id FROM journeys j
            WHERE ({months} > coalesce(j.planned_months, 12) OR ({months} =
                   coalesce(j.planned_months, 12)
                   AND substr(:a, 9, 2) > substr(j.departure_date, 9, 2)))
              AND j.id NOT IN (SELECT journey_id FROM returns WHERE return_date <= :a)
              AND NOT EXISTS (SELECT 1 FROM referrals f WHERE f.person_id = j.person_id
                              AND f.referral_date > j.departure_date AND f.referral_date <= :a)
            ORDER BY j.departure_date, j.id""", {"a": as_of})]
        assert len(overdue) >= 20
        assert [o.journey_id for o in report.overdue] == overdue
        assert report.overdue_count == len(overdue)


def _partition_columns(table):
    for i in range(len(table.columns)):
        yield [row.values[i] for row in table.rows], table.total[i]


def test_public_version_blanks_small_counts_and_names(commune_db, busy_month):
    with register.open_register(commune_db) as reg:
        internal = monthly_report(reg, busy_month, today=TODAY)
    public = public_version(internal)
    assert public.public and public.overdue == () and public.hidden_cells > 0
    assert all(row.keys[1] is None for row in public.table("warnings").rows)  # no names
    for table, before in zip(public.tables, internal.tables, strict=True):
        for row in table.rows:
            assert all(v is None or v == 0 or v >= THRESHOLD for v in row.values), (table.name, row)
        assert all(v is None or v == 0 or v >= THRESHOLD for v in table.total)
        if not table.partition or table.name == "warnings":
            continue
        for (values, total), (truth, _) in zip(_partition_columns(table),
                                               _partition_columns(before), strict=True):
            hidden = [t for v, t in zip(values, truth, strict=True) if v is None]
            shown = [v for v in values if v is not None]
            if not hidden or total is None:
                continue
            # the total and the shown cells leave each blanked cell undetermined
            assert len(hidden) >= 2 and total - sum(shown) > len(hidden), (table.name, values)
    # the same totals in every table of departures
    totals = {public.table(f"departures_by_{d}").total for d in DIMENSIONS}
    assert len(totals) == 1


def test_a_lone_small_cell_takes_a_second_one_with_it():
    from register.report import MONTH, Row, Table
    from register.report_public import _blank

    table = Table("departures_by_sex", ("sex",), (("departures", MONTH),),
                  (Row(("F",), (2,)), Row(("M",), (9,)), Row(("X",), (0,))), (11,))
    blanked, hidden, exposed = _blank(table, 5)
    assert [r.values[0] for r in blanked.rows] == [None, None, 0] and blanked.total == (11,)
    ones = Table("departures_by_village", ("village",), (("departures", MONTH),),
                 tuple(Row((str(i),), (1,)) for i in range(6)), (6,))
    _, _, exposed = _blank(ones, 5)
    assert exposed == [0]  # six blanked 1s and a total of 6: the total must go too


def test_months_are_checked():
    assert parse_month("២០២៥-០៣", TODAY) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert parse_month("2024-02", TODAY)[1] == dt.date(2024, 2, 29)
    for bad in ("2025-13", "March", "2025/03", ""):
        with pytest.raises(MonthError, match="is not a month"):
            parse_month(bad, TODAY)
    with pytest.raises(MonthError, match="has not begun"):
        parse_month("2026-07", TODAY)


# -- the command -----------------------------------------------------------------------------
def test_report_command_writes_a_private_file(commune_db, busy_month, tmp_path, english):
    out = tmp_path / "council.pdf"
    result = runner.invoke(app, ["report", "--db", str(commune_db), "--month", busy_month,
                                 "--out", str(out), "--no-input"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and "pages" in result.output
    if os.name == "posix":
        assert out.stat().st_mode & 0o777 == 0o600
        assert "permissions 0600" in result.output
    public = tmp_path / "public.pdf"
    result = runner.invoke(app, ["report", "--db", str(commune_db), "--month", busy_month,
                                 "--out", str(public), "--public", "--lang", "km", "--no-input"])
    assert result.exit_code == 0, result.output
    assert "កំណែសាធារណៈ" in result.output and "0600" not in result.output


def test_report_command_refuses_bad_input(commune_db, tmp_path, english):
    cases = [
        (["--month", "2025-13", "--out", str(tmp_path / "a.pdf")], 1, "is not a month"),
        (["--month", "2099-01", "--out", str(tmp_path / "a.pdf")], 1, "has not begun"),
        (["--month", "2025-01", "--out", str(tmp_path / "a.txt")], 1, "ending in .pdf"),
        (["--month", "2025-01", "--out", str(tmp_path / "a.pdf"), "--lang", "fr"], 1,
         "unknown language 'fr'"),
        (["--out", str(tmp_path / "a.pdf")], 2, "--month"),
    ]
    for args, code, message in cases:
        result = runner.invoke(app, ["report", "--db", str(commune_db), "--no-input", *args])
        assert result.exit_code == code, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_other_commands_never_load_the_pdf_libraries(commune_db):
    code = ("import sys; from typer.testing import CliRunner; import register.cli; "
            "r = CliRunner().invoke(register.cli.app, ['followup', '--db', sys.argv[1]]); "
            "assert r.exit_code == 0, r.output; "
            "r = CliRunner().invoke(register.cli.app, ['list', 'warnings', '--db', sys.argv[1]]); "
            "assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('fpdf', 'uharfbuzz', 'fontTools', 'PIL', 'pypdfium2') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(commune_db)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_report_messages_exist_in_khmer():
    english, khmer = i18n.catalogue("en"), i18n.catalogue("km")
    ours = [k for k in english if k.startswith(("report.", "followup.", "list.", "choice.",
                                                 "country."))]
    assert len(ours) > 150
    missing = [k for k in ours if not khmer.get(k)]
    assert not missing
    for key in ours:
        assert i18n.placeholders(khmer[key]) == i18n.placeholders(english[key]), key
