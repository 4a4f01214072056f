"""An export file that nobody can be singled out in: k-anonymity over every quasi-identifier
the file holds, reached by generalising and then suppressing (the approach of sdcMicro and ARX).

A group is the set of records sharing one combination of quasi-identifiers (the export's
columns marked ``quasi``: home area, sex, age, dates, destination, citizenship); its size is the
number of *persons* in it (two journeys of one person count once). A file is k-anonymous when
no group is smaller than k. To get there:

1. **global recoding** - steps applied to every record, in :data:`STEPS` order, until at most
   :data:`MAX_AT_RISK` of the records are still in groups smaller than k: dates to the year,
   the home commune left out, age in two bands (under 18, 18 and over), the home district left
   out;
2. **local suppression** - for the records still at risk only, one quasi-identifier after the
   other (:data:`LOCAL`) is blanked until their group reaches k;
3. records still alone after that are left out of the file.

Every step is counted in the :class:`Disclosure` report. Which quasi-identifiers count is read
from the file itself: a column the level already dropped is no longer one, every column present
is (the strict level's district included). Pure Python: the clerk's install has no pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import RegisterError
from .i18n import t

MIN_K = 2
MAX_AT_RISK = 0.05  # share of records global recoding may leave to local suppression
Row = dict[str, Any]


def _to_year(row: Row) -> None:
    row["departure_date"] = row["return_date"] = None


def _no_commune(row: Row) -> None:
    row["commune_code"] = row["register_commune"] = None


def _two_age_bands(row: Row) -> None:
    if row.get("age_band") is not None:
        row["age_band"] = "<18" if row["age_band"] == "<18" else "18+"


def _no_district(row: Row) -> None:
    row["district_code"] = None


STEPS: tuple[tuple[str, Callable[[Row], None]], ...] = (
    ("export.step.dates_to_year", _to_year),
    ("export.step.no_commune", _no_commune),
    ("export.step.two_age_bands", _two_age_bands),
    ("export.step.no_district", _no_district),
)
# Blanked one after the other for the records still at risk (then the record is left out).
LOCAL = ("destination_country", "sector", "citizenship", "return_year", "age_band", "departure_year",
         "sex", "province_code", "district_code", "commune_code", "register_commune")


class BelowKError(RegisterError):
    """The file would let someone be singled out (a group smaller than the k asked for)."""


@dataclass
class Disclosure:
    """What an export did to reach k, and the k it has."""

    k: int
    quasi_identifiers: tuple[str, ...]
    records: int = 0
    smallest: int = 0
    groups: int = 0
    steps: list[str] = field(default_factory=list)
    generalised: int = 0  # records a global step changed
    suppressed_values: int = 0
    suppressed_records: int = 0  # records with at least one value blanked
    dropped: int = 0  # records left out

    @property
    def reached(self) -> bool:
        return self.smallest >= self.k or self.records == 0

    def summary(self) -> str:
        steps = ", ".join(t(s) for s in self.steps) or t("export.step.none")
        return t("export.disclosure", k=self.k, smallest=self.smallest, groups=self.groups,
                 quasi=", ".join(self.quasi_identifiers), steps=steps,
                 generalised=self.generalised, suppressed=self.suppressed_records,
                 values=self.suppressed_values, dropped=self.dropped, records=self.records)


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_K:
        raise RegisterError(t("export.bad_k", k=k, minimum=MIN_K))
    return k


def _groups(keys: Sequence[tuple[Any, ...]], persons: Sequence[str]) -> dict[tuple, int]:
    seen: dict[tuple[Any, ...], set[str]] = {}
    for key, person in zip(keys, persons, strict=True):
        seen.setdefault(key, set()).add(person)
    return {key: len(members) for key, members in seen.items()}


@dataclass
class Plan:
    """The recoding chosen for one file: global steps, then a map from each generalised
    combination of quasi-identifiers to its final values (or ``None``: left out)."""

    quasi: tuple[str, ...]
    steps: list[Callable[[Row], None]]
    final: dict[tuple[Any, ...], tuple[Any, ...] | None]

    def apply(self, row: Row) -> Row | None:
        for step in self.steps:
            step(row)
        out = self.final.get(tuple(row[q] for q in self.quasi))
        if out is None:
            return None
        row.update(zip(self.quasi, out, strict=True))
        return row


def _recode(key: tuple[Any, ...], quasi: tuple[str, ...],
            step: Callable[[Row], None]) -> tuple[Any, ...]:
    values = dict(zip(quasi, key, strict=True))
    step(values)
    return tuple(values[q] for q in quasi)


def plan(rows: Iterable[Mapping[str, Any]], k: int, quasi: Sequence[str]) -> tuple[Plan, Disclosure]:
    """Choose the recoding that makes ``rows`` k-anonymous over ``quasi`` (the columns with a
    value in some row; see the module's docstring); report what it costs. Holds one small tuple
    per row, not the rows."""
    check_k(k)
    keys: list[tuple[Any, ...]] = []
    persons: list[str] = []
    for row in rows:
        keys.append(tuple(row[q] for q in quasi))
        persons.append(row["person_key"])
    present = tuple(q for i, q in enumerate(quasi) if any(key[i] is not None for key in keys))
    keys = [tuple(key[quasi.index(q)] for q in present) for key in keys]
    report = Disclosure(k=k, quasi_identifiers=present)

    def at_risk(current: Sequence[tuple[Any, ...]]) -> list[int]:
        sizes = _groups(current, persons)
        return [i for i, key in enumerate(current) if sizes[key] < k]

    original = keys
    chosen: list[Callable[[Row], None]] = []
    for name, step in STEPS:
        if len(at_risk(keys)) <= MAX_AT_RISK * len(keys):
            break
        cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for key in set(keys):
            cache[key] = _recode(key, present, step)
        keys = [cache[key] for key in keys]
        chosen.append(step)
        report.steps.append(name)
    report.generalised = sum(a != b for a, b in zip(original, keys, strict=True))
    generalised = list(keys)
    risky = at_risk(keys)
    touched: set[int] = set()
    for column in LOCAL:
        if not risky or column not in present:
            continue
        at = present.index(column)
        for i in risky:
            if keys[i][at] is not None:
                keys[i] = keys[i][:at] + (None,) + keys[i][at + 1:]
                report.suppressed_values += 1
                touched.add(i)
        risky = at_risk(keys)
    dropped = set(risky)
    final: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}
    for i, key in enumerate(generalised):
        final[key] = None if i in dropped else keys[i]
    kept = [i for i in range(len(keys)) if i not in dropped]
    sizes = _groups([keys[i] for i in kept], [persons[i] for i in kept])
    report.dropped = len(dropped)
    report.suppressed_records = len(touched - dropped)
    report.smallest = min(sizes.values(), default=0)
    report.groups = len(sizes)
    report.records = len(kept)
    report.quasi_identifiers = tuple(q for n, q in enumerate(present)
                                     if any(keys[i][n] is not None for i in kept))
    return Plan(present, chosen, final), report


def measure(rows: Iterable[Mapping[str, Any]], k: int, quasi: Sequence[str]) -> Disclosure:
    """The k a set of rows has as it is (no recoding): for the detailed level."""
    sample = [(tuple(row[q] for q in quasi), row["person_key"]) for row in rows]
    present = tuple(q for i, q in enumerate(quasi) if any(key[i] is not None for key, _ in sample))
    keys = [tuple(key[quasi.index(q)] for q in present) for key, _ in sample]
    sizes = _groups(keys, [p for _, p in sample])
    return Disclosure(k=k, quasi_identifiers=present, records=len(sample),
                      smallest=min(sizes.values(), default=0), groups=len(sizes))
