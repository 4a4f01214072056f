"""The browser form (``register open``) without a browser: forms made from the data model,
the register's rules deciding, review and save, corrections, lists, the report, the session's
clerk, passphrase and language; and the same register as the command line writes.

The guard and the command are in test_web_guard.py; a real Chromium drives the form in
test_web_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import register
from register import audit, entry
from register.i18n import catalogue, long_date, t
from register.validation import EARLIEST_DATE, Problem
from tests.conftest import COMMUNE
from tests.register.web_support import (  # noqa: F401 (fixtures)
    AGENCY,
    CLERK,
    CORRECTION,
    DEPARTURE,
    SCRIPT,
    Clerk,
    Controls,
    Link,
    cli_register,
    dump,
    field_block,
    language_back,
    new_register,
    text,
)


# -- forms from the model, decided by the register -------------------------------------------
def test_the_form_asks_what_the_prompts_ask_made_from_the_field_declarations(db: Path):
    clerk = Clerk(db)
    for kind, _ in SCRIPT:
        controls = Controls(text(clerk.get(f"/new/{kind}")))
        questions = entry.questions(kind)
        assert [n for n in controls.by_name if n not in ("csrf", "next")] == [
            q.name for q in questions]
        for question in questions:
            spec = question.field
            tag, attrs = controls.by_name[question.name][0]
            if question.group:  # ticked: what applies, or none of these
                assert [a["value"] for _, a in controls.by_name[question.name]] == [
                    *(f.name for f in question.fields), "none"]
                continue
            assert ("required" in attrs) == spec.required, spec.name
            if spec.kind == "date":
                assert attrs["type"] == "date" and attrs["min"] == EARLIEST_DATE.isoformat()
                assert attrs.get("max") == (None if spec.future else dt.date.today().isoformat())
            if spec.kind in ("int", "money") and spec.maximum is not None:
                assert (attrs["min"], attrs["max"]) == (f"{spec.minimum:g}", f"{spec.maximum:g}")
            if spec.kind == "choice":
                offered = [a.get("value") for tag, a in controls.by_name[spec.name]
                           if tag == "option" or a.get("type") == "radio"]
                assert set(offered) - {""} == set(spec.choices), spec.name
                assert ("" in offered) == (not spec.required), spec.name
            if spec.kind == "village":
                assert tag == "select"  # the commune's villages, and a search box for others
                assert any(a.get("value") == DEPARTURE["home_village"]
                           for _, a in controls.by_name[spec.name])


def test_a_refused_form_keeps_every_answer_and_says_why_beside_the_field(db: Path):
    clerk = Clerk(db)
    clerk.enter("brokers", {k: v for k, v in SCRIPT[1][1].items() if k != "agency_id"})
    answers = clerk.form("departures", {**DEPARTURE, "birth_year": "2020"})  # 4 on leaving
    refused = clerk.post("/new/departures", {**answers, "step": "review"})
    assert refused.status_code == 422
    html = text(refused)
    expected = t("rule.age", age=4, low=10, high=80)
    assert expected in field_block(html, "birth_year")
    assert expected not in field_block(html, "departure_date")
    controls = Controls(html)
    for name, value in answers.items():
        assert controls.answer(name) == value, name
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 0
    # a rule across records: a return before its departure, beside the return date
    journey = clerk.enter("departures", DEPARTURE)
    early = clerk.post("/new/returns", {"journey_id": journey, "return_date": "2024-01-01",
                                        "return_mode": "voluntary", "step": "review"})
    assert early.status_code == 422
    said = Problem("return_date", None, "rule.return_before",
                   details={"departure": "2024-03-12"}).message()
    assert said in field_block(text(early), "return_date")


def test_review_then_save_writes_the_record_with_the_clerks_name(db: Path):
    clerk = Clerk(db)
    review = clerk.post("/new/agencies", {**AGENCY, "step": "review"})
    assert review.status_code == 200
    html = text(review)
    for words in (t("choice.licence_status.licensed"), t("country.TH"), t("country.MY"),
                  long_date("2030-06-30")):
        assert words in html
    assert re.findall(r"<dt>(.*?)</dt>", html) == [  # read back as the prompts read it
        q.label for q in entry.questions("agencies")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    changed = clerk.post("/new/agencies", {**AGENCY, "step": "change"})
    assert sorted(Controls(text(changed)).answer("allowed_destinations")) == ["MY", "TH"]
    record_id = clerk.enter("agencies", AGENCY)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, allowed_destinations FROM agencies").fetchall() == [
            (AGENCY["name"], '["MY", "TH"]')]
        entries = audit.record_entries(conn, [("agencies", record_id)])
        assert [(e["actor"], e["action"]) for e in entries] == [(CLERK, "add")]
    page = text(clerk.get(f"/record/{record_id}?saved=1"))
    assert t("web.saved") in page and CLERK in page


def test_the_same_review_saved_twice_is_one_record(db: Path):
    clerk = Clerk(db)
    answers = clerk.form("departures", {**DEPARTURE, "broker_id": ""})
    review = Controls(text(clerk.post("/new/departures", {**answers, "step": "review"})))
    sent = {name: review.answer(name) for name in review.by_name if name != "csrf"}
    first = clerk.post("/new/departures", {**sent, "step": "save"})  # a double click
    second = clerk.post("/new/departures", {**sent, "step": "save"})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].endswith("?saved=1")
    assert second.headers["Location"].endswith("?already=1")
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
    assert t("web.already") in text(clerk.get(second.headers["Location"]))
    again = Controls(text(clerk.post("/new/departures", {**answers, "step": "review"})))
    assert again.answer("key") != sent["key"]  # a new review is a new record


def test_a_departure_of_someone_already_registered_asks_only_for_the_journey(db: Path):
    clerk = Clerk(db)
    first = clerk.enter("departures", {k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    with sqlite3.connect(db) as conn:
        person = conn.execute("SELECT person_id FROM journeys WHERE id = ?", (first,)).fetchone()[0]
    controls = Controls(text(clerk.get(f"/new/departures?person_id={person}")))
    assert "name" not in controls.by_name and "home_village" not in controls.by_name
    assert controls.answer("person_id") == person
    again = {"person_id": person, "departure_date": "2025-01-10", "destination_country": "KR",
             "channel": "mou"}
    clerk.enter("departures", again)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM journeys WHERE person_id = ?",
                            (person,)).fetchone()[0] == 2


def test_a_correction_needs_a_reason_and_shows_in_the_history(db: Path):
    clerk = Clerk(db)
    journey = clerk.enter("departures", {k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    form = text(clerk.get(f"/correct/{journey}"))
    shown = {n: Controls(form).answer(n) for n in ("destination_country", "name", "fee_usd")}
    assert shown == {"destination_country": "TH", "name": DEPARTURE["name"], "fee_usd": "250"}
    answers = {n: Controls(form).answer(n) for n in Controls(form).by_name if n != "csrf"}
    no_reason = clerk.post(f"/correct/{journey}", {**answers, "destination_country": "MY",
                                                   "reason": ""})
    assert no_reason.status_code == 422
    assert t("err.no_reason") in field_block(text(no_reason), "reason")
    assert Controls(text(no_reason)).answer("destination_country") == "MY"
    unchanged = clerk.post(f"/correct/{journey}", {**answers, "reason": "checking"})
    assert unchanged.status_code == 422 and t("web.nothing_changed") in text(unchanged)
    bad = clerk.post(f"/correct/{journey}", {**answers, "departure_date": "2099-01-01",
                                             "reason": "typo"})
    assert bad.status_code == 422
    assert t("rule.future") in field_block(text(bad), "departure_date")
    done = clerk.post(f"/correct/{journey}", {**answers, "destination_country": "MY",
                                              "reason": "typo in the country"})
    assert done.status_code == 303
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT destination_country FROM journeys").fetchone()[0] == "MY"
        assert conn.execute("SELECT actor, reason, detail FROM audit_entry WHERE action = "
                            "'correct'").fetchall() == [
            (CLERK, "typo in the country",
             f'{{"old":[["journeys","{journey}",{{"destination_country":"TH"}}]]}}')]
    page = text(clerk.get(f"/record/{journey}"))
    history = page.split('id="history"')[1]
    assert "typo in the country" in history and t("web.history.correct") in history
    assert history.count(CLERK) == 2  # the departure and its correction


def test_the_monthly_report_on_the_page_and_as_a_pdf(db: Path):
    clerk = Clerk(db, lang="km")
    clerk.enter("departures", {k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    page = text(clerk.get("/report?month=2024-10"))
    assert t("report.title") in page and t("report.table.departures_by_country") in page
    assert DEPARTURE["name"] in page  # overdue on 31 October (6 months planned): listed
    public = text(clerk.get("/report?month=2024-10&public=1"))
    assert t("report.title_public") in public and DEPARTURE["name"] not in public
    pdf = clerk.get("/report.pdf?month=2024-03")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="council-report-2024-03.pdf"'
    follow = text(clerk.get("/followup"))  # left in March 2024 for 6 months, no news since
    assert DEPARTURE["name"] in follow and DEPARTURE["phone"] in follow


def test_lists_and_search_find_what_was_entered(db: Path):
    clerk = Clerk(db)
    journey = clerk.enter("departures", {k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    listed = text(clerk.get("/list/departures?month=2024-03"))
    assert f"/record/{journey}" in listed and t("country.TH") in listed
    assert f"/record/{journey}" not in text(clerk.get("/list/departures?month=2024-04"))
    found = text(clerk.post("/search", {"q": "ដារា"}))
    assert DEPARTURE["name"] in found and "/record/" in found
    assert clerk.get("/search?q=ដារា").status_code == 200  # a GET never searches (no names in URLs)


def test_a_referrals_departure_is_picked_from_the_persons_own(db: Path):
    """As the prompts offer it: the departures of the person chosen, and no one else's."""
    clerk = Clerk(db)
    first = clerk.enter("departures", {k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    other = clerk.enter("departures", {**{k: v for k, v in DEPARTURE.items() if k != "broker_id"},
                                       "name": "កែវ វណ្ណា", "national_id": "999888777",
                                       "phone": "011222333"})
    person = clerk.pick("referrals", "person_id", Link("persons", DEPARTURE["name"]))
    offered = clerk.post("/api/find/referrals/journey_id", {"q": "", "person_id": person})
    assert [o["value"] for o in offered.get_json()] == [first]
    assert other not in text(clerk.get(f"/new/referrals?person_id={person}&journey_id={first}"))
    assert clerk.post("/api/find/referrals/service", {"q": "x"}).status_code == 404
    assert clerk.post("/api/find/nothing/name", {"q": "x"}).status_code == 404


def test_voiding_from_the_record_page_is_the_commands_void(tmp_path: Path):
    """What goes with the record is shown first; a reason is needed; the void is written as
    ``register void`` writes it, and the record page says so, with the void in its history."""
    from typer.testing import CliRunner

    from register.cli import app

    paths = {name: tmp_path / f"{name}.db" for name in ("web", "cli")}
    for path in paths.values():
        register.init_register(path, commune=COMMUNE, actor="setup").close()
    answers = {k: v for k, v in DEPARTURE.items() if k != "broker_id"}
    clerk = Clerk(paths["web"])
    journey = clerk.enter("departures", answers)
    with sqlite3.connect(paths["web"]) as conn:
        person = conn.execute("SELECT person_id FROM journeys").fetchone()[0]
    asked = text(clerk.get(f"/void/{journey}"))
    assert DEPARTURE["name"] in asked.split('id="going"')[1]  # the person goes with it
    no_reason = clerk.post(f"/void/{journey}", {"reason": " "})
    assert no_reason.status_code == 422 and t("err.void_no_reason") in text(no_reason)
    done = clerk.post(f"/void/{journey}", {"reason": "entered twice"})
    assert done.status_code == 303 and done.headers["Location"].endswith("?voided=2")
    page = text(clerk.get(done.headers["Location"]))
    assert t("show.voided") in page and "/correct/" not in page and "/void/" not in page
    assert t("web.history.void") in page.split('id="history"')[1]
    assert clerk.get(f"/void/{person}").status_code == 200  # nothing left to void: no form
    assert 'id="void"' not in text(clerk.get(f"/void/{person}"))
    cli = Clerk(paths["cli"])
    cli.enter("departures", answers)
    result = CliRunner().invoke(app, ["void", _cli_id(paths["cli"]), "--db", str(paths["cli"]),
                                      "--clerk", CLERK, "--reason", "entered twice"])
    assert result.exit_code == 0, result.output
    assert dump(paths["web"]) == dump(paths["cli"])


def _cli_id(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT id FROM journeys").fetchone()[0])


# -- the same register as the command line ----------------------------------------------------
def web_register(db: Path) -> None:
    """Enter SCRIPT and the correction through the form, as a clerk would."""
    clerk = Clerk(db)
    for kind, answers in SCRIPT:
        clerk.enter(kind, answers)
    ref, changes, reason = CORRECTION
    person = clerk.pick("referrals", "person_id", Link("persons", ref.text))
    record_id = clerk.pick("referrals", "journey_id", ref, person)  # the person's departure
    form = Controls(text(clerk.get(f"/correct/{record_id}")))
    answers = {name: form.answer(name) for name in form.by_name if name != "csrf"}
    done = clerk.post(f"/correct/{record_id}", {**answers, **changes, "reason": reason})
    assert done.status_code == 303, text(done)


def test_the_form_writes_the_same_register_as_the_command_line(tmp_path: Path):
    paths = {name: tmp_path / f"{name}.db" for name in ("web", "cli", "uncorrected")}
    for path in paths.values():
        register.init_register(path, commune=COMMUNE, actor="setup").close()
    web_register(paths["web"])
    cli_register(paths["cli"])
    cli_register(paths["uncorrected"], with_correction=False)
    web, cli = dump(paths["web"]), dump(paths["cli"])
    assert web == cli
    entries = json.loads(web)["audit"]
    assert [(e["action"], [table for table, _ in e["rows"]]) for e in entries] == [
        ("add", ["agencies"]), ("add", ["brokers"]),
        ("add", ["persons", "person_identity", "journeys"]), ("add", ["returns"]),
        ("add", ["referrals"]), ("correct", ["journeys"])]
    assert {e["actor"] for e in entries} == {CLERK} and entries[-1]["reason"] == CORRECTION[2]
    journey = entries[2]["rows"][2][1]
    assert entries[-1]["detail"] == {"old": [["journeys", journey, {"destination_country": "TH"}]]}
    assert dump(paths["uncorrected"]) != web  # the comparison sees a missing correction


# -- the session: clerk, passphrase, language --------------------------------------------------
def test_an_encrypted_register_asks_for_its_passphrase_in_the_page(tmp_path: Path):
    path = tmp_path / "secret.db"
    register.init_register(path, commune=COMMUNE, passphrase="correct horse battery").close()
    clerk = Clerk(path, start=False)
    clerk.get(f"/start/{clerk.web.token}")
    assert "passphrase" in Controls(text(clerk.get("/welcome"))).by_name
    wrong = clerk.post("/welcome", {"clerk": CLERK, "passphrase": "wrong one"})
    assert wrong.status_code == 422 and not clerk.web.ready
    assert clerk.get("/list/departures").status_code == 303  # back to the first page
    right = clerk.post("/welcome", {"clerk": CLERK, "passphrase": "correct horse battery"})
    assert right.status_code == 303 and clerk.web.ready
    clerk.enter("agencies", AGENCY)
    with register.open_register(path, passphrase="correct horse battery") as reg:
        assert reg.conn.execute("SELECT actor FROM audit_entry").fetchall() == [(CLERK,)]
    clerk.web.close()
    assert clerk.web.passphrase is None


def test_the_clerks_name_is_asked_once(db: Path):
    clerk = Clerk(db, start=False, suggested="Dara")
    clerk.get(f"/start/{clerk.web.token}")
    assert clerk.get("/new/departures").status_code == 303
    assert Controls(text(clerk.get("/welcome"))).answer("clerk") == "Dara"
    assert clerk.post("/welcome", {"clerk": "  "}).status_code == 422
    assert clerk.post("/welcome", {"clerk": "Dara"}).status_code == 303
    assert clerk.get("/new/departures").status_code == 200


def test_khmer_where_the_commune_chose_it_and_a_switch(db: Path):
    with sqlite3.connect(db) as conn:  # the commune's choice (register_meta, issue 11)
        conn.execute("INSERT INTO register_meta (key, value) VALUES ('language', 'km')")
    clerk = Clerk(db, lang=None, fallback="en")
    page = text(clerk.get("/new/departures"))
    assert catalogue("km")["web.new.departures"] in page and '<html lang="km">' in page
    clerk.post("/lang", {"lang": "en", "next": "/new/departures"})
    assert catalogue("en")["web.new.departures"] in text(clerk.get("/new/departures"))
    assert clerk.post("/lang", {"lang": "en", "next": "//evil.example"}).headers["Location"] == "/"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM register_meta WHERE key = 'language'")
    assert catalogue("en")["web.title"] in text(Clerk(db, lang=None, fallback="en").get("/"))




# -- every page in Khmer ------------------------------------------------------------------------
class _Visible(HTMLParser):
    """The text a page shows (not its scripts, styles or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        for name, value in attrs:  # what the clerk reads without a click
            if name in ("placeholder", "aria-label", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _typed_or_code(text: str) -> str:
    """A page's text without what the clerk typed (SCRIPT), record ids and audit codes, the
    PDF and Ctrl keys, and the name of the other language on its switch."""
    for _, answers in SCRIPT:
        for value in answers.values():
            for item in value if isinstance(value, list) else [value]:
                item = getattr(item, "text", item)
                if isinstance(item, str) and len(item) > 2:
                    text = text.replace(item, " ")
    text = text.replace(CORRECTION[2], " ")
    text = re.sub(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b[0-9a-f]{8}\b", " ", text)
    return re.sub(r"\bPDF\b|\bCtrl\b|\bEnglish\b|\b\d+-[0-9A-Z]{4}-[0-9A-Z]{4}\b", " ", text)


def test_every_page_is_khmer_where_the_clerk_works_in_khmer(db: Path):
    """No English on any page a Khmer clerk reads: forms, review, refusals, lists, search, a
    record with its history, a correction, voiding, the report, the follow-up list, errors -
    nothing but what the clerk typed and the codes of records."""
    from tests.register.test_i18n import english_words

    clerk = Clerk(db, lang="km")
    ids = {kind: clerk.enter(kind, answers) for kind, answers in SCRIPT}
    journey = ids["departures"]
    correction = clerk.get(f"/correct/{journey}")
    form = Controls(text(correction))
    refused = clerk.post(f"/correct/{journey}", {  # no reason given
        **{n: form.answer(n) for n in form.by_name if n != "csrf"}, "fee_usd": "300",
        "reason": ""})
    assert refused.status_code == 422
    pages = [correction, refused, clerk.get("/"),
             *(clerk.get(f"/new/{kind}") for kind, _ in SCRIPT),
             clerk.post("/new/agencies", {**AGENCY, "step": "review"}),
             clerk.post("/new/departures", {**clerk.form("departures", DEPARTURE),
                                            "birth_year": "2020", "step": "review"}),
             *(clerk.get(f"/list/{kind}") for kind in ("departures", "returns", "referrals",
                                                        "agencies", "brokers", "warnings")),
             clerk.post("/search", {"q": "ដារា"}), clerk.post("/search", {"q": "nobody"}),
             *(clerk.get(f"/record/{rid}?saved=1") for rid in ids.values()),
             clerk.get(f"/void/{ids['agencies']}"), clerk.get(f"/void/{ids['referrals']}"),
             clerk.get("/report"), clerk.get("/report?month=2024-10"),
             clerk.get("/report?month=2024-10&public=1"), clerk.get("/followup"),
             clerk.get("/new/nothing"), clerk.get(f"/record/{'0' * 8}-0000-0000-0000-{'0' * 12}")]
    for response in pages:
        shown = _Visible()
        shown.feed(text(response))
        words = english_words(_typed_or_code(" ".join(shown.parts)))
        assert words == [], (response.request.path, words)
