"""What the clerk reads: the first page, the lists, search, a record with its history, the
monthly report (on the page and as a PDF), the follow-up list, and the pickers' look-ups.

Each is the call the command line makes, in the same words: ``list_records`` and
:func:`register.present.list_table` (``register list``), ``search`` and
:func:`~register.present.search_table`, ``find``/``details`` and
:func:`~register.present.record_lines` (``register show``) with the audit log's
:func:`~register.audit.record_entries`, ``monthly_report`` (with ``public_version``) and
``render`` of :mod:`register.report_pdf`, ``followup`` with
:func:`register.report_text.followup_cells`, and :func:`register.entry.find` for the pickers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from .. import entry
from ..audit import record_entries
from ..i18n import t, warning_text
from ..model import MODEL, fields_of
from ..present import heading, list_table, record_lines, search_table
from ..query import LISTABLE, details, find, list_records, search, voided
from ..validation import is_uuid
from . import forms
from .page import page, session

bp = Blueprint("pages", __name__)
PAGE = 50
HOME_VILLAGE = MODEL.table("persons").field("home_village")


@bp.route("/")
def home() -> Any:
    from ..report_text import Labels

    with session().register() as reg:
        commune = Labels().commune(reg.commune_code)
    return page("home.html", commune=commune, lists=[k for k in LISTABLE if k != "persons"])


# -- lists and search ------------------------------------------------------------------------
@bp.route("/list/<kind>")
def listing(kind: str) -> Any:
    if kind not in LISTABLE:
        abort(404)
    month = request.args.get("month") or None
    village = request.args.get("village") or None
    open_only = request.args.get("open") == "1"
    offset = int(request.args["offset"]) if request.args.get("offset", "").isdigit() else 0
    with session().register() as reg:
        rows = list_records(reg, kind, limit=PAGE, offset=offset, open_only=open_only,
                            month=month, village=village)
        shown = list_table(reg, kind, rows)
        villages = [(o.value, o.words) for o in entry.find(reg, "departures", HOME_VILLAGE, "")]
    link = "journey_id" if kind == "warnings" else "id"
    heads = list(shown[0]) if shown else []
    lines = [(row[link], list(cells.values())) for row, cells in zip(rows, shown, strict=True)]
    return page("list.html", kind=kind, heads=heads, lines=lines, month=month or "",
                village=village or "", open_only=open_only, villages=villages, offset=offset,
                more=len(rows) == PAGE, size=PAGE)


@bp.route("/search", methods=["GET", "POST"])
def find_records() -> Any:
    query = (request.form.get("q") or "").strip() if request.method == "POST" else ""
    heads: list[str] = []
    lines: list[tuple[str, list[str]]] = []
    if query:
        with session().register() as reg:
            hits = search(reg, query, limit=PAGE)
            shown = search_table(reg, hits)
        heads = list(shown[0]) if shown else []
        lines = [(hit["id"], list(cells.values())) for hit, cells in zip(hits, shown, strict=True)]
    return page("search.html", query=query, heads=heads, lines=lines, searched=bool(query))


# -- a record and its history ----------------------------------------------------------------
@bp.route("/record/<record_id>")
def record(record_id: str) -> Any:
    from ..void import VOIDABLE

    if not is_uuid(record_id):
        abort(404)
    with session().register() as reg:
        found = find(reg, record_id)
        parts = details(reg, found)
        keys = [(table, str(row[MODEL.key_of(table)])) for table, rows in parts.items()
                if table != "warnings" for row in rows]
        gone = voided(reg, [key for _, key in keys])
        sections = []
        for table, rows in parts.items():
            if table == "warnings":
                continue
            for row in rows:
                key = str(row[MODEL.key_of(table)])
                sections.append({
                    "table": table, "id": key, "heading": heading(table, key),
                    "lines": record_lines(reg, table, row, gone.get(key)),
                    "voided": key in gone, "voidable": table in VOIDABLE and key not in gone,
                    "returned": table == "journeys" and any(
                        r["journey_id"] == key for r in parts.get("returns", [])),
                    "person": row.get("person_id") or (key if table == "persons" else None)})
        warnings = [warning_text(w["code"], w.get("detail") or "") for w in parts["warnings"]]
        entries = [_entry(e) for e in record_entries(reg.conn, keys)]
    done = {name: request.args.get(name) for name in ("saved", "already", "corrected", "voided")}
    return page("record.html", found=found, sections=sections, warnings=warnings,
                entries=entries, done=done)


def _entry(entry: dict[str, Any]) -> dict[str, str]:
    """An audit entry in plain words: when (the laptop's time), who, what, and why."""
    from ..i18n import digits, short_date

    local = dt.datetime.fromisoformat(entry["at"]).astimezone()
    return {"at": f"{short_date(local.date())} {digits(f'{local:%H:%M}')}", "actor": entry["actor"],
            "action": t(f"web.history.{entry['action']}"), "reason": entry["reason"] or ""}


# -- the monthly report and the follow-up list -----------------------------------------------
def _last_month() -> str:
    first = dt.date.today().replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


def _report(month: str, public: bool) -> Any:
    from ..report import monthly_report

    with session().register() as reg:
        data = monthly_report(reg, month)
    if public:
        from ..report_public import public_version

        data = public_version(data)
    return data


@bp.route("/report")
def report() -> Any:
    month = request.args.get("month") or ""
    public = request.args.get("public") == "1"
    latest = f"{dt.date.today():%Y-%m}"
    if not month:
        return page("report.html", month=_last_month(), public=public, data=None, latest=latest)
    from . import report_view

    data = report_view.view(_report(month, public))
    return page("report.html", month=month, public=public, data=data, latest=latest)


@bp.route("/report.pdf")
def report_pdf() -> Any:
    from ..report_pdf import render

    month = request.args.get("month") or _last_month()
    public = request.args.get("public") == "1"
    data, _ = render(_report(month, public))
    name = f"council-report-{month}{'-public' if public else ''}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/followup")
def followup() -> Any:
    from ..report import followup as overdue
    from ..report_text import FOLLOWUP_COLUMNS, Labels, followup_cells

    labels = Labels()
    with session().register() as reg:
        people = [(p.journey_id, followup_cells(p, labels)) for p in overdue(reg)]
    return page("followup.html", people=people,
                heads=[t(f"followup.col.{c}") for c in FOLLOWUP_COLUMNS])


# -- the pickers' look-ups (POST: what the clerk types may be a name) ------------------------
@bp.route("/api/find/<kind>/<name>", methods=["POST"])
def pick(kind: str, name: str) -> Any:
    """What the clerk may mean by what they typed in a picker: :func:`register.entry.find`,
    as the prompts offer it (a referral's departures are those of the person chosen)."""
    if kind not in MODEL.kind_names:
        abort(404)
    spec = next((s for s in fields_of(kind) if s.name == name), None)
    if spec is None or not (spec.kind in ("village", "country", "countries") or spec.refers):
        abort(404)
    person = (request.form.get("person_id") or "").strip().lower()
    with session().register() as reg:
        found = entry.find(reg, kind, spec, request.form.get("q", ""),
                           {"person_id": person if is_uuid(person) else None},
                           limit=forms.LIMIT)
    return jsonify([{"value": o.value, "label": o.words} for o in found])
