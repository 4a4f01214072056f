"""The audit log against forgery (issue 9, item 5): each attack is detected whenever a code of
the chain head was written down earlier, and the codes themselves."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

import register
from register import audit
from register.backup import backup, verify_backup
from register.cli import app
from tests.conftest import TODAY, departure


def _raw(path):
    return sqlite3.connect(path, isolation_level=None)


def _add(path, n=1, tag="A"):
    with register.open_register(path, actor="clerk") as reg:
        rows = [departure(name=f"{tag} {i}", national_id=f"{tag}{i:07d}") for i in range(n)]
        register.add_records(reg, "departures", rows, today=TODAY)
        return audit.anchor(reg.conn)


def _check(path, expect=None):
    with register.open_register(path) as reg:
        return register.check_register(reg, expect=expect)


def _forge_entry(conn, action="correct", actor="clerk", rows=()):
    """Append a well-formed entry the way the program would (the chain is unkeyed)."""
    seq, prev = conn.execute("SELECT seq, hash FROM audit_entry WHERE chain = 0 "
                             "ORDER BY seq DESC LIMIT 1").fetchone()
    items = []
    for table, record_id, row in rows:
        digest = audit.row_hash(row)
        key = audit.id_key(record_id)
        conn.execute("INSERT INTO audit_row VALUES (0, ?, ?, ?, ?)",
                     (seq + 1, audit.TABLE_CODES[table], key, digest))
        items.append(audit.row_item(audit.TABLE_CODES[table], key, digest))
    h = audit.rows_hasher()
    h.update(b"".join(items))
    new = audit.entry_hash(prev, seq + 1, "2026-11-02T00:00:00+00:00", actor, action, "fix",
                           None, h.digest())
    conn.execute("INSERT INTO audit_entry VALUES (0, ?, '2026-11-02T00:00:00+00:00', ?, ?, 'fix', "
                 "NULL, ?)", (seq + 1, actor, action, new))


def _row(conn, table, record_id):
    cur = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def _rewrite_chain(conn):
    """Recompute every entry hash from scratch (after the triggers are dropped)."""
    digests: dict[int, bytes] = {}
    for seq, tab, key, digest in conn.execute(
            "SELECT seq, tab, id, hash FROM audit_row WHERE chain = 0 ORDER BY rowid"):
        digests.setdefault(seq, b"")
        digests[seq] += audit.row_item(tab, key, digest)
    prev = b""
    for seq, at, actor, action, reason, detail in conn.execute(
            "SELECT seq, at, actor, action, reason, detail FROM audit_entry WHERE chain = 0 "
            "ORDER BY seq").fetchall():
        h = audit.rows_hasher()
        h.update(digests.get(seq, b""))
        prev = audit.entry_hash(prev, seq, at, actor, action, reason, detail, h.digest())
        conn.execute("UPDATE audit_entry SET hash = ? WHERE chain = 0 AND seq = ?", (prev, seq))


# -- codes -----------------------------------------------------------------------------------
def test_codes_are_short_and_read_back_forgivingly():
    digest = hashlib.blake2b(b"x", digest_size=32).digest()
    code = audit.code_of(14, digest)
    assert len(code) == len("14-7KQ9-M2XC") and code.startswith("14-")
    assert not set(code[3:].replace("-", "")) & set("ILOU")
    assert audit.parse_code(code) == (14, digest[:5])
    assert audit.parse_code(code.lower().replace("0", "o")) == (14, digest[:5])
    assert audit.parse_code("14-7KQ9") is None and audit.parse_code("x-1234-5678") is None


def test_every_writing_command_ends_with_the_code(reg_path):
    runner = CliRunner()
    result = runner.invoke(app, ["add-departure", "--db", str(reg_path), "--no-input",
                                 "--sex", "F", "--home-village", "01020101",
                                 "--departure-date", "2024-03-12", "--destination-country",
                                 "TH", "--channel", "own"])
    assert result.exit_code == 0, result.output
    with register.open_register(reg_path) as reg:
        code = audit.anchor(reg.conn)
    assert code.startswith("1-") and result.output.strip().splitlines()[-1].find(code) > 0
    check = runner.invoke(app, ["check", "--db", str(reg_path), "--expect", code])
    assert check.exit_code == 0 and "nothing was written since" in check.output


def test_the_code_of_an_earlier_point_lists_what_was_written_since(reg_path):
    code = _add(reg_path)
    _add(reg_path, tag="B")
    report = _check(reg_path, code)
    assert report.ok and report.anchor.status == "grown"
    assert [(e["seq"], e["action"], e["actor"]) for e in report.anchor.since] == [(2, "add",
                                                                                   "clerk")]


# -- the attacks of issue 9, item 5 ------------------------------------------------------------
def test_appended_well_formed_entry_after_an_edit_is_shown_after_the_code(reg_path):
    code = _add(reg_path)
    conn = _raw(reg_path)
    journey = conn.execute("SELECT id FROM journeys").fetchone()[0]
    conn.execute("UPDATE journeys SET destination_country = 'KR' WHERE id = ?", (journey,))
    assert [f.kind for f in _check(reg_path).audit_findings] == ["edited_outside"]
    _forge_entry(conn, actor="clerk", rows=[("journeys", journey, _row(conn, "journeys", journey))])
    conn.close()
    # The forged entry makes the file consistent again: only the code shows it, as an entry
    # written after the code was taken (the clerk did not write it).
    report = _check(reg_path, code)
    assert not report.audit_findings
    assert report.anchor.status == "grown" and len(report.anchor.since) == 1
    assert report.anchor.since[0]["reason"] == "fix"


def test_chain_rewritten_after_dropping_the_triggers_is_found_by_the_code(reg_path):
    _add(reg_path, tag="A")
    code = _add(reg_path, tag="B")
    conn = _raw(reg_path)
    for trigger in ("audit_entry_append_only_update", "audit_row_append_only_update"):
        conn.execute(f"DROP TRIGGER {trigger}")
    journey = conn.execute("SELECT id FROM journeys").fetchone()[0]
    conn.execute("UPDATE journeys SET destination_country = 'KR' WHERE id = ?", (journey,))
    conn.execute("UPDATE audit_row SET hash = ? WHERE id = ?",
                 (audit.row_hash(_row(conn, "journeys", journey)), audit.id_key(journey)))
    _rewrite_chain(conn)
    conn.close()
    assert _check(reg_path).ok  # consistent without a code
    report = _check(reg_path, code)
    assert not report.ok and report.anchor.status == "rewritten"


@pytest.mark.parametrize("n", [2, 5, "all"])
def test_last_entries_deleted_with_their_records_is_a_rollback(reg_path, n):
    for i in range(6):
        code = _add(reg_path, tag=f"T{i}")
    conn = _raw(reg_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    for trigger in ("audit_entry_append_only_delete", "audit_row_append_only_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    last = 6 if n == "all" else n
    for seq in range(6, 6 - last, -1):
        for tab, key in conn.execute("SELECT tab, id FROM audit_row WHERE seq = ?",
                                     (seq,)).fetchall():
            table = audit.TABLE_OF_CODE[tab]
            conn.execute(f"DELETE FROM {table} WHERE {register.model.MODEL.key_of(table)} = ?",
                         (audit.id_text(key),))
        conn.execute("DELETE FROM audit_row WHERE seq = ?", (seq,))
        conn.execute("DELETE FROM audit_entry WHERE seq = ?", (seq,))
    conn.close()
    assert _check(reg_path).ok  # a shorter history is consistent in itself
    report = _check(reg_path, code)
    assert not report.ok and report.anchor.status == "rollback"


def test_backup_with_a_recomputed_sidecar_fails_against_the_code(reg_path, tmp_path):
    code = _add(reg_path, n=3)
    out = tmp_path / "usb.db"
    backup(reg_path, out)
    assert verify_backup(out, expect=code).records == 6
    conn = _raw(out)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP TRIGGER audit_entry_append_only_delete")
    conn.execute("DROP TRIGGER audit_row_append_only_delete")
    conn.execute("DELETE FROM journeys")
    conn.execute("DELETE FROM persons")
    conn.execute("DELETE FROM person_identity")
    conn.execute("DELETE FROM audit_row")
    conn.execute("DELETE FROM audit_entry")
    conn.close()
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    (tmp_path / "usb.db.sha256").write_text(f"{digest}  usb.db\n")
    assert verify_backup(out).records == 0  # the sidecar alone cannot tell
    with pytest.raises(register.IntegrityError, match="rolled back"):
        verify_backup(out, expect=code)


def test_check_without_a_code_still_names_edits_and_broken_entries(reg_path):
    _add(reg_path, n=2)
    conn = _raw(reg_path)
    conn.execute("DROP TRIGGER audit_row_append_only_delete")
    conn.execute("DELETE FROM audit_row WHERE rowid = 1")
    conn.close()
    kinds = {f.kind for f in _check(reg_path).audit_findings}
    assert "chain_broken" in kinds and "added_outside" in kinds


def test_a_copy_checks_against_the_code_of_its_original(reg_path, tmp_path):
    code = _add(reg_path)
    copy = tmp_path / "copy.db"
    shutil.copy(reg_path, copy)
    assert _check(copy, code).ok


def test_the_row_hasher_of_many_rows_gives_the_row_hash():
    """Checking and writing hash value tuples (row_hasher); the definition is row_hash."""
    names = ("id", "fee_usd", "name", "has_visa", "birth_year", "note")
    rows = [("a", 500.0, "ស ុខ", True, 1990, None), ("b", 12.5, "x\x1fy", 0, None, ""),
            ("c", None, None, None, None, None)]
    for values in rows:
        for salt in (None, b"0123456789abcdef"):
            assert (audit.row_hasher(names)(values, salt)
                    == audit.row_hash(dict(zip(names, values, strict=True)), salt))
    # a value's type as SQLite stores it does not change the hash; its text does
    assert audit.row_hash({"fee": 500}) == audit.row_hash({"fee": 500.0})
    assert audit.row_hash({"fee": 500}) != audit.row_hash({"fee": 501})
    assert audit.row_hash({"a": "1", "b": None}) == audit.row_hash({"a": "1"})
    assert audit.row_hash({"a": "x\x1eb"}) != audit.row_hash({"a": "x", "b": ""})


def test_sqlite_writes_the_same_canonical_text_as_python(reg_path):
    """check hashes the canonical text SQLite makes; it must be the definition's (row_bytes)."""
    from register.audit_check import canonical_sql

    with register.open_register(reg_path) as reg:
        register.add_records(reg, "departures", [
            departure(), departure(name="ស៊ីម ណារី", fee_usd="12.5", debt_usd=0, n_brokers=3),
            departure(name="X", fee_usd=99999.99, national_id=None, phone=None)], today=TODAY)
        for table in ("persons", "person_identity", "journeys"):
            cur = reg.conn.execute(f"SELECT {canonical_sql(reg.conn, table)}, r.* FROM {table} r")
            names = [d[0] for d in cur.description][1:]
            for text, *values in cur:
                row = dict(zip(names, values, strict=True))
                assert text.encode("utf-8") == audit.row_bytes(row), (table, row)


