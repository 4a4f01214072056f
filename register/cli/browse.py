"""Finding things: places in the gazetteer, records in the register."""

from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import t
from .app import Db, NoInput, app, echo, handled, open_db, print_table


@app.command()
@handled
def lookup(
    query: Annotated[str, typer.Argument(help="A name in Khmer or Latin letters, or a code.")],
    level: Annotated[str | None, typer.Option(help="province, district, commune or village.")] = None,
    limit: int = 20,
    no_input: NoInput = False,
) -> None:
    """Find the gazetteer code of a place by its Khmer or Latin name."""
    from ..gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    hits = gazetteer.search(query, level=level, limit=limit)
    if not hits:
        echo(t("cli.no_results"))
        raise typer.Exit(1)
    for place in hits:
        where = " / ".join(p.name_en for p in gazetteer.lineage(place.code)[:-1])
        echo(f"{place.code}  {place.level:<8}  {place.name_km}  {place.name_en}"
             + (f"  ({where})" if where else ""))


@app.command("list", help=t("list.help"))
@handled
def list_(
    kind: Annotated[str, typer.Argument(help="departures, persons, returns, referrals, agencies, "
                                             "brokers, warnings")],
    db: Db = None,
    limit: int = 50,
    open_only: Annotated[bool, typer.Option("--open", help=t("list.help_open"))] = False,
    month: Annotated[str | None, typer.Option("--month", help=t("list.help_month"))] = None,
    village: Annotated[str | None, typer.Option("--village", help=t("list.help_village"))] = None,
    no_input: NoInput = False,
) -> None:
    from ..query import list_records

    with open_db(db, None, no_input) as reg:
        rows = list_records(reg, kind, limit=limit, open_only=open_only, month=month,
                            village=village)
    print_table(rows)


@app.command()
@handled
def show(
    record_id: Annotated[str, typer.Argument(help="A record id, or its first 6+ characters.")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    """Show a record with everything that belongs to it."""
    from ..query import details, find

    with open_db(db, None, no_input) as reg:
        parts = details(reg, find(reg, record_id))
    for table, rows in parts.items():
        if rows:
            echo(f"[{table}]")
            for row in rows:
                for key, value in row.items():
                    if value is not None:
                        echo(f"  {key}: {value}")
                echo()


@app.command()
@handled
def search(
    text: Annotated[str, typer.Argument(help="Part of a name, ID number, phone or licence.")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    """Search persons, agencies and brokers."""
    from ..query import search as run_search

    with open_db(db, None, no_input) as reg:
        rows = run_search(reg, text)
    print_table(rows)
