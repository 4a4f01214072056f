"""What an import writes, pinned against the plain per-row definition (issue 12, item 5).

The import is made fast by batching its work (validation, ids, rules, inserts, row hashes). This
test recomputes, one row at a time and from the definitions alone (``clean_value`` per field,
the content key and the ids it gives, the model's tables, ``audit.row_hash`` per row,
``audit.entry_hash`` for the entry), every row, audit row, salt use, entry hash and warning an
import must write, and the problems a bad file must list, and compares them with what
``register.import_file`` did. Run against the code before the speed work, it passed unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import register
from register import audit
from register.errors import ValidationError
from register.model import MODEL, fields_of
from register.record_keys import key_id
from register.validation import Problem, clean_value
from tests.conftest import TODAY

KIND = "departures"
KIND_NAMES = list(MODEL.kind_names)
HEADER = register.template(KIND).strip().split(",")
VILLAGES = ["01020101", "01020102", "01020103"]
KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    """Departures typed the many ways clerks type them (seeded; every value valid)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        year = rng.randrange(2015, 2026)
        month, day = rng.randrange(1, 13), rng.randrange(1, 29)
        date = rng.choice([f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}",
                           f"{year}-{month:02d}-{day:02d}".translate(KHMER)])
        born = rng.randrange(1965, 2004)
        row: dict[str, Any] = {
            "sex": rng.choice(["F", "M", " f ", "m"]),
            "home_village": rng.choice(VILLAGES),
            "departure_date": date,
            "destination_country": rng.choice(["TH", "th", "MY", "KR", "Thailand"]),
            "sector": rng.choice(["agriculture", "Construction", "fishing", ""]),
            "channel": rng.choice(["broker", "own", "Family Friend", "mou"]),
            "n_brokers": rng.choice(["0", "1", "2", "3", "៤", ""]),
            "has_passport": rng.choice(["1", "0", "yes", "no", "បាទ", ""]),
            "fee_usd": rng.choice(["250", "$1,200", "99.5", "", "0"]),
            "debt_usd": rng.choice(["", "300", "12.25"]),
            "destination_place": rng.choice(["", "Bangkok", "  \u200fរយ៉ង\u200b "]),
        }
        if rng.random() < 0.3:  # a child sent through an MOU channel: a protection warning
            row.update(channel="mou", birth_year=str(year - 15))
        elif rng.random() < 0.3:
            row["birth_date"] = f"{born}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        else:
            row["birth_year"] = rng.choice([str(born), str(born).translate(KHMER)])
        if rng.random() < 0.8:  # some departures name nobody (no identity row)
            row["name"] = rng.choice([f"Person {i}", f"សុខ {i}", f" \u200fKeo {i} "])
            row["national_id"] = rng.choice([f"0{rng.randrange(10**7, 10**8)}", ""])
            row["phone"] = rng.choice(["", f"012{rng.randrange(10**5, 10**6)}"])
        rows.append(row)
    return rows


def _write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})
    return path


def _table_rows(conn, table: str) -> dict[str, dict[str, Any]]:
    key = MODEL.key_of(table)
    cur = conn.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in cur}


def _expected(register_id: str, raws: list[dict[str, Any]], recorded_at: str,
              known: dict[str, str] | None = None) -> list[list[tuple[str, dict[str, Any]]]]:
    """Each row's table rows, by the plain definition: every field cleaned on its own, the key
    from the cleaned content, the ids from the register and the key, the tables of the model.
    ``known``: the id of the person a row's person_id names (a departure of someone known)."""
    out = []
    for raw in raws:
        rec: dict[str, Any] = {}
        for spec in fields_of(KIND):
            value, problem = clean_value(spec, raw.get(spec.name, ""), TODAY)
            assert problem is None, problem
            rec[spec.name] = value
        cells = sorted((k, str(v)) for k, v in rec.items() if v is not None)
        key = "content:" + hashlib.sha256(repr((KIND, cells)).encode()).hexdigest()
        seed = f"{register_id}#{KIND}#{key}"
        journey = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        person = (known or {}).get(rec["person_id"] or "") or \
            str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "#person"))
        rec.update(journey_id=journey, person_id=person)
        if rec["birth_date"] and not rec["birth_year"]:
            rec["birth_year"] = int(rec["birth_date"][:4])
        ids = {"persons": person, "person_identity": person, "journeys": journey}
        rows = []
        for table in MODEL.table_names:
            if table not in ids:
                continue
            spec = MODEL.table(table)
            row = {spec.key: ids[table], **{f.name: rec.get(f.name) for f in spec.fields}}
            if spec.provenance:
                row.update(source_register=register_id, recorded_at=recorded_at)
            if table == "person_identity" and not any(row[f.name] for f in spec.fields):
                continue
            if table != "journeys" and known and raw.get("person_id"):
                continue  # a known person's rows are not written again
            rows.append((table, row))
        out.append(rows)
    return out


