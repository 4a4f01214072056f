"""Find the same person in several registers or lists: probabilistic record linkage (Splink, DuckDB).

Two uses: merging commune registers (a person registered in two communes is *linked*, never
deleted, and counted once in the researcher export), and linking victims across service lists
(MOSVY, police, NGO, the register) before multiple systems estimation, where linkage errors bias the
estimate directly, so :func:`linkage_quality` reports precision and recall against a known truth.

**Model.** Fellegi-Sunter, scored by Splink on DuckDB, comparing the name, birth date or year, sex,
national ID, phone and home commune/province. Names are compared within a script after folding,
and across scripts by a rough consonant skeleton shared by Khmer script and its usual
transliterations (:mod:`register.linkage_names`). A shared national ID always links (probability
1), whatever the other fields say.

**Parameters**, fixed so that the same records and seed give the same links, in any order (Splink
pitfalls in STANDARDS.md §3: no expectation-maximisation, no m or u exactly 0):

* u (how often two different people agree): Splink's seeded random sampling of record pairs,
  except for agreement on national ID or phone (too rare to see in a sample: one over the number
  of distinct values; households sharing a phone make this optimistic) and on home commune or
  province (counted exactly over the pairs that may be compared, since Splink's sample also holds
  pairs within one register, where everyone shares the register's commune).
* m (how often the same person agrees): from the pairs sharing a national ID, which are matches
  whatever else they say, smoothed towards prior values (``_PRIOR_WEIGHT`` pseudo-pairs) so that
  none is 0. With fewer than ``_MIN_ID_PAIRS`` such pairs, the priors.
* the prior probability that two records match, directly: shared-ID pairs over the pairs where
  both records have an ID, divided by m of ID agreement (assumes IDs go missing independently of
  duplication). Without shared IDs: pairs found by strict rules (same phone and name skeleton; same
  name, birth date and commune), assumed to be half of all matches.

**Threshold.** ``DEFAULT_THRESHOLD = 0.9``: a pair is linked when the model gives it at least a
90 % chance of being one person, so even among the least certain links at most about one in ten
should be wrong; most links score above 0.99. The probabilities are roughly calibrated (in the
national benchmark, pairs scored 0.9-0.99 were 95 % true). Measured: precision 1.00 and recall
0.95 on the test's planted set (3,566 records in 12 sources; 0.997 and 0.91 for four lists without
national IDs); on two million records in 1,650 registers (``bench/bench_linkage.py``, seed 1)
precision 0.986 and recall 0.708, scoring 3.02 million pairs (2.99 million before the one-word
rules; 35 s of CPU against 25 s on a shared machine): 98-100 % of the duplicates sharing an ID, a
phone, or birth date and home commune are found, 87 % of those sharing only home commune and
birth year (84 % before the one-word rules), and none of those agreeing only on name and birth date
or year, which in two million people with common Khmer names are mostly different people.

**What recall can reach there.** ``bench_linkage.py --ceiling`` counts, with the planted truth, every
pair sharing name skeleton and birth year or home commune by what the two records share: pairs
agreeing in the same way cannot be told apart, so no linker deciding on these fields does better
than linking the patterns with the largest share of true pairs. At two million records the ceiling
is a recall of 0.729 for a calibrated model linking at 0.9, and 0.740 for any rule keeping precision
at 0.98 (both counting the 714 true pairs outside those pairs as found). A quarter of the planted
duplicate pairs share nothing but name, sex and birth date or year, with the home commune changed:
among pairs agreeing on the same name and birth date across communes without ID or phone, 7 % are
one person; on name and birth year, 0.02 %. Wider blocking only adds such pairs (same birth year and
name skeleton nationally: 24 times the pairs at 500,000 records, the same links, twice the time);
finer name and date comparisons cannot separate them either.

**Blocking** (pairs scored at all; with ``across_sources_only`` only pairs from two sources; the
rules are defined in :mod:`register.linkage_model`): same national ID; same phone; same birth date
and name skeleton; same birth year, name skeleton and province; same birth date and home commune;
same name skeleton and home commune; same skeleton of the name's first word, or of the rest, with
birth year and home commune. Then, while they add at most ``WIDE_BUDGET`` pairs (lists, not a
national register): same birth year and name skeleton; same skeleton of one word and birth year;
same name skeleton and birth years at most one apart. A duplicate is never compared when it shares
none of these: no ID or phone in common, no birth date in common, and another commune (at national
scale) or typos changing both words of the name. IDs or phones held by more than ``_MAX_SHARED``
records are placeholders, treated as missing. On the synthetic MSE lists the one-word rules raised
the true pairs in some block from 92.2 % to 99.3 % (``bench/blocking_gaps.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import RegisterError
from .i18n import t
from .linkage_model import COMPARISONS, STRICT_RULES, blocking_rules, priors, settings
from .linkage_names import normalise_name, word_keys
from .linkage_result import LinkageResult, _components, linkage_quality

if TYPE_CHECKING:
    import duckdb
    import pandas

__all__ = ["DEFAULT_THRESHOLD", "LinkageError", "LinkageResult", "link_records", "linkage_quality",
           "normalise_name"]

DEFAULT_THRESHOLD: float = 0.9
FIELDS = ("record_id", "source", "name", "national_id", "phone", "sex", "birth_year", "birth_date",
          "commune_code", "province_code")
_MAX_SHARED = 5        # an ID or phone held by more records than this is a placeholder
_MIN_ID_PAIRS = 10     # fewer shared-ID pairs than this: m from priors, lambda from strict rules
_PRIOR_WEIGHT = 20.0   # pseudo-pairs behind the prior m values
_STRICT_RULES_RECALL = 0.5
_U_MAX_PAIRS = 2e6     # record pairs sampled to estimate u


class LinkageError(RegisterError, ValueError):
    """The records cannot be linked as given (a missing or repeated record_id, a missing source)."""


# ---------------------------------------------------------------------------------------------
# Linking
# ---------------------------------------------------------------------------------------------
def link_records(records: Iterable[Mapping[str, Any]] | pandas.DataFrame, *,
                 threshold: float = DEFAULT_THRESHOLD, across_sources_only: bool = True,
                 seed: int = 1) -> LinkageResult:
    """Link records that describe the same person; see the module docstring for the model.

    ``records`` are mappings (or DataFrame rows) with the fields in :data:`FIELDS`; only
    ``record_id`` (unique) and ``source`` are required, any other may be missing or None. With
    ``across_sources_only`` (the default) two records of the same source are never compared.
    The same records and ``seed`` always give the same result.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold!r}")
    frame = _as_frame(records)
    if len(frame) == 0:
        return LinkageResult([], {}, threshold, 0, 0)
    import duckdb

    con = duckdb.connect()
    # Inside Jupyter without ipywidgets DuckDB refuses the setting itself; queries still run.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    try:
        ids = _prepare(con, frame)
        return _link(con, ids, threshold=threshold, across=across_sources_only, seed=seed)
    finally:
        con.close()


