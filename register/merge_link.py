"""Record linkage in a merge: the same person entered in two communes is found
(:mod:`register.linkage`) and linked in ``person_links``; their repeated journeys are listed in
``duplicate_journeys`` so that the researcher export counts them once. During a merge the
linkage runs in a thread of its own beside the rest of the build (:class:`Linking`).
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .db import now


def relink(conn: sqlite3.Connection, threshold: float | None = None) -> tuple[int, int]:
    """Find the same person in different registers; rewrite person_links and duplicate_journeys.

    Returns (persons linked to someone else, repeated journeys).
    """
    return _write_links(conn, _link(_linkage_input(conn), threshold))


class Linking:
    """Record linkage run beside the rest of a merge: the persons are read on the merge's
    connection, DuckDB links them in a thread of its own (it releases the GIL), and the links
    are written when the merge asks for them."""

    def __init__(self, conn: sqlite3.Connection, threshold: float | None) -> None:
        self.conn, self.threshold = conn, threshold
        self.future: Future[Any] | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.seconds = 0.0

    def start(self) -> None:
        if self.future is not None:
            return
        begin = time.perf_counter()
        frame = _linkage_input(self.conn)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkage")

        def run() -> Any:
            result = _link(frame, self.threshold)
            self.seconds = time.perf_counter() - begin
            return result

        self.future = self.pool.submit(run)

    def write(self) -> tuple[int, int]:
        assert self.future is not None and self.pool is not None
        result = self.future.result()
        self.pool.shutdown()
        return _write_links(self.conn, result)

    def abandon(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def _link(records: Any, threshold: float | None) -> Any:
    from . import linkage

    return linkage.link_records(
        records, threshold=linkage.DEFAULT_THRESHOLD if threshold is None else threshold)


def _write_links(conn: sqlite3.Connection, result: Any) -> tuple[int, int]:
    probability: dict[str, float] = {}
    for left, right, p in result.pairs:
        probability[left] = max(probability.get(left, 0.0), p)
        probability[right] = max(probability.get(right, 0.0), p)
    at = now()
    conn.execute("DELETE FROM duplicate_journeys")
    conn.execute("DELETE FROM person_links")
    conn.executemany(
        "INSERT INTO person_links (person_id, cluster_id, match_probability, linked_at) "
        "VALUES (?, ?, ?, ?)",
        [(pid, cluster, probability.get(pid), at) for pid, cluster in result.clusters.items()
         if pid in probability])
    # The same journey entered by two communes: same linked person, departure in the same
    # month, same destination. The copy with the smallest id is kept.
    conn.execute("""
        INSERT INTO duplicate_journeys (journey_id, duplicate_of)
        SELECT j.id, min(k.id) FROM journeys j
        JOIN person_links a ON a.person_id = j.person_id
        JOIN person_links b ON b.cluster_id = a.cluster_id
        JOIN journeys k ON k.person_id = b.person_id AND k.id < j.id
             AND substr(k.departure_date, 1, 7) = substr(j.departure_date, 1, 7)
             AND k.destination_country = j.destination_country
        GROUP BY j.id""")
    linked = len(probability)
    repeated = conn.execute("SELECT count(*) FROM duplicate_journeys").fetchone()[0]
    return linked, repeated


def _linkage_input(conn: sqlite3.Connection) -> Any:
    """The persons to link, read straight from SQLite into Arrow-backed columns (no Python
    object per value for the linkage to convert again)."""
    import pandas as pd
    import pyarrow as pa

    names = ("record_id", "source", "name", "national_id", "phone", "sex", "birth_year",
             "birth_date", "commune_code", "province_code")
    rows = conn.execute("""
        SELECT p.id, p.source_register, i.name, i.national_id, i.phone, p.sex, p.birth_year,
               p.birth_date, substr(p.home_village, 1, 6), substr(p.home_village, 1, 2)
        FROM persons p LEFT JOIN person_identity i ON i.person_id = p.id""").fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    del rows
    try:
        arrays = [pa.array(col, type=pa.int64() if name == "birth_year" else pa.string())
                  for name, col in zip(names, columns, strict=True)]
    except (pa.ArrowException, TypeError):  # a value of another type: let the linkage convert
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return pa.table(arrays, names=list(names)).to_pandas(types_mapper=pd.ArrowDtype)
