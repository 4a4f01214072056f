"""Small vectorised helpers: ids, dates, categorical draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NA = -1  # "not asked / unknown" in int8 arrays of three-valued logic


def day(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return (dt.date.fromisoformat(iso) - EPOCH).days


_TABLE_START = (dt.date(1930, 1, 1) - EPOCH).days
_TABLE_END = (dt.date(2040, 1, 1) - EPOCH).days
_ISO = np.datetime_as_string(np.arange(_TABLE_START, _TABLE_END).astype("datetime64[D]")).astype(object)


def iso_dates(days: np.ndarray) -> list[str]:
    """ISO strings of day numbers (days since 1970-01-01), by table look-up."""
    days = np.asarray(days, dtype=np.int64)
    if days.size and (days.min() < _TABLE_START or days.max() >= _TABLE_END):
        return np.datetime_as_string(days.astype("datetime64[D]")).tolist()
    return _ISO[days - _TABLE_START].tolist()


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASH_AT = (8, 13, 18, 23)
_HEX_AT = np.array([i for i in range(36) if i not in _DASH_AT])


def uuids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random version-4 UUID strings drawn from ``rng`` (so reproducible from a seed)."""
    if n == 0:
        return []
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    chars[:, _HEX_AT] = digits
    return chars.view("S36").ravel().astype("U36").tolist()


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows need not be normalised)."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def choice_from(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """Indices into ``list(weights)`` drawn with the given (unnormalised) weights."""
    p = np.fromiter(weights.values(), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def with_none(values: Sequence | np.ndarray, missing: np.ndarray) -> list:
    """``values`` as a Python list, with None where ``missing`` is true."""
    out = values.tolist() if isinstance(values, np.ndarray) else list(values)
    for i in np.flatnonzero(missing).tolist():
        out[i] = None
    return out
