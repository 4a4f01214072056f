"""Commands beyond the clerk's daily entry: merging registers, synthetic registers, the demo.

Their heavy imports (numpy for the generator, Splink for linkage) happen only when they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli import NoInput, app, echo, fail, handled


@app.command()
@handled
def merge(
    inputs: Annotated[list[Path], typer.Argument(help="Commune (or district/province) registers.")],
    out: Annotated[Path, typer.Option("--out", help="The merged register (created or updated).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, write nothing.")] = False,
    skip_bad: Annotated[bool, typer.Option(
        "--skip-bad", help="Merge the good files even if some are refused.")] = False,
    no_link: Annotated[bool, typer.Option(
        "--no-link", help="Skip finding the same person in two communes.")] = False,
    threshold: Annotated[float | None, typer.Option(
        help="Match probability above which two records are the same person.")] = None,
    encrypt: Annotated[bool, typer.Option(
        "--encrypt", help="Encrypt the output (automatic when an input is encrypted).")] = False,
    no_input: NoInput = False,
) -> None:
    """Merge registers into a district, province or national register.

    Encrypted inputs are opened with REGISTER_PASSPHRASE (or a prompt); the output is then
    encrypted with the same passphrase.
    """
    from .cli import ask_passphrase
    from .db import is_encrypted
    from .merge import apply_merge, plan_merge

    encrypted = any(p.is_file() and is_encrypted(p) for p in [*inputs, out])
    passphrase = ask_passphrase(no_input) if encrypted or encrypt else None
    plan = plan_merge(inputs, out, passphrase=passphrase)
    if dry_run:
        echo(plan.summary())
        raise typer.Exit(1 if plan.bad else 0)
    if plan.bad:
        echo(plan.summary(), err=True)

    def progress(done: int, total: int, source: object) -> None:
        if done == total or done % 50 == 0:
            echo(f"  merged {done}/{total} files", err=True)

    report = apply_merge(plan, skip_bad=skip_bad, link=not no_link, threshold=threshold,
                         progress=progress)
    echo(report.summary())


@app.command()
@handled
def synth(
    provinces: Annotated[str, typer.Option(help="Province codes, comma separated, or 'all'.")],
    out: Annotated[Path, typer.Option("--out", help="An empty folder for the registers.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    scale: Annotated[float, typer.Option(help="1.0 gives about 2 million journeys nationally.")] = 1.0,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: CPUs).")] = None,
    no_input: NoInput = False,
) -> None:
    """Write synthetic commune registers with a planted truth (no real person in them)."""
    from .synth import write_country

    if scale <= 0:
        raise fail("--scale must be positive", 2)

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            echo(f"  wrote {done}/{total} commune registers", err=True)

    report = write_country(provinces, seed, out, scale=scale, workers=workers, progress=progress)
    echo(report.summary())


@app.command()
@handled
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo files.")] = Path("demo"),
    seed: int = 7,
    notebooks: Annotated[bool, typer.Option(
        "--notebooks/--no-notebooks", help="Also run the analysis notebooks on the demo.")] = True,
    no_input: NoInput = False,
) -> None:
    """Build a demo: synthetic registers of one province, merged, exported, summarised."""
    from .demo import run_demo

    run_demo(out, seed=seed, notebooks=notebooks, echo=echo)


@app.command("backup")
@handled
def backup_(
    db: Annotated[Path, typer.Option("--db", help="The register to back up (may be in use).")],
    out: Annotated[Path, typer.Option("--out", help="The backup file to create.")],
    no_input: NoInput = False,
) -> None:
    """Make a checked backup of a register, even while it is in use."""
    from .backup import backup
    from .cli import ask_passphrase
    from .db import is_encrypted

    passphrase = ask_passphrase(no_input) if db.exists() and is_encrypted(db) else None
    info = backup(db, out, passphrase=passphrase)
    echo(f"Backup written and checked: {info.path} ({info.records} records; "
         f"SHA-256 {info.sha256[:16]}... in {info.path.name}.sha256)")


@app.command()
@handled
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A backup made by 'register backup'.")],
    db: Annotated[Path, typer.Option("--db", help="The register to replace.")],
    no_input: NoInput = False,
) -> None:
    """Restore a register from a verified backup (the current file is kept aside)."""
    from .backup import restore as run_restore
    from .cli import ask_passphrase
    from .db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = run_restore(backup_file, db, passphrase=passphrase)
    echo(f"Restored {db} from {backup_file} ({info.records} records); the previous file is "
         f"{db.name}.before-restore")


@app.command("verify-backup")
@handled
def verify_backup_(
    backup_file: Annotated[Path, typer.Argument(help="A backup made by 'register backup'.")],
    no_input: NoInput = False,
) -> None:
    """Check that a backup is unchanged and whole."""
    from .backup import verify_backup
    from .cli import ask_passphrase
    from .db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = verify_backup(backup_file, passphrase=passphrase)
    echo(f"{backup_file}: unchanged since it was made, and whole ({info.records} records).")
