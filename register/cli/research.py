"""Research-only commands: synthetic registers and the demo.

Their implementation lives in the ``synthetic`` package, above the register in the import order
(it writes registers through the register's API, and the demo runs the analysis). The register
never imports it: the commands are found through the ``commune_register.commands`` entry points
that the distribution declares, and a clerk's install without the research tools gets a message
naming the extra to install instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..extras import load_command
from ..i18n import t
from .app import NoInput, app, echo, fail, handled


@app.command(help="help.synth")
@handled
def synth(
    provinces: Annotated[str, typer.Option(help="help.synth.provinces")],
    out: Annotated[Path, typer.Option("--out", help="help.synth.out")],
    seed: Annotated[int, typer.Option(help="help.synth.seed")] = 1,
    scale: Annotated[float, typer.Option(help="help.synth.scale")] = 1.0,
    workers: Annotated[int | None, typer.Option(help="help.synth.workers")] = None,
    scenario: Annotated[str | None, typer.Option(help="help.synth.scenario")] = None,
    no_input: NoInput = False,
) -> None:
    if scale <= 0:
        raise fail(t("cli.scale_positive"), 2)
    load_command("synth")(provinces=provinces, out=out, seed=seed, scale=scale,
                          workers=workers, echo=echo, scenario=scenario)


@app.command(help="help.demo")
@handled
def demo(
    out: Annotated[Path, typer.Option("--out", help="help.demo.out")] = Path("demo"),
    seed: Annotated[int, typer.Option(help="help.synth.seed")] = 7,
    notebooks: Annotated[bool, typer.Option("--notebooks/--no-notebooks",
                                            help="help.demo.notebooks")] = True,
    no_input: NoInput = False,
) -> None:
    load_command("demo")(out=out, seed=seed, notebooks=notebooks, echo=echo)
