"""Serving the form: waitress on 127.0.0.1, until Ctrl-C or the page's Stop button.

waitress is a pure-Python WSGI server that runs the same on Windows, macOS and Linux, with a
small pool of threads (a page that is slow to make, such as a report, does not hold up the
next click) and no access log. The loop below is waitress's own, run in slices so that the
Stop button can end it; a stop lets the last page reach the browser first.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

from .security import LOOPBACK, check_bind
from .session import WebSession

THREADS = 4
SLICE = 0.25  # seconds: how soon Ctrl-C (on Windows) or the Stop button is noticed
DRAIN = 2.0  # seconds given to pages still being sent when the server stops


class Server:
    """A waitress server for one session; ``url`` is the address that opens the session."""

    def __init__(self, web: WebSession, port: int = 0, host: str = LOOPBACK) -> None:
        from waitress.server import create_server

        from .app import create_app

        check_bind(host)
        self.web = web
        self.app = create_app(web)
        listening = _socket(host, port)
        try:
            self._server: Any = create_server(
                self._late_app, sockets=[listening], threads=THREADS, ident="register",
                expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        except BaseException:
            listening.close()
            raise
        self.host, self.port = host, int(self._server.effective_port)
        web.port = self.port  # known once bound (port 0: any free port)

    def _late_app(self, environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        return self.app(environ, start)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/start/{self.web.token}"

    def run(self) -> None:
        """Serve until the session is stopped (the Stop button) or Ctrl-C."""
        from waitress import wasyncore

        server = self._server
        try:
            while not self.web.stop.is_set():
                wasyncore.loop(timeout=SLICE, map=server._map, count=1)
            deadline = time.monotonic() + DRAIN
            while _busy(server) and time.monotonic() < deadline:
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        server = self._server
        with contextlib.suppress(Exception):
            server.close()
        for channel in list(server._map.values()):
            with contextlib.suppress(Exception):
                channel.close()
        with contextlib.suppress(Exception):
            server.task_dispatcher.shutdown(timeout=DRAIN)
        self.web.close()


def _socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound. On Windows it is bound for this process alone
    (``SO_EXCLUSIVEADDRUSE``): there, a port shared with ``SO_REUSEADDR``, which waitress sets,
    could be bound again by another user's program, which would then receive the browser's
    requests and their session cookie."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _busy(server: Any) -> bool:
    """A page is still being made or sent."""
    return any(getattr(ch, "requests", None) or getattr(ch, "total_outbufs_len", 0)
               for ch in list(server._map.values()) if ch is not server)
