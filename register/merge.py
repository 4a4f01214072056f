"""Merging commune registers into district, province and national registers.

Records keep their UUIDs and ``source_register``, so a merge is a union:

* **idempotent** — a record already present is not copied again, and a source whose state
  (its audit-log head) was merged before is skipped;
* **order-independent** — when two inputs hold different versions of a record, the copy from the
  record's own register wins (``source_register`` = that file's register id), whatever the
  order; the same register given twice in one merge is refused;
* **all or nothing** — one transaction (a new output is built under a temporary name and renamed
  when complete); every source record is checked to be in the output before the commit;
* **safe with bad input** — a file that is not a register, is damaged, or was written by a newer
  schema is refused with a message naming it (``skip_bad=True`` merges the others).

After the copy, the same person entered in two communes is found by probabilistic record
linkage (``register.linkage``) and *linked* in ``person_links``; their repeated journeys are
listed in ``duplicate_journeys`` so that the researcher export counts them once.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import audit
from .db import connect, create_register, is_encrypted, now, open_register, schema_state
from .errors import (
    EncryptedRegisterError,
    NotARegisterError,
    PassphraseError,
    RegisterError,
    SchemaVersionError,
)
from .i18n import t
from .model import MODEL
from .platform import fsync_directory, fsync_file, remove_file, replace_file, sqlite_uri
from .schema import RECORD_TABLES

MERGED_LEVELS = ("district", "province", "national", "merged")
MERGE_CACHE_MB = 2048


@dataclass
class Source:
    """One input file, as inspected by :func:`plan_merge`."""

    path: Path
    register_id: str = ""
    level: str = ""
    commune_code: str = ""
    scope: str = ""
    schema_version: str = ""
    fingerprint: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    already_merged: bool = False
    encrypted: bool = False


@dataclass
class MergePlan:
    out: Path
    sources: list[Source]
    passphrase: str | None = field(default=None, repr=False)

    @property
    def bad(self) -> list[Source]:
        return [s for s in self.sources if s.problem]

    @property
    def to_merge(self) -> list[Source]:
        return [s for s in self.sources if not s.problem and not s.already_merged]

    def summary(self) -> str:
        lines = [t("merge.plan", out=self.out, files=len(self.sources), to_merge=len(self.to_merge),
                   already=sum(s.already_merged for s in self.sources), refused=len(self.bad))]
        for s in self.sources:
            state = (t("merge.refused", problem=s.problem) if s.problem else
                     t("merge.unchanged") if s.already_merged else
                     t("merge.counts", persons=s.counts.get("persons", 0),
                       journeys=s.counts.get("journeys", 0)))
            lines.append(t("merge.source", file=s.path.name, level=s.level,
                           scope=s.commune_code or s.scope, state=state))
        return "\n".join(lines)


@dataclass
class MergeReport:
    plan: MergePlan
    added: dict[str, int] = field(default_factory=dict)
    files_merged: int = 0
    linked_persons: int = 0
    duplicate_journeys: int = 0
    seconds: float = 0.0
    copy_seconds: float = 0.0
    link_seconds: float = 0.0

    def summary(self) -> str:
        added = ", ".join(t("merge.added", n=n, what=t(f"check.count.{table}"))
                          for table, n in self.added.items() if n) or t("merge.nothing_new")
        return t("merge.done", files=self.files_merged, out=self.plan.out,
                 seconds=f"{self.seconds:.1f}", added=added, linked=self.linked_persons,
                 repeated=self.duplicate_journeys)


def fingerprint(conn: sqlite3.Connection, schema: str = "main") -> str:
    row = conn.execute(f"SELECT count(*), max(seq) FROM {schema}.audit_log").fetchone()
    head = conn.execute(f"SELECT hash FROM {schema}.audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return f"{row[0]}:{head[0] if head else ''}"


def _inspect(path: Path, merged: dict[str, str], passphrase: str | None) -> Source:
    source = Source(path=path)
    try:
        key = passphrase if path.is_file() and is_encrypted(path) else None
        source.encrypted = key is not None
        with open_register(path, upgrade=False, passphrase=key) as reg:
            meta = reg.meta()
            source.register_id = meta["register_id"]
            source.level = meta.get("level", "commune")
            source.commune_code = meta.get("commune_code", "")
            source.scope = meta.get("scope", "")
            applied, _ = schema_state(reg.db)
            source.schema_version = applied[-1] if applied else ""
            source.fingerprint = fingerprint(reg.conn)
            if merged.get(source.register_id) == source.fingerprint:
                source.already_merged = True  # unchanged since the last merge: nothing to read
                return source
            check = reg.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                source.problem = t("merge.damaged", error=check)
                return source
            source.counts = {t: reg.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                             for t in ("persons", "journeys", "returns")}
    except SchemaVersionError as exc:
        source.problem = t("merge.newer", error=exc)
    except EncryptedRegisterError:
        source.problem = t("merge.encrypted")
    except PassphraseError as exc:
        source.problem = str(exc)
    except NotARegisterError as exc:
        source.problem = str(exc)
    except (sqlite3.DatabaseError, KeyError) as exc:
        source.problem = t("merge.damaged", error=exc)
    return source


def plan_merge(inputs: Sequence[str | Path], out: str | Path, *,
               passphrase: str | None = None) -> MergePlan:
    """Inspect every input (read-only) and say what a merge would do.

    ``passphrase`` opens encrypted inputs (and an encrypted output); with it, the output is
    encrypted with the same passphrase.
    """
    out = Path(out)
    merged: dict[str, str] = {}
    if out.exists():
        key = passphrase if is_encrypted(out) else None
        with open_register(out, passphrase=key) as target:
            if target.level not in MERGED_LEVELS:
                raise RegisterError(t("merge.into_commune", out=out))
            merged = dict(target.conn.execute(
                "SELECT register_id, fingerprint FROM merged_sources"))
    # Reading and checking each file is I/O and SQLite work that releases the GIL: use threads.
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        sources = list(pool.map(lambda p: _inspect(Path(p), merged, passphrase), inputs))
    seen: dict[str, Path] = {}
    for source in sources:
        if source.problem or not source.register_id:
            continue
        if source.register_id in seen:
            source.problem = t("merge.same_register", file=seen[source.register_id].name)
        seen[source.register_id] = source.path
        if source.path.resolve() == out.resolve():
            source.problem = t("merge.is_output")
    return MergePlan(out=out, sources=sources, passphrase=passphrase)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]


def _copy_sql(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, INSERT ... SELECT) statements: new records copied, the owner's version wins."""
    statements = []
    for table in RECORD_TABLES:
        cols = _columns(conn, table)
        spec = MODEL.table(table)
        key = spec.key
        names = ", ".join(cols)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key)
        # An owned record (a person's identity) belongs to the register of its owner.
        owner = (f"(SELECT p.source_register FROM src.{spec.owner} p WHERE p.id = excluded.{key})"
                 if spec.owner else "excluded.source_register")
        # Only the record's own register may change it; when two registers claim the same id
        # (a shared agency list), the larger register id wins, whatever the order of merging.
        current = (f"(SELECT p.source_register FROM main.{spec.owner} p "
                   f"WHERE p.id = excluded.{key})" if spec.owner else f"main.{table}.source_register")
        statements.append((table, (
            f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table} WHERE true "
            f"ON CONFLICT({key}) DO UPDATE SET {updates} WHERE {owner} = :owner "
            f"AND :owner >= {current}")))
    return statements


