"""The council's monthly report and the follow-up list: the numbers, as plain data.

Pure computation: SQL queries over one register, returning tables of counts (and, for the
internal version, the follow-up list of names). Nothing here prints, translates or draws; the
PDF is drawn by :mod:`register.report_pdf`, in the clerk's language.

Definitions (the notes of the printed report say the same):

* A **departure** is a journey (a person who left twice counts twice), placed in the month of
  its departure date; a **return** in the month of its return date; a **referral** in the month
  of its referral date. Journeys recorded again by a second commune of a merged register
  (``duplicate_journeys``) are counted once.
* **Forced-labour indicators**: a return with any of the eleven ILO indicators answered yes.
  **Forced labour** is the ICLS 2018 statistical classification of
  :func:`register.definitions.forced_labour` (involuntary work AND menace of penalty); it is
  "cannot tell" when the indicators needed were not asked.
* A referral is **still open** when its status is ``referred`` or ``received`` today.
* **Protection warnings** are those stored with a departure (``warnings``), counted by the
  agency (licence warnings, a minor recruited) or broker (three or more brokers) of the journey.
* **Overdue** (the follow-up list): a departure with no return recorded and no referral of the
  person after it, whose departure date plus the planned stay (``planned_months`` when the
  register has that column and it is filled, else :data:`DEFAULT_MONTHS`) is before the
  reference date. Month arithmetic is SQLite's (``date(d, '+N months')``: 31 January plus one
  month is 3 March).

The version to share is made from this one by :mod:`register.report_public`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import definitions
from .db import Register
from .errors import RegisterError
from .export import AGE_BANDS, age_band
from .i18n import t
from .query import not_voided
from .validation import age_at, months_between, parse_month
from .vocabulary import CHANNELS, ILO_INDICATORS, RETURN_MODES, SECTORS, SERVICES, SEXES

DEFAULT_MONTHS = 12
OPEN_STATUSES = ("referred", "received")
MONTH, YEAR = "month", "year"
# A journey counts once (a repeated one in a merged register does not) and not when voided.
_LIVE = ("j.id NOT IN (SELECT journey_id FROM duplicate_journeys) AND "
         + not_voided("journeys", "j"))


class ReportError(RegisterError):
    """A report cannot be made as asked (a bad month, a bad file name)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table: a code per dimension (None: not recorded) and a count per column
    (None: hidden in the public version)."""

    keys: tuple[str | None, ...]
    values: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Counts by one or more dimensions; ``columns`` are (measure, period) pairs.

    ``partition``: every counted item is in exactly one row, so the rows of a column add up to
    its total (what the public version's complementary blanking protects).
    """

    name: str
    dims: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    rows: tuple[Row, ...]
    total: tuple[int | None, ...]
    partition: bool = True

    def value(self, keys: tuple[str | None, ...], column: tuple[str, str]) -> int | None:
        """The count of a row (0 when the row is absent) in a column."""
        index = self.columns.index(column)
        for row in self.rows:
            if row.keys == keys:
                return row.values[index]
        return 0


@dataclass(frozen=True, slots=True)
class Overdue:
    """A person away longer than planned with no news: one line of the follow-up list."""

    journey_id: str
    person_id: str
    name: str | None
    phone: str | None
    village: str
    departure_date: str
    destination_country: str
    months_away: int
    expected_months: int


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    commune_code: str | None
    month: str  # YYYY-MM
    start: str  # first day of the month (ISO)
    year_start: str  # 1 January of its year
    end: str  # last day of the month
    as_of: str  # the follow-up list's reference date: the month's last day, or today if earlier
    public: bool
    tables: tuple[Table, ...]
    overdue: tuple[Overdue, ...]  # empty in the public version
    overdue_count: int | None
    hidden_cells: int = 0
    audit_code: str = ""  # the register's audit code when the report was made (register.audit)

    def table(self, name: str) -> Table:
        return next(tab for tab in self.tables if tab.name == name)


