"""Record linkage at national scale: time, memory and quality on planted duplicates.

    .venv/bin/python bench/bench_linkage.py [--records 2000000] [--dup-share 0.0075] [--seed 1]
                                            [--threshold 0.9] [--all-pairs] [--sweep] [--ceiling]

Generates about ``--records`` synthetic people spread over 1,650 commune registers (sources) of
uneven size, with ``--dup-share`` of them registered a second time (a few a third time) in another
commune, with the mess of real registers: the name written in the other script or with a typo,
national ID and phone often missing or changed, a birth year instead of a date, another home
commune. Then runs :func:`register.linkage.link_records` on the whole lot and prints the time,
the candidate pairs scored, the peak memory of the process (``ru_maxrss``) and the precision and
recall of the links against the planted truth, overall and by what the duplicate shares.
``--ceiling`` adds the most recall any linker could reach on the same records (see ceiling()).

Names come from short lists of common Khmer names, so a name alone says little at this scale.
No real person is meant.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from register.linkage import link_records, linkage_quality, normalise_name

FAMILY = [("សុខ", "Sok"), ("ចាន់", "Chan"), ("គីម", "Kim"), ("ហេង", "Heng"), ("មាស", "Meas"),
          ("ជា", "Chea"), ("កែវ", "Keo"), ("លី", "Ly"), ("សំ", "Sam"), ("ប្រាក់", "Prak"),
          ("អ៊ុក", "Ouk"), ("សេង", "Seng"), ("ឡុង", "Long"), ("ទេព", "Tep"), ("យឹម", "Yim"),
          ("ហែម", "Hem"), ("ផាន", "Phan"), ("នួន", "Nuon"), ("ទូច", "Touch"), ("ឈឹម", "Chhim"),
          ("រស់", "Ros"), ("ម៉ៅ", "Mao"), ("ប៉ែន", "Pen"), ("លឹម", "Lim"), ("ស៊ីម", "Sim"),
          ("ស៊ុន", "Sun"), ("ឆាយ", "Chhay"), ("សាយ", "Say"), ("ខៀវ", "Khiev"), ("នូវ", "Nov")]
MALE = [("ដារ៉ា", "Dara"), ("សុខា", "Sokha"), ("វិបុល", "Vibol"), ("សុផល", "Sophal"),
        ("សំណាង", "Samnang"), ("វណ្ណា", "Vanna"), ("កុសល", "Kosal"), ("ពិសិដ្ឋ", "Piseth"),
        ("វិសាល", "Visal"), ("មករា", "Makara"), ("សម្បត្តិ", "Sambath"), ("វុទ្ធី", "Vuthy"),
        ("សុធា", "Sothea"), ("ណារិទ្ធ", "Narith"), ("ភក្តី", "Pheakdey"), ("ប៊ុនធឿន", "Bunthoeun"),
        ("ចន្ថា", "Chantha"), ("រិទ្ធី", "Rithy"), ("សុវណ្ណ", "Sovann"), ("ពិសី", "Pisey")]
FEMALE = [("ស្រីមុំ", "Sreymom"), ("សុភា", "Sophea"), ("បុប្ផា", "Bopha"), ("ស្រីនាង", "Sreyneang"),
          ("ធីតា", "Thida"), ("ចិន្តា", "Chenda"), ("ម៉ាលី", "Maly"), ("ផល្លា", "Phalla"),
          ("សុគន្ធា", "Sokunthea"), ("ស្រីពៅ", "Sreypov"), ("លក្ខិណា", "Leakhena"), ("នារី", "Nary"),
          ("ដាលីស", "Dalis"), ("កញ្ញា", "Kanha"), ("ស្រីល័ក្ខ", "Sreyleak"), ("វណ្ណី", "Vanny"),
          ("សុធី", "Sothy"), ("សុខនី", "Sokny"), ("ចន្ទ្រា", "Chantrea"), ("សុជាតា", "Socheata")]
N_COMMUNES = 1650


def _typo(rng: np.random.Generator, name: str) -> str:
    if len(name) < 4:
        return name
    i = int(rng.integers(1, len(name) - 2))
    if name[i] == " " or name[i + 1] == " ":
        return name
    kind = int(rng.integers(3))
    if kind == 0:
        return name[:i] + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def generate(n_records: int, dup_share: float, seed: int) -> tuple[pd.DataFrame, set[frozenset[str]], dict]:
    """People in commune registers, with planted duplicates; returns (records, true pairs, kinds)."""
    rng = np.random.default_rng(seed)
    n = int(n_records / (1 + dup_share * 1.1))
    size = rng.lognormal(0, 0.6, N_COMMUNES)
    commune_codes = np.array([f"{1 + c % 25:02d}{1 + (c // 25) % 12:02d}{1 + c // 300:02d}"
                              for c in range(N_COMMUNES)], dtype=object)
    home = rng.choice(N_COMMUNES, n, p=size / size.sum())
    female = rng.random(n) < 0.5
    fam = rng.integers(len(FAMILY), size=n)
    given = rng.integers(20, size=n)
    khmer = rng.random(n) < 0.6
    year = rng.integers(1966, 2008, n)
    date = np.char.add(np.char.add(year.astype(str), "-"), np.char.add(
        np.char.zfill(rng.integers(1, 13, n).astype(str), 2),
        np.char.add("-", np.char.zfill(rng.integers(1, 29, n).astype(str), 2)))).astype(object)
    # Unique IDs and phone numbers (distinct people never share one by chance).
    nid = (10**8 + 449 * rng.permutation(n)).astype(str).astype(object)
    phone = np.char.add("0", (10**8 + 443 * rng.permutation(n)).astype(str)).astype(object)

    def names(idx: np.ndarray, script: np.ndarray) -> list[str]:
        out = []
        for i, k in zip(idx.tolist(), script.tolist(), strict=True):
            f, g = FAMILY[fam[i]], (FEMALE if female[i] else MALE)[given[i]]
            out.append(f"{f[0]} {g[0]}" if k else f"{f[1]} {g[1]}")
        return out

    people = np.arange(n)
    frame = pd.DataFrame({
        "record_id": np.char.add("r", people.astype(str)).astype(object),
        "source": commune_codes[home], "name": names(people, khmer),
        "national_id": np.where(rng.random(n) < 0.5, nid, None),
        "phone": np.where(rng.random(n) < 0.6, phone, None), "sex": np.where(female, "F", "M"),
        "birth_year": year, "birth_date": np.where(rng.random(n) < 0.7, date, None),
        "commune_code": commune_codes[home]})
    # Duplicates: registered again in another commune (a few a third time).
    dup = rng.choice(n, int(n * dup_share), replace=False)
    dup = np.concatenate([dup, dup[: len(dup) // 10]])
    m = len(dup)
    other = (home[dup] + rng.integers(1, N_COMMUNES, m)) % N_COMMUNES
    script = np.where(rng.random(m) < 0.3, ~khmer[dup], khmer[dup])
    dnames = names(dup, script)
    typo = rng.random(m) < 0.25
    dnames = [_typo(rng, s) if t else s for s, t in zip(dnames, typo.tolist(), strict=True)]
    dyear = year[dup] + np.where(rng.random(m) < 0.05, rng.choice([-1, 1], m), 0)
    dupes = pd.DataFrame({
        "record_id": [f"d{k}" for k in range(m)], "source": commune_codes[other], "name": dnames,
        "national_id": np.where(rng.random(m) < 0.5, nid[dup], None),
        "phone": np.where(rng.random(m) < 0.4, np.where(rng.random(m) < 0.7, phone[dup], np.char.add(
            "0", (10**8 + 443 * n + rng.permutation(m)).astype(str)).astype(object)), None),
        "sex": frame["sex"].to_numpy()[dup], "birth_year": dyear,
        "birth_date": np.where((rng.random(m) < 0.7) & (dyear == year[dup]), date[dup], None),
        "commune_code": np.where(rng.random(m) < 0.6, commune_codes[home[dup]], commune_codes[other])})
    records = pd.concat([frame, dupes], ignore_index=True)
    records["province_code"] = records["commune_code"].str[:2]
    records["birth_year"] = records["birth_year"].astype("Int64")
    # Truth: every pair of records of the same person.
    members: dict[int, list[str]] = {}
    for k, person in enumerate(dup.tolist()):
        members.setdefault(person, [f"r{person}"]).append(f"d{k}")
    truth = {frozenset((a, b)) for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1:]}
    by_id = records.set_index("record_id")
    kinds: dict[str, set[frozenset[str]]] = {}
    for pair in truth:
        a, b = (by_id.loc[x] for x in sorted(pair))
        shares = ("ID" if a.national_id is not None and a.national_id == b.national_id else
                  "phone" if a.phone is not None and a.phone == b.phone else
                  "date+commune" if a.birth_date is not None and a.birth_date == b.birth_date
                  and a.commune_code == b.commune_code else
                  "date" if a.birth_date is not None and a.birth_date == b.birth_date else
                  "commune" if a.commune_code == b.commune_code else "name/year only")
        kinds.setdefault(shares, set()).add(pair)
    return records, truth, kinds


# What two records share, as the recall ceiling sees it (see ceiling()): every field of generate().
_PATTERN = """
  CASE WHEN l.fold = r.fold THEN 'same name' WHEN l.skel = r.skel THEN 'same skeleton'
       WHEN jaro_winkler_similarity(l.fold, r.fold) >= 0.9 THEN 'similar' ELSE 'different' END AS name,
  CASE WHEN l.bdate = r.bdate THEN 'same date' WHEN l.byear = r.byear AND (l.bdate IS NULL OR r.bdate IS NULL)
       THEN 'same year, a date missing' WHEN l.byear = r.byear THEN 'same year, dates differ'
       WHEN abs(l.byear - r.byear) = 1 THEN 'year +-1' ELSE 'other' END AS birth,
  CASE WHEN l.nid IS NULL OR r.nid IS NULL THEN 'missing' WHEN l.nid = r.nid THEN 'same'
       ELSE 'differ' END AS nid,
  CASE WHEN l.phone IS NULL OR r.phone IS NULL THEN 'missing' WHEN l.phone = r.phone THEN 'same'
       ELSE 'differ' END AS phone,
  CASE WHEN l.commune = r.commune THEN 'same commune' WHEN l.province = r.province
       THEN 'same province' ELSE 'elsewhere' END AS place,
  CASE WHEN l.sex = r.sex THEN 'same' WHEN l.sex <> r.sex THEN 'differ' ELSE 'missing' END AS sex"""


def ceiling(records: pd.DataFrame, truth: set[frozenset[str]], kinds: dict[str, set[frozenset[str]]],
            *, precision: float, threshold: float, across: bool) -> dict[str, object]:
    """The most recall any linker deciding on what two records share could reach on these records.

    Pairs that agree and differ on the same fields in the same way (name: the same, the same
    skeleton, similar or different; birth: same date, same year with a date missing or dates
    differing, a year apart, other; national ID and phone: same, different or missing; same
    commune, same province or elsewhere; sex) cannot be told apart, so a linker deciding on these
    links all of them or none. (generate() draws names, dates and the commune a duplicate moves to
    uniformly, so finer features carry next to nothing more.) The pairs counted by pattern, with
    the truth, are all pairs sharing name skeleton and birth year and, across sources, all pairs
    sharing the home commune; the true pairs outside both (moved, and a typo changed the skeleton
    or the year is off by one) are counted as found, which can only raise the ceiling.

    Two ceilings: at ``threshold``, linking every pattern whose pairs are at least ``threshold``
    true (what a calibrated model linking at that threshold can do); at ``precision``, the largest
    recall keeping precision at least ``precision`` (patterns by their share of true pairs, the
    last one in part: a bound on any rule deciding on these patterns, even a randomised one).
    """
    import duckdb

    names = {n: normalise_name(n) for n in records["name"].dropna().unique()}
    row = {rid: k for k, rid in enumerate(records["record_id"])}
    keyed = pd.DataFrame({
        "id": np.arange(len(records)), "src": records["source"],
        "fold": records["name"].map(lambda n: names[n][0] if n in names else None),
        "skel": records["name"].map(lambda n: names[n][2] if n in names else None),
        "nid": records["national_id"], "phone": records["phone"], "sex": records["sex"],
        "byear": records["birth_year"].astype("float64"), "bdate": records["birth_date"],
        "commune": records["commune_code"], "province": records["province_code"]})
    kind_of = {pair: kind for kind, pairs in kinds.items() for pair in pairs}
    true = pd.DataFrame([(*sorted(row[r] for r in p), kind_of[p]) for p in truth], columns=["a", "b", "kind"])
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("keyed_in", keyed)
    con.execute("CREATE TABLE keyed AS SELECT * FROM keyed_in")
    con.register("true_pairs", true)
    other_source = " AND l.src <> r.src" if across else ""
    count = ("SELECT {pattern}, coalesce(t.kind, '') AS kind, count(*) AS n FROM keyed l JOIN keyed r "
             "ON {on} LEFT JOIN true_pairs t ON t.a = least(l.id, r.id) AND t.b = greatest(l.id, r.id) "
             "GROUP BY ALL")
    # Two records of different sources (communes) with the same home commune: at least one lives
    # away from the commune of its source; the pair is taken once, from that one (or the first).
    counts = pd.concat([con.execute(count.format(pattern=_PATTERN, on=on)).df() for on in (
        "l.skel = r.skel AND l.byear = r.byear AND l.id < r.id" + other_source,
        "l.commune = r.commune AND l.commune <> l.src AND l.src <> r.src "
        "AND (r.commune = r.src OR l.id < r.id) "
        "AND NOT coalesce(l.skel = r.skel AND l.byear = r.byear, FALSE)")])
    con.close()
    pattern = ["name", "birth", "nid", "phone", "place", "sex"]
    by_pattern = counts.pivot_table(index=pattern, columns="kind", values="n", aggfunc="sum",
                                    fill_value=0).rename(columns={"": "false"})
    if "false" not in by_pattern.columns:
        by_pattern["false"] = 0
    kind_names = [k for k in kinds if k in by_pattern.columns]
    by_pattern["true"] = by_pattern[kind_names].sum(axis=1)
    by_pattern["share"] = by_pattern["true"] / (by_pattern["true"] + by_pattern["false"])
    by_pattern = by_pattern[by_pattern["true"] > 0].sort_values(["share", "true"], ascending=False)
    outside = {k: len(kinds[k]) - (int(by_pattern[k].sum()) if k in kind_names else 0) for k in kinds}

    # At a threshold: every pattern at least that true.
    linked = by_pattern[by_pattern["share"] >= threshold]
    at_threshold = {k: outside[k] + (int(linked[k].sum()) if k in kind_names else 0) for k in kinds}
    # At a precision: patterns by share while precision stays at least the target, the last in part
    # (the optimum of the fractional problem, hence a bound on any choice of whole patterns).
    at_precision = {k: float(v) for k, v in outside.items()}
    tp, fp = float(sum(outside.values())), 0.0
    for _, row in by_pattern.iterrows():
        room = tp - precision * (tp + fp)        # precision stays >= target while this is >= 0
        t, f = float(row["true"]), float(row["false"])
        cost = precision * (t + f) - t           # what the whole pattern takes of that room
        part = 1.0 if cost <= room else room / cost
        for k in kind_names:
            at_precision[k] += part * row[k]
        tp, fp = tp + part * t, fp + part * f
        if part < 1.0:
            break
    n_true = len(truth)
    return {"recall_at_threshold": sum(at_threshold.values()) / n_true,
            "recall_at_precision": tp / n_true,
            "by_kind_at_threshold": {k: v / len(kinds[k]) for k, v in at_threshold.items()},
            "by_kind_at_precision": {k: v / len(kinds[k]) for k, v in at_precision.items()},
            "outside": sum(outside.values()), "pairs": int(counts["n"].sum()), "patterns": by_pattern}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--dup-share", type=float, default=0.0075)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--all-pairs", action="store_true", help="also compare records of one source")
    parser.add_argument("--sweep", action="store_true",
                        help="link at 0.5 and print precision and recall at several thresholds")
    parser.add_argument("--ceiling", action="store_true",
                        help="also print the most recall any linker could reach here (about a minute "
                             "and 2 GB more at 2 M records)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    records, truth, kinds = generate(args.records, args.dup_share, args.seed)
    rss_gen = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated {len(records):,} records, {len(truth):,} true pairs "
          f"in {time.perf_counter() - t0:.1f} s (peak RSS {rss_gen:,.0f} MB)")

    threshold = min(args.threshold, 0.5) if args.sweep else args.threshold
    t0, cpu0 = time.perf_counter(), _cpu()
    result = link_records(records, threshold=threshold, across_sources_only=not args.all_pairs,
                          seed=args.seed)
    elapsed, cpu = time.perf_counter() - t0, _cpu() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(result.summary())
    print(f"link_records: {elapsed:.1f} s wall, {cpu:.1f} s CPU, {len(records) / elapsed:,.0f} records/s; "
          f"peak RSS {rss:,.0f} MB (after generation {rss_gen:,.0f} MB)")
    quality = linkage_quality(result, truth)
    print(f"pairs:    precision {quality['precision']:.4f}  recall {quality['recall']:.4f}  "
          f"F1 {quality['f1']:.4f}  (found {quality['n_found']:,}, false {quality['false_positives']:,}, "
          f"missed {quality['false_negatives']:,})")
    print(f"clusters: precision {quality['cluster_precision']:.4f}  recall {quality['cluster_recall']:.4f}"
          f"  exact {quality['clusters_exact']:,} of {quality['n_true_clusters']:,}")
    found = {frozenset((a, b)) for a, b, p in result.pairs if p >= args.threshold}
    top = None
    if args.ceiling:
        t0, cpu0 = time.perf_counter(), _cpu()
        top = ceiling(records, truth, kinds, precision=0.98, threshold=args.threshold,
                      across=not args.all_pairs)
        print(f"recall ceiling ({top['pairs']:,} pairs sharing name skeleton and birth year, or home "
              f"commune, counted by pattern in {time.perf_counter() - t0:.0f} s, {_cpu() - cpu0:.0f} s CPU; "
              f"{top['outside']:,} "
              "true pairs outside them counted as found):")
        print(f"  linking every pattern at least {args.threshold:g} true: recall "
              f"{top['recall_at_threshold']:.4f}")
        print(f"  best recall at precision >= 0.98: {top['recall_at_precision']:.4f}")
    print(f"recall at {args.threshold:g} by what the two records of a true pair share "
          "(besides name, sex, birth year)" + (", and its two ceilings:" if top else ":"))
    for kind, pairs in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        line = f"  {kind:16s} {len(pairs):7,} pairs  recall {len(pairs & found) / len(pairs):.3f}"
        if top:
            line += (f"  ceiling {top['by_kind_at_threshold'][kind]:.3f} (at {args.threshold:g}),"
                     f" {top['by_kind_at_precision'][kind]:.3f} (at precision 0.98)")
        print(line)
    if args.sweep:
        print("pair precision and recall by threshold:")
        for cut in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
            links = {frozenset((a, b)) for a, b, p in result.pairs if p >= cut}
            right = len(links & truth)
            print(f"  >= {cut:<6g} links {len(links):7,}  precision {right / max(len(links), 1):.4f}  "
                  f"recall {right / len(truth):.4f}")


if __name__ == "__main__":
    main()
