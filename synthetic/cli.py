"""What ``register synth`` and ``register demo`` run (found through the
``commune_register.commands`` entry points, so the register never imports this package)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def synth(*, provinces: str, out: Path, seed: int, scale: float, workers: int | None,
          echo: Callable[..., None], scenario: str | None = None) -> None:
    from .write import write_country

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            echo(f"  wrote {done}/{total} commune registers", err=True)

    report = write_country(provinces, seed, out, scale=scale, workers=workers, progress=progress,
                           scenario=scenario)
    echo(report.summary())


def demo(*, out: Path, seed: int, notebooks: bool, echo: Callable[..., None]) -> None:
    from .demo import run_demo

    run_demo(out, seed=seed, notebooks=notebooks, echo=echo)
