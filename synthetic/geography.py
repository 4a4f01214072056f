"""The communes and villages the synthetic country is made of (NCDD gazetteer 2024-10-14).

Commune populations are not published in the gazetteer, so a commune's share of its province's
population is taken as its share of the province's villages (a village is the unit the census
counts from; [P] assumption, villages are about the same size within a province).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from register.gazetteer import load_gazetteer

from . import params


@dataclass(frozen=True)
class Geography:
    """Codes of the whole country, sorted: every province, district, commune and village."""

    provinces: tuple[str, ...]
    communes: tuple[str, ...]
    district_of: dict[str, str]  # commune -> district
    villages_of: dict[str, tuple[str, ...]]  # commune -> its villages
    communes_of: dict[str, tuple[str, ...]]  # province -> its communes
    communes_in_district: dict[str, tuple[str, ...]]

    def population_share(self, commune: str) -> float:
        """Share of the province's population living in ``commune`` (by village count)."""
        province = commune[:2]
        total = sum(len(self.villages_of[c]) for c in self.communes_of[province])
        return len(self.villages_of[commune]) / total


@cache
def load_geography() -> Geography:
    """Read the gazetteer once per process."""
    gaz = load_gazetteer()
    provinces = tuple(sorted(p.code for p in gaz.places("province")))
    communes = sorted(gaz.places("commune"), key=lambda p: p.code)
    villages: dict[str, list[str]] = {c.code: [] for c in communes}
    for v in gaz.places("village"):
        villages[v.parent_code].append(v.code)  # type: ignore[index]
    communes_of: dict[str, list[str]] = {p: [] for p in provinces}
    in_district: dict[str, list[str]] = {}
    for c in communes:
        communes_of[c.code[:2]].append(c.code)
        in_district.setdefault(c.parent_code or c.code[:4], []).append(c.code)
    missing = set(provinces) - set(params.PROVINCE_POPULATION)
    if missing:
        raise ValueError(f"no population for provinces {sorted(missing)}")
    return Geography(
        provinces=provinces,
        communes=tuple(c.code for c in communes),
        district_of={c.code: c.parent_code or c.code[:4] for c in communes},
        villages_of={k: tuple(sorted(v)) for k, v in villages.items()},
        communes_of={k: tuple(v) for k, v in communes_of.items()},
        communes_in_district={k: tuple(v) for k, v in in_district.items()},
    )
