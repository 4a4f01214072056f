"""The register's fields in the international standards: HTCDS 2.0 and the CTDC global dataset.

:data:`MAPPING` is the one crosswalk: each row says which register field feeds which HTCDS 2.0
field and which CTDC (codebook v6) column, how values map, and how well (``exact``, ``partial``:
the partner is broader or narrower, so it is documented but not filled, or ``none``). The
exports (:mod:`register.standards_export`), the codebook and the README's table are all made
from it. The standards' own field lists and code lists are data files
(``register/data/standards/``, see its README); a field the register does not hold is left
empty, never invented.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "standards"
EXACT, PARTIAL, NONE, DERIVED = "exact", "partial", "none", "derived"


@dataclass(frozen=True)
class Link:
    """One row of the crosswalk. ``htcds_values``/``ctdc_values`` map register codes to the
    standard's codes (an empty code: no partner); ``match`` applies to the fields named."""

    register: str
    htcds: tuple[str, ...] = ()
    ctdc: tuple[str, ...] = ()
    htcds_values: dict[str, str] = field(default_factory=dict)
    ctdc_values: dict[str, str] = field(default_factory=dict)
    match: str = EXACT
    note: str = ""
    htcds_fills: bool = True  # False: the HTCDS fields are named for reference, left empty


_MOC = "vic_MethodsOfControl"
MAPPING: tuple[Link, ...] = (
    Link("sex", ("prs_Gender",), ("gender",),
         {"F": "Feminine", "M": "Masculine", "X": "NonSpecifiedUnknown"},
         {"F": "Female", "M": "Male", "X": "Unknown"},
         note="The register records sex, the standards gender; X (neither F nor M) has no "
              "single partner and is exported as unspecified."),
    Link("age_at_departure", ("vic_AgeWhenTrafficked",), ("majorityEntry",), match=DERIVED,
         note="Age on leaving: HTCDS gets it only at the detailed level (standard and strict "
              "exports hold no exact age); CTDC gets Minor (under 18) or Adult."),
    Link("birth_year", (), ("ageBroad", "majorityStatus", "majorityStatusAtExploit"),
         match=DERIVED,
         note="CTDC's age is at registration: the age in the year of return (from the birth "
              "year, so up to a year high), in CTDC's bands; at exploitation: Adult if adult on "
              "leaving, Minor if still a minor on return, else -99. HTCDS prs_Birthdate is a "
              "full date: never made up from a year."),
    Link("home_village", ("prs_MailingState", "prs_MailingCountry"), (), match=DERIVED,
         note="The home province as its ISO 3166-2 code (KH-1 ...) and the country KH; no "
              "commune or village leaves the register."),
    Link("citizenship", ("prs_Citizenship",), ("citizenship",),
         note="Core in HTCDS. Not held by the register yet (every person is assumed Cambodian, "
              "which is not recorded): empty / -99 until the field exists."),
    Link("consent", ("con_Consent",), (), note="Core in HTCDS. Not held by the register yet; "
         "once it is, persons who refused are left out of these exports."),
    Link("destination_country", ("hte_Country", "hte_Type"), ("CountryofExploitation",),
         {"ZZ": ""}, {"ZZ": "-99"}, match=PARTIAL,
         note="The destination is taken as the place of exploitation only for exploitation "
              "cases (hte_Type Exploitation; CTDC's own proxy is the country where first "
              "assisted). ZZ (another country) has no code."),
    Link("return_date", (), ("yearOfRegistration",), match=DERIVED,
         note="The year of the return, when the case enters the register."),
    Link("exploitation_type", ("vic_TypeOfExploitation",),
         ("isForcedLabour", "isSexualExploit", "isForcedMarriage", "isOtherExploit",
          "isSexAndLabour", "isForcedMilitary", "isOrganRemoval"),
         {"labour": "ForcedLabour", "sexual": "SexualExploitation",
          "forced_marriage": "ForcedMarriage", "other": "Other", "none": ""},
         {"labour": "isForcedLabour", "sexual": "isSexualExploit",
          "forced_marriage": "isForcedMarriage", "other": "isOtherExploit", "none": ""},
         note="One type per journey in the register (so isSexAndLabour is 0); 'other' may hide "
              "military or organ removal (-99). isForcedLabour is also 1 when the ICLS forced "
              "labour definition holds (register.definitions)."),
    Link("sector", ("vic_ForcedLabourIndustry",),
         tuple(f"typeOfLabour{s}" for s in ("Agriculture", "Aquafarming", "Construction",
                                            "DomesticWork", "Hospitality", "Manufacturing",
                                            "Other", "NotSpecified")),
         {"agriculture": "A_AgricultureForestryAndFishing",
          "fishing": "A_AgricultureForestryAndFishing", "construction": "F_Construction",
          "manufacturing": "C_Manufacturing", "domestic_work": "T_ActivitiesOfHouseholdsAsEmployers",
          "hospitality": "I_AccommodationAndFoodServiceActivities",
          "entertainment": "R_ArtsEntertainmentAndRecreation", "services": "", "other": ""},
         {"agriculture": "Agriculture", "fishing": "Aquafarming", "construction": "Construction",
          "manufacturing": "Manufacturing", "domestic_work": "DomesticWork",
          "hospitality": "Hospitality", "entertainment": "Other", "services": "Other",
          "other": "Other"},
         note="Only for labour exploitation (both standards describe the forced-labour "
              "industry). ISIC v4 sections; 'services' and 'other' have no single section."),
    Link("channel", ("vic_MethodOfRecruitment",), tuple(
        f"recruiterRelation{r}" for r in ("IntimatePartner", "Friend", "Family", "Other",
                                          "Unknown")) + ("RecruiterRelationship",),
         {"licensed_agency": "", "mou": "", "broker": "", "family_friend": "", "own": ""},
         {"licensed_agency": "Other", "mou": "Other", "broker": "Other", "family_friend": "",
          "own": ""}, match=PARTIAL, htcds_fills=False,
         note="HTCDS has no recruitment method for an agency, MoU or broker, and 'family or "
              "friend' splits in two: not filled. CTDC codes labour brokers, contractors and "
              "employers as Other (codebook v6); family_friend and own stay -99."),
    # The 11 ILO indicators of forced labour -> methods / means of control (STANDARDS.md table 2)
    Link("ind_deception", (_MOC,), ("meansOfControlFalsePromises",), {"1": "FalsePromises"}),
    Link("ind_excessive_overtime", (_MOC,), ("meansOfControlExcessiveWorkingHours",),
         {"1": "ExcessiveWorkingHours"}),
    Link("ind_retention_of_documents", (_MOC,), ("meansOfControlWithholdsDocuments",),
         {"1": "WithholdsDocuments"}),
    Link("ind_withholding_wages", (_MOC,), ("meansOfControlTakesEarnings",),
         {"1": "TakesEarnings"}),
    Link("ind_debt_bondage", (_MOC,), ("meansOfControlDebtBondage",), {"1": "DebtBondage"}),
    Link("ind_intimidation_threats", (), ("meansOfControlThreats",), match=PARTIAL,
         note="CTDC Threats is an exact partner. HTCDS has only PhysicalThreats and "
              "ThreatensChildrenFamily (narrower): not filled."),
    Link("ind_restriction_of_movement", (), ("meansOfControlRestrictsMovement",), match=PARTIAL,
         note="No partner in HTCDS 2.0. CTDC RestrictsMovement (with isolation)."),
    Link("ind_isolation", (), ("meansOfControlRestrictsMovement",), match=PARTIAL,
         note="No partner in HTCDS 2.0. CTDC RestrictsMovement includes social isolation: 1 if "
              "either indicator is 1, 0 if both are 0."),
    Link("ind_physical_sexual_violence", (), (), match=PARTIAL,
         note="HTCDS PhysicalAbuse / SexualAbuse and CTDC meansOfControlPhysicalAbuse / "
              "SexualAbuse each name one of the two: the register cannot tell which."),
    Link("ind_abusive_conditions", (), (), match=PARTIAL,
         note="HTCDS/CTDC WithholdsNecessities and RestrictsMedicalCare cover only part of "
              "abusive working and living conditions: not filled."),
    Link("ind_abuse_of_vulnerability", (), (), match=NONE,
         note="No partner (threats of law enforcement cover only part of it)."),
)
# Fields the standards hold that the register's researcher export leaves out on purpose.
WITHHELD = ("prs_FirstName", "prs_MiddleName", "prs_SecondName", "prs_Salutation", "prs_Title",
            "prs_IdentityNumber", "prs_MobilePhone", "prs_HomePhone", "prs_Email",
            "prs_MailingStreet", "prs_MailingCity", "prs_MailingPostalCode",
            "prs_MailingLatitude", "prs_MailingLongitude", "prs_Birthdate")


