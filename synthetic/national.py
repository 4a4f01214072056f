"""What is drawn once for the whole country from the seed: province effects and migration rates,
and the national market of recruitment agencies.

Everything here depends on the seed (and scale) only, never on which provinces are chosen, so a
commune's records are the same whatever else is generated with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from register.definitions import agency_status_at

from . import params
from ._util import day, iso_dates, uuids
from .geography import Geography, load_geography
from .scenario import Scenario

DESTINATIONS = tuple(params.DESTINATION_SHARE)
AGENCY_STATUS_CODES = ("none", "licensed", "expired", "suspended", "revoked", "unlicensed")
_NEVER = 10**9  # a lapse day that never comes


@dataclass(frozen=True, eq=False)
class Agencies:
    """The national agency market. Arrays are indexed by agency number."""

    records: list[dict]  # register agency records (id, name, licence_*, allowed_destinations...)
    ids: list[str]
    status: np.ndarray  # current licence status code (index into AGENCY_STATUS_CODES)
    lapse_day: np.ndarray  # day the licence stopped being valid (expiry, suspension, revocation)
    weight: np.ndarray  # market share weight
    allowed: np.ndarray  # bool (n_agencies, n_destinations)

    def status_at(self, agency: np.ndarray, on_day: np.ndarray) -> np.ndarray:
        """Licence status code of each agency (index into AGENCY_STATUS_CODES; 0 = no agency)
        on each day, by the register's own rule (``register.definitions.agency_status_at``)."""
        out = np.zeros(agency.shape, dtype=np.int8)  # none
        has = np.flatnonzero(agency >= 0)
        if not len(has):
            return out
        pairs = np.unique(np.stack([agency[has], on_day[has]]), axis=1)
        days = iso_dates(pairs[1])
        code = {}
        for a, d, when in zip(pairs[0].tolist(), pairs[1].tolist(), days, strict=True):
            record = self.records[a]
            status = agency_status_at(record["licence_status"], record["licence_expiry"], when)
            code[(a, d)] = AGENCY_STATUS_CODES.index(status)
        out[has] = [code[(a, d)] for a, d in zip(agency[has].tolist(), on_day[has].tolist(),
                                                 strict=True)]
        return out


def _make_agencies(rng: np.random.Generator) -> Agencies:
    n = int(rng.integers(params.N_AGENCIES[0], params.N_AGENCIES[1] + 1))
    names = list(params.AGENCY_STATUS_SHARE)
    p = np.array(list(params.AGENCY_STATUS_SHARE.values()))
    status_name = [names[i] for i in rng.choice(len(names), size=n, p=p / p.sum())]
    status = np.array([AGENCY_STATUS_CODES.index(s) for s in status_name], dtype=np.int8)
    rank = rng.permutation(n) + 1
    weight = 1.0 / rank.astype(float) ** params.AGENCY_ZIPF
    unlicensed = status == AGENCY_STATUS_CODES.index("unlicensed")
    weight[unlicensed] *= params.UNLICENSED_MARKET_WEIGHT
    allowed = np.zeros((n, len(DESTINATIONS)), dtype=bool)
    for d, share in params.AGENCY_DESTINATION_SHARE.items():
        allowed[:, DESTINATIONS.index(d)] = rng.random(n) < share
    licensed_any = np.flatnonzero(~(status == AGENCY_STATUS_CODES.index("unlicensed")))
    for d in params.AGENCY_DESTINATION_SHARE:  # every destination has at least one agency
        j = DESTINATIONS.index(d)
        if not allowed[licensed_any, j].any():
            allowed[licensed_any[int(rng.integers(0, len(licensed_any)))], j] = True
    allowed[unlicensed, :] = False
    allowed[unlicensed, DESTINATIONS.index("TH")] = True  # they send where the demand is
    allowed[unlicensed, DESTINATIONS.index("MY")] = True
    # Licensed: valid beyond the data window (expiry within 90 days after the snapshot, so that
    # no recorded date lies in the future). Expired/suspended/revoked: lapsed 2016-2024.
    lapse = np.where(
        status == AGENCY_STATUS_CODES.index("licensed"),
        day(params.SNAPSHOT_DATE) + rng.integers(1, 90, n),
        rng.integers(day("2016-01-01"), day("2024-12-31"), n),
    )
    lapse[unlicensed] = _NEVER
    ids = uuids(rng, n)
    expiry = iso_dates(np.where(unlicensed, 0, lapse))
    top = np.argsort(-weight)[:10]
    sub = (rng.random(n) < params.SUB_LICENSEE_SHARE) & ~np.isin(np.arange(n), top)
    parents = top[rng.integers(0, len(top), n)]
    records = []
    for i in range(n):
        dests = [DESTINATIONS[j] for j in np.flatnonzero(allowed[i])]
        records.append({
            "id": ids[i],
            "name": f"SYN Recruitment {i + 1:03d} Co., Ltd. (synthetic)",
            "licence_number": None if unlicensed[i] else f"SYN-PRA-{i + 1:03d}",
            "licence_status": status_name[i],
            "licence_expiry": None if unlicensed[i] else expiry[i],
            "allowed_destinations": [] if unlicensed[i] else dests,
            "parent_agency_id": ids[parents[i]] if sub[i] else None,
        })
    return Agencies(records, ids, status, lapse, weight, allowed)


@dataclass(frozen=True, eq=False)
class NationalPlan:
    """The seed-level draws and the expected size of every commune."""

    seed: int
    scale: float
    geography: Geography
    province_effect: dict[str, float]  # logit scale, cluster included
    out_migration_weight: dict[str, float]  # after the seed's jitter
    expected_journeys: dict[str, float]  # per commune, at this scale
    agencies: Agencies
    cluster: tuple[str, ...] = field(default=params.CLUSTER_PROVINCES)
    scenario: Scenario = field(default=Scenario())  # knobs of issue 15.6 (all off by default)


@lru_cache(maxsize=4)
def make_plan(seed: int, scale: float = 1.0, scenario: Scenario | None = None) -> NationalPlan:
    """Draw the national level for ``seed``; independent of any choice of provinces (and of the
    scenario, which is only carried to the communes)."""
    geo = load_geography()
    rng = np.random.default_rng([seed, 0])
    n = len(geo.provinces)
    u = np.clip(rng.normal(0.0, params.PROVINCE_EFFECT_SD, n),
                -params.PROVINCE_EFFECT_CLIP, params.PROVINCE_EFFECT_CLIP)
    effect = {p: float(u[i]) + (params.CLUSTER_EFFECT if p in params.CLUSTER_PROVINCES else 0.0)
              for i, p in enumerate(geo.provinces)}
    jitter = np.exp(rng.normal(0.0, params.OUT_MIGRATION_JITTER_SD, n))
    weight = {p: params.OUT_MIGRATION_WEIGHT[p] * float(jitter[i])
              for i, p in enumerate(geo.provinces)}
    total = sum(weight[p] * params.PROVINCE_POPULATION[p] for p in geo.provinces)
    per_resident = params.TARGET_JOURNEYS * scale / total
    expected = {c: per_resident * weight[c[:2]] * params.PROVINCE_POPULATION[c[:2]]
                * geo.population_share(c) for c in geo.communes}
    agencies = _make_agencies(np.random.default_rng([seed, 2]))
    return NationalPlan(seed, scale, geo, effect, weight, expected, agencies,
                        scenario=scenario or Scenario())
