"""A record entered by mistake is voided: kept, logged, and left out of lists, searches,
counts, the monthly report, the follow-up list and exports; what it brought goes with it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

import register
from register import RegisterError, list_records
from register.cli import app
from register.export import researcher_rows
from register.report import followup, monthly_report
from register.void import void
from tests.conftest import departure

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def made(reg):
    agency = register.add_agency(reg, name="Mistake Co", licence_status="licensed").ids[0]
    keep = register.add_departure(reg, **departure(name="Keep Me", national_id="1",
                                                    departure_date="2024-01-05"))
    wrong = register.add_departure(reg, **departure(name="Wrong Entry", national_id="2",
                                                     departure_date="2024-01-10",
                                                     agency_id=agency))
    ret = register.add_return(reg, journey_id=wrong.ids[0], return_date="2024-02-01",
                              return_mode="voluntary", ind_deception=1).ids[0]
    ref = register.add_referral(reg, person_id=wrong.persons[0], journey_id=wrong.ids[0],
                                service="ngo", referral_date="2024-02-02",
                                status="referred").ids[0]
    return {"agency": agency, "keep": keep.ids[0], "wrong": wrong.ids[0],
            "person": wrong.persons[0], "return": ret, "referral": ref}


def _ids(rows, key="id"):
    return {r[key] for r in rows}


def _february(reg):
    report = monthly_report(reg, "2024-02", today=dt.date(2026, 1, 1))
    return report.table("referrals").total[0], report.table("returns_forced_labour").total[0]


def test_a_voided_departure_takes_its_return_referrals_and_person(reg, made):
    assert _february(reg) == (1, 1)
    assert len(list(researcher_rows(reg))) == 2
    before = reg.conn.execute("SELECT max(seq) FROM audit_entry WHERE chain = 0").fetchone()[0]
    done = void(reg, made["wrong"][:8], "entered for the wrong person")
    assert [(v.table, v.record_id) for v in done] == [
        ("journeys", made["wrong"]), ("returns", made["return"]),
        ("referrals", made["referral"]), ("persons", made["person"])]
    # kept in the register and in the audit log, with the reason
    assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 2
    logged = reg.conn.execute("SELECT action, reason, detail FROM audit_entry WHERE chain = 0 "
                              "AND seq > ?", (before,)).fetchall()
    assert [(a, r) for a, r, _ in logged] == [("void", "entered for the wrong person")]
    assert len(json.loads(logged[0][2])["voided"]) == 4
    assert register.check_register(reg).ok  # the audit chain and records still agree
    # left out of lists and searches
    assert _ids(list_records(reg, "departures")) == {made["keep"]}
    assert list_records(reg, "returns") == [] and list_records(reg, "referrals") == []
    assert [r["name"] for r in register.search(reg, "Entry")] == []
    # of counts, reports and exports
    assert len(list(researcher_rows(reg))) == 1
    assert _february(reg) == (0, 0)


def test_a_voided_return_is_no_news_for_the_follow_up(reg, made):
    as_of = dt.date(2026, 1, 1)
    assert made["wrong"] not in {p.journey_id for p in followup(reg, as_of=as_of)}
    void(reg, made["return"], "the return of another journey")
    void(reg, made["referral"], "not made")
    assert made["wrong"] in {p.journey_id for p in followup(reg, as_of=as_of)}
    assert _ids(list_records(reg, "departures")) == {made["keep"], made["wrong"]}


def test_what_cannot_be_voided(reg, made):
    with pytest.raises(RegisterError, match="needs a reason"):
        void(reg, made["wrong"], " ")
    with pytest.raises(RegisterError, match="records of kind 'departure' still point to it"):
        void(reg, made["agency"], "wrong agency")
    void(reg, made["wrong"], "mistake")
    with pytest.raises(RegisterError, match="already voided"):
        void(reg, made["wrong"], "again")
    void(reg, made["agency"], "no departure points to it any more")
    # a new record cannot point to a voided one
    with pytest.raises(register.ValidationError, match="was voided"):
        register.add_departure(reg, **departure(agency_id="Mistake Co", national_id="3"))


def test_void_from_the_command_line_and_show(reg_path, made):
    result = runner.invoke(app, ["--lang", "en", "void", made["wrong"][:8], "--db",
                                 str(reg_path), "--reason", "entered twice"])
    assert result.exit_code == 0, result.output
    assert f"Voided: departure {made['wrong'][:8]}" in result.output
    assert f"and with it: return {made['return'][:8]}" in result.output
    shown = runner.invoke(app, ["--lang", "en", "show", made["wrong"][:8], "--db",
                                str(reg_path)])
    assert "VOIDED (entered by mistake): entered twice" in shown.output
    listed = runner.invoke(app, ["--lang", "en", "list", "departures", "--db", str(reg_path)])
    assert "Keep Me" in listed.output and "Wrong Entry" not in listed.output
    asked = runner.invoke(app, ["--lang", "en", "void", made["keep"][:8], "--db",
                                str(reg_path), "--no-input"])
    assert asked.exit_code == 2 and "--reason" in asked.output


def test_a_record_voided_or_unvoided_outside_the_program_is_found(reg):
    import sqlite3

    keep = register.add_departure(reg, **departure()).ids[0]
    raw = sqlite3.connect(reg.path)
    raw.execute("INSERT INTO voided VALUES ('journeys', ?, 'hidden by hand', 'now')", (keep,))
    raw.commit()
    raw.close()
    report = register.check_register(reg)
    assert not report.ok and any("voided outside the program" in p for p in report.problems)