def _merge_one(conn: sqlite3.Connection, source: Source, statements: list[tuple[str, str]],
               passphrase: str | None) -> None:
    uri = sqlite_uri(source.path.resolve(), mode="ro")
    if passphrase is None:
        conn.execute("ATTACH DATABASE ? AS src", (uri,))
    else:  # an SQLCipher connection: each file with its key ('' for a plain one)
        conn.execute("ATTACH DATABASE ? AS src KEY ?",
                     (uri, passphrase if source.encrypted else ""))
    try:
        for _, sql in statements:
            conn.execute(sql, {"owner": source.register_id})
        conn.execute(
            "INSERT INTO main.warnings (table_name, record_id, code, detail, created_at) "
            "SELECT s.table_name, s.record_id, s.code, s.detail, s.created_at FROM src.warnings s "
            "WHERE NOT EXISTS (SELECT 1 FROM main.warnings m WHERE m.record_id = s.record_id "
            "AND m.code = s.code)")
        conn.execute("INSERT OR IGNORE INTO main.merged_sources SELECT * FROM src.merged_sources")
        conn.execute(
            "INSERT INTO main.merged_sources (register_id, commune_code, fingerprint, "
            "schema_version, records, merged_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(register_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "schema_version = excluded.schema_version, records = excluded.records, "
            "merged_at = excluded.merged_at",
            (source.register_id, source.commune_code, source.fingerprint, source.schema_version,
             sum(source.counts.values()), now()))
        for table in RECORD_TABLES:  # never lose a record
            key = MODEL.key_of(table)
            lost = conn.execute(
                f"SELECT count(*) FROM src.{table} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM main.{table} m WHERE m.{key} = s.{key})").fetchone()[0]
            if lost:
                raise RegisterError(t("merge.lost", n=lost, what=t(f"check.count.{table}"),
                                      file=source.path.name))
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")  # releases src; the output is a private file until renamed
        conn.execute("DETACH DATABASE src")


