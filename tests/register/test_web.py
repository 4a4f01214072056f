"""The browser form (``register open``) without a browser: its guard, its forms made from the
data model, the register's rules deciding, corrections, the report, and the command itself.

The same answers through the form and through the command line give the same register
(test_web_same_as_cli); a real Chromium drives the form in test_web_browser.py.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import register
from register import i18n
from register.i18n import catalogue, placeholders, t
from register.model import fields_of
from register.validation import EARLIEST_DATE
from register.web.app import create_app
from register.web.security import WebError, check_bind
from register.web.server import Server
from register.web.session import WebSession
from tests.conftest import COMMUNE
from tests.register.web_support import (
    AGENCY,
    CLERK,
    CORRECTION,
    DEPARTURE,
    SCRIPT,
    Link,
    cli_register,
    dump,
    serving,
)

PORT = 5123
HOST = {"Host": f"127.0.0.1:{PORT}"}
IDENTIFYING = (DEPARTURE["name"], DEPARTURE["phone"], DEPARTURE["national_id"], "ចាន់ ថា",
               "012999888")


@pytest.fixture(autouse=True)
def _language_back():
    yield
    i18n.set_language(None)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "kh.db"
    register.init_register(path, commune=COMMUNE, actor="setup").close()
    return path


class Clerk:
    """A browser's session with the form, through Flask's test client."""

    def __init__(self, db: Path, lang: str | None = "en", start: bool = True, **kw: Any) -> None:
        self.web = WebSession(path=db, port=PORT, lang=lang, **kw)
        self.client = create_app(self.web).test_client()
        self.urls: list[str] = []
        if start:
            self.get(f"/start/{self.web.token}")
            assert self.post("/welcome", {"clerk": CLERK}).status_code == 303

    def get(self, path: str, **kw: Any) -> Any:
        self.urls.append(path)
        return self.client.get(path, headers={**HOST, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, data: dict[str, Any], csrf: bool = True, **kw: Any) -> Any:
        self.urls.append(path)
        body = {"csrf": self.web.csrf, **data} if csrf else data
        response = self.client.post(path, data=body, headers={**HOST, **kw.pop("headers", {})},
                                    **kw)
        if response.headers.get("Location"):
            self.urls.append(response.headers["Location"])
        return response

    def pick(self, link: Link) -> str:
        """What the picker offers first for what the clerk typed (its id)."""
        found = self.post(f"/api/find/{link.table}", {"q": link.text}).get_json()
        assert found, link
        return str(found[0]["value"])

    def form(self, answers: dict[str, Any]) -> dict[str, Any]:
        return {k: self.pick(v) if isinstance(v, Link) else v for k, v in answers.items()}

    def enter(self, kind: str, answers: dict[str, Any]) -> str:
        """Fill the form, check it on the review page, save it: the saved record's id."""
        data = self.form(answers)
        review = self.post(f"/new/{kind}", {**data, "step": "review"})
        assert review.status_code == 200, text(review)
        key = Controls(text(review)).answer("key")
        saved = self.post(f"/new/{kind}", {**data, "step": "save", "key": key})
        assert saved.status_code == 303, text(saved)
        return str(saved.headers["Location"].split("/record/")[1].split("?")[0])


def text(response: Any) -> str:
    return response.get_data(as_text=True)


