"""The shape shared by every analysis result.

A result is a frozen dataclass (``@dataclass(frozen=True, eq=False, repr=False)``) that inherits
`Result`: it holds the numbers, knows its ``alpha`` where an interval exists, prints a readable
``summary()`` and hands a fresh, tidy ``to_frame()`` copy to the caller (the frames it stores are
never handed out, so the result cannot be changed after the fact).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["Result", "ci_label", "format_table", "text_block"]


class Result:
    """Mixin giving results a summary-based ``repr`` and ``str``."""

    __slots__ = ()

    def summary(self) -> str:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        lines = self.summary().splitlines()
        first = lines[0] if lines else ""
        return f"<{type(self).__name__}: {first}>"


def ci_label(alpha: float) -> str:
    """``'95% CI'`` for alpha=0.05 (one decimal kept when needed, e.g. ``'97.5% CI'``)."""
    level = 100 * (1 - alpha)
    return f"{level:.0f}% CI" if abs(level - round(level)) < 1e-9 else f"{level:.1f}% CI"


def format_table(frame: pd.DataFrame, floatfmt: str = "{:.3f}", max_rows: int = 60) -> str:
    """Plain-text rendering of ``frame`` with fixed float formatting (for ``summary()``)."""
    shown = frame if len(frame) <= max_rows else frame.head(max_rows)
    out = shown.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else floatfmt.format(v))
    text = out.to_string()
    if len(frame) > max_rows:
        text += f"\n... {len(frame) - max_rows} more rows (use .to_frame())"
    return text


def text_block(title: str, lines: Iterable[str], table: str | None = None) -> str:
    """A titled summary: underlined title, one fact per line, then an optional table."""
    parts = [title, "=" * len(title), *lines]
    if table:
        parts += ["", table]
    return "\n".join(parts)
