"""``register open``: the register as a form in the browser, on this laptop only.

Flask and waitress are imported only when the command runs (the other commands start fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import i18n
from ..i18n import t
from .app import Clerk, Db, NoInput, app, echo, fail, handled, need


@app.command("open", help="web.help")
@handled
def open_(
    db: Db = None,
    port: Annotated[int, typer.Option("--port", help="web.help_port", min=0,
                                      max=65535)] = 0,
    lang: Annotated[str | None, typer.Option("--lang", help="web.help_lang")] = None,
    clerk: Clerk = None,
    browser: Annotated[bool, typer.Option("--browser/--no-browser",
                                          help="web.help_browser")] = True,
    no_input: NoInput = False,
) -> None:
    from ..db import is_encrypted, open_register
    from ..web.server import Server
    from ..web.session import WebSession

    if lang is not None:  # the pages' language, and that of this command's messages
        if lang not in i18n.LANGUAGES:
            raise fail(t("report.bad_lang", lang=lang, languages=", ".join(i18n.LANGUAGES)), 2)
        i18n.set_language(lang)
    path = Path(need(db, "--db", no_input, "cli.ask_file"))
    if not path.is_file() or not is_encrypted(path):
        open_register(path).close()  # a missing or damaged file is named now, not in the page
    web = WebSession(path=path, lang=lang, suggested=clerk)
    try:
        server = Server(web, port=port)
    except OSError as exc:  # the port is taken
        raise fail(t("web.port_taken", port=port, error=exc.strerror or exc)) from None
    try:
        echo(t("web.serving", url=server.url))
        echo(t("web.how_to_stop"))
        if browser:
            import webbrowser

            webbrowser.open(server.url)
        server.run()  # until the Stop button, or Ctrl-C
    except KeyboardInterrupt:  # Ctrl-C before the server's loop began
        server.close()
    echo(t("web.stopped"))
