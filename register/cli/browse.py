"""Finding things: places in the gazetteer, records in the register - shown with labels and
values in the clerk's language (:mod:`register.present`), voided records left out of lists."""

from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import language, t
from .app import Db, NoInput, app, echo, handled, kind_named, level_named, open_db, print_table


@app.command(help="help.lookup")
@handled
def lookup(
    query: Annotated[str, typer.Argument(metavar="metavar.name", help="help.lookup.query")],
    level: Annotated[str | None, typer.Option(help="help.lookup.level")] = None,
    limit: Annotated[int, typer.Option(help="help.limit")] = 20,
    no_input: NoInput = False,
) -> None:
    from ..gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    hits = gazetteer.search(query, level=level_named(level), limit=limit)
    if not hits:
        echo(t("cli.no_results"))
        raise typer.Exit(1)
    for place in hits:
        first, second = ((place.name_km, place.name_en) if language() == "km"
                         else (place.name_en, place.name_km))
        where = ", ".join(p.name_km if language() == "km" else p.name_en
                          for p in reversed(gazetteer.lineage(place.code)[:-1]))
        echo(t("cli.place", code=place.code, level=t(f"level.{place.level}"), name=first,
               other=second, where=t("cli.option_detail", detail=where) if where else ""))


@app.command("list", help="list.help")
@handled
def list_(
    kind: Annotated[str, typer.Argument(metavar="metavar.kind", help="help.list.kind")],
    db: Db = None,
    limit: Annotated[int, typer.Option(help="help.limit")] = 50,
    open_only: Annotated[bool, typer.Option("--open", help="list.help_open")] = False,
    month: Annotated[str | None, typer.Option("--month", help="list.help_month")] = None,
    village: Annotated[str | None, typer.Option("--village", help="list.help_village")] = None,
    no_input: NoInput = False,
) -> None:
    from ..present import list_table
    from ..query import list_records

    with open_db(db, None, no_input) as reg:
        kind = kind_named(kind) or kind
        rows = list_records(reg, kind, limit=limit, open_only=open_only, month=month,
                            village=village)
        print_table(list_table(reg, kind, rows))


@app.command(help="help.show")
@handled
def show(
    record_id: Annotated[str, typer.Argument(metavar="metavar.id", help="help.record_id")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    from ..present import show_sections
    from ..query import details, find, voided

    with open_db(db, None, no_input) as reg:
        parts = details(reg, find(reg, record_id))
        ids = [str(r.get("id")) for rows in parts.values() for r in rows if r.get("id")]
        sections = show_sections(reg, parts, voided(reg, ids))
    for heading, lines in sections:
        echo(heading)
        for label, value in lines:
            echo(t("show.line", label=label, value=value) if label else t("cli.item", text=value))
        echo()


@app.command(help="help.search")
@handled
def search(
    text: Annotated[str, typer.Argument(metavar="metavar.text", help="help.search.text")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    from ..present import search_table
    from ..query import search as run_search

    with open_db(db, None, no_input) as reg:
        print_table(search_table(reg, run_search(reg, text)))
