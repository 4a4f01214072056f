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
  schema is refused with a message naming it (``skip_bad=True`` merges the others);
* **untampered** — a file that fails its own check, or whose audit chain no longer holds the
  head the output took in last time (rolled back, rewritten), is refused the same way
  (:mod:`register.merge_inspect`); the output keeps every merged register's chain, so that its
  own ``check`` verifies each record against its commune's log;
* **fast** — a first merge into a new output stages every file and builds each table in key
  order, indexes last (:mod:`register.merge_bulk`).

After the copy, the same person entered in two communes is found by probabilistic record
linkage (``register.linkage``) and *linked* in ``person_links``; their repeated journeys are
listed in ``duplicate_journeys`` so that the researcher export counts them once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import audit, merge_bulk
from .db import (
    SYNTHETIC,
    connect,
    create_register,
    is_encrypted,
    now,
    open_register,
    tidy_side_files,
)
from .errors import (
    RegisterError,
)
from .i18n import t
from .merge_inspect import Held, Source, _holdings, _inspect_all
from .merge_link import Linking, relink
from .model import MODEL
from .platform import fsync_directory, fsync_file, remove_file, replace_file, sqlite_uri
from .schema import RECORD_TABLES

MERGED_LEVELS = ("district", "province", "national", "merged")
MERGE_CACHE_MB = 2048


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
    code: str = ""  # the merged register's audit code after the merge

    def summary(self) -> str:
        added = ", ".join(t("merge.added", n=n, what=t(f"check.count.{table}"))
                          for table, n in self.added.items() if n) or t("merge.nothing_new")
        return t("merge.done", files=self.files_merged, out=self.plan.out,
                 seconds=f"{self.seconds:.1f}", added=added, linked=self.linked_persons,
                 repeated=self.duplicate_journeys)


def plan_merge(inputs: Sequence[str | Path], out: str | Path, *,
               passphrase: str | None = None, processes: int = 0) -> MergePlan:
    """Inspect every input (read-only) and say what a merge would do.

    ``passphrase`` opens encrypted inputs (and an encrypted output); with it, the output is
    encrypted with the same passphrase.
    """
    out = Path(out)
    merged: dict[str, str] = {}
    held: dict[str, Held] = {}
    synthetic: bool | None = None  # whether the output holds synthetic data (None: no output yet)
    if out.exists():
        key = passphrase if is_encrypted(out) else None
        with open_register(out, passphrase=key) as target:
            if target.level not in MERGED_LEVELS:
                raise RegisterError(t("merge.into_commune", out=out))
            merged, held = _holdings(target.conn)
            synthetic = bool(target.meta().get(SYNTHETIC))
    sources = _inspect_all([Path(p) for p in inputs], merged, held, passphrase, processes)
    seen: dict[str, Path] = {}
    for source in sources:
        if source.problem or not source.register_id:
            continue
        if source.register_id in seen:
            source.problem = t("merge.same_register", file=seen[source.register_id].name)
        seen[source.register_id] = source.path
        if source.path.resolve() == out.resolve():
            source.problem = t("merge.is_output")
    # Synthetic data never mix with real registers: into a new output, the synthetic files of a
    # mixed set are refused (the real ones are what a province means to merge).
    usable = [s for s in sources if not s.problem and s.register_id]
    if synthetic is None and len({bool(s.synthetic) for s in usable}) > 1:
        synthetic = False
    for source in usable:
        if synthetic is not None and bool(source.synthetic) != synthetic:
            source.problem = t("merge.synthetic_into_real" if source.synthetic
                               else "merge.real_into_synthetic")
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
        # A file may bring a newer version of a record when it carries the chain of the
        # record's register at least as far as the output holds it (checked by _compare): a
        # commune's own file, or a district's file holding that commune's chain.
        statements.append((table, (
            f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table} WHERE true "
            f"ON CONFLICT({key}) DO UPDATE SET {updates} WHERE {owner} IN "
            f"(SELECT register_id FROM temp.merge_fresh) AND {owner} >= {current}")))
    return statements


