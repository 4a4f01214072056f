"""A clerk's session in Khmer, driven in a pseudo-terminal as a clerk would type it: an agency
with a licence valid until next year, a departure of a person already registered, a return with
ILO indicators and a referral, each record picked by name - and nothing on screen in English
but what the clerk typed (the issue's closing test)."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

import pytest

import register
from register import audit
from tests.conftest import COMMUNE, departure

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.skipif(os.name == "nt", reason="pexpect's pseudo-terminals are POSIX")

NEXT_YEAR = dt.date.today().year + 1
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
# What the screen may show in Latin letters besides what was typed: record ids (hex).
HEX_ID = re.compile(r"\b[0-9a-f]{8}\b")
AUDIT_CODE = re.compile(r"\b\d+-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def km(text: str) -> str:
    return text.translate(KHMER_DIGITS)


def drive(args: list[str], answers: list[str], env: dict[str, str]) -> str:
    """Run ``register ARGS`` in a pseudo-terminal, answering each prompt in turn; the screen."""
    child = pexpect.spawn(sys.executable, ["-m", "register", *args], env=env,
                          encoding="utf-8", timeout=30, dimensions=(40, 100))
    screen = []
    try:
        for answer in answers:
            child.expect_exact(": ")
            screen.append(child.before + ": ")
            child.sendline(answer)
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    assert child.exitstatus == 0, "".join(screen)
    return "".join(screen)


@pytest.fixture
def khmer_register(tmp_path):
    path = tmp_path / "kh.db"
    reg = register.init_register(path, commune=COMMUNE)
    with reg.write() as conn:
        register.i18n.save_register_language(conn, "km")
    register.add_departure(reg, **departure(name="សុខ ដារា", departure_date="2024-03-12"))
    register.add_broker(reg, name="ជា សុខ", alias="តា សុខ")
    reg.close()
    env = {k: v for k, v in os.environ.items() if k not in ("REGISTER_LANG", "LANG", "LC_ALL")}
    env.update(REGISTER_CONFIG=str(tmp_path / "config.json"), COLUMNS="100", TERM="dumb",
               PYTHONIOENCODING="utf-8", LANG="C.UTF-8")
    return path, env


def english(screen: str, typed: list[str]) -> list[str]:
    for text in sorted(typed, key=len, reverse=True):
        if text:
            screen = screen.replace(text, " ")
    screen = HEX_ID.sub(" ", screen)
    # the audit code (digits and Crockford letters, to be written down as it is)
    screen = AUDIT_CODE.sub(lambda m: " " if audit.parse_code(m[0]) else m[0], screen)
    return re.findall(r"[A-Za-z]+", screen)


def test_a_khmer_session_by_name(khmer_register):
    path, env = khmer_register
    db = ["--db", str(path)]
    sessions = [
        (["add-agency", *db], [
            "អង្គរ ម៉ែនផៅវើ",            # name
            km("ក.ប.វ ១២៣"),             # licence number
            "១",                         # licence status: licensed
            km(f"31/12/{NEXT_YEAR}"),    # valid until next year (bug 1)
            "ថៃ, កូរ៉េខាងត្បូង",           # countries the licence allows, by name
            "",                          # parent agency
            "១",                         # review: save
        ]),
        (["add-departure", *db], [
            "សុខ", "១",                  # already registered: search by name, pick
            km("10/01/2025"),            # departure date
            "កូរ៉េ",                       # destination by part of its name
            "", "", "១",                 # place; sector; channel: licensed agency
            "អង្គរ",                       # the agency by part of its name
            "តា សុខ",                     # the broker by alias
            "១",                         # number of brokers
            "១ ២",                       # documents: passport, visa
            "៥០០", "", "ចាស", "", "១២",  # fee, debt, contract seen, job, months
            "១",                         # review: save
        ]),
        (["add-return", *db], [
            "សុខ", "២",                   # the person's departures without a return: the first
            km("01/06/2024"),            # return date
            "២",                         # came back: deported
            "",                          # job done
            "១ ១១",                      # ILO indicators: deception, debt bondage
            "២",                         # exploitation: forced labour
            "១",                         # review: save
        ]),
        (["add-referral", *db], [
            "ដារា",                       # the person by part of the name
            "២",                         # which departure (a numbered list)
            "១",                         # service: MoSVY
            "",                          # organisation
            km("02/06/2024"),            # referral date
            "១",                         # status: referred
            "១",                         # review: save
        ]),
    ]
    for args, answers in sessions:
        screen = drive(args, answers, env)
        assert "បានរក្សាទុក" in screen, screen
        assert english(screen, answers) == [], screen
    with register.open_register(path) as reg:
        conn = reg.conn
        assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
        agency = conn.execute("SELECT id, licence_expiry, allowed_destinations FROM agencies"
                              ).fetchone()
        assert agency[1:] == (f"{NEXT_YEAR}-12-31", '["KR", "TH"]')
        second = conn.execute("SELECT agency_id, destination_country, has_passport, has_visa, "
                              "fee_usd, planned_months FROM journeys WHERE departure_date = "
                              "'2025-01-10'").fetchone()
        assert second == (agency[0], "KR", 1, 1, 500.0, 12)
        first = conn.execute("SELECT id FROM journeys WHERE departure_date = '2024-03-12'"
                             ).fetchone()[0]
        ret = conn.execute("SELECT journey_id, return_mode, ind_deception, ind_debt_bondage, "
                           "exploitation_type FROM returns").fetchone()
        assert ret == (first, "deported", 1, 1, "labour")
        ref = conn.execute("SELECT journey_id, service, referral_date FROM referrals").fetchone()
        assert ref == (first, "mosvy", "2024-06-02")


def test_ctrl_c_saves_nothing_and_says_so(khmer_register):
    path, env = khmer_register
    child = pexpect.spawn(sys.executable, ["-m", "register", "add-broker", "--db", str(path)],
                          env=env, encoding="utf-8", timeout=30)
    child.expect_exact(": ")
    child.sendline("ហែម រិទ្ធ")
    child.expect_exact(": ")
    child.sendintr()  # Ctrl-C in the middle of the record
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "បានឈប់។ គ្មានអ្វីត្រូវបានរក្សាទុកទេ។" in child.before
    with register.open_register(path) as reg:
        assert reg.conn.execute("SELECT count(*) FROM brokers").fetchone()[0] == 1