def test_the_monthly_report_prints_the_code(reg_path, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    from register.report import monthly_report
    from register.report_pdf import write_report

    code = _add(reg_path, n=2)
    with register.open_register(reg_path) as reg:
        report = monthly_report(reg, "2024-03", today=TODAY)
    assert report.audit_code == code
    out = tmp_path / "report.pdf"
    write_report(report, out)
    text = pdfium.PdfDocument(out)[0].get_textpage().get_text_range()
    assert code in text


def test_a_records_entries_are_those_that_wrote_or_voided_it(reg):
    """The history of a record (the browser form's record page): the entries whose rows name it,
    and the void entry that names it, each once, oldest first; nothing of other records."""
    from register.void import void

    first = register.add_departure(reg, **departure(name="A", national_id="1"))
    other = register.add_departure(reg, **departure(name="B", national_id="2"))
    journey, person = first.ids[0], first.persons[0]
    reg.actor = "corrector"
    register.correct(reg, journey, {"destination_country": "MY"}, reason="typo in the country")
    register.correct(reg, other.ids[0], {"fee_usd": 300}, reason="not this one")
    reg.actor = "voider"
    void(reg, journey, reason="entered twice")
    mine = [("journeys", journey), ("persons", person), ("person_identity", person)]
    entries = audit.record_entries(reg.conn, mine)
    assert [(e["action"], e["actor"], e["reason"]) for e in entries] == [
        ("add", "test-clerk", None), ("correct", "corrector", "typo in the country"),
        ("void", "voider", "entered twice")]
    assert [e["seq"] for e in entries] == [1, 3, 5] and {e["chain"] for e in entries} == {0}
    # the person alone: written by the first entry, voided with the departure that brought them
    assert [e["seq"] for e in audit.record_entries(reg.conn, [("persons", person)])] == [1, 5]
    assert [e["seq"] for e in audit.record_entries(reg.conn, [("journeys", other.ids[0])])] == [
        2, 4]
    assert audit.record_entries(reg.conn, []) == []
    assert audit.record_entries(reg.conn, [("journeys", "0" * 8)]) == []
    # the chain's own history (audit_check) is unchanged
    assert [(e["seq"], e["action"]) for e in audit.history(reg.conn, 3)] == [
        (4, "correct"), (5, "void")]
