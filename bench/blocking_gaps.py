"""Which true pairs of the MSE service lists does blocking never score, and what do they share?

Generates the same seeded synthetic lists as ``bench/sim_mse_linkage.py --splink`` (a few
provinces at a small scale, one seed per run: the three service lists and the register's
victims), prepares them as :func:`register.linkage.link_records` does, and for every true pair
across two lists finds the blocking rules that put it in a block. For the pairs no rule catches it
prints, field by field, what the two records share (name skeleton, folded name, first-word
skeleton, birth year and date, sex, commune, province, phone, national ID), the commonest patterns,
and the pairs each candidate rule would add (true pairs caught, all pairs made: the budget).

Run:  .venv/bin/python bench/blocking_gaps.py [--runs 10] [--seed 4] [--cache DIR]
About 30 s a run to write the registers (``--cache`` keeps the lists between calls).
Synthetic data only: no real person is meant.

Measured (``--runs 10 --seed 4``; provinces 01 and 22 at scale 0.05: 12,575 records, 3,079 true
pairs across lists), with the blocking rules of main (commit ce8c5ea): 241 true pairs (7.8 %,
3.7-9.7 % a run) in no block; the rules make 340 pairs a run. All 241 agree on sex and province;
none shares an ID, a phone or (but 10) a birth date, because the lists rarely record them; 198
differ in the name skeleton: a typo or transliteration changing one word (Ly Virak / លី វីរៈ,
Pra / Prak Vibol, ទូ / ទូច). 185 share the first word's skeleton, 94 the rest's; 178 the birth
year, 240 the year within one; 122 the home commune (119 lack it). Candidate rules (never-blocked
pairs caught; new pairs a run): one word's skeleton, birth year and commune, both words: 111,
+40; the same with province instead of commune: 175, +1,339; one word and birth year anywhere:
175, +2,059; and with the whole skeleton at any birth year: 218, +3,202. Birth year, sex and
province: 178, +9,962 (at national scale, hundreds of millions of pairs).

With the rules of register.linkage_model (one word's skeleton, birth year and commune always;
one word's skeleton and birth year, and the whole skeleton with birth years one apart, within the
wide budget): 23 true pairs (0.7 %) in no block, 3,541 pairs a run (10 times as many, still 2.8
a record); 20 of the 23 differ in birth year and in both the skeleton and the fold of the name.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

# Candidate rules (columns of linkage's ``recs`` table); those already in the rules catch nothing.
CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("name_key",), ("name_key", "year_band"), ("name_fold",), ("byear", "sex", "province"),
    ("byear", "province"),
    ("key_first", "byear"), ("key_rest", "byear"), ("key_first", "byear", "province"),
    ("key_rest", "byear", "province"), ("key_first", "byear", "commune"),
    ("key_rest", "byear", "commune"), ("key_first", "sex", "province"), ("key_rest", "sex", "province"),
)
COMBINATIONS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("key_first", "byear", "commune"), ("key_rest", "byear", "commune")),
    (("key_first", "byear", "province"), ("key_rest", "byear", "province")),
    (("key_first", "byear"), ("key_rest", "byear")),
    (("key_first", "byear"), ("key_rest", "byear"), ("name_key",)),
)
FIELDS = ("name_key", "name_fold", "key_first", "key_rest", "byear", "byear+-1", "bdate", "sex",
          "commune", "province", "phone", "nid")


def lists_for(seed: int, args: argparse.Namespace) -> tuple[dict[str, list[dict]], dict]:
    cache = Path(args.cache) / f"lists-{args.provinces}-{args.scale}-{seed}.pkl" if args.cache else None
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from analysis.mse.sources import read_list, register_victims
    from register.merge import merge
    from synthetic.write import write_country

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_country(args.provinces, seed, folder / "communes", scale=args.scale)
        merge(sorted((folder / "communes").glob("*.db")), folder / "national.db")
        truth = json.loads((folder / "communes" / "truth.json").read_text())
        lists = {p.stem: read_list(p) for p in sorted((folder / "communes" / "lists").glob("*.csv"))}
        lists["register"] = register_victims(folder / "national.db")
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps((lists, truth)))
    return lists, truth


def prepared(lists: dict[str, list[dict]]) -> dict[str, dict[str, Any]]:
    """The records as linkage's ``recs`` table holds them (normalised), by record id."""
    import duckdb

    from analysis.mse.sources import LIST_COLUMNS
    from register.linkage import _as_frame, _prepare

    records = [{**{c: row.get(c) for c in LIST_COLUMNS}, "record_id": f"{name}:{row['record_id']}",
                "source": name} for name, rows in lists.items() for row in rows]
    con = duckdb.connect()
    try:
        _prepare(con, _as_frame(records))
        cols = [d[0] for d in con.execute("SELECT * FROM recs LIMIT 0").description]
        rows = [dict(zip(cols, r, strict=True)) for r in con.execute("SELECT * FROM recs").fetchall()]
    finally:
        con.close()
    return {row["rid"]: row for row in rows}


