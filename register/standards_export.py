"""``register export --format htcds|ctdc``: exploitation cases in the standards' layouts.

Both are made from the researcher export (:func:`register.export.researcher_rows`, generalised by
:func:`register.export.generalise`), so they never hold more than it: no name, ID number, phone,
village or exact date. The rows are the register's *cases*: journeys whose return records an
exploitation (any type but ``none``) or that the register's definitions classify as forced
labour or trafficking. Codes follow :data:`register.standards.MAPPING`.

The CTDC file follows CTDC's rule for its public dataset (codebook v6): every record in a group
of fewer than k = 11 records sharing the same quasi-identifiers is dropped, and the number
dropped is reported.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .db import Register
from .errors import RegisterError
from .export import generalise, researcher_rows
from .i18n import t
from .io import safe_cell
from .output import check_output, writing
from .standards import MAPPING, ctdc_columns, htcds_fields, htcds_values, link
from .vocabulary import ILO_INDICATORS

FORMATS = ("researcher", "htcds", "ctdc")
KEYS = ("register_journey_key", "register_person_key")  # pseudonyms, as in the researcher export
CTDC_K = 11
# CTDC's groups are over every variable of the file; the demographic, time and place columns
# are the ones a neighbour could know, and are used here (a group over all 62 columns would
# drop almost every case of a commune).
CTDC_QUASI = ("yearOfRegistration", "gender", "ageBroad", "majorityStatus",
              "majorityStatusAtExploit", "majorityEntry", "citizenship", "CountryofExploitation")
CTDC_BANDS = ((0, 8, "0--8"), (9, 17, "9--17"), (18, 20, "18--20"), (21, 23, "21--23"),
              (24, 26, "24--26"), (27, 29, "27--29"), (30, 38, "30--38"), (39, 47, "39--47"),
              (48, 200, "48+"))
MISSING = "-99"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
ADULT = 18


@dataclass(frozen=True)
class StandardReport:
    format: str
    journeys: int
    cases: int
    written: int
    dropped: int  # records in groups smaller than k (CTDC)
    k: int = CTDC_K

    def summary(self) -> str:
        return t("formats.standard_summary", format=self.format, journeys=self.journeys,
                 cases=self.cases, written=self.written, dropped=self.dropped, k=self.k)


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run is guarded (``safe_cell``); a number such as CTDC's -99 is
    not a formula and is written as it is."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value
    return safe_cell(value)


def htcds_columns() -> tuple[str, ...]:
    return KEYS + tuple(f["field"] for f in htcds_fields())


def ctdc_column_names() -> tuple[str, ...]:
    return tuple(c["column"] for c in ctdc_columns())


def is_case(row: dict[str, Any]) -> bool:
    exploited = row.get("exploitation_type") not in (None, "none")
    return bool(row.get("returned")) and (exploited or row.get("forced_labour") == 1
                                          or row.get("trafficking") == 1)


@cache
def _iso_province() -> dict[str, str]:
    from .gazetteer import CURRENT_VERSION, DATA_DIR

    path = DATA_DIR / CURRENT_VERSION / "province_name_crosswalk.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["adm1_code"]: r["iso_3166_2"] for r in csv.DictReader(fh)}


def _labour(row: dict[str, Any]) -> bool:
    return row.get("exploitation_type") == "labour" or row.get("forced_labour") == 1


def _citizenship(row: dict[str, Any]) -> str:
    code = (row.get("citizenship") or "").upper()
    return code if code in htcds_values()["ISO3166-1"] else ""


def htcds_row(row: dict[str, Any]) -> dict[str, Any]:
    """One case in HTCDS 2.0 columns (``row``: a researcher export row, already generalised)."""
    out: dict[str, Any] = dict.fromkeys(htcds_columns(), "")
    out["register_journey_key"], out["register_person_key"] = row["journey_key"], row["person_key"]
    out["prs_Gender"] = link("sex").htcds_values.get(row.get("sex") or "", "")
    if row.get("age_at_departure") is not None:
        out["vic_AgeWhenTrafficked"] = row["age_at_departure"]
    if row.get("province_code"):
        out["prs_MailingState"] = _iso_province().get(row["province_code"], "")
        out["prs_MailingCountry"] = "KH"
    out["prs_Citizenship"] = _citizenship(row)
    if row.get("consent") is not None:
        out["con_Consent"] = "TRUE" if row["consent"] == 1 else "FALSE"
    kind = row.get("exploitation_type")
    if kind not in (None, "none"):
        country = link("destination_country").htcds_values.get(row["destination_country"],
                                                                row["destination_country"])
        if country:
            out["hte_Country"], out["hte_Type"] = country, "Exploitation"
        out["vic_TypeOfExploitation"] = link("exploitation_type").htcds_values.get(kind, "")
    if _labour(row) and row.get("sector"):
        out["vic_ForcedLabourIndustry"] = link("sector").htcds_values.get(row["sector"], "")
    means = [m.htcds_values["1"] for m in MAPPING
             if m.register in ILO_INDICATORS and m.htcds_values and row.get(m.register) == 1]
    out["vic_MethodsOfControl"] = ";".join(means)
    return out


def _flag(value: Any) -> str:
    return MISSING if value is None else str(int(value))


def _majority(age: int | None) -> str:
    return MISSING if age is None else ("Minor" if age < ADULT else "Adult")


def ctdc_row(row: dict[str, Any]) -> dict[str, Any]:
    """One case in the CTDC v6 columns (``row``: a researcher export row in full detail)."""
    from .definitions import SCALAR

    out: dict[str, Any] = dict.fromkeys(ctdc_column_names(), MISSING)
    for name in ("meansOfControlConcatenated", "typeOfExploitConcatenated",
                 "typeOfLabourConcatenated", "typeOfSexConcatenated"):
        out[name] = ""
    out["yearOfRegistration"] = row.get("return_year") or MISSING
    out["gender"] = link("sex").ctdc_values.get(row.get("sex") or "", MISSING)
    at_return = (row["return_year"] - row["birth_year"]
                 if row.get("birth_year") and row.get("return_year") else None)
    out["ageBroad"] = next((b for lo, hi, b in CTDC_BANDS if at_return is not None
                            and lo <= at_return <= hi), MISSING)
    out["majorityStatus"] = _majority(at_return)
    leaving = row.get("age_at_departure")
    out["majorityEntry"] = _majority(leaving)
    out["majorityStatusAtExploit"] = ("Adult" if leaving is not None and leaving >= ADULT
                                      else "Minor" if at_return is not None and at_return < ADULT
                                      else MISSING)
    out["citizenship"] = _citizenship(row) or MISSING
    out["CountryofExploitation"] = link("destination_country").ctdc_values.get(
        row["destination_country"], row["destination_country"])
    # means of control: the indicators mapped onto each CTDC column, three-valued
    sources: dict[str, list[Any]] = {}
    for m in MAPPING:
        if m.register in ILO_INDICATORS:
            for column in m.ctdc:
                sources.setdefault(column, []).append(row.get(m.register))
    found = []
    for column, values in sources.items():
        out[column] = _flag(SCALAR.any(values))
        if out[column] == "1":
            found.append(column.removeprefix("meansOfControl"))
    asked = any(row.get(name) is not None for name in ILO_INDICATORS)
    out["meansOfControlNotSpecified"] = "0" if asked else "1"
    out["meansOfControlConcatenated"] = ";".join(found)
    _exploitation(row, out)
    _recruiter(row, out)
    return out


def _exploitation(row: dict[str, Any], out: dict[str, Any]) -> None:
    kind = row.get("exploitation_type")
    flags = link("exploitation_type").ctdc_values
    if kind is not None:
        for column in link("exploitation_type").ctdc:
            out[column] = "0"
        if flags.get(kind):
            out[flags[kind]] = "1"
        if kind == "other":  # may be military service or organ removal
            out["isForcedMilitary"] = out["isOrganRemoval"] = MISSING
    if row.get("forced_labour") == 1:
        out["isForcedLabour"] = "1"
    out["typeOfExploitConcatenated"] = ";".join(
        c.removeprefix("is") for c in link("exploitation_type").ctdc if out[c] == "1")
    if out["isForcedLabour"] == "1":
        sector = link("sector").ctdc_values.get(row.get("sector") or "")
        for column in link("sector").ctdc:
            out[column] = "0"
        out[f"typeOfLabour{sector or 'NotSpecified'}"] = "1"
        out["typeOfLabourConcatenated"] = sector or "NotSpecified"


def _recruiter(row: dict[str, Any], out: dict[str, Any]) -> None:
    relation = link("channel").ctdc_values.get(row.get("channel") or "", "")
    if relation:
        for column in link("channel").ctdc[:-1]:
            out[column] = "0"
        out[f"recruiterRelation{relation}"] = "1"
        out["RecruiterRelationship"] = relation


def k_anonymise(rows: list[dict[str, Any]], k: int = CTDC_K,
                quasi: tuple[str, ...] = CTDC_QUASI) -> tuple[list[dict[str, Any]], int]:
    """CTDC's rule for its public file: drop every record in a group of fewer than ``k`` records
    sharing the same values of ``quasi``. Returns (kept rows, number dropped)."""
    sizes = Counter(tuple(r[q] for q in quasi) for r in rows)
    kept = [r for r in rows if sizes[tuple(r[q] for q in quasi)] >= k]
    return kept, len(rows) - len(kept)


def standard_rows(reg: Register, fmt: str, level: str = "standard") -> tuple[
        list[dict[str, Any]], int, int]:
    """(rows in the format's layout, journeys read, cases) of a register."""
    journeys, rows = 0, []
    for row in researcher_rows(reg):
        journeys += 1
        if not is_case(row) or row.get("consent") == 0:
            continue
        rows.append(ctdc_row(row) if fmt == "ctdc" else htcds_row(generalise(row, level)))
    return rows, journeys, len(rows)


def export_standard(reg: Register, out: str | Path, fmt: str, *,
                    level: str = "standard", force: bool = False) -> StandardReport:
    """Write the HTCDS or CTDC layout of the register's cases to a CSV file."""
    if fmt not in ("htcds", "ctdc"):
        raise RegisterError(t("formats.unknown_format", format=fmt, formats=", ".join(FORMATS)))
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise RegisterError(t("formats.csv_only", file=out.name))
    check_output(out, force=force, inputs=[reg.path])
    rows, journeys, cases = standard_rows(reg, fmt, level)
    dropped = 0
    if fmt == "ctdc":
        rows, dropped = k_anonymise(rows)
    columns = ctdc_column_names() if fmt == "ctdc" else htcds_columns()
    with writing(out, force=force, inputs=[reg.path]) as tmp, \
            tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([_cell(r[c]) for c in columns] for r in rows)
    return StandardReport(fmt, journeys, cases, len(rows), dropped)
