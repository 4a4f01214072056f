"""What keeps the form to the clerk who started it.

* **Loopback only.** The server binds 127.0.0.1 and nothing else (:func:`check_bind`): no other
  computer can reach it.
* **A secret per session.** ``register open`` opens ``/start/<token>`` (a random 256-bit token);
  that page sets it as a cookie (HttpOnly, SameSite=Strict) and every other request must carry
  it: another user of the same laptop, who can reach 127.0.0.1 too, gets nothing.
* **The right host.** The Host header must name 127.0.0.1 or localhost at this port (a web
  page cannot reach the server through a name of its own that resolves to 127.0.0.1).
* **Writes from the form only (CSRF).** Every POST must carry the session's form secret (a
  hidden field, or a header for the look-ups of the pickers), must not come from another origin
  (``Origin``, else ``Referer``; ``Sec-Fetch-Site`` when the browser sends it), and its cookie
  is not sent at all when another site posts (SameSite=Strict).
* **No trace.** Pages are never cached (``Cache-Control: no-store``); a content security policy
  allows nothing but this server (no CDN, no inline script, no frames); no referrer leaves.
  Identifying fields travel only in POST bodies, and waitress keeps no access log.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from ..errors import RegisterError
from ..i18n import t
from .session import WebSession

LOOPBACK = "127.0.0.1"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD")
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class WebError(RegisterError):
    """The form's server cannot start as asked (an address other than 127.0.0.1)."""


def check_bind(host: str) -> str:
    """The address to listen on: 127.0.0.1, and nothing else (not 0.0.0.0, not a LAN address,
    not a name that could resolve elsewhere)."""
    if host != LOOPBACK:
        raise WebError(t("web.not_loopback", host=host, loopback=LOOPBACK))
    return host


def allowed_hosts(port: int) -> set[str]:
    return {f"{LOOPBACK}:{port}", f"localhost:{port}"}


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _same(given: str, secret: str) -> bool:
    """Equal, compared in constant time (nothing learnt from how long a wrong guess takes)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8"))


def refusal(session: WebSession, method: str, path: str, headers: Any, cookies: Any,
            form: Any) -> str | None:
    """Why this request is refused (a reason for the tests and the 403 page), or None."""
    if headers.get("Host", "") not in allowed_hosts(session.port):
        return "host"
    if path.startswith("/start/"):
        given = path.removeprefix("/start/")
        return None if _same(given, session.token) else "token"
    cookie = cookies.get(session.cookie, "")
    if not _same(cookie, session.token):
        return "token"
    if method in SAFE_METHODS:
        return None
    own = {f"http://{host}" for host in allowed_hosts(session.port)}
    origin = headers.get("Origin")
    if origin is not None and origin not in own:  # a page of another site or port
        return "origin"
    if origin is None and headers.get("Referer") and _origin_of(headers["Referer"]) not in own:
        return "origin"
    if headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return "origin"
    secret = form.get(CSRF_FIELD) or headers.get(CSRF_HEADER) or ""
    if not _same(secret, session.csrf):
        return "csrf"
    return None