def _rows(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def _age_band(birth_date: str | None, birth_year: int | None, on: str) -> str | None:
    age = age_at(birth_date, birth_year, on)
    return age_band(age) if age is not None and age >= 0 else None


# -- the tables ------------------------------------------------------------------------------
_DEPARTURES = f"""
SELECT {{key}} AS k,
       sum(j.departure_date >= :start) AS month, count(*) AS year
FROM journeys j JOIN persons p ON p.id = j.person_id
WHERE j.departure_date BETWEEN :year_start AND :end AND {_LIVE}
GROUP BY k
"""
_DEPARTURE_KEYS = {
    "village": "p.home_village", "country": "j.destination_country", "sector": "j.sector",
    "sex": "p.sex", "age_band": "report_age_band(p.birth_date, p.birth_year, j.departure_date)",
    "channel": "j.channel",
}
_FIXED_ORDER: dict[str, tuple[str, ...]] = {
    "sector": SECTORS, "sex": SEXES, "age_band": tuple(label for _, _, label in AGE_BANDS),
    "channel": CHANNELS, "return_mode": RETURN_MODES, "service": SERVICES,
    "forced_labour": ("yes", "no", "unknown"),
}


def _ordered(dim: str, counts: Mapping[Any, tuple[int, ...]], villages: list[str],
             width: int) -> tuple[Row, ...]:
    """Rows in a stable order: every category of a fixed list (zeros included), the commune's
    villages by code, other codes by count; 'not recorded' last."""
    zero = (0,) * width
    if dim in _FIXED_ORDER:
        keys: list[Any] = list(_FIXED_ORDER[dim])
    elif dim == "village":
        keys = sorted(set(villages) | {k for k in counts if k is not None})
    else:
        keys = sorted((k for k in counts if k is not None), key=lambda k: (-counts[k][-1], k))
    keys += [k for k in counts if k not in keys]  # unexpected codes, then None
    keys.sort(key=lambda k: k is None)
    return tuple(Row((k,), counts.get(k, zero)) for k in keys)


def _departure_tables(conn: sqlite3.Connection, params: dict[str, Any],
                      villages: list[str]) -> list[Table]:
    tables = []
    for dim, key in _DEPARTURE_KEYS.items():
        counts = {r["k"]: (r["month"], r["year"])
                  for r in _rows(conn, _DEPARTURES.format(key=key), params)}
        rows = _ordered(dim, counts, villages, 2)
        total = tuple(sum(r.values[i] or 0 for r in rows) for i in range(2))
        tables.append(Table(f"departures_by_{dim}", (dim,),
                            (("departures", MONTH), ("departures", YEAR)), rows, total))
    return tables


def _return_tables(conn: sqlite3.Connection, params: dict[str, Any]) -> list[Table]:
    indicators = ", ".join(f"r.{name}" for name in ILO_INDICATORS)
    returns = _rows(conn, f"""
        SELECT r.return_date, r.return_mode, r.exploitation_type, {indicators},
               p.birth_date, p.birth_year, j.departure_date
        FROM returns r JOIN journeys j ON j.id = r.journey_id JOIN persons p ON p.id = j.person_id
        WHERE r.return_date BETWEEN :year_start AND :end AND {_LIVE}
              AND {not_voided("returns", "r")}""", params)
    fl: Counter[tuple[str, str, str]] = Counter()
    modes: Counter[tuple[str, str]] = Counter()
    for ret in returns:
        periods = (MONTH, YEAR) if ret["return_date"] >= params["start"] else (YEAR,)
        age = age_at(ret["birth_date"], ret["birth_year"], ret["departure_date"])
        cls = {1: "yes", 0: "no", None: "unknown"}[definitions.outcomes(ret, age)[0]]
        flagged = any(ret[name] == 1 for name in ILO_INDICATORS)
        for period in periods:
            fl[cls, "returns", period] += 1
            fl[cls, "any_indicator", period] += flagged
            modes[ret["return_mode"], period] += 1
    fl_cols = (("returns", MONTH), ("any_indicator", MONTH), ("returns", YEAR),
               ("any_indicator", YEAR))
    fl_rows = tuple(Row((cls,), tuple(fl[cls, m, p] for m, p in fl_cols))
                    for cls in _FIXED_ORDER["forced_labour"])
    mode_counts = {mode: (modes[mode, MONTH], modes[mode, YEAR]) for mode, _ in modes}
    mode_rows = _ordered("return_mode", mode_counts, [], 2)
    return [
        Table("returns_forced_labour", ("forced_labour",), fl_cols, fl_rows,
              tuple(sum(r.values[i] or 0 for r in fl_rows) for i in range(4))),
        Table("returns_by_mode", ("return_mode",), (("returns", MONTH), ("returns", YEAR)),
              mode_rows, tuple(sum(r.values[i] or 0 for r in mode_rows) for i in range(2))),
    ]


def _referral_table(conn: sqlite3.Connection, params: dict[str, Any]) -> Table:
    marks = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    found = _rows(conn, f"""
        SELECT f.service AS k,
               sum(f.referral_date >= :start) AS made_month,
               sum(f.referral_date >= :start AND f.status IN ({marks})) AS open_month,
               count(*) AS made_year, sum(f.status IN ({marks})) AS open_year
        FROM referrals f
        WHERE f.referral_date BETWEEN :year_start AND :end AND {not_voided("referrals", "f")}
        GROUP BY k""", params)
    columns = (("made", MONTH), ("open", MONTH), ("made", YEAR), ("open", YEAR))
    counts = {r["k"]: (r["made_month"], r["open_month"], r["made_year"], r["open_year"])
              for r in found}
    rows = _ordered("service", counts, [], 4)
    return Table("referrals", ("service",), columns, rows,
                 tuple(sum(r.values[i] or 0 for r in rows) for i in range(4)))


def _warning_table(conn: sqlite3.Connection, params: dict[str, Any]) -> Table:
    found = _rows(conn, f"""
        SELECT CASE WHEN w.code = 'many_brokers' THEN 'broker' ELSE 'agency' END AS party,
               CASE WHEN w.code = 'many_brokers' THEN b.name ELSE a.name END AS name,
               w.code AS warning, w.record_id, j.departure_date >= :start AS in_month
        FROM warnings w
        JOIN journeys j ON j.id = w.record_id AND w.table_name = 'journeys'
        LEFT JOIN agencies a ON a.id = j.agency_id
        LEFT JOIN brokers b ON b.id = j.broker_id
        WHERE j.departure_date BETWEEN :year_start AND :end AND {_LIVE}""", params)
    counts: Counter[tuple[tuple[str | None, ...], str]] = Counter()
    journeys: dict[str, set[str]] = {MONTH: set(), YEAR: set()}
    for w in found:
        keys = (w["party"], w["name"], w["warning"])
        for period in ((MONTH, YEAR) if w["in_month"] else (YEAR,)):
            counts[keys, period] += 1
            journeys[period].add(w["record_id"])
    keys_seen = sorted({k for k, _ in counts}, key=lambda k: (k[0] or "", -counts[k, YEAR],
                                                               k[1] or "\uffff", k[2] or ""))
    rows = tuple(Row(k, (counts[k, MONTH], counts[k, YEAR])) for k in keys_seen)
    return Table("warnings", ("party", "name", "warning"),
                 (("departures", MONTH), ("departures", YEAR)), rows,
                 (len(journeys[MONTH]), len(journeys[YEAR])), partition=False)


def summary_table(tables: dict[str, Table]) -> Table:
    """The key figures of the first page, taken from the other tables."""
    fl = tables["returns_forced_labour"]
    ref = tables["referrals"]
    fl_month, fl_year = fl.value(("yes",), ("returns", MONTH)), fl.value(("yes",), ("returns", YEAR))
    ind_month, ind_year = fl.total[1], fl.total[3]
    figures = (
        ("departures", tables["departures_by_sex"].total),
        ("returns", (fl.total[0], fl.total[2])),
        ("returns_with_indicator", (ind_month, ind_year)),
        ("returns_forced_labour", (fl_month, fl_year)),
        ("referrals_made", (ref.total[0], ref.total[2])),
        ("referrals_open", (ref.total[1], ref.total[3])),
        ("departures_with_warning", tables["warnings"].total),
    )
    return Table("summary", ("figure",), (("count", MONTH), ("count", YEAR)),
                 tuple(Row((name,), tuple(values)) for name, values in figures), (), False)


# -- the follow-up list ----------------------------------------------------------------------
def followup(reg: Register, *, months: int | None = None, as_of: str | dt.date | None = None,
             ) -> list[Overdue]:
    """Who left more than ``months`` months before ``as_of`` (default today) with no return and
    no referral after leaving, oldest departure first.

    Without ``months``, each journey's planned stay (``planned_months``) is used where it was
    recorded, else :data:`DEFAULT_MONTHS`.
    """
    if months is not None and not 1 <= int(months) <= 600:
        raise ReportError(t("followup.bad_months", months=months))
    as_of = str(as_of or dt.date.today())
    conn = reg.conn
    default = f"coalesce(j.planned_months, {DEFAULT_MONTHS})"
    planned = default if months is None else str(int(months))
    found = _rows(conn, f"""
        SELECT j.id AS journey_id, p.id AS person_id, i.name, i.phone, p.home_village AS village,
               j.departure_date, j.destination_country, {planned} AS expected_months
        FROM journeys j JOIN persons p ON p.id = j.person_id
        LEFT JOIN person_identity i ON i.person_id = p.id
        WHERE {_LIVE} AND j.departure_date <= :as_of
          AND date(j.departure_date, printf('+%d months', {planned})) < :as_of
          AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.journey_id = j.id
                          AND r.return_date <= :as_of AND {not_voided("returns", "r")})
          AND NOT EXISTS (SELECT 1 FROM referrals f WHERE f.person_id = j.person_id
                          AND f.referral_date > j.departure_date AND f.referral_date <= :as_of
                          AND {not_voided("referrals", "f")})
        ORDER BY j.departure_date, j.id""", {"as_of": as_of})
    return [Overdue(**row, months_away=months_between(row["departure_date"], as_of))
            for row in found]


# -- the report ------------------------------------------------------------------------------
def monthly_report(reg: Register, month: str, *, today: dt.date | None = None) -> MonthlyReport:
    """The council's report for ``month`` (YYYY-MM): that month and the year so far.

    This is the internal version, with names; :func:`register.report_public.public_version`
    makes the version to share.
    """
    from .audit import anchor
    from .gazetteer import load_gazetteer

    today = today or dt.date.today()
    first, last = parse_month(month, today)
    params = {"start": first.isoformat(), "end": last.isoformat(),
              "year_start": f"{first.year}-01-01"}
    conn = reg.conn
    conn.create_function("report_age_band", 3, _age_band, deterministic=True)
    commune = reg.commune_code
    gazetteer = load_gazetteer()
    villages = ([p.code for p in gazetteer.children(commune)]
                if commune and commune in gazetteer else [])
    tables = [*_departure_tables(conn, params, villages), *_return_tables(conn, params),
              _referral_table(conn, params), _warning_table(conn, params)]
    named = {tab.name: tab for tab in tables}
    as_of = min(last, today).isoformat()
    overdue = followup(reg, as_of=as_of)
    return MonthlyReport(commune, f"{first:%Y-%m}", params["start"], params["year_start"],
                         params["end"], as_of, False, (summary_table(named), *tables),
                         tuple(overdue), len(overdue), audit_code=anchor(conn))