def _merge_one(conn: sqlite3.Connection, source: Source, statements: list[tuple[str, str]],
               passphrase: str | None, bulk: int | None = None) -> None:
    """Take in one file: upsert its records, or (``bulk``: its number in a first merge into a
    new output) stage them for :func:`register.merge_bulk.build`."""
    uri = sqlite_uri(source.path.resolve(), mode="ro")
    if passphrase is None:
        conn.execute("ATTACH DATABASE ? AS src", (uri,))
    else:  # an SQLCipher connection: each file with its key ('' for a plain one)
        conn.execute("ATTACH DATABASE ? AS src KEY ?",
                     (uri, passphrase if source.encrypted else ""))
    try:
        conn.execute("DELETE FROM temp.merge_fresh")
        conn.executemany("INSERT INTO temp.merge_fresh (register_id) VALUES (?)",
                         [(rid,) for rid in source.chains])
        if bulk is not None:
            merge_bulk.stage(conn, bulk)
        else:
            for _, sql in statements:
                conn.execute(sql)
            conn.execute(
                "INSERT INTO main.warnings (table_name, record_id, code, detail, created_at) "
                "SELECT s.table_name, s.record_id, s.code, s.detail, s.created_at FROM "
                "src.warnings s WHERE NOT EXISTS (SELECT 1 FROM main.warnings m WHERE "
                "m.record_id = s.record_id AND m.code = s.code)")
        _copy_chains(conn, source, salts=bulk is None)
        # voided records stay voided (their void entries travel with the chains)
        conn.execute("INSERT OR IGNORE INTO main.voided SELECT * FROM src.voided")
        conn.execute("INSERT OR IGNORE INTO main.merged_sources SELECT * FROM src.merged_sources")
        conn.execute(
            "INSERT INTO main.merged_sources (register_id, commune_code, fingerprint, "
            "schema_version, records, merged_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(register_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "schema_version = excluded.schema_version, records = excluded.records, "
            "merged_at = excluded.merged_at",
            (source.register_id, source.commune_code, source.fingerprint, source.schema_version,
             sum(source.counts.values()), now()))
        for table in RECORD_TABLES if bulk is None else ():  # never lose a record
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
        tidy_side_files(source.path, passphrase if source.encrypted else None)