def _expected_warnings(planned: list[list[tuple[str, dict[str, Any]]]], persons):
    found = []
    for rows in planned:
        journey = dict(rows)["journeys"]
        person = dict(rows).get("persons") or persons[journey["person_id"]]
        if (journey["n_brokers"] or 0) >= 3:
            found.append(("journeys", journey["id"], "many_brokers", str(journey["n_brokers"])))
        born = dt.date.fromisoformat(person["birth_date"]) if person["birth_date"] else None
        left = dt.date.fromisoformat(journey["departure_date"])
        age = (left.year - born.year - ((left.month, left.day) < (born.month, born.day))
               if born else left.year - person["birth_year"])
        if journey["channel"] in ("mou", "licensed_agency") and age < 18:
            found.append(("journeys", journey["id"], "agency_minor", str(age)))
    return found


def _check_entry(conn, seq: int, planned) -> None:
    """The entry's audit rows (order, ids, per-row hashes) and its chained hash."""
    salt_of = {(tab, i): s for tab, i, s in conn.execute("SELECT tab, id, salt FROM audit_salt")}
    items, expected_rows = [], []
    for table in MODEL.table_names:  # the entry lists rows by table, each in the file's order
        for rows in planned:
            for name, row in rows:
                if name != table:
                    continue
                tab = audit.TABLE_CODES[table]
                record_id = row[MODEL.key_of(table)]
                salt = salt_of.get((tab, record_id))
                assert (salt is not None) == (table in audit.SALTED)
                digest = audit.row_hash(row, salt)
                expected_rows.append((tab, audit.id_key(record_id), digest))
                items.append(audit.row_item(tab, audit.id_key(record_id), digest))
    stored = conn.execute("SELECT tab, id, hash FROM audit_row WHERE chain = 0 AND seq = ? "
                          "ORDER BY rowid", (seq,)).fetchall()
    assert stored == expected_rows
    at, actor, action, reason, detail, entry = conn.execute(
        "SELECT at, actor, action, reason, detail, hash FROM audit_entry WHERE chain = 0 "
        "AND seq = ?", (seq,)).fetchone()
    prev = conn.execute("SELECT hash FROM audit_entry WHERE chain = 0 AND seq = ?",
                        (seq - 1,)).fetchone()
    assert (action, reason, detail) == ("add", None, None)
    rows_digest = hashlib.blake2b(b"".join(items), digest_size=32).digest()
    assert entry == audit.entry_hash(prev[0] if prev else b"", seq, at, actor, action, reason,
                                     detail, rows_digest)


