"""The synthetic national register the benches measure on: given (``--register``), or written
and merged into a scratch folder (all 25 provinces at ``scale``)."""

from __future__ import annotations

from pathlib import Path


def national_register(register: Path | None, folder: Path, *, scale: float, seed: int) -> Path:
    """``register`` when given; else synthetic commune registers of every province written to
    ``folder / 'communes'`` and merged into ``folder / 'national.db'`` (summaries printed)."""
    if register is not None:
        return register
    from register.merge import merge
    from synthetic.write import write_country

    communes = folder / "communes"
    print(write_country("all", seed, communes, scale=scale).summary())
    national = folder / "national.db"
    print(merge(sorted(communes.glob("*.db")), national).summary())
    return national