def _copy_chains(conn: sqlite3.Connection, source: Source, salts: bool = True) -> None:
    """Take in the entries of every chain the file holds that the output does not have yet,
    and (``salts``) the salts of its records, applying the erasures those entries made."""
    mapping = []
    src_chain = {source.register_id: audit.LOCAL}
    src_chain.update(conn.execute("SELECT register_id, chain FROM src.audit_chain").fetchall())
    for rid, (entries, head) in source.chains.items():
        row = conn.execute("SELECT chain, entries FROM main.audit_chain WHERE register_id = ?",
                           (rid,)).fetchone()
        if row is None:
            chain = conn.execute("SELECT coalesce(max(chain), 0) + 1 FROM main.audit_chain"
                                 ).fetchone()[0]
            conn.execute("INSERT INTO main.audit_chain (chain, register_id, commune_code, "
                         "entries, head) VALUES (?, ?, ?, ?, ?)",
                         (chain, rid, source.codes.get(rid, ""), entries, head))
            have = 0
        else:
            chain, have = row
            if entries <= have:
                continue
            conn.execute("UPDATE main.audit_chain SET entries = ?, head = ? WHERE chain = ?",
                         (entries, head, chain))
        mapping.append((src_chain[rid], chain, have))
    if not mapping:
        return
    conn.execute("DELETE FROM temp.merge_chains")
    conn.executemany("INSERT INTO temp.merge_chains (src, chain, have) VALUES (?, ?, ?)",
                     mapping)
    conn.execute("INSERT INTO main.audit_entry SELECT m.chain, e.seq, e.at, e.actor, e.action, "
                 "e.reason, e.detail, e.hash FROM temp.merge_chains m JOIN src.audit_entry e "
                 "ON e.chain = m.src AND e.seq > m.have")
    # One pass over the file's rows (in the order it logged them), whatever its chains.
    conn.execute("INSERT INTO main.audit_row SELECT m.chain, r.seq, r.tab, r.id, r.hash "
                 "FROM src.audit_row r CROSS JOIN temp.merge_chains m "
                 "ON m.src = r.chain WHERE r.seq > m.have")
    if not salts:
        return
    conn.execute("INSERT OR IGNORE INTO main.audit_salt SELECT * FROM src.audit_salt")
    for (detail,) in conn.execute(
            "SELECT e.detail FROM temp.merge_chains m JOIN src.audit_entry e ON e.chain = m.src "
            "AND e.seq > m.have WHERE e.action = 'erase'").fetchall():
        for table, record_id in json.loads(detail).get("erased", []):
            conn.execute("DELETE FROM main.audit_salt WHERE tab = ? AND id = ?",
                         (audit.TABLE_CODES[table], record_id))


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
    stage = plan.out.with_name(plan.out.name + ".merging-stage")
    work.unlink(missing_ok=True)
    stage.unlink(missing_ok=True)
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
    made = sorted({s.synthetic for s in plan.to_merge if s.synthetic})
    if made:  # carried, so that every table and figure made from the output says so
        with reg.write():
            conn.execute("INSERT OR IGNORE INTO register_meta (key, value) VALUES (?, ?)",
                         (SYNTHETIC, "; ".join(made)))
    linking: Linking | None = None
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # Records arrive in random id order: a large page cache keeps the growing indexes in
        # memory instead of re-reading them (the national register is about 1-2 GB).
        conn.execute(f"PRAGMA cache_size = -{MERGE_CACHE_MB * 1024}")
        conn.execute("PRAGMA foreign_keys = OFF")  # checked in full before the rename
        # Every input passed its own check (each record is as the program wrote it, under
        # these constraints): evaluating every CHECK again for millions of rows adds nothing.
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("CREATE TEMP TABLE merge_fresh (register_id TEXT PRIMARY KEY)")
        conn.execute("CREATE TEMP TABLE merge_chains (src INTEGER PRIMARY KEY, chain INTEGER, "
                     "have INTEGER)")
        statements = _copy_sql(conn)
        before = _counts(conn)
        sources = sorted(plan.to_merge, key=lambda s: s.register_id)
        bulk = not plan.out.exists() and bool(sources)
        if bulk:  # a new output: stage every file, then build each table in key order
            merge_bulk.attach_stage(conn, stage, plan.passphrase, MERGE_CACHE_MB)
            conn.execute("BEGIN IMMEDIATE")
            indexes = merge_bulk.prepare(conn)
            conn.execute("COMMIT")
        for number, source in enumerate(sources, start=1):
            conn.execute("BEGIN IMMEDIATE")
            _merge_one(conn, source, statements, plan.passphrase, number if bulk else None)
            report.files_merged += 1
            if progress:
                progress(number, len(sources), source)
        linking = Linking(conn, threshold) if link and report.files_merged else None
        if bulk:
            fresh = [set(), *(set(s.chains) for s in sources)]
            with reg.write():
                # Linkage (DuckDB, its own thread) starts once the persons are in, while the
                # other tables and the indexes are built.
                def after(table: str) -> None:
                    if linking is not None and table == "person_identity":
                        linking.start()

                merge_bulk.build(conn, indexes, fresh, after)
            conn.execute("DETACH DATABASE stage")
            stage.unlink(missing_ok=True)
        report.copy_seconds = time.perf_counter() - start
        report.added = {t: n - before[t] for t, n in _counts(conn).items()}
        with reg.write():
            if linking is not None:
                linking.start()  # unless started during the build
            broken = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
            if linking is not None:
                report.linked_persons, report.duplicate_journeys = linking.write()
                report.link_seconds = linking.seconds
            if broken:
                raise RegisterError(t("merge.broken", detail=broken))
            if sources:
                audit.log(conn, "merge", [], actor=reg.actor, at=now(), detail={"sources": [
                    {"register": s.register_id, "file": s.path.name, "head": s.fingerprint,
                     "commune_code": s.commune_code, **s.counts} for s in sources]})
            report.code = audit.anchor(conn)
        conn.execute("PRAGMA ignore_check_constraints = OFF")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        if linking is not None:
            linking.abandon()
        reg.close()
        work.unlink(missing_ok=True)
        stage.unlink(missing_ok=True)
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


def merge(inputs: Sequence[str | Path], out: str | Path, **kwargs: object) -> MergeReport:
    """Plan and apply a merge (see :func:`apply_merge` for the options)."""
    return apply_merge(plan_merge(inputs, out), **kwargs)  # type: ignore[arg-type]


__all__ = ["MergePlan", "MergeReport", "Source", "apply_merge", "merge", "plan_merge", "relink"]
