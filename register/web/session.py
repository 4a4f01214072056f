"""One clerk's session of ``register open``: the register file, who is writing, the language,
the passphrase of an encrypted register and the session's secrets, all in the server's memory.

Nothing here is written to disk or to a log. The passphrase is asked for in the page and kept
only in this object; the clerk's name is asked for once and goes into every audit entry.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import i18n
from ..db import Register, is_encrypted, open_register


@dataclass(eq=False)
class WebSession:
    """The state of one ``register open``; ``token`` opens it, ``csrf`` guards every write."""

    path: Path
    port: int = 0
    clerk: str | None = None  # asked for on the first page, once per session
    suggested: str | None = None  # --clerk or REGISTER_CLERK: offered there
    lang: str | None = None  # chosen in the page (or by --lang); else the commune's
    fallback: str = field(default_factory=i18n.language)  # REGISTER_LANG or --lang, else en
    passphrase: str | None = field(default=None, repr=False)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    stop: threading.Event = field(default_factory=threading.Event)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def encrypted(self) -> bool:
        return is_encrypted(self.path)

    @property
    def ready(self) -> bool:
        """The clerk has said who they are (and, for an encrypted register, opened it)."""
        return bool(self.clerk) and (self.passphrase is not None or not self.encrypted)

    @property
    def cookie(self) -> str:
        """The cookie's name: cookies do not tell ports apart, two sessions must not collide."""
        return f"register_session_{self.port}"

    def unlock(self, clerk: str, passphrase: str | None) -> None:
        """Check the passphrase by opening the register (raises PassphraseError), then keep both."""
        open_register(self.path, actor=clerk, passphrase=passphrase or None).close()
        self.clerk, self.passphrase = clerk, (passphrase or None) if self.encrypted else None

    def default_language(self) -> str:
        """The commune's language (``register_meta`` key ``language``), else the fallback."""
        with self.register() as reg:
            chosen = reg.meta().get("language")
        return chosen if chosen in i18n.LANGUAGES else self.fallback

    @contextlib.contextmanager
    def register(self) -> Iterator[Register]:
        """The register, opened once per server thread and kept open (an encrypted register
        costs a key derivation, about 0.1 s, at each opening; SQLite connections belong to the
        thread that opened them). Opened again if the file was replaced (a restore) or after a
        database error; closed when the thread ends."""
        identity = _identity(self.path)
        reg: Register | None = getattr(self._local, "reg", None)
        if reg is not None and getattr(self._local, "identity", None) != identity:
            self._forget()
            reg = None
        if reg is None:
            reg = open_register(self.path, actor=self.clerk, passphrase=self.passphrase)
            self._local.reg, self._local.identity = reg, identity
        reg.actor = self.clerk or reg.actor
        try:
            yield reg
        except sqlite3.DatabaseError:
            self._forget()
            raise

    def _forget(self) -> None:
        reg, self._local.reg = getattr(self._local, "reg", None), None
        if reg is not None:
            with contextlib.suppress(Exception):
                reg.close()

    def close(self) -> None:
        """Forget the passphrase and this thread's connection (the server's threads have ended
        by then, and their connections with them)."""
        self._forget()
        self.passphrase = None


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino
