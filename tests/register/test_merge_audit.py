"""Merged registers keep and compare their communes' audit chains (issue 9, item 6)."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

import register
from register import audit
from register.merge import apply_merge, merge, plan_merge
from tests.register.test_merge import COMMUNES, make_commune


@pytest.fixture
def communes(tmp_path):
    folder = tmp_path / "communes"
    folder.mkdir()
    return [make_commune(folder, c, v) for c, v in COMMUNES.items()]


def _check(path):
    with register.open_register(path) as reg:
        return register.check_register(reg)


def _journey(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id FROM journeys ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def _correct(path, record, **changes):
    with register.open_register(path, actor="clerk") as reg:
        register.correct(reg, record, changes, reason="typo")


def test_merged_register_holds_each_communes_chain_and_checks_records_against_it(communes,
                                                                                tmp_path):
    out = tmp_path / "district.db"
    merge(communes, out, link=False)
    with sqlite3.connect(out) as conn:
        held = conn.execute("SELECT count(*), sum(entries) FROM audit_chain").fetchone()
        rows = conn.execute("SELECT count(*) FROM audit_row WHERE chain > 0").fetchone()[0]
    assert held == (3, 6)  # 3 communes, 2 entries each (departures, a return)
    assert rows == 3 * (3 * 3 + 1)
    assert _check(out).ok
    # An edit inside the merged register is found, named with its commune.
    journey = _journey(out)
    with sqlite3.connect(out) as conn:
        conn.execute("UPDATE journeys SET fee_usd = 1 WHERE id = ?", (journey,))
    findings = _check(out).audit_findings
    assert [(f.kind, f.record_id) for f in findings] == [("edited_outside", journey)]


def test_a_commune_that_fails_its_own_check_is_refused_or_left_out(communes, tmp_path):
    journey = _journey(communes[0])
    with sqlite3.connect(communes[0]) as conn:
        conn.execute("UPDATE journeys SET destination_country = 'KR' WHERE id = ?", (journey,))
    out = tmp_path / "out.db"
    plan = plan_merge(communes, out)
    assert [s.path.name for s in plan.bad] == [communes[0].name]
    assert "fails its own check" in plan.bad[0].problem
    with pytest.raises(register.RegisterError, match="refused"):
        apply_merge(plan, link=False)
    assert not out.exists()
    report = apply_merge(plan, link=False, skip_bad=True)
    assert report.files_merged == 2
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM journeys WHERE id = ?", (journey,)
                            ).fetchone()[0] == 0
    assert _check(out).ok


def test_a_commune_rolled_back_since_the_last_merge_is_refused(communes, tmp_path):
    out = tmp_path / "out.db"
    old = tmp_path / "old-copy.db"
    shutil.copy(communes[0], old)
    merge(communes, out, link=False)
    _correct(communes[0], _journey(communes[0]), destination_country="KR")
    merge(communes, out, link=False)
    # The commune file is replaced by its older copy (2 entries; the merge took in 3).
    shutil.copy(old, communes[0])
    plan = plan_merge(communes, out)
    assert [s.path.name for s in plan.bad] == [communes[0].name]
    assert "rolled back" in plan.bad[0].problem and "3" in plan.bad[0].problem
    with pytest.raises(register.RegisterError):
        apply_merge(plan, link=False)
    assert _check(out).ok


def test_a_commune_whose_history_was_rewritten_is_refused(communes, tmp_path):
    out = tmp_path / "out.db"
    merge(communes, out, link=False)
    conn = sqlite3.connect(communes[1], isolation_level=None)
    conn.execute("DROP TRIGGER audit_entry_append_only_update")
    conn.execute("UPDATE audit_entry SET actor = 'someone' WHERE seq = 2")
    from tests.register.test_audit import _rewrite_chain

    _rewrite_chain(conn)
    conn.close()
    _correct(communes[1], _journey(communes[1]), destination_country="MY")
    assert _check(communes[1]).ok  # consistent in itself
    plan = plan_merge(communes, out)
    assert [s.path.name for s in plan.bad] == [communes[1].name]
    assert "rewritten" in plan.bad[0].problem


def test_chains_travel_from_districts_to_a_province_with_their_corrections(communes, tmp_path):
    d1, d2, province = tmp_path / "d1.db", tmp_path / "d2.db", tmp_path / "p.db"
    merge(communes[:2], d1, link=False)
    merge(communes[2:], d2, link=False)
    merge([d1, d2], province, link=False)
    assert _check(province).ok
    with sqlite3.connect(province) as conn:
        codes = {r[0] for r in conn.execute("SELECT commune_code FROM audit_chain")}
    assert {"010201", "010202", "020101"} <= codes
    # A correction in a commune reaches the province through its district.
    journey = _journey(communes[0])
    _correct(communes[0], journey, destination_country="KR")
    merge(communes[:2], d1, link=False)
    merge([d1, d2], province, link=False)
    with sqlite3.connect(province) as conn:
        assert conn.execute("SELECT destination_country FROM journeys WHERE id = ?",
                            (journey,)).fetchone()[0] == "KR"
    assert _check(province).ok
    # An edit inside the province is found against the commune's chain.
    with sqlite3.connect(province) as conn:
        conn.execute("UPDATE journeys SET destination_country = 'TH' WHERE id = ?", (journey,))
    assert [f.kind for f in _check(province).audit_findings] == ["edited_outside"]


def test_a_district_holding_an_older_copy_of_a_commune_is_refused(communes, tmp_path):
    district, province = tmp_path / "d.db", tmp_path / "p.db"
    merge(communes[:2], district, link=False)
    _correct(communes[0], _journey(communes[0]), destination_country="KR")
    merge([communes[0]], province, link=False)  # the province took the commune directly
    _correct(communes[1], _journey(communes[1]), destination_country="MY")
    merge([communes[1]], district, link=False)  # the district changed, but holds commune 0 old
    plan = plan_merge([district], province)
    assert plan.bad and "older copy" in plan.bad[0].problem


def test_corrections_in_a_merged_register_are_refused(communes, tmp_path):
    out = tmp_path / "out.db"
    merge(communes, out, link=False)
    with register.open_register(out) as reg, pytest.raises(register.RegisterError,
                                                           match="010201"):
        register.correct(reg, _journey(communes[0]), {"destination_country": "KR"},
                         reason="x")


def test_a_merge_entry_records_each_source_head(communes, tmp_path):
    out = tmp_path / "out.db"
    report = merge(communes, out, link=False)
    with register.open_register(out) as reg:
        action, detail = reg.conn.execute(
            "SELECT action, detail FROM audit_entry WHERE chain = 0").fetchone()
        assert report.code == audit.anchor(reg.conn)
    assert action == "merge" and detail.count('"head"') == 3


def test_a_first_merge_built_in_bulk_equals_file_by_file_upserts(communes, tmp_path):
    """A new output is built from staged rows in key order; the result is the one merging the
    files one at a time gives, duplicates (a commune held by two districts) included."""
    from tests.register.test_merge import content

    _correct(communes[1], _journey(communes[1]), destination_country="MY")
    d1, d2 = tmp_path / "d1.db", tmp_path / "d2.db"
    merge(communes[:2], d1, link=False)
    merge(communes[1:], d2, link=False)
    bulk, one_by_one = tmp_path / "bulk.db", tmp_path / "upsert.db"
    merge([d1, d2], bulk, link=False)
    merge([d1], one_by_one, link=False)
    merge([d2], one_by_one, link=False)
    assert content(bulk) == content(one_by_one)
    for path in (bulk, one_by_one):
        assert _check(path).ok
    with sqlite3.connect(bulk) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                              "'index' AND sql IS NOT NULL")}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")}
    assert {"journeys_person", "persons_home_village", "warnings_record"} <= indexes
    assert not [t for t in tables if t.startswith("stage_")]
