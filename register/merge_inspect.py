"""Inspecting the files of a merge: what each is, whether the output took it in already,
whether its audit chains still hold what the output saw last (else it was rolled back or
rewritten), and whether it passes its own check. Used by :func:`register.merge.plan_merge`.
"""

from __future__ import annotations

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import audit, audit_check, schema
from .db import SYNTHETIC, is_encrypted, open_register, schema_state
from .errors import (
    EncryptedRegisterError,
    NotARegisterError,
    PassphraseError,
    SchemaVersionError,
)


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
    # register id -> (entries, head) of every chain the file holds (its own and merged ones)
    chains: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # register id -> commune code
    synthetic: str = ""  # how its synthetic data were made (register_meta); "" for real data


def fingerprint(conn: sqlite3.Connection, schema: str = "main") -> str:
    """A register's state: its own chain's entry count and head hash (changes with each write)."""
    last = audit.head(conn, schema=schema)
    return f"{last.entries}:{last.hash.hex()}"


@dataclass(frozen=True)
class Held:
    """What the output already holds of one register's chain."""

    chain: int
    entries: int
    head: bytes


def _holdings(conn: sqlite3.Connection) -> tuple[dict[str, str], dict[str, Held]]:
    merged = dict(conn.execute("SELECT register_id, fingerprint FROM merged_sources"))
    held = {rid: Held(c, n, h) for c, rid, n, h in conn.execute(
        "SELECT chain, register_id, entries, head FROM audit_chain")}
    return merged, held


def _compare(conn: sqlite3.Connection, source: Source, merged: dict[str, str],
             held: dict[str, Held]) -> str | None:
    """Does every chain of the file contain what the output took in last time? (else it was
    rolled back or rewritten since, or it is an older copy than the output holds)."""
    from .i18n import t

    local = {source.register_id: audit.LOCAL}
    local.update(conn.execute("SELECT register_id, chain FROM audit_chain").fetchall())
    for rid, chain in local.items():
        entries, _ = source.chains[rid]
        name = source.codes.get(rid) or rid[:8]
        before = held.get(rid)
        if before is None:
            old = merged.get(rid, "")
            if rid == source.register_id and len(old.split(":")[-1]) == 64:  # a version-1 head
                count, digest = old.split(":")
                row = conn.execute("SELECT hash FROM audit_v1 WHERE seq = ?",
                                   (int(count),)).fetchone()
                if int(count) and (row is None or row[0].hex() != digest):
                    return t("merge.rewritten", name=name, n=count)
            continue
        if entries >= before.entries:
            row = conn.execute("SELECT hash FROM audit_entry WHERE chain = ? AND seq = ?",
                               (chain, before.entries)).fetchone()
            if before.entries and (row is None or row[0] != before.head):
                return t("merge.rewritten", name=name, n=before.entries)
        elif chain == audit.LOCAL:
            return t("merge.rolled_back", name=name, now=entries, before=before.entries)
        else:
            return t("merge.stale", name=name, now=entries, before=before.entries)
    return None


def _inspect(path: Path, merged: dict[str, str], held: dict[str, Held],
             passphrase: str | None) -> Source:
    from .i18n import t

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
            source.synthetic = meta.get(SYNTHETIC, "")
            applied, _ = schema_state(reg.db)
            source.schema_version = applied[-1] if applied else ""
            if schema.migrations.pending(reg.db):
                source.problem = t("merge.old_schema")
                return source
            source.fingerprint = fingerprint(reg.conn)
            if merged.get(source.register_id) == source.fingerprint:
                source.already_merged = True  # unchanged since the last merge: nothing to read
                return source
            check = reg.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                source.problem = t("merge.damaged", detail=check)
                return source
            own = audit.head(reg.conn)
            source.chains = {source.register_id: (own.entries, own.hash)}
            source.codes = {source.register_id: source.commune_code}
            for rid, code, n, head in reg.conn.execute(
                    "SELECT register_id, commune_code, entries, head FROM audit_chain"):
                source.chains[rid] = (n, head)
                source.codes[rid] = code or ""
            source.problem = _compare(reg.conn, source, merged, held)
            if source.problem:
                return source
            findings = audit_check.verify(reg.conn, source.register_id)
            if findings:
                source.problem = t("merge.fails_check", n=len(findings), first=str(findings[0]))
                return source
            source.counts = {t_: reg.conn.execute(f"SELECT count(*) FROM {t_}").fetchone()[0]
                             for t_ in ("persons", "journeys", "returns")}
    except SchemaVersionError as exc:
        source.problem = t("merge.newer", detail=str(exc))
    except EncryptedRegisterError:
        source.problem = t("merge.encrypted")
    except PassphraseError as exc:
        source.problem = str(exc)
    except NotARegisterError as exc:
        source.problem = str(exc)
    except (sqlite3.DatabaseError, KeyError) as exc:
        source.problem = t("merge.damaged", detail=str(exc))
    return source


PROCESSES_FROM = 40  # inputs from which checking them is worth worker processes


def _inspect_all(paths: list[Path], merged: dict[str, str], held: dict[str, Held],
                 passphrase: str | None, processes: int = 0) -> list[Source]:
    """Inspect and check every input. Checking hashes every record (CPU work holding the GIL):
    with ``processes`` (a program's entry point, whose main module is import-safe: worker
    processes import it again) many inputs are checked in that many worker processes."""
    if processes < 2 or len(paths) < PROCESSES_FROM:
        with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
            return list(pool.map(lambda p: _inspect(p, merged, held, passphrase), paths))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        return list(pool.map(_inspect, paths, [merged] * len(paths), [held] * len(paths),
                             [passphrase] * len(paths), chunksize=8))
