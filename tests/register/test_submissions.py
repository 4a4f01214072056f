"""Phone submissions exported by KoboToolbox and ODK Central import into the register.

The export files are built here by hand in each tool's shape (kobotoolbox/formpack
``reporting/export.py``: ``;``-separated CSV, ``group/question`` paths, ``_id``, ``_uuid``,
``_submission_time`` and ``meta/*`` columns, select_multiple as a summary column plus
``question/choice`` 0/1 columns; getodk/central-backend ``lib/data/briefcase.js``:
``SubmissionDate`` first, ``group-question`` paths, ``meta-instanceID``, then ``KEY``,
``SubmitterID`` ... ``Edits``, ``FormVersion``).
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import register
from register.cli import app
from register.errors import ValidationError
from register.submission_import import import_submissions
from register.submissions import FormVersionError, read_submissions
from register.xlsform import build_form, form_version
from tests.conftest import TODAY, VILLAGE

DEPARTURES = [
    {"sex": "F", "birth_year": "1996", "home_village": VILLAGE, "departure_date": "2024-03-12",
     "destination_country": "TH", "sector": "agriculture", "channel": "broker", "n_brokers": "1",
     "has_passport": "yes", "fee_usd": "250", "debt_usd": "250", "name": "សុខ ដារា",
     "national_id": "010203045"},
    {"sex": "M", "birth_date": "1990-07-01", "birth_year": "1990", "home_village": VILLAGE,
     "departure_date": "2023-11-02", "destination_country": "MY", "sector": "construction",
     "channel": "licensed_agency", "has_passport": "no", "contract_seen": "yes",
     "job_promised": "ការងារសំណង់", "name": "Chan Dara"},
    {"sex": "F", "birth_year": "2001", "home_village": "01020102", "departure_date": "2025-01-20",
     "destination_country": "KR", "channel": "mou", "has_visa": "yes", "has_work_permit": "yes"},
]


def uid(n: int, edit: int = 0) -> str:
    return str(uuid.UUID(int=(n << 16) + edit))


def _questions(kind: str) -> list[str]:
    return [q.name for q in build_form(kind, places=False).questions]


def _value(kind: str, name: str, record: dict[str, Any]) -> Any:
    if name == "form_version":
        return record.get("form_version", form_version(kind))
    if name.endswith("_commune") and "village" in name:
        return record.get(name.removesuffix("_commune"), "")[:6]
    if name.endswith("_district") and "village" in name:
        return record.get(name.removesuffix("_district"), "")[:4]
    return record.get(name, "")


def kobo_export(path: Path, kind: str, subs: list[dict[str, Any]], *, group: str = "",
                labels: bool = False) -> Path:
    """A KoboToolbox CSV export: ';'-separated; ``group`` puts the questions in a group."""
    form = build_form(kind, places=False)
    names = _questions(kind)
    header, rows = [], []
    multi = {q.name for q in form.questions if q.type.startswith("select_multiple")}
    for name in ["start", "end", *names]:
        q = form.question(name)
        shown = q.row()["label::English (en)"] if labels and q and q.type != "calculate" else name
        header.append(f"{group}/{shown}" if group and q else shown)
        if name in multi:
            header += [f"{header[-1]}/{c}" for c in ("TH", "MY", "KR")]
    header += ["meta/instanceID", "meta/deprecatedID", "meta/rootUuid", "_id", "_uuid",
               "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
               "__version__", "_tags", "_index"]
    choice_label = {(r["list_name"], r["name"]): r["label::English (en)"] for r in form.choices}
    for i, sub in enumerate(subs, start=1):
        row = ["2024-03-12T08:00:00.000+07:00", "2024-03-12T08:10:00.000+07:00"]
        for name in names:
            value = _value(kind, name, sub)
            q = form.question(name)
            if labels and value and q and q.type.startswith("select_one "):
                value = choice_label.get((q.type.split()[1], value), value)
            row.append(value)
            if name in multi:
                chosen = str(value).split()
                row += ["1" if c in chosen else "0" for c in ("TH", "MY", "KR")]
        instance = sub["_uuid"]
        row += [f"uuid:{instance}", sub.get("deprecated", ""), sub.get("root", ""), str(i),
                instance, "2024-03-13T10:00:00", "", "[]", "submitted_via_web", "", "vXyZ", "[]",
                str(i)]
        rows.append(row)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def odk_export(path: Path, kind: str, subs: list[dict[str, Any]], *, group: str = "") -> Path:
    """An ODK Central CSV export (root table), groups as ``group-question``."""
    form = build_form(kind, places=False)
    names = _questions(kind)
    multi = {q.name for q in form.questions if q.type.startswith("select_multiple")}
    header = ["SubmissionDate"]
    for name in names:
        header.append(f"{group}-{name}" if group else name)
        if name in multi:
            header += [f"{header[-1]}/{c}" for c in ("TH", "MY", "KR")]
    header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
               "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
               "FormVersion"]
    rows = []
    for sub in subs:
        row = ["2024-03-13T10:00:00.000Z"]
        for name in names:
            value = _value(kind, name, sub)
            row.append(value)
            if name in multi:
                row += ["1" if c in str(value).split() else "0" for c in ("TH", "MY", "KR")]
        row += [f"uuid:{sub['_uuid']}", f"uuid:{sub.get('key', sub['_uuid'])}", "5",
                "enumerator", "0", "0", "", sub.get("review", ""), "collect:abc",
                str(sub.get("edits", 0)), sub.get("form_version", form_version(kind))]
        rows.append(row)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def subs_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "_uuid": uid(i)} for i, r in enumerate(records, start=1)]


def count(reg, table: str) -> int:
    return reg.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_kobo_import_is_idempotent_and_adds_only_new_submissions(reg, tmp_path):
    first = kobo_export(tmp_path / "k1.csv", "departures", subs_of(DEPARTURES[:2]),
                        group="person")
    report = import_submissions(reg, first, "departures", "kobo", today=TODAY)
    assert report.added.written == {"persons": 2, "person_identity": 2, "journeys": 2}
    again = import_submissions(reg, first, "departures", "kobo", today=TODAY)
    assert again.added.written == {} and again.added.already_present == 2
    newer = kobo_export(tmp_path / "k2.csv", "departures", subs_of(DEPARTURES))
    report = import_submissions(reg, newer, "departures", "kobo", today=TODAY)
    assert report.added.written["journeys"] == 1 and report.added.already_present == 2
    assert count(reg, "journeys") == 3


def test_kobo_edit_becomes_a_correction_with_its_reason(reg, tmp_path):
    subs = subs_of(DEPARTURES[:2])
    import_submissions(reg, kobo_export(tmp_path / "k1.csv", "departures", subs), "departures",
                       "kobo", today=TODAY)
    edited = dict(subs[0], destination_country="MY", sex="M", _uuid=uid(1, 1),
                  deprecated=f"uuid:{uid(1)}", root=f"uuid:{uid(1)}")
    path = kobo_export(tmp_path / "k2.csv", "departures", [edited, subs[1]])
    report = import_submissions(reg, path, "departures", "kobo", today=TODAY)
    assert report.added.written == {} and count(reg, "journeys") == 2
    [(record_id, instance, changes)] = report.corrected
    assert instance == f"uuid:{uid(1, 1)}"
    assert changes == {"destination_country": ("TH", "MY"), "sex": ("F", "M")}
    reasons = [r[0] for r in reg.conn.execute(
        "SELECT reason FROM audit_entry WHERE action = 'correct'")]
    assert len(reasons) == 1 and all(uid(1, 1) in r and uid(1) in r for r in reasons)
    # the same export again: the edit is already applied, nothing changes
    again = import_submissions(reg, path, "departures", "kobo", today=TODAY)
    assert again.corrected == [] and again.edits_already_applied == 1


def test_odk_edit_keeps_its_key_and_becomes_a_correction(reg, tmp_path):
    subs = subs_of(DEPARTURES[:1])
    import_submissions(reg, odk_export(tmp_path / "o1.csv", "departures", subs, group="g"),
                       "departures", "odk", today=TODAY)
    edited = dict(subs[0], fee_usd="300", _uuid=uid(1, 1), key=uid(1), edits=1,
                  review="edited")
    report = import_submissions(reg, odk_export(tmp_path / "o2.csv", "departures", [edited]),
                                "departures", "odk", today=TODAY)
    assert [c[2] for c in report.corrected] == [{"fee_usd": (250.0, 300.0)}]
    assert count(reg, "journeys") == 1


def test_an_edit_of_a_submission_not_yet_imported_is_added_once(reg, tmp_path):
    edited = dict(subs_of(DEPARTURES[:1])[0], _uuid=uid(1, 1), key=uid(1), edits=2)
    path = odk_export(tmp_path / "o.csv", "departures", [edited])
    assert import_submissions(reg, path, "departures", "odk", today=TODAY).added.ids
    original = odk_export(tmp_path / "o0.csv", "departures", subs_of(DEPARTURES[:1]))
    assert import_submissions(reg, original, "departures", "odk",
                              today=TODAY).added.already_present == 1


def test_form_version_mismatch_names_both_versions(reg, tmp_path):
    old = dict(subs_of(DEPARTURES[:1])[0], form_version="0123456789ab")
    for source, make in (("kobo", kobo_export), ("odk", odk_export)):
        path = make(tmp_path / f"{source}.csv", "departures", [old])
        with pytest.raises(FormVersionError) as err:
            import_submissions(reg, path, "departures", source, today=TODAY)
        assert "0123456789ab" in str(err.value) and form_version("departures") in str(err.value)
    assert count(reg, "journeys") == 0


def test_a_bad_submission_is_named_and_nothing_is_written(reg_path, tmp_path):
    bad = dict(DEPARTURES[1], departure_date="2030-01-01")
    path = kobo_export(tmp_path / "k.csv", "departures", subs_of([DEPARTURES[0], bad]))
    result = CliRunner().invoke(app, ["import", str(path), "--kind", "departures", "--from",
                                      "kobo", "--db", str(reg_path), "--no-input"])
    assert result.exit_code == 1
    assert f"uuid:{uid(2)}" in result.output and "departure_date" in result.output
    assert "is in the future" in result.output
    with register.open_register(reg_path) as opened:
        assert count(opened, "journeys") == 0 and count(opened, "audit_entry") == 0


def test_labels_exported_instead_of_names_are_read_back(tmp_path):
    by_name = read_submissions(kobo_export(tmp_path / "n.csv", "departures",
                                           subs_of(DEPARTURES)), "departures", "kobo")
    by_label = read_submissions(kobo_export(tmp_path / "l.csv", "departures",
                                            subs_of(DEPARTURES), labels=True),
                                "departures", "kobo")
    assert [s.values for s in by_label] == [s.values for s in by_name]
    assert by_name[0].values["destination_country"] == "TH"


def test_select_multiple_as_split_columns_or_summary(reg, tmp_path):
    agencies = [{"name": "Best Jobs Co", "licence_number": "L-17", "licence_status": "licensed",
                 "allowed_destinations": "TH MY"},
                {"name": "Far Away Ltd", "licence_status": "unknown",
                 "allowed_destinations": "KR"}]
    path = kobo_export(tmp_path / "a.csv", "agencies", subs_of(agencies))
    subs = read_submissions(path, "agencies", "kobo")
    assert subs[0].values["allowed_destinations"] == "TH MY"
    # the summary column left empty: the split 0/1 columns are read
    text = path.read_text(encoding="utf-8").replace(";TH MY;", ";;")
    path.write_text(text, encoding="utf-8")
    assert read_submissions(path, "agencies", "kobo")[0].values["allowed_destinations"] == "TH MY"
    import_submissions(reg, path, "agencies", "kobo", today=TODAY)
    stored = reg.conn.execute("SELECT allowed_destinations FROM agencies ORDER BY name")
    assert [r[0] for r in stored] == ['["MY", "TH"]', '["KR"]']


def test_kobo_xlsx_export(reg, tmp_path):
    csv_path = kobo_export(tmp_path / "k.csv", "departures", subs_of(DEPARTURES))
    book = openpyxl.Workbook()
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter=";"):
            book.active.append(row)
    book.save(tmp_path / "k.xlsx")
    report = import_submissions(reg, tmp_path / "k.xlsx", "departures", "kobo", today=TODAY)
    assert report.added.written["journeys"] == 3


def test_not_an_export_is_refused(reg, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("sex,home_village\nF,01020101\n", encoding="utf-8")
    with pytest.raises(register.RegisterError, match="instance ID"):
        import_submissions(reg, path, "departures", "kobo")


def _records(path: Path) -> list[dict[str, Any]]:
    """Each journey with its person and identity, without ids and timestamps."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("""SELECT * FROM journeys j JOIN persons p ON p.id = j.person_id
                           LEFT JOIN person_identity i ON i.person_id = p.id""").fetchall()
    skip = {"id", "person_id", "journey_id", "recorded_at", "source_register", "recorded_date"}
    out = [{k: r[k] for k in r.keys() if k not in skip} for r in rows]  # noqa: SIM118 (a Row)
    conn.close()
    return sorted(out, key=lambda r: (r["departure_date"], r["sex"]))


def test_phone_exports_give_the_same_records_as_typing(tmp_path):
    paths = {}
    for name in ("typed", "kobo", "odk"):
        paths[name] = tmp_path / f"{name}.db"
        register.init_register(paths[name], commune="010201", actor="clerk").close()
    runner = CliRunner()
    for record in DEPARTURES:
        options = [f"--{k.replace('_', '-')}={v}" for k, v in record.items()]
        result = runner.invoke(app, ["add-departure", "--db", str(paths["typed"]), "--no-input",
                                     *options])
        assert result.exit_code == 0, result.output
    exports = {"kobo": kobo_export(tmp_path / "k.csv", "departures", subs_of(DEPARTURES),
                                   group="grp"),
               "odk": odk_export(tmp_path / "o.csv", "departures", subs_of(DEPARTURES),
                                 group="grp")}
    for source, path in exports.items():
        result = runner.invoke(app, ["import", str(path), "--kind", "departures", "--from",
                                     source, "--db", str(paths[source]), "--no-input"])
        assert result.exit_code == 0, result.output
    typed = _records(paths["typed"])
    assert len(typed) == 3
    assert _records(paths["kobo"]) == typed
    assert _records(paths["odk"]) == typed


def test_returns_import_checks_the_departure(reg, tmp_path):
    departure = register.add_departure(reg, **DEPARTURES[0])
    journey = departure.ids[0]
    ok = {"journey_id": journey, "return_date": "2025-06-01", "return_mode": "deported",
          "ind_deception": "yes", "exploitation_type": "labour", "_uuid": uid(7)}
    early = dict(ok, return_date="2020-01-01", _uuid=uid(8))
    with pytest.raises(ValidationError) as err:
        import_submissions(reg, kobo_export(tmp_path / "r.csv", "returns", [ok, early]),
                           "returns", "kobo", today=dt.date(2026, 1, 1))
    assert f"uuid:{uid(8)}" in str(err.value) and "return_date" in str(err.value)
    assert count(reg, "returns") == 0
    import_submissions(reg, kobo_export(tmp_path / "r2.csv", "returns", [ok]), "returns",
                       "kobo", today=dt.date(2026, 1, 1))
    assert count(reg, "returns") == 1
