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
from .app import NoInput, app, echo, fail, handled


@app.command()
@handled
def synth(
    provinces: Annotated[str, typer.Option(help="Province codes, comma separated, or 'all'.")],
    out: Annotated[Path, typer.Option("--out", help="An empty folder for the registers.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    scale: Annotated[float, typer.Option(help="1.0 gives about 2 million journeys nationally.")] = 1.0,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: CPUs).")] = None,
    scenario: Annotated[str | None, typer.Option(
        help="Knobs that make the data harder for the estimators: a scenario name "
             "(heterogeneity, referral, churn, mnar, return, adversarial) or knob=value.")] = None,
    no_input: NoInput = False,
) -> None:
    """Write synthetic commune registers with a planted truth (no real person in them)."""
    if scale <= 0:
        raise fail("--scale must be positive", 2)
    load_command("synth")(provinces=provinces, out=out, seed=seed, scale=scale,
                          workers=workers, echo=echo, scenario=scenario)


@app.command()
@handled
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo files.")] = Path("demo"),
    seed: int = 7,
    notebooks: Annotated[bool, typer.Option(
        "--notebooks/--no-notebooks", help="Also run the analysis notebooks on the demo.")] = True,
    no_input: NoInput = False,
) -> None:
    """Build a demo: synthetic registers of every commune, merged, exported, summarised."""
    load_command("demo")(out=out, seed=seed, notebooks=notebooks, echo=echo)
