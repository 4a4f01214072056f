"""The linkage model of :mod:`register.linkage`: the compared fields and their levels, the blocking
rules, and the Splink settings made from them (see that module's docstring for the reasoning).

Columns are those of linkage's ``recs`` table: ``name_fold``, ``name_script``, ``name_key`` (the
whole name's skeleton), ``key_first`` and ``key_rest`` (the skeletons of the first word and of
the rest), ``nid``, ``phone``, ``sex``, ``bdate``, ``byear``, ``year_band`` and ``year_band1``
(two-year bands of the birth year, the second shifted by one), ``commune``, ``province``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def one_edit(col: str) -> str:
    """One character replaced (DuckDB's damerau_levenshtein is ten times slower than hamming)."""
    return (f"CASE WHEN length({col}_l) = length({col}_r) THEN hamming({col}_l, {col}_r) <= 1 "
            f"ELSE FALSE END")


# (name, null condition, [(label, condition, prior m), ...]); the last level is "ELSE".
COMPARISONS: tuple[tuple[str, str, tuple[tuple[str, str, float], ...]], ...] = (
    ("name", "name_fold_l IS NULL OR name_fold_r IS NULL", (
        ("exact", "name_fold_l = name_fold_r", 0.70),
        ("very similar", "name_script_l = name_script_r "
                         "AND jaro_winkler_similarity(name_fold_l, name_fold_r) >= 0.94", 0.10),
        ("same skeleton", "name_key_l = name_key_r", 0.08),
        ("similar", "name_script_l = name_script_r "
                    "AND jaro_winkler_similarity(name_fold_l, name_fold_r) >= 0.85", 0.05),
        ("other script", "name_script_l <> name_script_r", 0.03),
        ("different", "ELSE", 0.04))),
    ("birth", "byear_l IS NULL OR byear_r IS NULL", (
        ("same date", "bdate_l = bdate_r", 0.65),
        ("date typo", one_edit("bdate") + " OR (substr(bdate_l, 1, 4) = substr(bdate_r, 1, 4) "
                      "AND substr(bdate_l, 6, 2) = substr(bdate_r, 9, 2) "
                      "AND substr(bdate_l, 9, 2) = substr(bdate_r, 6, 2))", 0.05),
        ("same year, date missing", "byear_l = byear_r AND (bdate_l IS NULL OR bdate_r IS NULL)", 0.15),
        ("same year", "byear_l = byear_r", 0.05),
        ("year +-1", "abs(byear_l - byear_r) <= 1", 0.06),
        ("different", "ELSE", 0.04))),
    ("sex", "sex_l IS NULL OR sex_r IS NULL", (
        ("same", "sex_l = sex_r", 0.97), ("different", "ELSE", 0.03))),
    ("national_id", "nid_l IS NULL OR nid_r IS NULL", (
        ("same", "nid_l = nid_r", 0.94), ("one typo", one_edit("nid"), 0.03), ("different", "ELSE", 0.03))),
    ("phone", "phone_l IS NULL OR phone_r IS NULL", (
        ("same", "phone_l = phone_r", 0.65), ("one typo", one_edit("phone"), 0.03),
        ("different", "ELSE", 0.32))),
    ("place", "province_l IS NULL OR province_r IS NULL", (
        ("same commune", "commune_l = commune_r", 0.60),
        ("same province", "province_l = province_r", 0.20),
        ("different", "ELSE", 0.20))),
)
# Blocking rules: records agreeing on all the columns of one rule are compared. A typo or an odd
# transliteration usually changes one word of a name (bench/blocking_gaps.py), hence the rules on
# one word's skeleton; within a commune and birth year they add few pairs even nationally.
BLOCKING: tuple[tuple[str, ...], ...] = (
    ("nid",), ("phone",), ("bdate", "name_key"), ("byear", "name_key", "province"),
    ("bdate", "commune"), ("name_key", "commune"), ("key_first", "byear", "commune"),
    ("key_rest", "byear", "commune"))
# Wide rules, in order, each used while the pairs of the wide rules taken stay within WIDE_BUDGET
# (small sets, such as service lists; not a national register): one word's skeleton and birth
# year anywhere (a home commune missing or changed); the whole skeleton and birth years one apart
# (two-year bands, one shifted by a year).
WIDE_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("byear", "name_key"), ("key_first", "byear"), ("key_rest", "byear"), ("name_key", "year_band"),
    ("name_key", "year_band1"))
WIDE_BUDGET = 2_000_000


def blocking_rules(pairs: Callable[[tuple[str, ...]], int]) -> list[tuple[str, ...]]:
    """All of BLOCKING, then each wide rule that keeps the wide rules' pairs within WIDE_BUDGET.

    ``pairs(rule)`` counts the record pairs the rule's blocks hold (an upper bound of what it adds).
    """
    rules, spent = list(BLOCKING), 0
    for rule in WIDE_BLOCKING:
        n = pairs(rule)
        if spent + n <= WIDE_BUDGET:
            rules.append(rule)
            spent += n
    return rules


STRICT_RULES = (
    "l.nid = r.nid",
    "l.phone = r.phone AND l.name_key = r.name_key",
    "l.name_fold = r.name_fold AND l.bdate = r.bdate AND l.commune = r.commune",
)


def priors() -> dict[str, list[float]]:
    """The prior m of every level of every comparison."""
    return {name: [m for _, _, m in levels] for name, _, levels in COMPARISONS}


def settings(m_values: dict[str, list[float]], lam: float, rules: list[str]) -> dict[str, Any]:
    """Splink settings: the comparisons with these m values, lambda, blocking rules as SQL."""
    comparisons = []
    for name, null_condition, levels in COMPARISONS:
        comparison_levels: list[dict[str, Any]] = [
            {"sql_condition": null_condition, "label_for_charts": "missing", "is_null_level": True}]
        for (label, sql, _), m in zip(levels, m_values[name], strict=True):
            level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label, "m_probability": m}
            if name == "name" and label == "exact":   # common names agree more often by chance
                level.update(tf_adjustment_column="name_fold", tf_adjustment_weight=1.0)
            comparison_levels.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": comparison_levels})
    return {
        "link_type": "dedupe_only", "unique_id_column_name": "uid",
        "probability_two_random_records_match": lam, "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": rules,
        "retain_matching_columns": False, "retain_intermediate_calculation_columns": False,
    }
