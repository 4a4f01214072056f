"""What keeps the browser form (``register open``) to its clerk: the session token, the
origin, host and CSRF checks, the loopback-only bind, nothing identifying in an address or a
log; the command itself (Stop button, Ctrl-C); and the form's messages in both languages.
"""

from __future__ import annotations

import http.client
import logging
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import register
from register.i18n import catalogue, placeholders, t
from register.web.app import create_app
from register.web.security import WebError, check_bind
from register.web.server import Server
from register.web.session import WebSession
from tests.register.web_support import (  # noqa: F401 (fixtures)
    AGENCY,
    DEPARTURE,
    PORT,
    SCRIPT,
    Clerk,
    language_back,
    new_register,
    serving,
    text,
)

IDENTIFYING = (DEPARTURE["name"], DEPARTURE["phone"], DEPARTURE["national_id"], "ចាន់ ថា",
               "012999888")


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
