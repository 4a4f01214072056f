"""Run independent chunks of work on several cores (bootstrap replicates, model searches).

Work is split into contiguous chunks in the parent, so results do not depend on the number of
processes; random numbers are always drawn in the parent.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .errors import InvalidParameterError

__all__ = ["resolve_jobs", "run_chunks", "split"]


def resolve_jobs(n_jobs: int | None) -> int:
    """Number of worker processes: ``None`` means all available cores."""
    if n_jobs is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise InvalidParameterError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    return n_jobs


def split(n: int, parts: int) -> list[slice]:
    """``parts`` contiguous slices covering ``range(n)`` (sizes differ by at most one)."""
    parts = max(1, min(parts, n))
    bounds = [round(k * n / parts) for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts) if bounds[k] < bounds[k + 1]]


def _context() -> Any:
    # Never fork: a researcher's process holds threads (pandas/pyarrow, BLAS) whose locks a
    # forked child inherits mid-use, and forked workers then crash at random.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def run_chunks(func: Callable[..., Any], args: Sequence[tuple], n_jobs: int) -> list[Any]:
    """``[func(*a) for a in args]``, in worker processes when ``n_jobs > 1``."""
    if n_jobs <= 1 or len(args) <= 1:
        return [func(*a) for a in args]
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(args)), mp_context=_context()) as pool:
        futures = [pool.submit(func, *a) for a in args]
        return [f.result() for f in futures]