def _as_frame(records: Iterable[Mapping[str, Any]] | pandas.DataFrame) -> pandas.DataFrame:
    import pandas as pd

    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(list(records))
    if len(frame) and not {"record_id", "source"} <= set(frame.columns):
        raise LinkageError(t("linkage.needs_ids"))
    mixed = [c for c in FIELDS if c in frame.columns and frame[c].dtype == object]
    if mixed:   # e.g. national IDs given as numbers for some records and text for others
        frame = frame.assign(**{c: frame[c].map(lambda v: None if _missing(v) else str(v)) for c in mixed})
    return frame


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _prepare(con: duckdb.DuckDBPyConnection, frame: pandas.DataFrame) -> list[str]:
    """Create table ``recs`` (one row per record, normalised fields); return the record_ids in order.

    ``uid`` is a 64-bit hash of the record_id, so that the sample behind u, and hence the result,
    does not depend on the order of the records.
    """
    import pandas as pd
    import pyarrow as pa

    try:   # Arrow scans faster than pandas objects; mixed-type object columns cannot convert
        con.register("frame_in", pa.Table.from_pandas(frame, preserve_index=False))
    except (TypeError, ValueError, pa.ArrowException):
        con.register("frame_in", frame)
    cols = {c: (f'TRY_CAST("{c}" AS VARCHAR)' if c in frame.columns else "NULL::VARCHAR") for c in FIELDS}
    digits = "translate({}, '០១២៣៤៥៦៧៨៩', '0123456789')"
    number = "regexp_replace(" + digits + ", '\\.0$', '')"   # an ID or phone read as a float
    sex = f"upper(trim({cols['sex']}))"
    con.execute(f"""
        CREATE TEMP TABLE raw AS SELECT hash(rid) AS uid, * FROM (SELECT
          {cols['record_id']} AS rid, {cols['source']} AS src, nullif(trim({cols['name']}), '') AS name,
          nullif(regexp_replace(upper({number.format(cols['national_id'])}), '[^0-9A-Z]', '', 'g'), '')
            AS nid0,
          regexp_replace(regexp_replace({number.format(cols['phone'])}, '[^0-9]', '', 'g'), '^855', '0')
            AS phone0,
          CASE WHEN {sex} IN ('F', 'M', 'X') THEN {sex} WHEN {sex} = 'ស្រី' THEN 'F'
               WHEN {sex} = 'ប្រុស' THEN 'M' END AS sex,
          TRY_CAST({cols['birth_date']} AS DATE) AS bd,
          TRY_CAST(TRY_CAST({cols['birth_year']} AS DOUBLE) AS INTEGER) AS by0,
          regexp_replace({digits.format(cols['commune_code'])}, '[^0-9]', '', 'g') AS commune0,
          regexp_replace({digits.format(cols['province_code'])}, '[^0-9]', '', 'g') AS province0
        FROM frame_in)""")
    con.unregister("frame_in")
    n, no_id, no_source, n_uid = con.execute(
        "SELECT count(*), count(*) FILTER (rid IS NULL), count(*) FILTER (src IS NULL), "
        "count(DISTINCT uid) FROM raw").fetchall()[0]
    if no_id or no_source:
        raise LinkageError(t("linkage.missing_ids", no_id=no_id, no_source=no_source))
    if n_uid < n:   # a repeated record_id, or (hardly ever) two record_ids with the same hash
        repeated = n - con.execute("SELECT count(DISTINCT rid) FROM raw").fetchall()[0][0]
        if repeated:
            raise LinkageError(t("linkage.repeated_ids", repeated=repeated))
        con.execute("UPDATE raw SET uid = r.k FROM (SELECT rid, row_number() OVER (ORDER BY rid) AS k "
                    "FROM raw) r WHERE raw.rid = r.rid")
    names = [r[0] for r in con.execute("SELECT DISTINCT name FROM raw WHERE name IS NOT NULL").fetchall()]
    normalised = pd.DataFrame([(n, *normalise_name(n), *word_keys(n)) for n in names], dtype=object,
                              columns=["name", "name_fold", "name_script", "name_key", "key_first",
                                       "key_rest"])
    con.register("names_in", normalised)
    placeholder = ("{0} IN (SELECT {0} FROM cleaned WHERE {0} IS NOT NULL GROUP BY {0} "
                   f"HAVING count(*) > {_MAX_SHARED})")
    con.execute(f"""
        CREATE TEMP TABLE recs AS
        WITH cleaned AS (
          SELECT raw.*, n.name_fold::VARCHAR AS name_fold, n.name_script::VARCHAR AS name_script,
            n.name_key::VARCHAR AS name_key, n.key_first::VARCHAR AS key_first,
            n.key_rest::VARCHAR AS key_rest,
            CASE WHEN length(phone0) = 8 AND phone0[1] <> '0' THEN '0' || phone0 ELSE phone0 END AS phone1,
            CASE WHEN length(commune0) = 6 THEN commune0 END AS commune
          FROM raw LEFT JOIN names_in n ON raw.name = n.name)
        SELECT uid, src, rid, name_fold, name_script, name_key, key_first, key_rest,
          CASE WHEN length(nid0) >= 5 AND NOT {placeholder.format('nid0')} THEN nid0 END AS nid,
          CASE WHEN length(phone1) BETWEEN 9 AND 10 AND NOT {placeholder.format('phone1')}
               THEN phone1 END AS phone,
          sex, strftime(bd, '%Y-%m-%d') AS bdate,
          CASE WHEN coalesce(by0, year(bd)) BETWEEN 1900 AND 2100 THEN coalesce(by0, year(bd)) END AS byear,
          commune, coalesce(CASE WHEN length(province0) = 2 THEN province0 END, commune[1:2]) AS province
        FROM cleaned""")
    # Two-year bands, the second shifted by a year: birth years one apart share at least one.
    con.execute("CREATE OR REPLACE TEMP TABLE recs AS SELECT *, byear // 2 AS year_band, "
                "(byear + 1) // 2 AS year_band1 FROM recs")
    con.unregister("names_in")
    con.execute("DROP TABLE raw")
    return [r[0] for r in con.execute("SELECT rid FROM recs").fetchall()]


