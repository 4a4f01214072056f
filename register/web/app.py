"""The Flask application of ``register open``: the session's guard, the first page (who is the
clerk, the passphrase of an encrypted register), the language switch, the stop button and the
Khmer font. The forms are in :mod:`.enter`, the lists, record pages and reports in :mod:`.pages`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..errors import PassphraseError, RegisterError
from ..i18n import digits, t, t_in
from ..model import MODEL
from . import enter, pages, security
from .page import page, session
from .session import WebSession

HERE = Path(__file__).parent
OPEN_BEFORE_READY = ("app.welcome", "app.language", "app.stop", "app.start", "app.font", "static")
MAX_NAME = 100


def create_app(web: WebSession) -> Flask:
    """The application serving one session."""
    from flask import Blueprint

    app = Flask("register.web", root_path=str(HERE), static_folder="static",
                template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=2_000_000)
    app.extensions["register_session"] = web
    app.jinja_env.globals.update(t=t, t_in=t_in, digits=digits, kinds=MODEL.kind_names,
                                 csrf_field=security.CSRF_FIELD)
    app.jinja_env.autoescape = True
    app.before_request(_guard)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RegisterError, _register_error)
    core = Blueprint("app", __name__)
    core.add_url_rule("/start/<token>", "start", _start)
    core.add_url_rule("/welcome", "welcome", _welcome, methods=["GET", "POST"])
    core.add_url_rule("/lang", "language", _language, methods=["POST"])
    core.add_url_rule("/stop", "stop", _stop, methods=["POST"])
    core.add_url_rule("/font/NotoSansKhmer.ttf", "font", _font)
    app.register_blueprint(core)
    app.register_blueprint(enter.bp)
    app.register_blueprint(pages.bp)
    return app


def _guard() -> Any:
    web = session()
    reason = security.refusal(web, request.method, request.path, request.headers,
                              request.cookies, request.form if request.method == "POST" else {})
    i18n.set_language(web.lang or web.fallback)
    if reason is not None:
        return render_template("refused.html", reason=reason), 403
    if not web.ready and request.endpoint not in OPEN_BEFORE_READY:
        return redirect("/welcome", 303)
    return None


def _headers(response: Response) -> Response:
    for name, value in security.HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _http_error(exc: HTTPException) -> Any:
    """The server's own refusals in the clerk's words (not the web library's English)."""
    code = exc.code or 500
    message = t("web.not_found") if code == 404 else t("web.http_error", code=code)
    return render_template("error.html", message=message), code


def _register_error(exc: RegisterError) -> Any:
    return render_template("error.html", message=str(exc)), 400


def _start(token: str) -> Any:
    web = session()  # the guard has checked the token
    response = redirect("/" if web.ready else "/welcome", 303)
    response.set_cookie(web.cookie, web.token, httponly=True, samesite="Strict", path="/")
    return response


def _welcome() -> Any:
    web = session()
    errors: dict[str, str] = {}
    name = (request.form.get("clerk") or "").strip() if request.method == "POST" else (
        web.clerk or web.suggested or "")
    if request.method == "POST":
        passphrase = request.form.get("passphrase") or None
        if not name or len(name) > MAX_NAME:
            errors["clerk"] = t("web.clerk_needed", max=MAX_NAME)
        elif web.encrypted and not passphrase:
            errors["passphrase"] = t("web.passphrase_needed")
        else:
            try:
                web.unlock(name, passphrase)
            except PassphraseError as exc:
                errors["passphrase"] = str(exc)
            else:
                if not web.lang:
                    web.lang = web.default_language()
                return redirect("/", 303)
    return page("welcome.html", name=name, errors=errors, encrypted=web.encrypted,
                file=web.path.name), 422 if errors else 200


def _language() -> Any:
    web = session()
    chosen = request.form.get("lang")
    if chosen in i18n.LANGUAGES:
        web.lang = chosen
    back = request.form.get("next") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    return redirect(back, 303)


def _stop() -> Any:
    web = session()
    web.stop.set()
    return render_template("stopped.html", lang=i18n.language())


def _font() -> Any:
    from ..report_pdf import font_path

    try:
        return send_file(font_path(), mimetype="font/ttf", max_age=0)
    except (ImportError, FileNotFoundError):
        abort(404)
