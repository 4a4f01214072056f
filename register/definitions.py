"""Derived outcomes, written once and computed the same way everywhere.

The export (one record at a time, pure Python), the analysis and the synthetic generator (whole
columns with numpy) call the same functions: each definition below is written in terms of a small
set of three-valued operations, :class:`Scalar` for single values and :class:`Columns` for numpy
arrays. Three values: 1 (yes), 0 (no), unknown (an indicator not asked; ``None`` for a single
value, -1 in an array).

* **Forced labour of an adult** (ICLS 2018 statistical definition, Guidelines concerning the
  measurement of forced labour, 20th ICLS, paras 7-9): work that is *involuntary* AND imposed
  under *menace of a penalty* - at least one involuntariness indicator and at least one coercion
  indicator among the eleven ILO indicators (``register.vocabulary.ILO_INDICATORS``).
* **Forced labour of a child** (under 18 at departure): the child's consent is irrelevant, so
  involuntariness is not required: work under coercion by a third party, or in a worst form of
  child labour such as commercial sexual exploitation (ILO 2012, *Hard to see, harder to count*,
  operational definition of forced labour of children, taken up by the ICLS 2018 guidelines).
  The register observes coercion (the coercion indicators) and sexual exploitation; it cannot
  observe a child working because a parent is in forced labour.
* **Trafficking** (Palermo Protocol, art. 3): act + means + purpose. The act is the recruitment
  and transport the journey records. The purpose is exploitation: forced labour, sexual
  exploitation or forced marriage. The means of recruitment the register observes are deception
  (the job or conditions were not those promised) and abuse of a position of vulnerability. It
  does not observe abduction, abuse of power, payments to a person having control over the
  victim, or threats and force used *to recruit* (its threat and violence indicators describe
  the work abroad, where they count as coercion), so it may miss some adult victims. For a child
  (under 18 at departure) no means is needed (art. 3(c)).
* **Agency status at departure**: see :func:`agency_status_at`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .vocabulary import COERCION, ILO_INDICATORS, INVOLUNTARINESS

INVOLUNTARY = tuple(n for n, d in ILO_INDICATORS.items() if d == INVOLUNTARINESS)
COERCIVE = tuple(n for n, d in ILO_INDICATORS.items() if d == COERCION)
MEANS = ("ind_deception", "ind_abuse_of_vulnerability")
OTHER_EXPLOITATION = ("sexual", "forced_marriage")
ADULT_AGE = 18


class Ops(Protocol):
    """Three-valued logic on one representation (single values or arrays)."""

    def any(self, values: Sequence[Any]) -> Any: ...
    def all(self, values: Sequence[Any]) -> Any: ...
    def choose(self, condition: Any, yes: Any, no: Any) -> Any: ...
    def is_in(self, values: Any, codes: Sequence[str]) -> Any: ...


class Scalar:
    """Single values: 1, 0 or None."""

    @staticmethod
    def any(values: Sequence[Any]) -> int | None:
        unknown = False
        for value in values:
            if value == 1:
                return 1
            if value != 0:
                unknown = True
        return None if unknown else 0

    @staticmethod
    def all(values: Sequence[Any]) -> int | None:
        if any(v == 0 for v in values):
            return 0
        return 1 if all(v == 1 for v in values) else None

    @staticmethod
    def choose(condition: Any, yes: Any, no: Any) -> Any:
        """``yes`` where the condition is 1, ``no`` where 0; unknown: their common value."""
        if condition == 1:
            return yes
        if condition == 0:
            return no
        return yes if yes == no else None

    @staticmethod
    def is_in(value: Any, codes: Sequence[str]) -> int | None:
        return None if value is None else int(value in codes)


class Columns:
    """numpy arrays (int8: 1, 0, -1 = unknown); numpy is imported only when used."""

    def __init__(self) -> None:
        import numpy

        self.np = numpy

    def _stack(self, values: Sequence[Any]) -> Any:
        return self.np.stack([self.np.asarray(v, dtype=self.np.int8) for v in values])

    def any(self, values: Sequence[Any]) -> Any:
        stacked = self._stack(values)
        out = self.np.where((stacked == -1).any(axis=0), -1, 0).astype(self.np.int8)
        out[(stacked == 1).any(axis=0)] = 1
        return out

    def all(self, values: Sequence[Any]) -> Any:
        stacked = self._stack(values)
        out = self.np.where((stacked == 1).all(axis=0), 1, -1).astype(self.np.int8)
        out[(stacked == 0).any(axis=0)] = 0
        return out

    def choose(self, condition: Any, yes: Any, no: Any) -> Any:
        condition, yes, no = (self.np.asarray(v, dtype=self.np.int8) for v in (condition, yes, no))
        unknown = self.np.where(yes == no, yes, -1)
        return self.np.where(condition == 1, yes, self.np.where(condition == 0, no, unknown)
                             ).astype(self.np.int8)

    def is_in(self, values: Any, codes: Sequence[str]) -> Any:
        values = self.np.asarray(values, dtype=object)
        known = self.np.array([v is not None and v == v for v in values], dtype=bool)
        hit = self.np.isin(values, list(codes))
        return self.np.where(known, hit.astype(self.np.int8), -1).astype(self.np.int8)


SCALAR = Scalar()


def forced_labour(ind: Mapping[str, Any], minor: Any, kind: Any, ops: Ops = SCALAR) -> Any:
    """Forced labour from the eleven indicators (``ind``), whether the person was a minor at
    departure (1/0/unknown) and the type of exploitation reported (``exploitation_type``)."""
    coerced = ops.any([ind[n] for n in COERCIVE])
    adult = ops.all([ops.any([ind[n] for n in INVOLUNTARY]), coerced])
    child = ops.any([coerced, ops.is_in(kind, ("sexual",))])
    return ops.choose(minor, child, adult)


def trafficking(ind: Mapping[str, Any], minor: Any, kind: Any, ops: Ops = SCALAR) -> Any:
    """Exploitation (forced labour, sexual exploitation, forced marriage) and, for an adult,
    one of the means the register observes (see the module's docstring)."""
    exploited = ops.any([forced_labour(ind, minor, kind, ops), ops.is_in(kind, OTHER_EXPLOITATION)])
    means = ops.any([ind[n] for n in MEANS])
    return ops.choose(minor, exploited, ops.all([exploited, means]))


def is_minor(age: int | None) -> int | None:
    """1 under 18, 0 from 18, None when the age is unknown."""
    return None if age is None else int(age < ADULT_AGE)


def outcomes(row: Mapping[str, Any], age: int | None) -> tuple[int | None, int | None]:
    """(forced labour, trafficking) of one returned journey's record."""
    minor = is_minor(age)
    kind = row.get("exploitation_type")
    return forced_labour(row, minor, kind), trafficking(row, minor, kind)


def agency_status_at(status: str | None, expiry: str | None, departure: str) -> str:
    """The licence status of an agency on the day of a departure.

    ``licence_expiry`` is the last day the licence was valid (its expiry, suspension or
    revocation date). Before or on it, a once-licensed agency was licensed; after it, the
    agency's current status applies, and a licence recorded as ``licensed`` but past its expiry
    date had expired. Unlicensed and unknown agencies stay so; a licensed agency with no expiry
    recorded counts as licensed.
    """
    status = status or "unknown"
    if status in ("unlicensed", "unknown") or not expiry:
        return status
    if departure <= expiry:
        return "licensed"
    return "expired" if status == "licensed" else status
