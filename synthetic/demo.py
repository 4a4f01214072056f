"""The demo behind the README's first command: a synthetic country, end to end.

1. synthetic commune registers for every commune of all 25 provinces (small scale: about 60,000
   journeys), written through the register API and marked synthetic;
2. merged into a national register (the merge carries the synthetic mark), with the same
   person in two communes linked;
3. the researcher export (no names, ID numbers or phones);
4. a short summary; then the analysis notebooks run on it and write their results and the
   report for decision makers under ``results/`` (``--no-notebooks`` to skip).

The commune registers are written with a rollback journal (see `synthetic.write`), so the
read-only merge leaves no ``-wal``/``-shm`` files beside them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .errors import SyntheticError

DEMO_SCALE = 0.03  # about 60,000 journeys nationally: enough returns for the maps to show the cluster


def run_demo(out: Path, *, seed: int = 7, notebooks: bool = True,
             echo: Callable[..., None] = print, scale: float = DEMO_SCALE,
             provinces: str = "all") -> dict[str, object]:
    from register import check_register, export_researcher, open_register
    from register.merge import merge

    from .write import write_country

    out = Path(out)
    communes = out / "communes"
    if communes.exists():
        marker = communes / "README.txt"
        if not (marker.exists() and marker.read_text(encoding="utf-8").startswith("SYNTHETIC")):
            raise SyntheticError(f"{communes} exists and is not an earlier demo; choose another "
                                f"--out folder")
        shutil.rmtree(communes)  # an earlier demo's synthetic registers
    for stale in (out / "national.db", out / "export.csv"):
        stale.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    echo(f"1/4 Writing synthetic commune registers (seed {seed}) to {communes} ...")
    synth = write_country(provinces, seed, communes, scale=scale)
    echo("    " + synth.summary())
    echo("2/4 Merging them into a national register ...")
    national = out / "national.db"
    report = merge(sorted(communes.glob("*.db")), national)  # carries the synthetic mark
    echo("    " + report.summary())
    echo("3/4 Writing the researcher export ...")
    with open_register(national) as reg:
        rows = export_researcher(reg, out / "export.csv")
        check = check_register(reg)
        conn = reg.conn
        returned = conn.execute("SELECT count(*) FROM returns").fetchone()[0]
        warnings = dict(conn.execute("SELECT code, count(*) FROM warnings GROUP BY code"))
    one = sorted(communes.glob("*.db"))[0]
    with open_register(one) as reg:
        one_counts = reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0]
        commune = reg.commune_code
    summary = {
        "commune_registers": synth.communes, "journeys": synth.journeys,
        "returns": returned, "export_rows": rows, "linked_persons": report.linked_persons,
        "warnings": warnings, "check_ok": check.ok,
    }
    echo("4/4 Summary")
    echo(f"    A commune register: {one} (commune {commune}, {one_counts} journeys); try\n"
         f"      register list departures --db {one}")
    echo(f"    National register: {national} ({synth.journeys:,} journeys, {returned:,} returns, "
         f"{report.linked_persons} persons found in two communes); integrity "
         f"{'OK' if check.ok else 'PROBLEMS'}")
    echo("    Protection warnings: " + ", ".join(f"{n} {c}" for c, n in sorted(warnings.items())))
    echo(f"    Researcher export: {out / 'export.csv'} ({rows:,} rows, no identifying fields)")
    if notebooks:
        from analysis.notebooks import run_notebooks

        echo("Running the analysis notebooks on the national register ...")
        # The runner finds the register and its lists (communes/lists) beside it.
        runs = run_notebooks(national, out / "results", echo=echo)
        summary["results"] = str(runs.results)
        summary["report"] = str(runs.report)
    return summary
