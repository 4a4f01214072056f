"""The register's vocabulary: every field a clerk can enter, by record kind.

One declaration serves the prompts, the validation, the import templates and the export, so a new
field is added in one place. Choice values are stable English codes stored in the database; the
labels shown to the clerk come from the translation catalogue (``register.i18n``).
"""

from __future__ import annotations

from dataclasses import dataclass

SEXES = ("F", "M", "X")
SECTORS = (
    "agriculture",
    "fishing",
    "construction",
    "manufacturing",
    "domestic_work",
    "hospitality",
    "entertainment",
    "services",
    "other",
)
CHANNELS = ("licensed_agency", "mou", "broker", "family_friend", "own")
RETURN_MODES = ("voluntary", "deported", "rescued", "escaped", "died_abroad")
EXPLOITATION_TYPES = ("none", "labour", "sexual", "forced_marriage", "other")
SERVICES = ("mosvy", "police", "ngo", "health", "legal", "other")
REFERRAL_STATUSES = ("referred", "received", "closed", "declined")
LICENCE_STATUSES = ("licensed", "suspended", "revoked", "expired", "unlicensed", "unknown")

# The eleven ILO indicators of forced labour (ILO SAP-FL, 2012), each tagged with the dimension of
# the ICLS 2018 statistical definition it evidences: work is forced labour when it is involuntary
# AND imposed under menace of a penalty (coercion). Guidelines concerning the measurement of forced
# labour, 20th ICLS, 2018, paras 7-9.
INVOLUNTARINESS = "involuntariness"
COERCION = "coercion"
ILO_INDICATORS: dict[str, str] = {
    "ind_deception": INVOLUNTARINESS,
    "ind_abusive_conditions": INVOLUNTARINESS,
    "ind_excessive_overtime": INVOLUNTARINESS,
    "ind_abuse_of_vulnerability": COERCION,
    "ind_restriction_of_movement": COERCION,
    "ind_isolation": COERCION,
    "ind_physical_sexual_violence": COERCION,
    "ind_intimidation_threats": COERCION,
    "ind_retention_of_documents": COERCION,
    "ind_withholding_wages": COERCION,
    "ind_debt_bondage": COERCION,
}

# ISO 3166-1 alpha-2 codes of the destinations Cambodian migrants go to, plus the rest of Asia,
# the Gulf and the usual far destinations. A clerk who needs another country uses "ZZ" (other).
COUNTRIES: dict[str, str] = {
    "TH": "Thailand", "MY": "Malaysia", "KR": "South Korea", "JP": "Japan", "SG": "Singapore",
    "HK": "Hong Kong", "TW": "Taiwan", "MO": "Macao", "CN": "China", "VN": "Viet Nam",
    "LA": "Laos", "MM": "Myanmar", "ID": "Indonesia", "PH": "Philippines", "BN": "Brunei",
    "TL": "Timor-Leste", "IN": "India", "BD": "Bangladesh", "SA": "Saudi Arabia",
    "AE": "United Arab Emirates", "QA": "Qatar", "KW": "Kuwait", "BH": "Bahrain", "OM": "Oman",
    "JO": "Jordan", "LB": "Lebanon", "IL": "Israel", "TR": "Turkey", "RU": "Russia",
    "AU": "Australia", "NZ": "New Zealand", "US": "United States", "CA": "Canada",
    "GB": "United Kingdom", "FR": "France", "DE": "Germany", "IT": "Italy", "PL": "Poland",
    "ZZ": "other",
}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record kind.

    ``kind`` is the value type: text, date, year, int, money, bool, choice, village, country, id,
    countries (a list of country codes). ``identifying`` fields never leave the register except
    to the clerk.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    identifying: bool = False
    max_length: int = 200


def _ind(name: str) -> Field:
    return Field(name, "bool")


DEPARTURE = (
    Field("person_id", "id"),
    Field("journey_id", "id"),
    Field("name", "text", identifying=True),
    Field("national_id", "text", identifying=True, max_length=40),
    Field("phone", "text", identifying=True, max_length=40),
    Field("sex", "choice", required=True, choices=SEXES),
    Field("birth_date", "date"),
    Field("birth_year", "year"),
    Field("home_village", "village", required=True),
    Field("departure_date", "date", required=True),
    Field("destination_country", "country", required=True),
    Field("destination_place", "text"),
    Field("sector", "choice", choices=SECTORS),
    Field("channel", "choice", required=True, choices=CHANNELS),
    Field("agency_id", "id"),
    Field("broker_id", "id"),
    Field("n_brokers", "int", minimum=0, maximum=20),
    Field("has_passport", "bool"),
    Field("has_visa", "bool"),
    Field("has_work_permit", "bool"),
    Field("has_border_pass", "bool"),
    Field("fee_usd", "money", minimum=0, maximum=100_000),
    Field("debt_usd", "money", minimum=0, maximum=100_000),
    Field("contract_seen", "bool"),
    Field("job_promised", "text"),
    Field("recorded_date", "date"),
)

RETURN = (
    Field("id", "id"),
    Field("journey_id", "id", required=True),
    Field("return_date", "date", required=True),
    Field("return_mode", "choice", required=True, choices=RETURN_MODES),
    Field("job_done", "text"),
    *(_ind(name) for name in ILO_INDICATORS),
    Field("exploitation_type", "choice", choices=EXPLOITATION_TYPES),
    Field("recorded_date", "date"),
)

REFERRAL = (
    Field("id", "id"),
    Field("person_id", "id", required=True),
    Field("journey_id", "id"),
    Field("service", "choice", required=True, choices=SERVICES),
    Field("organisation", "text"),
    Field("referral_date", "date", required=True),
    Field("status", "choice", required=True, choices=REFERRAL_STATUSES),
    Field("recorded_date", "date"),
)

AGENCY = (
    Field("id", "id"),
    Field("name", "text", required=True),
    Field("licence_number", "text", max_length=60),
    Field("licence_status", "choice", required=True, choices=LICENCE_STATUSES),
    Field("licence_expiry", "date"),
    Field("allowed_destinations", "countries"),
    Field("parent_agency_id", "id"),
)

BROKER = (
    Field("id", "id"),
    Field("name", "text", required=True, identifying=True),
    Field("alias", "text", identifying=True),
    Field("phone", "text", identifying=True, max_length=40),
    Field("village", "village"),
    Field("agency_id", "id"),
    Field("active", "bool"),
)

KINDS: dict[str, tuple[Field, ...]] = {
    "departures": DEPARTURE,
    "returns": RETURN,
    "referrals": REFERRAL,
    "agencies": AGENCY,
    "brokers": BROKER,
}

# Fields a clerk is prompted for when entering a record by hand (ids are made by the program).
PROMPT_SKIP = {"person_id", "journey_id", "id", "recorded_date"}


def fields_of(kind: str) -> tuple[Field, ...]:
    """Return the fields of a record kind (``departures``, ``returns``, ...)."""
    try:
        return KINDS[kind]
    except KeyError:
        from .errors import RegisterError
        from .i18n import t

        known = ", ".join(KINDS)
        raise RegisterError(t("err.unknown_record_kind", kind=kind, kinds=known)) from None
