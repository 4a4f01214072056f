"""Record-linkage results and their quality against a known truth (see ``register.linkage``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

@dataclass(frozen=True)
class LinkageResult:
    """Links found among ``n_records`` records.

    ``pairs`` holds ``(record_id_l, record_id_r, match_probability)`` for every scored pair at or
    above ``threshold`` (``record_id_l < record_id_r``, sorted); ``clusters`` maps every input
    record to its cluster, the smallest record_id of its connected component (a record linked to
    nothing is its own cluster; two records of one source can share a cluster through a third).
    ``n_compared`` counts the candidate pairs scored after blocking; ``parameters`` holds the model
    used (prior match probability and how it was estimated, m and u per level, blocking rules).
    """

    pairs: list[tuple[str, str, float]]
    clusters: dict[str, str]
    threshold: float
    n_records: int
    n_compared: int
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_clusters(self) -> int:
        """Number of distinct people: clusters, counting unlinked records as their own."""
        return len(set(self.clusters.values()))

    def summary(self) -> str:
        sizes: dict[str, int] = {}
        for cluster in self.clusters.values():
            sizes[cluster] = sizes.get(cluster, 0) + 1
        multi = [s for s in sizes.values() if s > 1]
        par = self.parameters
        rows = [("records", f"{self.n_records:,}"), ("candidate pairs scored", f"{self.n_compared:,}"),
                (f"links (p >= {self.threshold:g})", f"{len(self.pairs):,}"
                 + (f" ({par['n_id_pairs']:,} by a shared national ID)" if "n_id_pairs" in par else "")),
                ("people (clusters)", f"{self.n_clusters:,}; {len(multi):,} with more than one record "
                                      f"({sum(multi):,} records, largest {max(multi, default=1)})")]
        if "probability_two_random_records_match" in par:
            rows.append(("prior match probability",
                         f"{par['probability_two_random_records_match']:.3g} ({par['lambda_method']})"))
        return "\n".join(["Record linkage (Splink, DuckDB)", *(f"  {k + ':':25s} {v}" for k, v in rows)])

    def to_frame(self) -> pandas.DataFrame:
        """The links as a DataFrame: record_id_l, record_id_r, match_probability."""
        import pandas as pd

        return pd.DataFrame(self.pairs, columns=["record_id_l", "record_id_r", "match_probability"])


def linkage_quality(result: LinkageResult, true_pairs: set[frozenset[str]]) -> dict[str, float | int]:
    """Precision, recall and F1 of the links against the true pairs, and of the clusters.

    Pair metrics compare ``result.pairs`` with ``true_pairs``. Cluster metrics compare every pair of
    records put in the same cluster with every pair in the same true cluster (the connected
    components of ``true_pairs``), so a missed link made up for by transitivity still counts.
    ``clusters_exact`` is the number of true multi-record clusters found exactly. With nothing to
    find (or nothing found), recall (or precision) is 1.0. With ``across_sources_only`` a true pair
    inside one source can only be found through transitivity; leave such pairs out of the truth to
    measure the pair metrics fairly.
    """
    truth = {frozenset(p) for p in true_pairs if len(frozenset(p)) == 2}
    found = {frozenset((a, b)) for a, b, _ in result.pairs}
    out: dict[str, float | int] = _prf(found, truth, "")
    records = set(result.clusters) | {r for p in truth for r in p}
    true_clusters = _components(records, [(a, b) for a, b in map(sorted, truth)])
    found_pairs, true_cluster_pairs = _cluster_pairs(result.clusters), _cluster_pairs(true_clusters)
    out.update(_prf(found_pairs, true_cluster_pairs, "cluster_"))
    found_groups = _groups(result.clusters)
    true_groups = _groups(true_clusters)
    out["n_true_clusters"] = len(true_groups)
    out["n_found_clusters"] = len(found_groups)
    out["clusters_exact"] = len(set(true_groups) & set(found_groups))
    return out


def _prf(found: set, truth: set, prefix: str) -> dict[str, float | int]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {f"{prefix}precision": precision, f"{prefix}recall": recall, f"{prefix}f1": f1,
            f"{prefix}n_true": len(truth), f"{prefix}n_found": len(found),
            f"{prefix}true_positives": tp, f"{prefix}false_positives": len(found) - tp,
            f"{prefix}false_negatives": len(truth) - tp}


def _groups(clusters: Mapping[str, str]) -> list[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, set()).add(record)
    return [frozenset(m) for m in members.values() if len(m) > 1]


def _cluster_pairs(clusters: Mapping[str, str]) -> set[frozenset[str]]:
    out: set[frozenset[str]] = set()
    for group in _groups(clusters):
        ordered = sorted(group)
        out.update(frozenset((a, b)) for i, a in enumerate(ordered) for b in ordered[i + 1:])
    return out


def _components(records: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components by union-find; each record -> the smallest record_id of its component."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = parent.setdefault(x, x)
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)   # the smaller id stays the root
    clusters = {r: r for r in records}
    clusters.update({r: find(r) for r in parent})
    return clusters
