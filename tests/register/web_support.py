"""Shared by the tests of the browser form (``register open``) and docs/make_web_images.py: a
clerk's answers for every kind of record, the same answers given to the command line, the
server run in a thread, a dump of a register to compare two of them, a browser's session
through Flask's test client, and a headless Chromium with a clerk's way of filling a form."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import register
from register import i18n
from register.model import MODEL
from register.web.app import create_app
from register.web.server import Server
from register.web.session import WebSession
from tests.conftest import COMMUNE

CLERK = "សុភា"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = "chromedriver"


@dataclass(frozen=True)
class Link:
    """An answer that names another record: what the clerk types in its picker (a name), and
    the table it is in. The command line is given the record's name (agencies, brokers) or the
    first characters of its id (persons, journeys), found in its own register."""

    table: str
    text: str


AGENCY = {"name": "ក្រុមហ៊ុន ការងារល្អ", "licence_number": "MOLVT-0042",
          "licence_status": "licensed", "licence_expiry": "2030-06-30",
          "allowed_destinations": ["TH", "MY"]}
BROKER = {"name": "ចាន់ ថា", "alias": "Tha", "phone": "012999888", "village": "01020102",
          "agency_id": Link("agencies", "MOLVT")}
DEPARTURE = {"name": "សុខ ដារា", "national_id": "010203045", "phone": "012345678", "sex": "F",
             "birth_year": "1996", "home_village": "01020101", "citizenship": "KH",
             "departure_date": "2024-03-12", "destination_country": "TH",
             "sector": "agriculture", "channel": "broker", "broker_id": Link("brokers", "ចាន់"),
             "n_brokers": "1", "has_passport": "1", "fee_usd": "250", "debt_usd": "250",
             "planned_months": "6"}
RETURN = {"journey_id": Link("journeys", "សុខ ដារា"), "return_date": "2024-09-01",
          "return_mode": "deported", "ind_deception": "1", "ind_withholding_wages": "1",
          "exploitation_type": "labour"}
REFERRAL = {"person_id": Link("persons", "សុខ ដារា"), "journey_id": Link("journeys", "សុខ ដារា"),
            "service": "ngo", "organisation": "អង្គការ ជួយ", "referral_date": "2024-09-05",
            "status": "referred"}
# (kind, answers) in the order a clerk enters them; then one correction.
SCRIPT: tuple[tuple[str, dict[str, Any]], ...] = (
    ("agencies", AGENCY), ("brokers", BROKER), ("departures", DEPARTURE), ("returns", RETURN),
    ("referrals", REFERRAL))
CORRECTION = (Link("journeys", "សុខ ដារា"), {"destination_country": "MY"},
              "ថៃ ត្រូវបានសរសេរខុស (typo)")


# -- the server ----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def language_back() -> Iterator[None]:
    """Each web test leaves the catalogue's language as it found it."""
    yield
    i18n.set_language(None)


@pytest.fixture(name="db")
def new_register(tmp_path: Path) -> Path:
    """``db``: a new commune register for a web test."""
    path = tmp_path / "kh.db"
    register.init_register(path, commune=COMMUNE, actor="setup").close()
    return path


