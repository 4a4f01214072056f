"""``register check``: is this register file whole, consistent and untampered?"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import audit, audit_check, rules
from .db import Register, schema_version
from .errors import is_database_error, trouble
from .i18n import t
from .void import voided_findings


@dataclass
class CheckReport:
    schema_version: str
    counts: dict[str, int]
    problems: list[str] = field(default_factory=list)
    audit_findings: list[audit_check.Finding] = field(default_factory=list)
    anchor: audit_check.AnchorCheck | None = None  # with ``expect``: the history against that code
    code: str = ""  # the chain head's short code now

    @property
    def ok(self) -> bool:
        return (not self.problems and not self.audit_findings
                and (self.anchor is None or self.anchor.ok))


COUNTED = ("persons", "journeys", "returns", "referrals", "agencies", "brokers", "warnings",
           "audit_entry")


def check_register(reg: Register, expect: str | None = None) -> CheckReport:
    """SQLite integrity, foreign keys, gazetteer codes, the rule book, and the audit log.

    ``expect``: a code of the chain head written down earlier (``audit.anchor``); the register's
    history must contain it (a shorter or different history is a rollback or a forgery).
    A file too damaged to read is reported as such (restore the last backup), not raised.
    """
    try:
        return _check(reg, expect)
    except Exception as exc:  # SQLite's errors, or SQLCipher's (not sqlite3 classes)
        if not is_database_error(exc):
            raise
        return CheckReport(schema_version="?", counts={}, problems=[trouble(exc)])


def _check(reg: Register, expect: str | None) -> CheckReport:
    from .gazetteer import load_gazetteer

    conn = reg.conn
    report = CheckReport(
        schema_version=schema_version(reg),
        counts={t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED},
    )
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        report.problems += [t("check.sqlite", detail=r) for r in result[:20]]
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        report.problems.append(t("check.missing_link", table=table, row=rowid, parent=parent))
    gazetteer = load_gazetteer()
    for (village,) in conn.execute("SELECT DISTINCT home_village FROM persons"):
        if not gazetteer.exists(village, "village"):
            report.problems.append(t("check.village", code=village))
    meta = reg.meta()
    for key in ("register_id", "level", "created_at"):
        if key not in meta:
            report.problems.append(t("check.meta", name=key))
    for breach in rules.breaches(conn):
        report.problems.append(t("check.breach", table=t(f"table.{breach.table}"),
                                 record=breach.record_id[:8], problem=str(breach.problem)))
    report.problems += voided_findings(conn)
    report.audit_findings = audit_check.verify(conn, reg.register_id)
    report.code = audit.anchor(conn)
    if expect is not None:
        report.anchor = audit_check.check_anchor(conn, expect)
    return report
