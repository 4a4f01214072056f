"""The synthetic country: a seed, a choice of provinces, and lazily generated commune registers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from register.errors import UnknownCodeError

from .commune import build_commune_records
from .lists import collect_lists
from .national import NationalPlan, make_plan
from .records import CommuneRecords
from .scenario import Scenario, scenario_from
from .truth import build_truth


class SyntheticCountry:
    """Synthetic commune registers of the chosen provinces, with their planted truth.

    ``commune_records(c)`` depends only on (seed, scale, c): the same whichever provinces were
    chosen, in any order or worker process. ``truth`` and ``service_lists()`` need every commune;
    they are generated on first use, or built from parts gathered elsewhere with :meth:`collect`.
    """

    def __init__(self, plan: NationalPlan, provinces: list[str]) -> None:
        self._plan = plan
        self.seed = plan.seed
        self.scale = plan.scale
        self.provinces = provinces
        geo = plan.geography
        self.communes = [c for p in provinces for c in geo.communes_of[p]]
        self._chosen = set(self.communes)
        self._truth: dict | None = None
        self._lists: dict[str, list[dict]] | None = None

    def __repr__(self) -> str:
        return (f"SyntheticCountry(seed={self.seed}, scale={self.scale}, "
                f"provinces={len(self.provinces)}, communes={len(self.communes)}, "
                f"scenario={self._plan.scenario.name!r})")

    @property
    def plan(self) -> NationalPlan:
        return self._plan

    def commune_records(self, commune: str) -> CommuneRecords:
        """Every record of one commune register (deterministic for seed, scale, commune)."""
        if commune not in self._chosen:
            raise UnknownCodeError(f"commune {commune!r} is not in the chosen provinces")
        return build_commune_records(self._plan, commune)

    def iter_records(self) -> Iterator[CommuneRecords]:
        """All communes' records, in code order."""
        for commune in self.communes:
            yield self.commune_records(commune)

    def collect(self, parts: Iterable[CommuneRecords | dict]) -> None:
        """Build the truth and the service lists from every commune's records, or from their
        :func:`truth_part` dicts (small and picklable: return them from worker processes)."""
        gathered = [truth_part(p) if isinstance(p, CommuneRecords) else p for p in parts]
        seen = {p["summary"]["commune"] for p in gathered}
        if seen != self._chosen:
            missing = sorted(self._chosen - seen)[:5]
            raise ValueError(f"parts cover {len(seen)} communes, expected {len(self._chosen)}; "
                             f"missing e.g. {missing}")
        gathered.sort(key=lambda p: p["summary"]["commune"])
        self._truth = build_truth(self._plan, self.provinces, gathered)
        self._lists = collect_lists(v for p in gathered for v in p["victims"])

    @property
    def truth(self) -> dict:
        """The planted truth (JSON-able); see :mod:`synthetic` for the schema."""
        if self._truth is None:
            self.collect(self.iter_records())
        assert self._truth is not None
        return self._truth

    def service_lists(self) -> dict[str, list[dict]]:
        """The MSE lists 'mosvy', 'police', 'ngo' (records with identifying fields). The fourth
        source, the commune register, is flagged per victim in ``truth['mse']['membership']``."""
        if self._lists is None:
            self.collect(self.iter_records())
        assert self._lists is not None
        return self._lists


def truth_part(records: CommuneRecords) -> dict:
    """What the truth needs from one commune's records (no register records)."""
    return {"summary": records.summary, "victims": records.victims,
            "duplicates": records.duplicates}


def make_country(provinces: Sequence[str] | str | None, seed: int, scale: float = 1.0,
                 scenario: Scenario | str | None = None) -> SyntheticCountry:
    """A synthetic country for ``seed``: ``provinces`` is a list of 2-digit codes, ``None`` or
    ``'all'`` for the whole country; ``scale`` multiplies the number of migrants (1.0 gives
    about two million journeys nationally); ``scenario`` turns on knobs that make the data
    harder for the estimators (``synthetic.scenario``; default: none)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    plan = make_plan(int(seed), float(scale), scenario_from(scenario))
    every = list(plan.geography.provinces)
    if provinces is None or provinces == "all":
        chosen = every
    else:
        if isinstance(provinces, str):
            provinces = [p for p in provinces.replace(";", ",").split(",") if p.strip()]
        chosen = []
        for p in provinces:
            code = str(p).strip().zfill(2)
            if code not in every:
                raise UnknownCodeError(f"unknown province code {p!r}; use one of {', '.join(every)}")
            if code not in chosen:
                chosen.append(code)
        chosen.sort()
    return SyntheticCountry(plan, chosen)