def test_an_import_writes_what_the_per_row_definition_gives(reg, tmp_path):
    raws = _rows(60, seed=12)
    path = _write_csv(tmp_path / "in.csv", raws)
    report = register.import_file(reg, path, KIND, today=TODAY)
    conn = reg.conn
    recorded_at = conn.execute("SELECT recorded_at FROM journeys LIMIT 1").fetchone()[0]
    planned = _expected(reg.register_id, raws, recorded_at)

    assert report.ids == [dict(rows)["journeys"]["id"] for rows in planned]
    assert report.persons == [dict(rows)["persons"]["id"] for rows in planned]
    for table in ("persons", "person_identity", "journeys"):
        expected = {row[MODEL.key_of(t)]: row for rows in planned for t, row in rows if t == table}
        assert _table_rows(conn, table) == expected, table
    assert 0 < len(_table_rows(conn, "person_identity")) < len(raws)
    _check_entry(conn, 1, planned)
    salts = conn.execute("SELECT tab, id FROM audit_salt").fetchall()
    assert sorted(salts) == sorted((4, row["person_id"]) for rows in planned
                                   for t, row in rows if t == "person_identity")
    warnings = conn.execute("SELECT table_name, record_id, code, detail, created_at "
                            "FROM warnings ORDER BY id").fetchall()
    at = conn.execute("SELECT at FROM audit_entry WHERE seq = 1").fetchone()[0]
    expected_warnings = _expected_warnings(planned, {})
    assert {w[2] for w in expected_warnings} == {"many_brokers", "agency_minor"}
    assert warnings == [(*w, at) for w in expected_warnings]
    assert report.warnings == [w[1:] for w in expected_warnings]

    # Departures of people already registered (named by the first 8 characters of their id):
    # only the journeys are written, and the entry covers only them.
    persons = _table_rows(conn, "persons")
    again = [{**raw, "person_id": person[:8], "departure_date": "2025-06-0" + str(n + 1),
              **dict.fromkeys(("sex", "home_village", "birth_year", "birth_date", "name",
                               "national_id", "phone"), "")}
             for n, (raw, person) in enumerate(zip(raws[:5], persons, strict=False))]
    report = register.import_file(reg, _write_csv(tmp_path / "again.csv", again), KIND,
                                  today=TODAY)
    planned_again = _expected(reg.register_id, again,
                              conn.execute("SELECT max(recorded_at) FROM journeys").fetchone()[0],
                              known={p[:8]: p for p in persons})
    assert report.written == {"journeys": 5}
    journeys = _table_rows(conn, "journeys")
    for rows in planned_again:
        assert [t for t, _ in rows] == ["journeys"]
        assert journeys[rows[0][1]["id"]] == rows[0][1]
    _check_entry(conn, 2, planned_again)
    assert conn.execute("SELECT count(*) FROM warnings").fetchone()[0] == len(warnings) + len(
        _expected_warnings(planned_again, persons))

    # The same file again adds nothing: no rows, no entry.
    report = register.import_file(reg, path, KIND, today=TODAY)
    assert report.written == {} and report.already_present == len(raws)
    assert conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] == 2


def _field_problems(raw: dict[str, Any]) -> list[Problem]:
    """A row's problems by the plain definition: each field cleaned on its own, in field order
    (a blank required field is missing; a problem names the value as it was typed)."""
    found = []
    for spec in fields_of(KIND):
        typed = raw.get(spec.name, "")
        value, problem = clean_value(spec, typed, TODAY)
        if problem is not None:
            found.append(Problem(problem.field, typed, problem.rule, None, problem.details))
        elif value is None and spec.required:
            found.append(Problem(spec.name, None, "rule.required"))
    return found


@pytest.mark.parametrize("language", ["en", "km"])
def test_a_bad_file_lists_the_problems_of_the_per_row_definition(reg, tmp_path, language):
    from register import i18n

    i18n.set_language(language)
    raws = _rows(30, seed=7)
    raws[3].update(sex="woman", fee_usd="lots")
    raws[7].update(departure_date="31/31/2024", home_village="123", channel="")
    raws[11].update(destination_country="Atlantis", has_passport="maybe", n_brokers="-1")
    raws[15].update(departure_date="2027-01-01", birth_date="", birth_year="1900")
    raws[20].update(sector="mining", planned_months="0.5", consent="perhaps")
    raws[24] = dict(raws[2])  # the same departure twice
    raws[26].update(birth_date="", birth_year="2020", channel="own")  # six at departure
    path = _write_csv(tmp_path / "bad.csv", raws)
    with pytest.raises(ValidationError) as caught:
        register.import_file(reg, path, KIND, today=TODAY)
    expected = []
    for number, raw in enumerate(raws, start=2):
        expected.extend(p.at_row(number) for p in _field_problems(raw))
    expected.append(Problem("", None, "rule.repeated_row", 26, {"first": 4}))
    year = int(_expected(reg.register_id, [raws[26]], "")[0][-1][1]["departure_date"][:4])
    expected.append(Problem("birth_year", "2020", "rule.age", 28,
                            {"age": year - 2020, "low": 10, "high": 80}))
    expected.sort(key=lambda p: p.row or 0)  # stable: each row's own order is kept
    assert caught.value.problems == expected
    assert str(caught.value) == str(ValidationError(expected))
    assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 0
    assert reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] == 0


@given(st.text(), st.sampled_from(KIND_NAMES), st.text(), st.booleans())
def test_ids_from_keys_are_uuid5_of_register_kind_and_key(register_id, kind, key, person):
    seed = f"{register_id}#{kind}#{key}" + ("#person" if person else "")
    assert key_id(register_id, kind, key, person=person) == \
        str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
