"""The register's data model, declared once: every table, its key and its fields.

Everything else is generated from these declarations:

* the schema (``register.schema``): columns, types, CHECK constraints, foreign keys, indexes,
  and the migration that added each field (``since``);
* the record kinds a clerk enters (``departures`` writes a person, their identity and a journey)
  with their fields in prompt order, the import templates, the prompts and the ``add-*`` options;
* field validation (``register.validation``) from each field's kind, bounds and code list;
* the researcher export's columns (``register.export``) from ``export``, ``quasi`` and
  ``sensitive``, and the analysis package's column types from those;
* the list of fields that identify a person (never exported; erasable on request).

Adding a field is one edit here: give it ``since`` = the name of a new migration, and the
migration (an ``ALTER TABLE ... ADD COLUMN``) is made from it. A released migration's fields are
never edited (``tests/register/test_schema.py`` keeps their fingerprints).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from .vocabulary import CODE_LISTS, ILO_INDICATORS

INITIAL = "0001_initial"
FOLLOW_UP = "0003_consent_citizenship_follow_up"

# Field kinds: text, date, year, int, money, bool, choice (a code list), village (an NCDD
# village code), country (one code of a list), countries (several), id (a record id).
KINDS_OF_FIELD = ("text", "date", "year", "int", "money", "bool", "choice", "village", "country",
                  "countries", "id")


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a table.

    ``identifying``: it names or reaches a person directly (name, ID number, phone); kept in the
    identity table, never exported, erasable on request. ``sensitive``: it never leaves the
    register in any export (every identifying field, free text, exact birth date, village).
    ``export``: it is copied into the researcher export (as stored, or generalised when
    ``quasi``). ``quasi``: a quasi-identifier - with others it could single a person out to
    someone who knows them - counted in the export's k-anonymity. ``refers``: for id fields, the
    table the id points to. ``future``: a date allowed to lie ahead (a licence's expiry).
    ``entry``: the clerk enters it (False for links the program sets itself). ``digits``: text
    that is a number written by hand, ``"phone"`` or ``"id"``: Khmer digits are read as digits
    and spaces, dots and dashes dropped (``០១២ ៣៤៥ ៦៧៨`` is stored ``012345678``); a phone that a
    spreadsheet turned into a number gets back its leading 0.
    """

    name: str
    kind: str
    required: bool = False
    codes: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    identifying: bool = False
    sensitive: bool = False
    max_length: int = 200
    future: bool = False
    refers: str | None = None
    unique: bool = False
    default: str | int | None = None
    export: bool = False
    quasi: bool = False
    entry: bool = True
    index: bool = False
    since: str = INITIAL
    digits: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS_OF_FIELD:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")
        if self.codes is not None and self.codes not in CODE_LISTS:
            raise ValueError(f"field {self.name}: unknown code list {self.codes!r}")
        if self.identifying and not self.sensitive:
            object.__setattr__(self, "sensitive", True)

    @property
    def choices(self) -> tuple[str, ...]:
        """The codes this field may take (empty for fields without a code list)."""
        return CODE_LISTS[self.codes] if self.codes else ()

    @property
    def label_key(self) -> str:
        return f"field.{self.name}"


@dataclass(frozen=True, slots=True)
class Table:
    """A table of records. ``key`` is its primary key; ``owner`` names the table whose record
    this one extends (the identity of a person), which then gives it its key."""

    name: str
    fields: tuple[Field, ...]
    key: str = "id"
    owner: str | None = None
    since: str = INITIAL

    @property
    def provenance(self) -> bool:
        """Records of their own carry ``source_register`` and ``recorded_at``."""
        return self.owner is None

    def field(self, name: str) -> Field:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no field {name}")


@dataclass(frozen=True, slots=True)
class Kind:
    """What a clerk enters as one record (a row of an import file).

    ``tables``: the tables it writes, in the order its fields are asked for; ``ids``: the record
    ids a caller may give (an import re-using ids); ``id_field``: which of them is the record's
    own id.
    """

    name: str
    tables: tuple[str, ...]
    ids: tuple[Field, ...]
    id_field: str = "id"


def _ind(name: str) -> Field:
    return Field(name, "bool", export=True)


