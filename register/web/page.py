"""What every page shares: the session it serves, and the page with the session's secret for
its forms, the clerk's name and the language."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from .. import i18n
from .session import WebSession


def session() -> WebSession:
    return current_app.extensions["register_session"]  # type: ignore[no-any-return]


def page(template: str, **values: Any) -> str:
    """A page with what every page shows (the session's secret for its forms, the clerk)."""
    web = session()
    return render_template(template, csrf=web.csrf, clerk=web.clerk, lang=i18n.language(),
                           languages=i18n.LANGUAGES, here=request.path, **values)
