"""The codebook: every column of every export format, generated from what makes the exports.

For each column: its type, its codes and their meanings, the question (register field) it comes
from, and how the export's level generalises it. The researcher export's columns are
``register.export.COLUMNS``: a column that is a register field takes its type, codes and label
from the field declaration; the derived columns are described in :data:`DERIVED`. How each
level generalises a column is found by running ``register.export.generalise`` on a probe row,
so the codebook cannot drift from the export. The HTCDS and CTDC columns come from the standards'
data files and :data:`register.standards.MAPPING`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from . import export
from .errors import RegisterError
from .i18n import LANGUAGES, t
from .model import MODEL, Field
from .output import check_output, writing
from .standards import MAPPING, WITHHELD, ctdc_columns, htcds_fields, htcds_values
from .vocabulary import LICENCE_STATUSES
from .xlsform import choice_label_key, choices_of, text_in

# Researcher export columns that are not register fields: (type, codes or '').
DERIVED: dict[str, tuple[str, str]] = {
    "journey_key": ("text", ""), "person_key": ("text", ""), "register_commune": ("code", ""),
    "province_code": ("code", ""), "district_code": ("code", ""), "commune_code": ("code", ""),
    "age_at_departure": ("integer", ""),
    "age_band": ("choice", "|".join(label for _, _, label in export.AGE_BANDS)),
    "departure_year": ("integer", ""),
    "agency_status": ("choice", "|".join(("none", *LICENCE_STATUSES))),
    "returned": ("0/1", "0|1"), "return_year": ("integer", ""),
    "forced_labour": ("0/1", "0|1"), "trafficking": ("0/1", "0|1"), "referred": ("0/1", "0|1"),
}
_TYPES = {"text": "text", "date": "date (YYYY-MM-DD)", "year": "integer (year)", "int": "integer",
          "money": "decimal (USD)", "bool": "0/1", "choice": "choice", "village": "code",
          "country": "ISO 3166-1 alpha-2", "countries": "ISO 3166-1 alpha-2 list", "id": "text"}
COLUMNS = ("format", "column", "type", "codes", "source", "generalisation")


@dataclass(frozen=True)
class Entry:
    format: str
    column: str
    type: str
    codes: str
    source: str
    generalisation: str

    def cells(self) -> list[str]:
        return [self.format, self.column, self.type, self.codes, self.source, self.generalisation]


_SOURCES = {c.name: c.source for c in export.COLUMNS if c.source}


def _field(column: str) -> Field | None:
    """The model field a researcher column copies (None for a derived column)."""
    source = _SOURCES.get(column)
    return next((f for _, f in MODEL.fields() if f.name == source), None) if source else None


def _field_codes(spec: Field, lang: str) -> str:
    if spec.kind == "bool":
        return "; ".join((f"1 = {text_in(lang, 'formats.yes')}", f"0 = {text_in(lang, 'formats.no')}",
                          text_in(lang, "formats.codebook.blank")))
    if spec.kind in ("choice", "country", "countries") and choices_of(spec):
        return "; ".join(f"{v} = {text_in(lang, choice_label_key(spec, v), v)}"
                         for v in choices_of(spec))
    return ""


def _generalisation(lang: str) -> dict[str, str]:
    """How each level changes each researcher column (found by running generalise)."""
    probe = {c: ("2024-03-12" if c.endswith("_date") else "v") for c in export.COLUMN_NAMES}
    out: dict[str, list[str]] = {}
    for level in export.LEVELS:
        row = export.generalise(dict(probe), level)
        for column in export.COLUMN_NAMES:
            if row[column] == probe[column]:
                continue
            how = "formats.codebook.removed" if row[column] is None else "formats.codebook.month"
            out.setdefault(column, []).append(f"{level}: {text_in(lang, how)}")
    kept = text_in(lang, "formats.codebook.kept")
    return {c: "; ".join(out.get(c, [kept])) for c in export.COLUMN_NAMES}


def researcher_entries(lang: str = "en") -> list[Entry]:
    levels = _generalisation(lang)
    entries = []
    for column in export.COLUMN_NAMES:
        spec = _field(column)
        if spec is not None:
            kind, codes = _TYPES[spec.kind], _field_codes(spec, lang)
            source = text_in(lang, f"field.{column}")
        else:
            kind, codes = DERIVED[column]
            codes = "; ".join(codes.split("|")) if codes else ""
            source = text_in(lang, f"formats.column.{column}")
        entries.append(Entry("researcher", column, kind, codes, source, levels[column]))
    return entries


def _sources(lang: str, standard: str, column: str) -> str:
    names = [m.register for m in MAPPING
             if column in (m.htcds if standard == "htcds" else m.ctdc)
             and (standard == "ctdc" or m.htcds_fills)]
    if not names:
        key = "formats.codebook.withheld" if column in WITHHELD else "formats.codebook.not_held"
        return text_in(lang, key)
    return "; ".join(text_in(lang, f"field.{n}", text_in(lang, f"formats.column.{n}", n))
                     for n in names)


def htcds_entries(lang: str = "en") -> list[Entry]:
    age = _generalisation(lang)["age_at_departure"]
    levels = text_in(lang, "formats.codebook.as_level")
    entries = [Entry("htcds", key, "text", "", text_in(lang, f"formats.column.{key}"), levels)
               for key in ("register_journey_key", "register_person_key")]
    values = htcds_values()
    for f in htcds_fields():
        name = f["field"]
        codes = "; ".join(f"{v} = {label}" for v, label in values.get(name, {}).items())
        if name in ("prs_Citizenship", "hte_Country", "prs_MailingCountry"):
            codes = "ISO 3166-1 alpha-2"
        elif name == "prs_MailingState":
            codes = "ISO 3166-2 (KH-1 ... KH-25)"
        kind = f["type"] + (" (';')" if "Multiselect" in f["type"] else "") \
            or text_in(lang, "formats.codebook.no_type")
        entries.append(Entry("htcds", name, kind, codes, _sources(lang, "htcds", name),
                             age if name == "vic_AgeWhenTrafficked" else levels))
    return entries


def ctdc_entries(lang: str = "en") -> list[Entry]:
    from .standards_export import CTDC_K, CTDC_QUASI

    rule = text_in(lang, "formats.codebook.k", k=CTDC_K, quasi=", ".join(CTDC_QUASI))
    return [Entry("ctdc", c["column"], c["type"], "; ".join(c["codes"].split("|")),
                  _sources(lang, "ctdc", c["column"]), rule) for c in ctdc_columns()]


def entries(lang: str = "en", formats: tuple[str, ...] = ("researcher", "htcds", "ctdc")
            ) -> list[Entry]:
    if lang not in LANGUAGES:
        raise RegisterError(t("formats.unknown_language", lang=lang,
                              languages=", ".join(LANGUAGES)))
    make = {"researcher": researcher_entries, "htcds": htcds_entries, "ctdc": ctdc_entries}
    return [e for fmt in formats for e in make[fmt](lang)]


def write_codebook(out: str | Path, *, lang: str = "en",
                   formats: tuple[str, ...] = ("researcher", "htcds", "ctdc"),
                   force: bool = False) -> int:
    """Write the codebook as Markdown (``.md``) or CSV (``.csv``); return the number of columns
    described."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".md", ".csv"):
        raise RegisterError(t("formats.codebook_suffix", file=out.name))
    check_output(out, force=force)
    rows = entries(lang, formats)
    with writing(out, force=force, personal=False) as tmp, \
            tmp.open("w", encoding="utf-8", newline="") as fh:
        if suffix == ".csv":
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(e.cells() for e in rows)
        else:
            fh.write(_markdown(rows, lang))
    return len(rows)


def _markdown(rows: list[Entry], lang: str) -> str:
    heads = [text_in(lang, f"formats.codebook.head.{c}") for c in COLUMNS[1:]]
    parts = [f"# {text_in(lang, 'formats.codebook.title')}\n"]
    for fmt in dict.fromkeys(e.format for e in rows):
        parts.append(f"\n## {text_in(lang, f'formats.codebook.format.{fmt}')}\n\n")
        parts.append("| " + " | ".join(heads) + " |\n|" + "---|" * len(heads) + "\n")
        for e in rows:
            if e.format == fmt:
                cells = [f"`{e.column}`", e.type, e.codes, e.source, e.generalisation]
                parts.append("| " + " | ".join(c.replace("|", "/") or "-" for c in cells)
                             + " |\n")
    return "".join(parts)