def _date(name: str, **kw: object) -> Field:
    return Field(name, "date", **kw)  # type: ignore[arg-type]


_RECORDED = _date("recorded_date")

TABLES: tuple[Table, ...] = (
    Table("agencies", (
        Field("name", "text", required=True),
        Field("licence_number", "text", max_length=60),
        Field("licence_status", "choice", required=True, codes="licence_status", default="unknown"),
        _date("licence_expiry", future=True),
        Field("allowed_destinations", "countries", codes="destination", default="[]"),
        Field("parent_agency_id", "id", refers="agencies"),
    )),
    Table("brokers", (
        Field("name", "text", required=True, identifying=True),
        Field("alias", "text", identifying=True),
        Field("phone", "text", identifying=True, max_length=40, digits="phone"),
        Field("village", "village", sensitive=True),
        Field("agency_id", "id", refers="agencies"),
        Field("active", "bool", default=1),
    )),
    Table("persons", (
        Field("sex", "choice", required=True, codes="sex", export=True, quasi=True),
        _date("birth_date", sensitive=True, quasi=True),
        Field("birth_year", "year", export=True, quasi=True),
        Field("home_village", "village", required=True, sensitive=True, quasi=True, index=True),
        Field("citizenship", "country", codes="citizenship", export=True, quasi=True,
              since=FOLLOW_UP),
        Field("consent", "bool", export=True, since=FOLLOW_UP),
    )),
    Table("person_identity", (
        Field("name", "text", identifying=True),
        Field("national_id", "text", identifying=True, max_length=40, digits="id"),
        Field("phone", "text", identifying=True, max_length=40, digits="phone"),
        Field("contact_phone", "text", identifying=True, max_length=40, since=FOLLOW_UP,
              digits="phone"),
    ), key="person_id", owner="persons"),
    Table("journeys", (
        Field("person_id", "id", required=True, refers="persons", entry=False, index=True),
        _date("departure_date", required=True, quasi=True),
        Field("destination_country", "country", required=True, codes="destination", export=True,
              quasi=True),
        Field("destination_place", "text", sensitive=True),
        Field("sector", "choice", codes="sector", export=True, quasi=True),
        Field("channel", "choice", required=True, codes="channel", export=True),
        Field("agency_id", "id", refers="agencies"),
        Field("broker_id", "id", refers="brokers"),
        Field("n_brokers", "int", minimum=0, maximum=20, export=True),
        Field("has_passport", "bool", export=True),
        Field("has_visa", "bool", export=True),
        Field("has_work_permit", "bool", export=True),
        Field("has_border_pass", "bool", export=True),
        Field("fee_usd", "money", minimum=0, maximum=100_000, export=True),
        Field("debt_usd", "money", minimum=0, maximum=100_000, export=True),
        Field("contract_seen", "bool", export=True),
        Field("job_promised", "text", sensitive=True),
        Field("planned_months", "int", minimum=1, maximum=120, export=True, since=FOLLOW_UP),
        _RECORDED,
    )),
    Table("returns", (
        Field("journey_id", "id", required=True, refers="journeys", unique=True),
        _date("return_date", required=True, quasi=True),
        Field("return_mode", "choice", required=True, codes="return_mode", export=True),
        Field("job_done", "text", sensitive=True),
        *(_ind(name) for name in ILO_INDICATORS),
        Field("exploitation_type", "choice", codes="exploitation_type", export=True),
        _RECORDED,
    )),
    Table("referrals", (
        Field("person_id", "id", required=True, refers="persons", index=True),
        Field("journey_id", "id", refers="journeys"),
        Field("service", "choice", required=True, codes="service"),
        Field("organisation", "text", sensitive=True),
        _date("referral_date", required=True),
        Field("status", "choice", required=True, codes="referral_status"),
        _RECORDED,
    )),
)

KINDS: tuple[Kind, ...] = (
    Kind("departures", ("person_identity", "persons", "journeys"),
         (Field("person_id", "id", refers="persons"), Field("journey_id", "id")),
         id_field="journey_id"),
    Kind("returns", ("returns",), (Field("id", "id"),)),
    Kind("referrals", ("referrals",), (Field("id", "id"),)),
    Kind("agencies", ("agencies",), (Field("id", "id"),)),
    Kind("brokers", ("brokers",), (Field("id", "id"),)),
)


