"""Merging commune registers: idempotent, order-independent, nothing lost, bad files refused."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

import register
from register.merge import apply_merge, merge, plan_merge
from register.schema import MIGRATION_SET
from tests.conftest import TODAY, departure

COMMUNES = {"010201": "01020101", "010202": "01020201", "020101": None}


def make_commune(folder, commune, village, n=3):
    path = folder / f"{commune}.db"
    with register.init_register(path, commune=commune) as reg:
        village = village or _first_village(commune)
        rows = [departure(home_village=village, name=f"Person {commune}-{i}",
                          national_id=f"{commune}{i:03d}") for i in range(n)]
        ids = register.add_records(reg, "departures", rows, today=TODAY).ids
        register.add_records(reg, "returns", [{"journey_id": ids[0], "return_date": "2025-01-01",
                                               "return_mode": "voluntary"}], today=TODAY)
    return path


def _first_village(commune):
    from register.gazetteer import load_gazetteer

    return load_gazetteer().children(commune)[0].code


@pytest.fixture
def communes(tmp_path):
    folder = tmp_path / "communes"
    folder.mkdir()
    return [make_commune(folder, c, v) for c, v in COMMUNES.items()]


def content(path):
    conn = sqlite3.connect(path)
    out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall())
           for t in ("persons", "person_identity", "journeys", "returns")}
    out["sources"] = sorted(r[:2] for r in conn.execute("SELECT * FROM merged_sources"))
    conn.close()
    return out


def test_merge_keeps_every_record_and_its_origin(communes, tmp_path):
    out = tmp_path / "district.db"
    report = merge(communes, out, link=False)
    assert report.files_merged == 3
    assert report.added["journeys"] == 9 and report.added["returns"] == 3
    with register.open_register(out) as reg:
        assert reg.level == "merged"
        origins = dict(reg.conn.execute(
            "SELECT s.commune_code, count(*) FROM journeys j JOIN merged_sources s "
            "ON s.register_id = j.source_register GROUP BY s.commune_code"))
        assert origins == {"010201": 3, "010202": 3, "020101": 3}
        assert register.check_register(reg).ok
        rows = list(register.researcher_rows(reg))
    assert sorted({r["register_commune"] for r in rows}) == ["010201", "010202", "020101"]


def test_merge_is_idempotent_and_order_independent(communes, tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    merge(communes, a, link=False)
    merge(list(reversed(communes)), b, link=False)
    assert content(a) == content(b)
    again = merge(communes, a, link=False)
    assert again.files_merged == 0 and sum(again.added.values()) == 0
    assert content(a) == content(b)
    # Merging one commune at a time, in any order, gives the same register.
    c = tmp_path / "c.db"
    for path in (communes[2], communes[0], communes[1], communes[0]):
        merge([path], c, link=False)
    assert content(c)["journeys"] == content(a)["journeys"]


def test_a_corrected_record_reaches_the_merged_register(communes, tmp_path):
    out = tmp_path / "out.db"
    merge(communes, out, link=False)
    with register.open_register(communes[0]) as reg:
        journey = reg.conn.execute("SELECT id FROM journeys LIMIT 1").fetchone()[0]
        register.correct(reg, journey, {"destination_country": "KR"}, reason="typo")
    report = merge(communes, out, link=False)
    assert report.files_merged == 1  # only the changed register
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT destination_country FROM journeys WHERE id = ?",
                            (journey,)).fetchone()[0] == "KR"


def test_district_registers_merge_into_a_province(communes, tmp_path):
    d1, d2, province = tmp_path / "d1.db", tmp_path / "d2.db", tmp_path / "p.db"
    merge(communes[:2], d1, link=False)
    merge(communes[1:], d2, link=False)
    merge([d1, d2], province, link=False)
    flat = tmp_path / "flat.db"
    merge(communes, flat, link=False)
    assert content(province)["journeys"] == content(flat)["journeys"]
    with sqlite3.connect(province) as conn:
        communes_seen = {r[0] for r in conn.execute("SELECT commune_code FROM merged_sources")}
    assert {"010201", "010202", "020101"} <= communes_seen


def test_bad_files_are_refused_by_name_and_nothing_is_written(communes, tmp_path):
    corrupt = tmp_path / "corrupt.db"
    data = bytearray(communes[0].read_bytes())
    data[4096:8192] = b"\x00garbage" * 512
    corrupt.write_bytes(bytes(data))
    future = tmp_path / "future.db"
    shutil.copy(communes[1], future)
    with sqlite3.connect(future) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES (?, '0099_future', 'x')", (MIGRATION_SET,))
    text = tmp_path / "notes.db"
    text.write_text("not a register")
    out = tmp_path / "out.db"
    plan = plan_merge([communes[2], corrupt, future, text], out)
    problems = {s.path.name: s.problem for s in plan.bad}
    assert set(problems) == {"corrupt.db", "future.db", "notes.db"}
    assert "newer version" in problems["future.db"]
    with pytest.raises(register.RegisterError, match="3 input files were refused"):
        apply_merge(plan, link=False)
    assert not out.exists()
    report = apply_merge(plan, link=False, skip_bad=True)
    assert report.files_merged == 1


def test_the_same_register_twice_is_refused(communes, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(communes[0], copy)
    plan = plan_merge([communes[0], copy], tmp_path / "out.db")
    assert [s.path.name for s in plan.bad] == ["copy.db"]


def test_dry_run_plan_writes_nothing(communes, tmp_path):
    out = tmp_path / "out.db"
    plan = plan_merge(communes, out)
    text = plan.summary()
    assert "3 to merge" in text and "010201" in text
    assert not out.exists()


def test_encrypted_communes_merge_into_an_encrypted_register(communes, tmp_path):
    secret = "province passphrase"
    register.change_passphrase(communes[0], None, secret)
    out = tmp_path / "out.db"
    refused = plan_merge(communes, out)
    assert [s.path.name for s in refused.bad] == [communes[0].name]
    assert "passphrase" in refused.bad[0].problem
    report = apply_merge(plan_merge(communes, out, passphrase=secret), link=False)
    assert report.files_merged == 3
    assert not out.read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(register.EncryptedRegisterError):
        register.open_register(out)
    with register.open_register(out, passphrase=secret) as reg:
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 9
        assert register.check_register(reg).ok
    again = apply_merge(plan_merge(communes, out, passphrase=secret), link=False)
    assert again.files_merged == 0


def _side_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("secret", [None, "province passphrase"])
def test_merge_leaves_no_side_files_beside_the_communes(communes, tmp_path, secret):
    """A merge read each commune through a read-only connection, which cannot remove the -wal
    and -shm files SQLite makes: they stayed beside every commune file after the merge."""
    if secret:
        for path in communes:
            register.change_passphrase(path, None, secret)
    folder = communes[0].parent
    assert _side_files(folder) == []
    report = apply_merge(plan_merge(communes, tmp_path / "district.db", passphrase=secret),
                         link=False)
    assert report.files_merged == 3
    assert _side_files(folder) == [] and _side_files(tmp_path) == []


def test_merge_leaves_the_side_files_of_a_register_open_elsewhere(communes, tmp_path):
    held = register.open_register(communes[0])  # the clerk's program, still running
    try:
        held.conn.execute("SELECT count(*) FROM journeys").fetchone()
        merge(communes, tmp_path / "district.db", link=False)
        assert f"{communes[0].name}-wal" in _side_files(communes[0].parent)
        assert held.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 3
    finally:
        held.close()
    assert _side_files(communes[0].parent) == []


def _mark_synthetic(path):
    with register.open_register(path) as reg, reg.write() as conn:
        conn.execute("INSERT INTO register_meta (key, value) VALUES ('synthetic', 'test seed 1')")


def test_the_synthetic_mark_travels_with_the_merge(communes, tmp_path):
    """The demo had to mark its national register by hand: a register merged from synthetic
    communes was not itself marked, so its tables did not say SYNTHETIC DATA."""
    for path in communes:
        _mark_synthetic(path)
    out = tmp_path / "district.db"
    merge(communes, out, link=False)
    with register.open_register(out) as reg:
        assert reg.meta()["synthetic"] == "test seed 1"
    province = tmp_path / "province.db"
    merge([out], province, link=False)
    with register.open_register(province) as reg:
        assert reg.meta()["synthetic"] == "test seed 1"


def test_synthetic_and_real_registers_never_mix(communes, tmp_path):
    _mark_synthetic(communes[0])
    out = tmp_path / "district.db"
    plan = plan_merge(communes, out)
    assert [(s.path.name, s.problem) for s in plan.bad] == [
        (communes[0].name, register.i18n.t("merge.synthetic_into_real"))]
    with pytest.raises(register.RegisterError, match="synthetic"):
        apply_merge(plan, link=False)
    apply_merge(plan, link=False, skip_bad=True)
    with register.open_register(out) as reg:
        assert "synthetic" not in reg.meta()
    # ... and a real register is refused by a synthetic output
    merge([communes[0]], tmp_path / "synthetic.db", link=False)
    later = plan_merge(communes[1:], tmp_path / "synthetic.db")
    assert {s.problem for s in later.bad} == {register.i18n.t("merge.real_into_synthetic")}