def _link(con: duckdb.DuckDBPyConnection, ids: list[str], *, threshold: float, across: bool,
          seed: int) -> LinkageResult:
    cond = " AND l.src <> r.src" if across else ""
    n_pairs = _n_pairs(con, "TRUE", across)
    con.execute(f"CREATE TEMP TABLE id_pairs AS SELECT l.uid AS uid_l, r.uid AS uid_r "
                f"FROM recs l JOIN recs r ON l.nid = r.nid AND l.uid < r.uid{cond}")
    n_id = con.execute("SELECT count(*) FROM id_pairs").fetchall()[0][0]
    m_values = _m_from_id_pairs(con) if n_id >= _MIN_ID_PAIRS else priors()
    m_nid = m_values["national_id"][0]
    if n_id >= _MIN_ID_PAIRS:
        method = f"{n_id:,} shared-ID pairs"
        lam = n_id / (_n_pairs(con, "nid IS NOT NULL", across) * m_nid)
    else:
        union = " UNION ".join(f"SELECT l.uid, r.uid FROM recs l JOIN recs r ON {rule} "
                               f"AND l.uid < r.uid{cond}" for rule in STRICT_RULES)
        n_strict = con.execute(f"SELECT count(*) FROM ({union})").fetchall()[0][0]
        method = f"{n_strict:,} pairs by strict rules, assumed recall {_STRICT_RULES_RECALL:g}"
        lam = max(n_strict, 1) / _STRICT_RULES_RECALL / max(n_pairs, 1)
    lam = min(max(lam, 1.0 / max(n_pairs, 1)), 0.5)
    parameters: dict[str, Any] = {"probability_two_random_records_match": lam, "lambda_method": method,
                                  "n_id_pairs": n_id, "seed": seed}
    if n_pairs == 0:   # a single record, or a single source
        return LinkageResult([], {r: r for r in ids}, threshold, len(ids), 0, parameters)

    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    table = db_api.register("recs")
    rules = blocking_rules(lambda rule: _equal_pairs(con, rule, across))
    parameters["blocking"] = [" AND ".join(rule) for rule in rules]
    sql_rules = [" AND ".join(f"l.{c} = r.{c}" for c in rule) + cond for rule in rules]
    linker = Linker(table, settings(m_values, lam, sql_rules), log_level=None)
    max_pairs = min(_U_MAX_PAIRS, float(n_pairs))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed,
                                                      min_count_per_level=None, num_chunks=1)
    model = linker.misc.save_model_to_json()
    parameters["levels"] = _fix_u(con, model, floor=1.0 / max_pairs, across=across)
    linker = Linker(table, model, log_level=None)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    n_compared = con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0]
    predictions = linker.inference.predict(
        threshold_match_probability=threshold * 0.99 if threshold < 1.0 else None, warning_mode="never")
    rows = con.execute(f"""
        SELECT l.rid, r.rid, p FROM (
          SELECT uid_l, uid_r, max(p) AS p FROM (
            SELECT uid_l, uid_r, match_probability AS p FROM {predictions.physical_name}
            UNION ALL SELECT uid_l, uid_r, 1.0 FROM id_pairs)
          GROUP BY uid_l, uid_r HAVING max(p) >= ?) JOIN recs l ON l.uid = uid_l JOIN recs r ON r.uid = uid_r
        """, [threshold]).fetchall()
    pairs = sorted((min(a, b), max(a, b), float(p)) for a, b, p in rows)
    clusters = _components(ids, ((a, b) for a, b, _ in pairs))
    return LinkageResult(pairs, clusters, threshold, len(ids), int(n_compared), parameters)