def apply_merge(
    plan: MergePlan,
    *,
    skip_bad: bool = False,
    link: bool = True,
    threshold: float | None = None,
    actor: str | None = None,
    progress: Callable[[int, int, Source], None] | None = None,
) -> MergeReport:
    """Carry out a merge plan. Raises RegisterError listing refused files unless ``skip_bad``."""
    if plan.bad and not skip_bad:
        names = "; ".join(f"{s.path.name}: {s.problem}" for s in plan.bad)
        raise RegisterError(t("merge.refused_files", n=len(plan.bad), names=names))
    start = time.perf_counter()
    report = MergeReport(plan=plan)
    # The merge is built in a private copy and renamed over the output when complete and
    # checked: a power cut or an error leaves the output as it was.
    work = plan.out.with_name(plan.out.name + ".merging")
    work.unlink(missing_ok=True)
    if any(s.encrypted for s in plan.to_merge) and plan.passphrase is None:
        raise RegisterError(t("merge.needs_passphrase"))
    if plan.out.exists():
        _copy_register(plan.out, work, plan.passphrase)
    else:
        scope = ",".join(sorted({s.commune_code or s.scope for s in plan.to_merge}))
        create_register(work, commune_code=None, level="merged", scope=scope, actor=actor,
                        passphrase=plan.passphrase).close()
    reg = open_register(work, actor=actor, passphrase=plan.passphrase)
    conn = reg.conn
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # Records arrive in random id order: a large page cache keeps the growing indexes in
        # memory instead of re-reading them (the national register is about 1-2 GB).
        conn.execute(f"PRAGMA cache_size = -{MERGE_CACHE_MB * 1024}")
        conn.execute("PRAGMA foreign_keys = OFF")  # checked in full before the rename
        statements = _copy_sql(conn)
        before = _counts(conn)
        sources = sorted(plan.to_merge, key=lambda s: s.register_id)
        for number, source in enumerate(sources, start=1):
            conn.execute("BEGIN IMMEDIATE")
            _merge_one(conn, source, statements, plan.passphrase)
            report.files_merged += 1
            if progress:
                progress(number, len(sources), source)
        report.copy_seconds = time.perf_counter() - start
        report.added = {t: n - before[t] for t, n in _counts(conn).items()}
        with reg.write():
            if link and report.files_merged:
                link_start = time.perf_counter()
                report.linked_persons, report.duplicate_journeys = relink(conn, threshold)
                report.link_seconds = time.perf_counter() - link_start
            broken = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
            if broken:
                raise RegisterError(t("merge.broken", detail=broken))
            audit.append(conn, [audit.Entry("merged_sources", s.register_id, "merge", None,
                                            {"file": s.path.name, "fingerprint": s.fingerprint,
                                             "commune_code": s.commune_code, **s.counts})
                                for s in sources], actor=reg.actor, at=now())
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        reg.close()
        work.unlink(missing_ok=True)
        raise
    reg.close()
    fsync_file(work)
    wal = Path(str(plan.out) + "-wal")
    if wal.exists() and wal.stat().st_size:
        work.unlink(missing_ok=True)
        raise RegisterError(t("merge.in_use", out=plan.out))
    replace_file(work, plan.out)
    fsync_directory(plan.out.parent)
    for suffix in ("-wal", "-shm"):
        remove_file(Path(str(plan.out) + suffix))
    report.seconds = time.perf_counter() - start
    return report


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0] for t in RECORD_TABLES}


def _copy_register(source: Path, target: Path, passphrase: str | None = None) -> None:
    """A consistent copy of a register, even while it is in use (SQLite online backup)."""
    key = passphrase if is_encrypted(source) else None
    src = connect(source, passphrase=key)
    dst = connect(target, passphrase=key)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def relink(conn: sqlite3.Connection, threshold: float | None = None) -> tuple[int, int]:
    """Find the same person in different registers; rewrite person_links and duplicate_journeys.

    Returns (persons linked to someone else, repeated journeys).
    """
    from . import linkage

    cur = conn.execute("""
        SELECT p.id, p.source_register, i.name, i.national_id, i.phone, p.sex, p.birth_year,
               p.birth_date, substr(p.home_village, 1, 6), substr(p.home_village, 1, 2)
        FROM persons p LEFT JOIN person_identity i ON i.person_id = p.id""")
    names = ("record_id", "source", "name", "national_id", "phone", "sex", "birth_year",
             "birth_date", "commune_code", "province_code")
    records = [dict(zip(names, row, strict=True)) for row in cur]
    result = linkage.link_records(
        records, threshold=linkage.DEFAULT_THRESHOLD if threshold is None else threshold)
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


def merge(inputs: Sequence[str | Path], out: str | Path, **kwargs: object) -> MergeReport:
    """Plan and apply a merge (see :func:`apply_merge` for the options)."""
    return apply_merge(plan_merge(inputs, out), **kwargs)  # type: ignore[arg-type]


__all__ = ["MergePlan", "MergeReport", "Source", "apply_merge", "merge", "plan_merge", "relink"]