class Controls(HTMLParser):
    """The form controls of a page: name -> list of (tag, attributes)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_name: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("name"):
            self.by_name.setdefault(str(found["name"]), []).append((tag, found))
            self._select = str(found["name"]) if tag == "select" else None
        elif tag == "option" and self._select:
            self.by_name[self._select].append((tag, found))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def answer(self, name: str) -> Any:
        """What the page holds as the answer of ``name`` (value, checked radio, selected)."""
        controls = self.by_name.get(name, [])
        if controls and controls[0][0] == "select":
            chosen = [a.get("value") for tag, a in controls if tag == "option" and "selected" in a]
            return chosen if "multiple" in controls[0][1] else (chosen or [None])[0]
        radios = [a for tag, a in controls if a.get("type") == "radio"]
        if radios:
            return next((a.get("value") for a in radios if "checked" in a), None)
        return controls[0][1].get("value") if controls else None


def field_block(html: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*" id="f-{name}">(.*?)</div>\s*(?=<div class="field|'
                      rf'</div>|<div class="actions)', html, re.S)
    assert match, name
    return match.group(1)


# -- the guard -------------------------------------------------------------------------------
def test_every_request_needs_the_session_token(db: Path):
    clerk = Clerk(db, start=False)
    assert clerk.get("/").status_code == 403
    assert clerk.get("/start/not-the-token").status_code == 403
    assert clerk.get("/list/departures").status_code == 403
    refused = clerk.post("/new/agencies", {**AGENCY, "step": "save"})
    assert refused.status_code == 403
    assert 'data-reason="token"' in text(refused)
    clerk.client.set_cookie(clerk.web.cookie, "a-guess", domain="127.0.0.1")
    assert clerk.get("/").status_code == 403
    started = clerk.get(f"/start/{clerk.web.token}")  # the address the command opens
    assert started.status_code == 303
    cookie = started.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and clerk.web.token in cookie
    assert clerk.get("/").status_code == 303  # now in: asked who they are first
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0


def test_a_write_from_another_origin_or_without_the_form_secret_is_refused(db: Path):
    clerk = Clerk(db)
    data = {**AGENCY, "step": "save"}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:8080"},
                    {"Origin": "null"}, {"Referer": "http://evil.example/form.html"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        response = clerk.post("/new/agencies", data, headers=headers)
        assert response.status_code == 403, headers
        assert 'data-reason="origin"' in text(response)
    response = clerk.post("/new/agencies", data, csrf=False)
    assert response.status_code == 403 and 'data-reason="csrf"' in text(response)
    assert clerk.post("/new/agencies", {**data, "csrf": "x" * 43}, csrf=False).status_code == 403
    assert clerk.post("/stop", {}, csrf=False).status_code == 403 and not clerk.web.stop.is_set()
    # a name of the attacker's that resolves to 127.0.0.1 (DNS rebinding) is not this server,
    # even with the session's cookie
    bare = create_app(clerk.web).test_client(use_cookies=False)  # sends the Cookie header given
    cookie = f"{clerk.web.cookie}={clerk.web.token}"
    rebound = bare.get("/", headers={"Host": f"evil.example:{PORT}", "Cookie": cookie})
    assert rebound.status_code == 403 and 'data-reason="host"' in text(rebound)
    assert bare.get("/", headers={"Host": f"localhost:{PORT}", "Cookie": cookie}).status_code == 200
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    own = clerk.post("/new/agencies", data, headers={"Origin": f"http://127.0.0.1:{PORT}",
                                                      "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and 'id="summary"' in text(own)  # the review page


def test_the_server_binds_loopback_and_nothing_else(db: Path):
    for host in ("0.0.0.0", "192.168.1.20", "localhost", "::1", "", "127.0.0.2", "::"):
        with pytest.raises(WebError, match="127.0.0.1"):
            check_bind(host)
        with pytest.raises(WebError):
            Server(WebSession(path=db), host=host)
    with serving(db, lang="en") as server:
        assert server._server.socket.getsockname()[0] == "127.0.0.1"
        thief = socket.socket()  # another program cannot take the port over
        thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            thief.bind(("127.0.0.1", server.port))
        thief.close()
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/start/")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/")
        refused = conn.getresponse()
        assert refused.status == 403 and refused.read()
        conn.request("GET", server.url.split(str(server.port), 1)[1])
        started = conn.getresponse()
        started.read()
        assert started.status == 303
        cookie = started.getheader("Set-Cookie").split(";")[0]
        conn.request("GET", "/welcome", headers={"Cookie": cookie})
        page = conn.getresponse()
        assert page.status == 200 and page.getheader("Cache-Control") == "no-store"
        assert "default-src 'none'" in page.getheader("Content-Security-Policy")
        assert b"https://" not in page.read()  # nothing from the internet


# -- forms from the model, decided by the register -------------------------------------------
def test_the_form_is_made_from_the_field_declarations(db: Path):
    clerk = Clerk(db)
    for kind, _ in SCRIPT:
        controls = Controls(text(clerk.get(f"/new/{kind}")))
        for spec in fields_of(kind):
            if spec.name in ("id", "journey_id", "person_id", "recorded_date") and \
                    not spec.required and not (kind == "referrals" and spec.refers):
                assert spec.name not in controls.by_name, spec.name
                continue
            tag, attrs = controls.by_name[spec.name][0]
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
    clerk.enter("brokers", clerk.form({k: v for k, v in SCRIPT[1][1].items() if k != "agency_id"}))
    answers = clerk.form({**DEPARTURE, "birth_year": "2020"})  # 4 years old on leaving
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
    assert t("rule.return_before", departure="2024-03-12") in field_block(text(early), "return_date")


def test_review_then_save_writes_the_record_with_the_clerks_name(db: Path):
    clerk = Clerk(db)
    review = clerk.post("/new/agencies", {**AGENCY, "step": "review"})
    assert review.status_code == 200
    html = text(review)
    for words in (t("choice.licence_status.licensed"), t("country.TH"), t("country.MY"),
                  "30/06/2030"):
        assert words in html
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    changed = clerk.post("/new/agencies", {**AGENCY, "step": "change"})
    assert sorted(Controls(text(changed)).answer("allowed_destinations")) == ["MY", "TH"]
    record_id = clerk.enter("agencies", AGENCY)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, allowed_destinations FROM agencies").fetchall() == [
            (AGENCY["name"], '["MY", "TH"]')]
        assert conn.execute("SELECT actor, action FROM audit_log WHERE record_id = ?",
                            (record_id,)).fetchall() == [(CLERK, "insert")]
    page = text(clerk.get(f"/record/{record_id}?saved=1"))
    assert t("web.saved") in page and CLERK in page


def test_the_same_review_saved_twice_is_one_record(db: Path):
    clerk = Clerk(db)
    review = Controls(text(clerk.post("/new/departures", {**DEPARTURE, "broker_id": "",
                                                          "step": "review"})))
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
    again = Controls(text(clerk.post("/new/departures", {**DEPARTURE, "broker_id": "",
                                                         "step": "review"})))
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
        assert conn.execute("SELECT actor, reason FROM audit_log WHERE action = 'update'"
                            ).fetchall() == [(CLERK, "typo in the country")]
    page = text(clerk.get(f"/record/{journey}"))
    assert "typo in the country" in page
    assert t("web.history.change", field=t("field.destination_country"), old=t("country.TH"),
             new=t("country.MY")).replace("→", "&rarr;") in page.replace("→", "&rarr;")


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


# -- the same register as the command line ----------------------------------------------------
def web_register(db: Path) -> None:
    """Enter SCRIPT and the correction through the form, as a clerk would."""
    clerk = Clerk(db)
    for kind, answers in SCRIPT:
        clerk.enter(kind, answers)
    ref, changes, reason = CORRECTION
    record_id = clerk.pick(ref)
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
    audit = json.loads(web)["audit"]
    assert [(e["action"], e["table_name"]) for e in audit] == [
        ("insert", "agencies"), ("insert", "brokers"), ("insert", "persons"),
        ("insert", "person_identity"), ("insert", "journeys"), ("insert", "returns"),
        ("insert", "referrals"), ("update", "journeys")]
    assert {e["actor"] for e in audit} == {CLERK} and audit[-1]["reason"] == CORRECTION[2]
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
        assert reg.conn.execute("SELECT actor FROM audit_log").fetchall() == [(CLERK,)]
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


def test_nothing_identifying_in_any_address_or_log(db: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    clerk = Clerk(db)
    for kind, answers in SCRIPT:
        record_id = clerk.enter(kind, answers)
        clerk.get(f"/record/{record_id}")
    clerk.post("/search", {"q": DEPARTURE["name"]})
    for url in clerk.urls:
        assert not any(value in url for value in IDENTIFYING), url
        assert re.fullmatch(r"[/a-z_.0-9?=&-]*", url.split("/start/")[0]), url
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(value in logged for value in IDENTIFYING)


# -- the command -------------------------------------------------------------------------------
def test_register_open_serves_until_the_stop_button(db: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "register", "open", "--db", str(db), "--no-browser",
         "--lang", "en"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/start/\S+)", line)
        assert url, line
        port, start = int(url.group(1)), url.group(2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", start)
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie").split(";")[0]
        conn.request("GET", "/welcome", headers={"Cookie": cookie})
        csrf = re.search(r'name="csrf" content="([^"]+)"', conn.getresponse().read().decode())
        conn.request("POST", "/stop", body=f"csrf={csrf.group(1)}",
                     headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                              "Origin": f"http://127.0.0.1:{port}"})
        stopped = conn.getresponse()
        assert stopped.status == 200 and b'id="stopped"' in stopped.read()
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert t("web.stopped") in out and "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is how Ctrl-C reaches a POSIX process")
def test_register_open_stops_cleanly_with_ctrl_c(db: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "register", "open", "--db", str(db), "--no-browser",
         "--lang", "en"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "http://127.0.0.1:" in process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert t("web.stopped") in out and "Traceback" not in err


def test_register_open_names_a_file_that_is_no_register(tmp_path: Path):
    from typer.testing import CliRunner

    from register.cli import app

    result = CliRunner().invoke(app, ["open", "--db", str(tmp_path / "none.db"), "--no-browser"])
    assert result.exit_code == 1 and "none.db" in result.output


# -- the catalogue -----------------------------------------------------------------------------
def test_every_web_message_is_in_english_and_khmer():
    english, khmer = catalogue("en"), catalogue("km")
    keys = [k for k in english if k.startswith("web.")]
    assert keys
    for key in keys:
        assert key in khmer, key
        assert placeholders(khmer[key]) == placeholders(english[key]), key
    root = Path(register.__file__).parent
    used: set[str] = set()
    for path in [*(root / "web").rglob("*.html"), *(root / "web").rglob("*.py"),
                 root / "cli" / "web.py"]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""t\(\s*["'](web\.[a-z_.]+[a-z_])["']""", source))
        for prefix in re.findall(r"""t\(\s*'(web\.[a-z_]+\.)' ~""", source):
            assert any(k.startswith(prefix) for k in keys), prefix
    assert used and not sorted(k for k in used if k not in english)
