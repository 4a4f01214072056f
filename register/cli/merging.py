"""``register merge``: district, province and national registers from commune registers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..extras import require
from ..i18n import t
from ..output import check_register_name
from .app import NoInput, app, ask_passphrase, echo, handled


@app.command(help="help.merge")
@handled
def merge(
    inputs: Annotated[list[Path], typer.Argument(metavar="metavar.registers", help="help.merge.inputs")],
    out: Annotated[Path, typer.Option("--out", help="help.merge.out")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="help.merge.dry_run")] = False,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="help.merge.skip_bad")] = False,
    no_link: Annotated[bool, typer.Option("--no-link", help="help.merge.no_link")] = False,
    threshold: Annotated[float | None, typer.Option(help="help.merge.threshold")] = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="help.merge.encrypt")] = False,
    no_input: NoInput = False,
) -> None:
    """Merge registers; encrypted inputs are opened with REGISTER_PASSPHRASE (or a prompt), and
    the output is then encrypted with the same passphrase."""
    from ..db import is_encrypted
    from ..merge import apply_merge, plan_merge

    check_register_name(out)
    if not no_link:
        require("link")  # finding the same person in two communes: Splink and DuckDB
    encrypted = any(p.is_file() and is_encrypted(p) for p in [*inputs, out])
    passphrase = ask_passphrase(no_input) if encrypted or encrypt else None
    import os

    plan = plan_merge(inputs, out, passphrase=passphrase, processes=os.cpu_count() or 1)
    if dry_run:
        echo(plan.summary())
        raise typer.Exit(1 if plan.bad else 0)
    if plan.bad:
        echo(plan.summary(), err=True)

    def progress(done: int, total: int, source: object) -> None:
        if done == total or done % 50 == 0:
            echo(t("merge.progress", done=done, total=total), err=True)

    report = apply_merge(plan, skip_bad=skip_bad, link=not no_link, threshold=threshold,
                         progress=progress)
    echo(report.summary())
    echo(t("audit.anchor", code=report.code))