@dataclass(frozen=True)
class Model:
    """The tables and record kinds, with the look-ups every other module needs."""

    tables: tuple[Table, ...] = TABLES
    kinds: tuple[Kind, ...] = KINDS
    _by_name: dict[str, Table] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({t.name: t for t in self.tables})

    # -- tables ---------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        return self._by_name[name]

    @property
    def table_names(self) -> tuple[str, ...]:
        """Tables in the order records are written (a record after those it points to)."""
        return tuple(t.name for t in self.tables)

    def key_of(self, table: str) -> str:
        return self.table(table).key

    def columns(self, table: str) -> tuple[str, ...]:
        """Every column of a table as the program writes it, key first."""
        spec = self.table(table)
        extra = ("source_register", "recorded_at") if spec.provenance else ()
        return (spec.key, *(f.name for f in spec.fields), *extra)

    def fields(self) -> Iterator[tuple[Table, Field]]:
        for table in self.tables:
            for spec in table.fields:
                yield table, spec

    # -- kinds ----------------------------------------------------------------------------
    def kind(self, name: str) -> Kind:
        for kind in self.kinds:
            if kind.name == name:
                return kind
        raise KeyError(name)

    @property
    def kind_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.kinds)

    def kind_fields(self, name: str) -> tuple[Field, ...]:
        """The fields of a record kind: its ids, then each table's entry fields, in order."""
        kind = self.kind(name)
        out = list(kind.ids)
        for table in kind.tables:
            out += [f for f in self.table(table).fields if f.entry]
        return tuple(out)

    def table_of(self, kind: str, field_name: str) -> str:
        """The table a field of a record kind is stored in."""
        for table in self.kind(kind).tables:
            if any(f.name == field_name for f in self.table(table).fields):
                return table
        raise KeyError(f"{kind} has no stored field {field_name}")

    def kind_of_table(self, table: str) -> str:
        """The record kind whose rules apply to a table's fields."""
        for kind in self.kinds:
            if table in kind.tables:
                return kind.name
        raise KeyError(table)

    # -- derived lists --------------------------------------------------------------------
    @property
    def identifying(self) -> tuple[str, ...]:
        """Names of the fields that identify a person directly (never exported, erasable)."""
        return tuple(dict.fromkeys(f.name for _, f in self.fields() if f.identifying))

    @property
    def sensitive(self) -> tuple[str, ...]:
        """Names of the fields that never leave the register in any export."""
        return tuple(dict.fromkeys(f.name for _, f in self.fields() if f.sensitive))

    def with_field(self, table: str, new: Field, after: str | None = None) -> Model:
        """A copy of the model with one more field (to show that one edit is enough)."""
        tables = []
        for spec in self.tables:
            if spec.name == table:
                fields = list(spec.fields)
                at = len(fields) if after is None else [f.name for f in fields].index(after) + 1
                fields.insert(at, new)
                spec = replace(spec, fields=tuple(fields))
            tables.append(spec)
        return Model(tuple(tables), self.kinds)

    def with_changed_field(self, table: str, name: str, **changes: object) -> Model:
        """A copy of the model with one field's declaration changed."""
        tables = tuple(
            replace(spec, fields=tuple(replace(f, **changes) if f.name == name else f  # type: ignore[arg-type]
                                       for f in spec.fields)) if spec.name == table else spec
            for spec in self.tables)
        return Model(tables, self.kinds)


MODEL = Model()


def fields_of(kind: str, model: Model | None = None) -> tuple[Field, ...]:
    """The fields of a record kind (``departures``, ``returns``, ...), in prompt order."""
    model = model or MODEL
    try:
        return model.kind_fields(kind)
    except KeyError:
        from .errors import RegisterError
        from .i18n import t

        known = ", ".join(model.kind_names)
        raise RegisterError(t("err.unknown_record_kind", kind=kind, kinds=known)) from None


# Fields a clerk is not asked for at a prompt (ids are made by the program, the date of
# recording is today's).
PROMPT_SKIP = frozenset({"person_id", "journey_id", "id", "recorded_date"})