def _n_pairs(con: duckdb.DuckDBPyConnection, where: str, across: bool) -> int:
    """Record pairs (both satisfying ``where``) that may be compared: across sources, or all."""
    n, sq = con.execute(f"SELECT sum(k), sum(k * k) FROM (SELECT count(*)::HUGEINT AS k FROM recs "
                        f"WHERE {where} GROUP BY src)").fetchall()[0]
    if n is None:
        return 0
    return int((n * n - sq) // 2) if across else int(n * (n - 1) // 2)



def _m_from_id_pairs(con: duckdb.DuckDBPyConnection) -> dict[str, list[float]]:
    """m per level: how the pairs sharing a national ID compare, smoothed towards the priors."""
    columns = ("name_fold", "name_script", "name_key", "nid", "phone", "sex", "bdate", "byear",
               "commune", "province")
    select = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns)
    cases = []
    for name, null_condition, levels in COMPARISONS:
        whens = " ".join(f"WHEN {sql} THEN {i}" for i, (_, sql, _) in enumerate(levels[:-1]))
        cases.append(f"CASE WHEN {null_condition} THEN -1 {whens} ELSE {len(levels) - 1} END AS {name}")
    con.execute(f"""CREATE TEMP TABLE id_gammas AS SELECT {", ".join(cases)} FROM (
        SELECT {select} FROM id_pairs p JOIN recs l ON l.uid = p.uid_l JOIN recs r ON r.uid = p.uid_r)""")
    out = {}
    for name, _, levels in COMPARISONS:
        counts = dict(con.execute(f"SELECT {name}, count(*) FROM id_gammas WHERE {name} >= 0 "
                                  f"GROUP BY {name}").fetchall())
        total = sum(counts.values())
        out[name] = [(counts.get(i, 0) + _PRIOR_WEIGHT * m) / (total + _PRIOR_WEIGHT)
                     for i, (_, _, m) in enumerate(levels)]
    out["national_id"] = priors()["national_id"]   # all the labels agree on the ID by construction
    return out


