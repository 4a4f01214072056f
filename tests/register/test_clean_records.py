"""``clean_records`` (an import's column-wise check, each distinct value of a field cleaned once)
gives for every row what the per-field definition gives: the clean values, refused fields left
out, blank ones None, and the problems in order (unknown columns, then by field) - also for the
typed cells of an Excel sheet (1, 1.0 and True are different values) and in either language."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from register import i18n
from register.model import MODEL, fields_of
from register.validation import Problem, clean_records, clean_value, normalise_text
from tests.conftest import TODAY

CELLS = st.one_of(
    st.none(), st.just(""), st.just("  "), st.booleans(), st.integers(-3, 3000),
    st.sampled_from([0.0, 1.0, 2.5, 1999.0, 1e300, math.nan, 12.25]),
    st.sampled_from(["1", "yes", "បាទ", "F", " m ", "TH", "Thailand", "01020101", "123", "x",
                     "2024-02-30", "2024-05-06", "០៦/០៥/២០២៤", "$1,200", "-1", "broker", "mou"]),
    st.sampled_from([dt.date(2020, 1, 2), dt.datetime(2031, 1, 1, 8, 0)]),
    st.text(max_size=6),
)


def _one_by_one(kind: str, raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The per-field definition of one record's clean values and problems."""
    names = {spec.name for spec in fields_of(kind)}
    problems = [Problem(str(k), v, "rule.unknown_field") for k, v in raw.items()
                if k not in names and normalise_text(v) is not None]
    clean: dict[str, Any] = {}
    for spec in fields_of(kind):
        value, problem = clean_value(spec, raw.get(spec.name), TODAY)
        if problem is not None:
            problems.append(problem)
            continue
        clean[spec.name] = value
        if value is None and spec.required:
            problems.append(Problem(spec.name, None, "rule.required"))
    return clean, problems


@st.composite
def _batches(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    kind = draw(st.sampled_from(list(MODEL.kind_names)))
    names = [spec.name for spec in fields_of(kind)] + ["colour"]
    rows = draw(st.lists(st.dictionaries(st.sampled_from(names), CELLS), max_size=8))
    return kind, rows


def _same(a: Any, b: Any) -> bool:
    return a == b or (a != a and b != b)  # NaN is refused as itself


@pytest.mark.parametrize("language", ["en", "km"])
@settings(max_examples=150, deadline=None)
@given(batch=_batches())
def test_clean_records_is_clean_value_field_by_field(language: str, batch) -> None:
    i18n.set_language(language)
    kind, rows = batch
    got = clean_records(kind, rows, today=TODAY)
    assert len(got) == len(rows)
    for raw, (clean, problems) in zip(rows, got, strict=True):
        want_clean, want_problems = _one_by_one(kind, raw)
        assert list(clean) == list(want_clean)
        assert all(type(clean[k]) is type(want_clean[k]) and clean[k] == want_clean[k]
                   for k in clean)
        assert [(p.field, p.rule, dict(p.details)) for p in problems] == \
            [(p.field, p.rule, dict(p.details)) for p in want_problems]
        assert all(_same(p.value, q.value) and type(p.value) is type(q.value)
                   for p, q in zip(problems, want_problems, strict=True))