def link(name: str) -> Link:
    return next(row for row in MAPPING if row.register == name)


@cache
def htcds_fields() -> tuple[dict[str, str], ...]:
    with (DATA / "htcds_2.0_fields.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


@cache
def htcds_values() -> dict[str, dict[str, str]]:
    """``{field: {value name: value label}}``; ISO 3166-1 alpha-2 codes under ``ISO3166-1``."""
    out: dict[str, dict[str, str]] = {}
    with (DATA / "htcds_2.0_values.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["field"], {})[row["value"]] = row["label"]
    return out


@cache
def ctdc_columns() -> tuple[dict[str, str], ...]:
    with (DATA / "ctdc_v6_columns.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def htcds_filled(present: set[str] | None = None) -> list[str]:
    """The HTCDS fields the register fills (given the register fields ``present``; by default
    those the register holds today)."""
    if present is None:
        from .model import MODEL

        present = {f.name for _, f in MODEL.fields()} | {"age_at_departure"}
    out: list[str] = []
    for row in MAPPING:
        if row.register in present and row.htcds_fills:
            out.extend(f for f in row.htcds if f not in out)
    return out


def _codes(values: dict[str, str]) -> str:
    return ", ".join(f"{k}→{v or '(none)'}" for k, v in values.items())


def mapping_markdown() -> str:
    """The crosswalk as a Markdown table (the README shows it; a test keeps them equal)."""
    lines = ["| Register field | HTCDS 2.0 | CTDC v6 | Values | Match | Notes |",
             "|---|---|---|---|---|---|"]
    for row in MAPPING:
        values = "; ".join(part for part in (
            f"HTCDS: {_codes(row.htcds_values)}" if row.htcds_values else "",
            f"CTDC: {_codes(row.ctdc_values)}" if row.ctdc_values else "") if part)
        cells = [f"`{row.register}`", ", ".join(f"`{f}`" for f in row.htcds) or "-",
                 ", ".join(f"`{f}`" for f in row.ctdc) or "-", values or "-", row.match,
                 row.note or "-"]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    filled = htcds_filled()
    total = len(htcds_fields())
    lines.append("")
    lines.append(f"The register fills {len(filled)} of the {total} HTCDS 2.0 fields "
                 f"({', '.join(filled)}).")
    return "\n".join(lines)
