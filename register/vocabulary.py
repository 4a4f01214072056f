"""The register's vocabulary: the code lists its fields take their values from.

Values are stable English codes stored in the database; the labels shown to the clerk come from
the translation catalogue (``register.i18n``, keys from :func:`label_key`). Which field uses
which list is declared in :mod:`register.model`.
"""

from __future__ import annotations

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
DESTINATIONS: dict[str, str] = {
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

# Citizenship (HTCDS prs_Citizenship, CTDC citizenship): Cambodian for almost everyone the
# register records, and the destinations' list for the others ("ZZ": another country).
CITIZENSHIPS: dict[str, str] = {"KH": "Cambodia", **DESTINATIONS}

# Every code list by name: a field names the list it takes its values from (register.model), and
# the clerk sees each code's label from the catalogue key ``choice.<list>.<code>``.
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "sector": SECTORS,
    "channel": CHANNELS,
    "return_mode": RETURN_MODES,
    "exploitation_type": EXPLOITATION_TYPES,
    "service": SERVICES,
    "referral_status": REFERRAL_STATUSES,
    "licence_status": LICENCE_STATUSES,
    "destination": tuple(DESTINATIONS),
    "citizenship": tuple(CITIZENSHIPS),
}


def label_key(codes: str, code: str) -> str:
    """The catalogue key of a code's label: ``country.<code>`` for the country lists (one name
    per country, whichever list), else ``choice.<list>.<code>``."""
    if codes in ("destination", "citizenship"):
        return f"country.{code}"
    return f"choice.{codes}.{code}"