def agrees(field: str, a: dict, b: dict) -> str:
    if field == "byear+-1":
        field, near = "byear", True
    else:
        near = False
    x, y = a[field], b[field]
    if x is None or y is None:
        return "missing"
    if near:
        return "yes" if abs(x - y) <= 1 else "no"
    return "yes" if x == y else "no"


def caught(rule: tuple[str, ...], a: dict, b: dict) -> bool:
    return all(a[c] is not None and a[c] == b[c] for c in rule)


def block_pairs(recs: dict[str, dict], rule: tuple[str, ...]) -> set[tuple[str, str]]:
    """The record pairs a rule puts in one block (all pairs: link_lists compares within lists too)."""
    groups: dict[tuple, list[str]] = {}
    for rid, r in recs.items():
        if all(r[c] is not None for c in rule):
            groups.setdefault(tuple(r[c] for c in rule), []).append(rid)
    return {(a, b) if a < b else (b, a) for ids in groups.values()
            for i, a in enumerate(ids) for b in ids[i + 1:]}


def main() -> None:
    from analysis.mse.sources import true_pairs_from_truth
    from register.linkage_model import blocking_rules

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--provinces", default="01,22")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--cache", default=None, help="folder keeping the generated lists")
    args = parser.parse_args()
    total: Counter = Counter()
    share: dict[str, Counter] = {f: Counter() for f in FIELDS}
    patterns: Counter = Counter()
    extra: dict[tuple[str, ...], Counter] = {c: Counter() for c in CANDIDATES}
    combos = {" + ".join(" & ".join(c) for c in combo): combo for combo in COMBINATIONS}
    combo_totals: dict[str, Counter] = {k: Counter() for k in combos}
    for r in range(args.runs):
        seed = args.seed + r
        lists, truth = lists_for(seed, args)
        recs = prepared(lists)
        rules = blocking_rules(lambda rule: len(block_pairs(recs, rule)))  # noqa: B023 (called here)
        ids = [tuple(sorted(p)) for p in true_pairs_from_truth(truth)]
        pairs = [(recs[a], recs[b]) for a, b in ids
                 if a in recs and b in recs and a.split(":")[0] != b.split(":")[0]]
        missed = [(a, b) for a, b in pairs if not any(caught(rule, a, b) for rule in rules)]
        total["records"] += len(recs)
        total["true pairs"] += len(pairs)
        total["never blocked"] += len(missed)
        for a, b in missed:
            for f in FIELDS:
                share[f][agrees(f, a, b)] += 1
            patterns[tuple(f for f in FIELDS if agrees(f, a, b) == "yes")] += 1
            total["lists " + "-".join(sorted((a["src"], b["src"])))] += 1
        current = set().union(*(block_pairs(recs, rule) for rule in rules))
        total["pairs"] += len(current)
        for c in CANDIDATES:
            extra[c]["caught"] += sum(caught(c, a, b) for a, b in missed)
            made = block_pairs(recs, c)
            extra[c]["pairs"] += len(made)
            extra[c]["new pairs"] += len(made - current)
        for key, combo in combos.items():
            added = set().union(*(block_pairs(recs, c) for c in combo)) - current
            combo_totals[key]["caught"] += sum(any(caught(c, a, b) for c in combo) for a, b in missed)
            combo_totals[key]["new pairs"] += len(added)
        print(f"seed {seed}: {len(recs):,} records, {len(pairs):,} true pairs across lists, "
              f"{len(missed)} never blocked ({len(missed) / max(len(pairs), 1):.1%})")
    print(f"\nall {args.runs} runs: {total['records']:,} records, {total['true pairs']:,} true pairs, "
          f"{total['never blocked']} never blocked ({total['never blocked'] / total['true pairs']:.1%})")
    print("by lists: " + ", ".join(f"{k[6:]} {v}" for k, v in total.items() if k.startswith("lists ")))
    print("what the never-blocked pairs share (yes / no / missing on either record):")
    for f in FIELDS:
        print(f"  {f:9s} {share[f]['yes']:5d} / {share[f]['no']:5d} / {share[f]['missing']:5d}")
    print("commonest patterns (fields equal):")
    for pattern, k in patterns.most_common(12):
        print(f"  {k:5d}  {', '.join(pattern) or '(nothing)'}")
    print(f"pairs the current rules make (mean a run): {total['pairs'] / args.runs:,.0f}")
    print("candidate rules: never-blocked true pairs caught; pairs in its blocks, of which new "
          "(mean a run):")
    for c, v in extra.items():
        print(f"  {' & '.join(c):28s} {v['caught']:5d} of {total['never blocked']}, "
              f"{v['pairs'] / args.runs:10,.0f} pairs, {v['new pairs'] / args.runs:10,.0f} new")
    print("combinations: never-blocked true pairs caught; new pairs (mean a run):")
    for key, v in combo_totals.items():
        print(f"  {key:60s} {v['caught']:5d} of {total['never blocked']}, "
              f"{v['new pairs'] / args.runs:10,.0f} new")


if __name__ == "__main__":
    main()