def _fix_u(con: duckdb.DuckDBPyConnection, model: dict[str, Any], floor: float,
           across: bool) -> dict[str, Any]:
    """Set u where sampling cannot see it; keep every u above ``floor``; return m and u per level.

    National ID and phone agreement: one over the number of distinct values. Home commune and
    province agreement: counted exactly over the pairs that may be compared (Splink's sample also
    holds pairs from one source, where people nearly always share the register's commune).
    """
    row = con.execute("SELECT count(DISTINCT nid), count(DISTINCT phone) FROM recs").fetchall()[0]
    exact = {(name, "same"): 1.0 / d for name, d in zip(("national_id", "phone"), row, strict=True) if d}
    n_place = _n_pairs(con, "province IS NOT NULL", across)
    if n_place:
        same_commune = _equal_pairs(con, ("commune",), across)
        exact[("place", "same commune")] = same_commune / n_place
        exact[("place", "same province")] = (_equal_pairs(con, ("province",), across)
                                             - same_commune) / n_place
    report: dict[str, Any] = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            u = exact.get((name, level["label_for_charts"]), level.get("u_probability"))
            level["u_probability"] = max(u if isinstance(u, float | int) else 0.0, floor)
        others = sum(lv["u_probability"] for lv in levels[:-1])
        levels[-1]["u_probability"] = max(1.0 - others, floor)
        report[name] = {lv["label_for_charts"]: {"m": lv["m_probability"], "u": lv["u_probability"]}
                        for lv in levels}
    return report


def _equal_pairs(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], across: bool) -> int:
    """Pairs of records (from two sources, if ``across``) equal and non-null on all ``columns``."""
    same = "sum(k * k)" if across else "sum(k)"
    keys = ", ".join(columns)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    total = con.execute(f"""SELECT sum(n * n - s) FROM (SELECT sum(k) AS n, {same} AS s FROM (
        SELECT {keys}, src, count(*)::HUGEINT AS k FROM recs WHERE {not_null}
        GROUP BY {keys}, src) GROUP BY {keys})""").fetchall()[0][0]
    return int((total or 0) // 2)
