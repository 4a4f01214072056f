"""Record linkage (register.linkage) on seeded synthetic people with planted duplicates.

The planted set: people with common Khmer names (in Khmer script or Latin letters), some of them
recorded a second time in another source with the mess real registers have: typos, the name
written in the other script, the national ID or phone missing, a birth year instead of a date,
another home commune. No real person is meant.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pandas as pd
import pytest

from register.linkage import (
    DEFAULT_THRESHOLD,
    LinkageError,
    LinkageResult,
    link_records,
    linkage_quality,
    normalise_name,
)

# (Khmer script, Latin) of common family and given names.
FAMILY = [("សុខ", "Sok"), ("ចាន់", "Chan"), ("គីម", "Kim"), ("ហេង", "Heng"), ("មាស", "Meas"),
          ("ជា", "Chea"), ("កែវ", "Keo"), ("លី", "Ly"), ("សំ", "Sam"), ("ប្រាក់", "Prak"),
          ("អ៊ុក", "Ouk"), ("សេង", "Seng"), ("ឡុង", "Long"), ("ទេព", "Tep"), ("យឹម", "Yim"),
          ("ហែម", "Hem"), ("ផាន", "Phan"), ("នួន", "Nuon"), ("ទូច", "Touch"), ("ឈឹម", "Chhim")]
MALE = [("ដារ៉ា", "Dara"), ("សុខា", "Sokha"), ("វិបុល", "Vibol"), ("សុផល", "Sophal"),
        ("សំណាង", "Samnang"), ("វណ្ណា", "Vanna"), ("កុសល", "Kosal"), ("ពិសិដ្ឋ", "Piseth"),
        ("វិសាល", "Visal"), ("មករា", "Makara"), ("សម្បត្តិ", "Sambath"), ("វុទ្ធី", "Vuthy")]
FEMALE = [("ស្រីមុំ", "Sreymom"), ("សុភា", "Sophea"), ("បុប្ផា", "Bopha"), ("ស្រីនាង", "Sreyneang"),
          ("ធីតា", "Thida"), ("ចិន្តា", "Chenda"), ("ម៉ាលី", "Maly"), ("ផល្លា", "Phalla"),
          ("សុគន្ធា", "Sokunthea"), ("ស្រីពៅ", "Sreypov"), ("លក្ខិណា", "Leakhena"), ("នារី", "Nary")]
COMMUNES = [f"{p:02d}{d:02d}{c:02d}" for p in (1, 2, 3, 14, 17) for d in (1, 2, 3) for c in (1, 2, 3)]


def _typo(rng: random.Random, name: str) -> str:
    """Drop, double or swap one letter (or Khmer sign), never the first of a word."""
    i = rng.randrange(1, len(name) - 1)
    if name[i] == " " or name[i + 1] == " ":
        return name
    kind = rng.randrange(3)
    if kind == 0:
        return name[:i] + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def planted(n_people: int = 3000, dup_share: float = 0.15, n_sources: int = 12, seed: int = 7):
    """Records and the set of true pairs (as frozensets of record_ids) of a seeded planted set."""
    rng = random.Random(seed)
    records, truth = [], set()
    for person in range(n_people):
        sex = rng.choice("FM")
        family, given = rng.choice(FAMILY), rng.choice(FEMALE if sex == "F" else MALE)
        khmer = rng.random() < 0.5
        born = f"{rng.randrange(1965, 2008)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        base = {"sex": sex, "national_id": f"{rng.randrange(10**8, 10**9)}",
                "phone": f"0{rng.choice('1789')}{rng.randrange(10**6, 10**7)}",
                "birth_date": born if rng.random() < 0.8 else None, "birth_year": int(born[:4]),
                "commune_code": rng.choice(COMMUNES)}
        sources = rng.sample(range(n_sources), 3) if n_sources >= 3 else [0, 0, 0]
        copies = 1 + (rng.random() < dup_share) + (rng.random() < dup_share / 5)
        ids = []
        for k in range(copies):
            rec = dict(base, record_id=f"p{person:05d}-{k}", source=f"S{sources[k]:02d}")
            script = khmer if k == 0 or rng.random() < 0.7 else not khmer
            rec["name"] = f"{family[0]} {given[0]}" if script else f"{family[1]} {given[1]}"
            if k > 0:   # the mess of a second registration
                if rng.random() < 0.25:
                    rec["name"] = _typo(rng, rec["name"])
                if rng.random() < 0.4:
                    rec["national_id"] = None
                if rng.random() < 0.3:
                    rec["phone"] = f"0{rng.choice('1789')}{rng.randrange(10**6, 10**7)}"
                if rng.random() < 0.3:
                    rec["phone"] = None
                if rng.random() < 0.2:
                    rec["birth_date"] = None
                if rng.random() < 0.05:
                    rec["birth_date"], rec["birth_year"] = None, rec["birth_year"] + rng.choice((-1, 1))
                if rng.random() < 0.2:
                    rec["commune_code"] = rng.choice(COMMUNES)
            elif rng.random() < 0.4:
                rec["national_id"] = None
            rec["province_code"] = rec["commune_code"][:2]
            records.append(rec)
            ids.append(rec["record_id"])
        truth.update(frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1:])
    rng.shuffle(records)
    return records, truth


@pytest.fixture(scope="module")
def planted_set():
    records, truth = planted()
    return records, truth, link_records(records, seed=1)


# Measured on this planted set (seed 7, 3,566 records, 585 true pairs): precision 1.000, recall
# 0.950 at the default threshold. The misses are pairs agreeing on name and birth year only, with
# different provinces: the model gives them 0.1-0.7, which is right, since about four in five
# such pairs in this set are different people. Tolerances leave room for other seeds.
MIN_PRECISION, MIN_RECALL = 0.98, 0.93


def test_names_fold_and_share_a_skeleton_across_scripts():
    assert normalise_name("Sok  Dara") == ("sokdara", "la", "sktr")
    assert normalise_name("SÒK-dara")[0] == "sokdara"
    assert normalise_name("Srey Mom")[0] == normalise_name("Sreymom")[0]
    assert normalise_name("សុខ ដារ៉ា") == ("សុខដារ៉ា", "km", "sktr")
    for value in (None, "", "  ", "-- .", "123"):
        assert normalise_name(value) == (None, None, None)
    same = [pair for pair in FAMILY + MALE + FEMALE
            if normalise_name(pair[0])[2] == normalise_name(pair[1])[2]]
    assert len(same) == len(FAMILY + MALE + FEMALE)
    # Other usual transliterations keep the skeleton.
    for variant, usual in [("Sokh", "Sok"), ("Chear", "Chea"), ("Kaev", "Keo"), ("Sophia", "Sophea"),
                           ("Sovan", "Sovann"), ("Pheach", "Pich"), ("Hing", "Heng")]:
        assert normalise_name(variant)[2] == normalise_name(usual)[2]


def test_planted_duplicates_are_found_with_high_precision_and_recall(planted_set):
    records, truth, result = planted_set
    quality = linkage_quality(result, truth)
    assert result.threshold == DEFAULT_THRESHOLD
    assert result.n_records == len(records)
    assert quality["precision"] >= MIN_PRECISION
    assert quality["recall"] >= MIN_RECALL
    assert quality["cluster_precision"] >= MIN_PRECISION
    assert quality["cluster_recall"] >= MIN_RECALL
    assert all(p >= DEFAULT_THRESHOLD for _, _, p in result.pairs)
    # Blocking keeps the scored pairs to a small multiple of the records: about one a record from
    # the rules used at any scale, three more here from the wide rules a set this small may use
    # (register.linkage_model: 14,512 pairs for 3,566 records; under two a record before those).
    assert result.n_compared < 5 * len(records)


def test_a_shared_national_id_always_links(planted_set):
    records, _, result = planted_set
    by_id = {r["record_id"]: r for r in records}
    groups: dict[str, list[str]] = {}
    for r in records:
        if r["national_id"]:
            groups.setdefault(r["national_id"], []).append(r["record_id"])
    linked = {(a, b): p for a, b, p in result.pairs}
    shared = [(a, b) for ids in map(sorted, groups.values()) for i, a in enumerate(ids) for b in ids[i + 1:]]
    assert shared
    for a, b in shared:
        assert by_id[a]["source"] != by_id[b]["source"]
        assert linked[(a, b)] == 1.0
    tiny = link_records([
        {"record_id": "x1", "source": "A", "name": "Sok Dara", "national_id": "0102 03045",
         "birth_year": 1990},
        {"record_id": "x2", "source": "B", "name": "គីម នារី", "national_id": "010203045", "sex": "F"},
        {"record_id": "x3", "source": "B", "name": "Sok Dara", "birth_year": 1990}])
    assert ("x1", "x2", 1.0) in tiny.pairs
    assert tiny.clusters["x2"] == "x1"


def test_same_records_and_seed_give_the_same_links_in_any_order(planted_set):
    records, _, result = planted_set
    shuffled = list(records)
    random.Random(3).shuffle(shuffled)
    again = link_records(pd.DataFrame(shuffled), seed=1)
    assert again.pairs == result.pairs
    assert again.clusters == result.clusters
    assert again.n_compared == result.n_compared


def test_no_pair_within_one_source_unless_asked(planted_set):
    records, _, result = planted_set
    source = {r["record_id"]: r["source"] for r in records}
    assert all(source[a] != source[b] for a, b, _ in result.pairs)
    # Everyone in one source: nothing to compare across sources, but duplicates within it are
    # found when all pairs are compared.
    single, truth = planted(n_people=800, n_sources=1, seed=11)
    across = link_records(single)
    assert across.pairs == [] and across.n_compared == 0
    assert set(across.clusters.items()) == {(r["record_id"], r["record_id"]) for r in single}
    within = link_records(single, across_sources_only=False)
    quality = linkage_quality(within, truth)
    assert quality["precision"] >= MIN_PRECISION and quality["recall"] >= 0.9


def test_service_lists_without_national_ids():
    """Four overlapping victim lists (the MSE case), none recording a national ID: the prior match
    probability then comes from strict rules and m from prior values. Measured: precision 0.997,
    recall 0.906 (the ID-linked pairs of the other tests are missing here)."""
    records, truth = planted(n_people=2000, dup_share=0.6, n_sources=4, seed=5)
    for record in records:
        record["national_id"] = None
    result = link_records(records)
    assert "strict rules" in result.parameters["lambda_method"]
    quality = linkage_quality(result, truth)
    assert quality["precision"] >= MIN_PRECISION and quality["recall"] >= 0.85


def test_clusters_are_the_connected_components_of_the_links(planted_set):
    records, _, result = planted_set
    assert set(result.clusters) == {r["record_id"] for r in records}
    neighbours: dict[str, set[str]] = {}
    for a, b, _ in result.pairs:
        assert a < b
        assert result.clusters[a] == result.clusters[b]
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    members: dict[str, list[str]] = {}
    for record, cluster in result.clusters.items():
        members.setdefault(cluster, []).append(record)
    for cluster, group in members.items():
        assert cluster == min(group)
        seen, todo = {group[0]}, [group[0]]   # every member is reached through links
        while todo:
            for other in neighbours.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        assert seen == set(group)
    assert any(len(g) == 3 for g in members.values())   # transitivity: three records, one person


def test_clusters_join_chains_transitively():
    from register.linkage import _components

    clusters = _components("fedcba", [("b", "c"), ("c", "a"), ("e", "d")])
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "d", "f": "f"}


def test_records_without_identifying_fields_stay_alone():
    records = [{"record_id": f"n{i}", "source": f"S{i % 2}"} for i in range(6)]
    records += [{"record_id": "m1", "source": "S0", "name": None, "national_id": " ", "phone": "",
                 "sex": None, "birth_year": None, "birth_date": "not a date", "commune_code": None},
                {"record_id": "m2", "source": "S1", "name": "Sok Dara", "national_id": "123456789",
                 "birth_date": "1990-01-02", "commune_code": "010201"},
                {"record_id": "m3", "source": "S0", "name": "Sok Dara", "national_id": "123456789",
                 "birth_date": "1990-01-02", "commune_code": "010201"}]
    result = link_records(records)
    assert result.pairs == [("m2", "m3", 1.0)]
    assert result.clusters == {**{r["record_id"]: r["record_id"] for r in records}, "m3": "m2"}
    assert result.n_records == 9


def test_empty_input():
    for empty in ([], pd.DataFrame(columns=["record_id", "source"])):
        result = link_records(empty)
        assert result.pairs == [] and result.clusters == {} and result.n_records == 0
        assert result.n_compared == 0
        assert "records:" in result.summary()


def test_bad_input_raises_named_errors():
    with pytest.raises(LinkageError, match="unique"):
        link_records([{"record_id": "a", "source": "S"}, {"record_id": "a", "source": "T"}])
    with pytest.raises(LinkageError, match="source"):
        link_records([{"record_id": "a", "source": None}, {"record_id": "b", "source": "T"}])
    with pytest.raises(LinkageError):
        link_records([{"record_id": "a"}])
    with pytest.raises(ValueError, match="threshold"):
        link_records([], threshold=1.5)


def test_linkage_quality_counts():
    result = LinkageResult(pairs=[("a", "b", 0.99), ("c", "d", 0.95)],
                           clusters={"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "f"},
                           threshold=0.9, n_records=6, n_compared=10)
    truth = {frozenset("ab"), frozenset("ef"), frozenset("be")}
    q = linkage_quality(result, truth)
    assert (q["true_positives"], q["false_positives"], q["false_negatives"]) == (1, 1, 2)
    assert q["precision"] == pytest.approx(0.5) and q["recall"] == pytest.approx(1 / 3)
    assert q["f1"] == pytest.approx(0.4)
    # True clusters: {a, b, e, f} (6 pairs); found: {a, b}, {c, d} (2 pairs, 1 right).
    assert (q["cluster_n_true"], q["cluster_n_found"], q["cluster_true_positives"]) == (6, 2, 1)
    assert (q["n_true_clusters"], q["n_found_clusters"], q["clusters_exact"]) == (1, 2, 0)
    nothing = linkage_quality(LinkageResult([], {"a": "a"}, 0.9, 1, 0), set())
    assert nothing["precision"] == 1.0 and nothing["recall"] == 1.0


def test_summary_and_frame(planted_set):
    _, _, result = planted_set
    text = result.summary()
    assert f"{result.n_records:,}" in text and "shared national ID" in text
    frame = result.to_frame()
    assert list(frame.columns) == ["record_id_l", "record_id_r", "match_probability"]
    assert len(frame) == len(result.pairs)
    assert 0 < result.parameters["probability_two_random_records_match"] < 1e-3
    levels = result.parameters["levels"]
    for comparison in levels.values():   # no m or u exactly 0 or 1 (STANDARDS.md §3)
        for level in comparison.values():
            assert 0 < level["m"] < 1 and 0 < level["u"] < 1


def test_importing_the_module_stays_light():
    code = ("import sys, register.linkage; "
            "print(sorted(m for m in ('splink', 'duckdb', 'pandas', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