@contextlib.contextmanager
def serving(path: Path, lang: str | None = "km", **session: Any) -> Iterator[Server]:
    """``register open`` on ``path``, in a thread, until the block ends (or the Stop button)."""
    web = WebSession(path=path, lang=lang, **session)
    server = Server(web, port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    server.thread = thread  # type: ignore[attr-defined]
    thread.start()
    try:
        yield server
    finally:
        web.stop.set()
        thread.join(timeout=10)
        i18n.set_language(None)
        assert not thread.is_alive(), "the server did not stop"


# -- the command line with the same answers ------------------------------------------------
def cli_typed(kind: str, answers: dict[str, Any]) -> list[str]:
    """What a clerk types at ``register add-*``'s prompts to give ``answers``, question by
    question (:func:`register.entry.questions`, the order the prompts ask in): a record picked
    by part of its name, a group by the numbers of what applies, a referral's departure from
    the numbered list of the person's departures; then 1 (save) on the review."""
    from register import entry

    typed = [""] if kind == "departures" else []  # not registered yet: a new person
    for question in entry.questions(kind):
        if not entry.needed(question, answers):
            continue
        if question.group:
            typed.append(" ".join(str(n) for n, spec in enumerate(question.fields, start=1)
                                  if answers.get(spec.name) == "1"))
            continue
        value = answers.get(question.name, "")
        if isinstance(value, Link):
            typed.append("1" if kind == "referrals" and value.table == "journeys" else value.text)
        else:
            typed.append(", ".join(value) if isinstance(value, list) else str(value))
    return [*typed, "1"]


def cli_register(db: Path, *, with_correction: bool = True) -> None:
    """Enter SCRIPT (and the correction) at the prompts of ``register add-*`` and
    ``register correct``, as a clerk types the answers."""
    from register.cli import app
    from register.cli.entry import COMMANDS

    command = {kind: name for name, kind in COMMANDS.items()}
    runner = CliRunner()
    for kind, answers in SCRIPT:
        typed = cli_typed(kind, answers)
        result = runner.invoke(app, [command[kind], "--db", str(db), "--clerk", CLERK],
                               input="\n".join(typed) + "\n")
        assert result.exit_code == 0, (kind, typed, result.output)
    if with_correction:
        ref, changes, reason = CORRECTION
        ((name, value),) = changes.items()
        result = runner.invoke(app, ["correct", _first_id(db, ref.table, ref.text), "--db",
                                     str(db), "--clerk", CLERK],
                               input="\n".join([name, value, reason]) + "\n")
        assert result.exit_code == 0, result.output


def _first_id(db: Path, table: str, text: str) -> str:
    """The id (8 characters) of the record of ``table`` named ``text`` in a register."""
    with sqlite3.connect(db) as conn:
        sql = {"persons": "SELECT person_id FROM person_identity WHERE name = ?",
               "journeys": "SELECT j.id FROM journeys j JOIN person_identity i ON "
                           "i.person_id = j.person_id WHERE i.name = ? ORDER BY j.rowid DESC"}
        row = conn.execute(sql[table], (text,)).fetchone()
    assert row, (table, text)
    return str(row[0])[:8]


# -- comparing two registers ----------------------------------------------------------------
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMES = ("recorded_at", "created_at", "voided_at")


def dump(db: Path) -> str:
    """The register's records, audit entries and warnings as text, with the times left out
    and each id replaced by the order it first appears in (the same records entered in the
    same order give the same text, whatever ids they were given).

    An audit entry is compared by who, what, why, its detail (a correction's old values) and
    the rows it wrote (table and id); not by its time, its hash or its rows' hashes (the rows
    hold their time of recording, and a row with a name is hashed with a random salt)."""
    from register.audit import TABLE_OF_CODE, id_text

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows: dict[tuple[int, int], list[list[str]]] = {}
    for row in conn.execute("SELECT chain, seq, tab, id FROM audit_row ORDER BY rowid"):
        rows.setdefault((row["chain"], row["seq"]), []).append(
            [TABLE_OF_CODE[row["tab"]], id_text(row["id"])])
    out: dict[str, Any] = {"audit": []}
    for entry in conn.execute("SELECT chain, seq, actor, action, reason, detail "
                              "FROM audit_entry ORDER BY chain, seq"):
        item = dict(entry)
        detail = json.loads(item.pop("detail") or "{}")
        for hidden in detail.get("hidden", []):  # a salted hash of old identifying values
            hidden[2] = "<salted hash>"
        item.update(detail=detail, rows=rows.get((entry["chain"], entry["seq"]), []))
        out["audit"].append(item)
    out["audit_private"] = [dict(r) for r in conn.execute(
        "SELECT seq, tab, id, old FROM audit_private ORDER BY rowid")]
    for table in (*MODEL.table_names, "warnings", "voided"):
        out[table] = [{k: v for k, v in dict(r).items() if k not in _TIMES}
                      for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    conn.close()
    text = json.dumps(out, ensure_ascii=False, sort_keys=True, indent=1)
    seen: dict[str, str] = {}
    return _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<id {len(seen) + 1}>"), text)


# -- a headless Chromium ---------------------------------------------------------------------
def chromium_paths() -> tuple[str, str] | None:
    browser = next((p for p in map(shutil.which, CHROMIUM) if p), None)
    driver = shutil.which(DRIVER)
    return (browser, driver) if browser and driver else None


def need_chromium() -> tuple[str, str]:
    """Chromium and its driver; without them the browser tests are skipped on a developer's
    machine (they are installed by .ci/run) and fail in CI."""
    found = chromium_paths()
    if found is None:
        message = ("the browser tests need Chromium and chromedriver: "
                   "apt-get install -y chromium chromium-driver (CI installs them)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextlib.contextmanager
def chromium(downloads: Path | None = None, width: int = 1366,
             height: int = 768) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile, nothing fetched in the background)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = need_chromium()
    profile = tempfile.mkdtemp(prefix="register-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    if downloads is not None:
        options.add_experimental_option("prefs", {
            "download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# -- a browser's session through Flask's test client --------------------------------------------
PORT = 5123
HOST = {"Host": f"127.0.0.1:{PORT}"}


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

    def pick(self, kind: str, name: str, link: Link, person: str = "") -> str:
        """What the picker of field ``name`` offers first for what the clerk typed (its id);
        a referral's departure is picked from the list of the person's."""
        typed = "" if kind == "referrals" and link.table == "journeys" else link.text
        found = self.post(f"/api/find/{kind}/{name}", {"q": typed, "person_id": person}
                          ).get_json()
        assert found, link
        return str(found[0]["value"])

    def form(self, kind: str, answers: dict[str, Any]) -> dict[str, Any]:
        """The form's fields for ``answers`` (each link picked, each group ticked)."""
        data: dict[str, Any] = {}
        for name, value in form_answers(answers).items():
            data[name] = (self.pick(kind, name, value, data.get("person_id", ""))
                          if isinstance(value, Link) else value)
        return data

    def enter(self, kind: str, answers: dict[str, Any]) -> str:
        """Fill the form, check it on the review page, save it: the saved record's id."""
        data = self.form(kind, answers)
        review = self.post(f"/new/{kind}", {**data, "step": "review"})
        assert review.status_code == 200, text(review)
        key = Controls(text(review)).answer("key")
        saved = self.post(f"/new/{kind}", {**data, "step": "save", "key": key})
        assert saved.status_code == 303, text(saved)
        return str(saved.headers["Location"].split("/record/")[1].split("?")[0])


def form_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers by field as the form asks them: the yes/no fields of a group (travel
    documents, ILO indicators) as the list of those ticked."""
    from register.entry import GROUPS

    grouped = {name: group for group, names in GROUPS.items() for name in names}
    out: dict[str, Any] = {}
    for name, value in answers.items():
        group = grouped.get(name)
        if group is None:
            out[name] = value
        elif value == "1":
            out.setdefault(group, []).append(name)
    return out


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
        boxes = [a for tag, a in controls if a.get("type") == "checkbox"]
        if boxes:
            return [a.get("value") for a in boxes if "checked" in a]
        radios = [a for tag, a in controls if a.get("type") == "radio"]
        if radios:
            return next((a.get("value") for a in radios if "checked" in a), None)
        return controls[0][1].get("value") if controls else None


def field_block(html: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*" id="f-{name}">(.*?)</div>\s*(?=<div class="field|'
                      rf'</div>|<div class="actions)', html, re.S)
    assert match, name
    return match.group(1)


# -- a clerk at the browser -------------------------------------------------------------------
WAIT = 10  # seconds


def wait_for(driver: Any, css: str) -> Any:
    """The element once the page shows it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def search_text(name: str, value: Any) -> str:
    """What a clerk types in a field's search box to find ``value`` (a Khmer country name)."""
    if isinstance(value, Link):
        return value.text
    if name in ("destination_country", "citizenship", "allowed_destinations"):
        return i18n.catalogue("km")[f"country.{value}"]
    return ""


def fill(driver: Any, name: str, value: Any) -> None:
    """Answer one field the way a clerk does: type, click a button, search and choose."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    controls = driver.find_elements(By.NAME, name)
    assert controls, name
    first = controls[0]
    kind = first.get_attribute("type")
    if kind == "checkbox":  # a group: tick what applies
        for box in controls:
            if box.is_selected() != (box.get_attribute("value") in value):
                box.find_element(By.XPATH, "..").click()
    elif kind == "radio":
        chosen = next(c for c in controls if c.get_attribute("value") == value)
        chosen.find_element(By.XPATH, "..").click()  # the whole label is the target
    elif first.tag_name == "select":
        query = first.find_element(By.XPATH, "..").find_element(By.CSS_SELECTOR, ".finder-query")
        picker = Select(first)
        finder = first.find_element(By.XPATH, "..")
        for item in value if isinstance(value, list) else [value]:
            typed = search_text(name, item)
            query.clear()
            if typed and not finder.get_attribute("data-also"):  # else: the person's list
                query.send_keys(typed)
            if isinstance(item, Link):  # the server's answer: the first record it offers
                WebDriverWait(driver, WAIT).until(lambda _: [
                    o for o in picker.options if len(o.get_attribute("value")) == 36])
                item = next(o.get_attribute("value") for o in picker.options
                            if len(o.get_attribute("value")) == 36)
            picker.select_by_value(item)
    elif kind in ("date", "month"):  # the date picker's text depends on the browser's locale
        driver.execute_script("arguments[0].value = arguments[1]", first, value)
    else:
        first.clear()
        first.send_keys(value)


def answered(driver: Any, name: str) -> Any:
    """What the page holds as the answer of a field."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    controls = driver.find_elements(By.NAME, name)
    first = controls[0]
    if first.get_attribute("type") == "checkbox":
        return [c.get_attribute("value") for c in controls if c.is_selected()]
    if first.get_attribute("type") == "radio":
        return next((c.get_attribute("value") for c in controls if c.is_selected()), None)
    if first.tag_name == "select":
        chosen = [o.get_attribute("value") for o in Select(first).all_selected_options]
        return chosen if first.get_attribute("multiple") else (chosen or [None])[0]
    return first.get_attribute("value")


def begin(driver: Any, server: Server) -> None:
    """Open the address ``register open`` opens, and say who is entering records."""
    driver.get(server.url)
    wait_for(driver, "#i-clerk").send_keys(CLERK)
    driver.find_element("id", "begin").click()
    wait_for(driver, ".tiles")


def enter(driver: Any, kind: str, answers: dict[str, Any], shots: Path | None = None) -> None:
    """Fill a form from the menu, check it on the review page, save it."""
    from selenium.webdriver.common.by import By

    menu = driver.find_element(By.CSS_SELECTOR, f'nav.menu a[href="/new/{kind}"]')
    menu.click()
    wait_for(driver, "form#entry")
    for name, value in form_answers(answers).items():
        fill(driver, name, value)
    if shots is not None:
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(shots / f"web-{kind}-form.png"))
    driver.find_element(By.ID, "review").click()
    wait_for(driver, "#summary")
    if shots is not None:
        driver.save_screenshot(str(shots / f"web-{kind}-review.png"))
    driver.find_element(By.ID, "save").click()
    wait_for(driver, ".done")
