"""Commands beyond the clerk's daily entry: the demo, synthetic registers, merging."""

from __future__ import annotations
