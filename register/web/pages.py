"""What the clerk reads: the first page, the lists, search, a record with its history, the
monthly report (on the page and as a PDF), the follow-up list, and the pickers' look-ups.

Each is one call of the register's library, as the command line makes it: ``list_records``,
``search``, ``find``/``details`` and the audit log's ``history``, ``monthly_report`` (with
``public_version``) and ``render`` of :mod:`register.report_pdf`, ``followup``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from ..audit import history
from ..i18n import t
from ..model import MODEL
from ..query import LISTABLE, details, find, list_records, search
from ..validation import is_uuid
from . import forms
from .page import page, session

bp = Blueprint("pages", __name__)
PAGE = 50
HIDDEN = ("source_register", "recorded_at", "id", "person_id")  # shown through their record
LIST_COLUMNS = 5
DEPARTURE_COLUMNS = ("departure_date", "destination_country", "channel")


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
        table = LISTABLE[kind]
        if kind == "warnings":
            heads = [t("field.departure_date"), t("report.dim.warning")]
            lines = [("journeys", r["journey_id"], [forms.show(None, _spec("journeys",
                      "departure_date"), r["departure_date"]), r["warning"]]) for r in rows]
        else:
            names = (DEPARTURE_COLUMNS if kind == "departures" else
                     [f.name for f in MODEL.table(table).fields if f.kind != "bool"
                      and f.name not in HIDDEN][:LIST_COLUMNS])
            heads = [forms.field_label(n) for n in names]
            lines = [(table, r["id"], [forms.show(reg, _spec(table, n), r.get(n)) for n in names])
                     for r in rows]
            if kind == "departures":
                heads.append(t("web.returned"))
                for line, row in zip(lines, rows, strict=True):
                    line[2].append(t("web.yes") if row["returned"] else "")
        titles = [r.get("name") or t("web.no_name") for r in rows] if kind == "departures" \
            else [forms.describe(reg, tab, rid) for tab, rid, _ in lines]
        lines = [(tab, rid, title, cells)
                 for (tab, rid, cells), title in zip(lines, titles, strict=True)]
        villages = forms.villages("", reg.commune_code)
    return page("list.html", kind=kind, heads=heads, lines=lines, month=month or "",
                village=village or "", open_only=open_only, villages=villages, offset=offset,
                more=len(rows) == PAGE, size=PAGE)


def _spec(table: str, name: str) -> Any:
    return MODEL.table(table).field(name)


@bp.route("/search", methods=["GET", "POST"])
def find_records() -> Any:
    query = (request.form.get("q") or "").strip() if request.method == "POST" else ""
    hits: list[tuple[str, str, str]] = []
    tables = {"person": "persons", "agency": "agencies", "broker": "brokers"}
    if query:
        with session().register() as reg:
            for hit in search(reg, query, limit=PAGE):
                table = tables[hit["what"]]
                hits.append((t(f"table.{table}"), hit["id"], forms.describe(reg, table, hit["id"])))
    return page("search.html", query=query, hits=hits, searched=bool(query))


# -- a record and its history ----------------------------------------------------------------
@bp.route("/record/<record_id>")
def record(record_id: str) -> Any:
    if not is_uuid(record_id):
        abort(404)
    with session().register() as reg:
        found = find(reg, record_id)
        parts = details(reg, found)
        sections = []
        ids: list[str] = []
        for table, rows in parts.items():
            if table == "warnings" or not rows:
                continue
            for row in rows:
                key = row[MODEL.key_of(table)]
                ids.append(key)
                lines = [(forms.field_label(f.name), forms.show(reg, f, row.get(f.name)))
                         for f in MODEL.table(table).fields
                         if row.get(f.name) is not None and f.name not in HIDDEN]
                sections.append({"table": table, "id": key, "lines": lines,
                                 "label": forms.describe(reg, table, key),
                                 "returned": table == "journeys" and any(
                                     r["journey_id"] == key for r in parts.get("returns", [])),
                                 "person": row.get("person_id") or
                                 (key if table == "persons" else None)})
        warnings = [(w.get("record_id", found.id), t(f"report.value.warning.{w['code']}")
                     + (f" ({w['detail']})" if w["detail"] else "")) for w in parts["warnings"]]
        entries = [_entry(reg, e) for e in history(reg.conn, ids)]
    return page("record.html", found=found, sections=sections, warnings=warnings,
                entries=entries, saved=request.args.get("saved"),
                already=request.args.get("already"),
                corrected=request.args.get("corrected"))


def _entry(reg: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """An audit entry in plain words: when, who, what changed and why."""
    table = entry["table_name"]
    before, after = entry["before"] or {}, entry["after"] or {}
    changed = []
    if entry["action"] == "update":
        for name in after:
            if before.get(name) != after.get(name) and name in {f.name for f in
                                                               MODEL.table(table).fields}:
                spec = _spec(table, name)
                changed.append((forms.field_label(name), forms.show(reg, spec, before.get(name)),
                                forms.show(reg, spec, after.get(name))))
    local = dt.datetime.fromisoformat(entry["at"]).astimezone()  # the laptop's time
    return {"at": f"{local:%Y-%m-%d %H:%M}",
            "actor": entry["actor"], "action": t(f"web.history.{entry['action']}"),
            "table": t(f"table.{table}"), "changed": changed, "reason": entry["reason"] or ""}


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
    if not month:
        return page("report.html", month=_last_month(), public=public, data=None,
                    latest=f"{dt.date.today():%Y-%m}")
    from . import report_view

    data = _report(month, public)
    return page("report.html", month=month, public=public, data=report_view.view(data),
                latest=f"{dt.date.today():%Y-%m}")


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

    with session().register() as reg:
        people = [{"id": p.journey_id, "name": p.name or t("report.value.unknown_name"),
                   "village": forms.place_label(p.village), "phone": p.phone or "",
                   "departure_date": forms.show(None, _spec("journeys", "departure_date"),
                                                p.departure_date),
                   "destination": forms.show(None, _spec("journeys", "destination_country"),
                                             p.destination_country),
                   "months_away": p.months_away, "planned": p.expected_months}
                  for p in overdue(reg)]
    return page("followup.html", people=people)


# -- the pickers' look-ups (POST: what the clerk types may be a name) ------------------------
@bp.route("/api/places", methods=["POST"])
def places() -> Any:
    with session().register() as reg:
        found = forms.villages(request.form.get("q", ""), reg.commune_code)
    return jsonify([{"value": v, "label": label} for v, label in found])


@bp.route("/api/find/<table>", methods=["POST"])
def records(table: str) -> Any:
    if table not in forms.PICKABLE:
        abort(404)
    with session().register() as reg:
        found = forms.pick(reg, table, request.form.get("q", ""))
    return jsonify([{"value": v, "label": label} for v, label in found])
