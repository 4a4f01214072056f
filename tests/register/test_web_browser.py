"""The browser form driven by a real headless Chromium (Debian's chromium and chromium-driver,
through Selenium): a clerk working in Khmer enters every kind of record, is refused one answer
and keeps the others, corrects a record, reads the monthly report and downloads its PDF, and
stops the form from the page.

Skipped, naming what to install, where Chromium is absent (a developer's machine); .ci/run
installs it, and in CI (``CI`` set) a missing Chromium fails instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import register
from register.i18n import catalogue
from tests.conftest import COMMUNE
from tests.register.web_support import (  # noqa: F401 (fixtures)
    CLERK,
    CORRECTION,
    DEPARTURE,
    SCRIPT,
    answered,
    begin,
    chromium,
    cli_register,
    dump,
    enter,
    fill,
    form_answers,
    language_back,
    need_chromium,
    new_register,
    serving,
    wait_for,
)

KM = catalogue("km")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads: Path) -> Iterator[Any]:
    need_chromium()
    with chromium(downloads=downloads) as browser:
        yield browser


def test_a_clerk_enters_every_kind_of_record_in_khmer_and_corrects_one(driver: Any, db: Path,
                                                                     tmp_path: Path):
    from selenium.webdriver.common.by import By

    with serving(db, lang="km") as server:
        begin(driver, server)
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "km"
        for kind, answers in SCRIPT:
            enter(driver, kind, answers)
            assert KM["web.saved"] in driver.find_element(By.CSS_SELECTOR, ".done").text
        # the correction: find the person, open their departure, correct it with a reason
        driver.find_element(By.CSS_SELECTOR, 'nav.menu a[href="/search"]').click()
        fill(driver, "q", DEPARTURE["name"])
        driver.find_element(By.CSS_SELECTOR, "form#search button").click()
        wait_for(driver, "#hits a").click()
        wait_for(driver, "section.record")
        sections = driver.find_elements(By.CSS_SELECTOR, "section.record")
        journey = next(s for s in sections if KM["table.journeys"] in s.find_element(
            By.TAG_NAME, "h2").text)
        journey.find_element(By.CSS_SELECTOR, "a[href^='/correct/']").click()
        wait_for(driver, "form#correction")
        _, changes, reason = CORRECTION
        for name, value in changes.items():
            fill(driver, name, value)
        fill(driver, "reason", reason)
        driver.find_element(By.ID, "save").click()
        assert KM["web.corrected"].split("{n}")[0] in wait_for(driver, ".done").text
        assert "១" in driver.find_element(By.CSS_SELECTOR, ".done").text  # one answer, in Khmer
        history = driver.find_element(By.ID, "history").text
        assert reason in history and CLERK in history and KM["web.history.correct"] in history
        assert KM["country.MY"] in driver.find_element(By.CSS_SELECTOR, "section.record").text \
            or KM["country.MY"] in driver.find_element(By.TAG_NAME, "main").text
    cli = tmp_path / "cli.db"
    register.init_register(cli, commune=COMMUNE, actor="setup").close()
    cli_register(cli)
    assert dump(db) == dump(cli)  # the browser wrote what the command line writes


def test_a_refused_answer_keeps_every_other_answer(driver: Any, db: Path):
    from selenium.webdriver.common.by import By

    answers = form_answers({k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    answers["birth_year"] = "2020"  # four years old on leaving: the register refuses it
    with serving(db, lang="km") as server:
        begin(driver, server)
        driver.find_element(By.CSS_SELECTOR, 'nav.menu a[href="/new/departures"]').click()
        wait_for(driver, "form#entry")
        for name, value in answers.items():
            fill(driver, name, value)
        driver.find_element(By.ID, "review").click()
        problem = wait_for(driver, "#f-birth_year .error")
        rule = KM.get("rule.age") or catalogue("en")["rule.age"]  # Khmer when translated
        assert rule.format(age=4, low=10, high=80) in problem.text
        assert driver.find_elements(By.CSS_SELECTOR, ".has-error") == [
            driver.find_element(By.ID, "f-birth_year")]
        assert driver.switch_to.active_element.get_attribute("name") == "birth_year"
        for name, value in answers.items():
            assert answered(driver, name) == value, name
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 0


def test_the_monthly_report_and_the_stop_button(driver: Any, db: Path, downloads: Path):
    from selenium.webdriver.common.by import By

    with register.open_register(db, actor="setup") as reg:
        register.add_departure(reg, **{k: v for k, v in DEPARTURE.items() if k != "broker_id"})
    with serving(db, lang="km") as server:
        begin(driver, server)
        driver.find_element(By.CSS_SELECTOR, 'nav.menu a[href="/report"]').click()
        fill(driver, "month", "2024-10")
        driver.find_element(By.ID, "show-report").click()
        report = wait_for(driver, "#report").text
        assert KM["report.title"] in report and KM["report.table.departures_by_village"] in report
        assert DEPARTURE["name"] in report  # overdue at the end of October: on the list
        fill(driver, "month", "2024-10")
        driver.find_element(By.ID, "pdf").click()
        pdf = downloads / "council-report-2024-10.pdf"
        deadline = time.monotonic() + 15
        while not pdf.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pdf.read_bytes().startswith(b"%PDF")
        driver.find_element(By.ID, "stop").click()
        assert KM["web.stopped_title"] in wait_for(driver, "#stopped").text
        server.thread.join(timeout=10)  # the button, not the end of this block, stopped it
        assert not server.thread.is_alive()
