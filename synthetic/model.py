"""Who migrates from a commune, when, where to and how: persons and journeys as numpy arrays.

One commune is drawn from its own random stream, ``default_rng([seed, 1, commune])``, so it is
the same whatever other communes are generated, in whatever order or process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

from . import params
from ._util import categorical, day
from .exploitation import Outcomes, draw_outcomes, outcome_knobs
from .national import AGENCY_STATUS_CODES, DESTINATIONS, NationalPlan

CH = {name: i for i, name in enumerate(params.CHANNELS)}
REGULAR = (CH["licensed_agency"], CH["mou"])
SECTORS = params.SECTORS
SEX_CODES = ("M", "F", "X")
_END = day(params.DATA_END)
_D = {d: i for i, d in enumerate(DESTINATIONS)}
_NEAR = np.isin(np.arange(len(DESTINATIONS)), [_D["TH"], _D["VN"], _D["LA"]])


def _dest_given_sex() -> np.ndarray:
    share = np.array([params.DESTINATION_SHARE[d] for d in DESTINATIONS])
    women = np.array([params.WOMEN_SHARE[d] for d in DESTINATIONS])
    rows = np.stack([share * (1 - women), share * women, share])
    return rows / rows.sum(axis=1, keepdims=True)


def _sector_table() -> np.ndarray:
    table = np.zeros((len(DESTINATIONS), 3, len(SECTORS)))
    for d, (men, women) in params.SECTOR_SHARE.items():
        for s, p in men.items():
            table[_D[d], 0, SECTORS.index(s)] = p
        for s, p in women.items():
            table[_D[d], 1, SECTORS.index(s)] = p
    table[:, 2] = (table[:, 0] + table[:, 1]) / 2
    return table


DEST_GIVEN_SEX = _dest_given_sex()
SECTOR_TABLE = _sector_table()
CHANNEL_TABLE = np.array([params.CHANNEL_SHARE[d] for d in DESTINATIONS])
WOMEN_OVERALL = float(sum(params.DESTINATION_SHARE[d] * params.WOMEN_SHARE[d]
                          for d in DESTINATIONS))


@dataclass
class CommuneSim:
    """Everything drawn for one commune (arrays; the records are built from these)."""

    commune: str
    commune_effect: float
    # persons
    sex: np.ndarray  # index into SEX_CODES
    birth_day: np.ndarray
    village: np.ndarray  # index into the commune's villages
    national_id: np.ndarray
    # journeys (ordered: every person's first journey, then second journeys, then third)
    person: np.ndarray
    seq: np.ndarray
    dep: np.ndarray
    ret: np.ndarray
    returned: np.ndarray
    age: np.ndarray
    dest: np.ndarray
    channel: np.ndarray
    n_brokers: np.ndarray
    agency: np.ndarray  # national agency index, -1 none
    agency_status: np.ndarray  # index into AGENCY_STATUS_CODES at departure
    broker: np.ndarray  # local broker index, -1 none
    docs: dict[str, np.ndarray]
    fee: np.ndarray
    debt: np.ndarray
    sector: np.ndarray
    outcomes: Outcomes
    # local brokers
    broker_agency: np.ndarray
    broker_active: np.ndarray
    broker_village: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def n_persons(self) -> int:
        return len(self.sex)

    @property
    def n_journeys(self) -> int:
        return len(self.person)


def departure_year(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _first_departure(rng: np.random.Generator, n: int) -> np.ndarray:
    years = np.array(list(params.YEAR_WEIGHTS))
    w = np.array(list(params.YEAR_WEIGHTS.values()))
    y = years[rng.choice(len(years), size=n, p=w / w.sum())]
    start = (y - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    length = (y - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) - start
    return start + np.floor(rng.random(n) * length).astype(np.int64)


def _timeline(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Journeys of ``n`` persons: (person, seq, departure day, return day, returned)."""
    k_values = np.array(list(params.JOURNEYS_PER_PERSON))
    k_p = np.array(list(params.JOURNEYS_PER_PERSON.values()))
    k = k_values[rng.choice(len(k_values), size=n, p=k_p / k_p.sum())]
    covid = day(params.COVID_START)
    blocks = []
    active = np.arange(n)
    dep = _first_departure(rng, n)
    for j in range(int(k_values.max())):
        stay = np.maximum(np.exp(np.log(params.STAY_MEDIAN_DAYS)
                                 + params.STAY_SIGMA * rng.standard_normal(len(active))), 14)
        ret = dep + stay.astype(np.int64)
        early = (dep < covid) & (ret > covid) & (rng.random(len(active)) < params.COVID_EARLY_RETURN)
        ret = np.where(early, covid + rng.integers(0, 200, len(active)), ret)
        returned = ret <= _END
        blocks.append((active, np.full(len(active), j), dep, ret, returned))
        gap = np.exp(np.log(params.GAP_MEDIAN_DAYS) + params.GAP_SIGMA * rng.standard_normal(len(active)))
        nxt = ret + 1 + gap.astype(np.int64)
        go = returned & (k[active] > j + 1) & (nxt <= _END)
        active, dep = active[go], nxt[go]
    return tuple(np.concatenate([b[i] for b in blocks]) for i in range(5))


def _channels(rng: np.random.Generator, dest: np.ndarray, female: np.ndarray,
              minor: np.ndarray) -> np.ndarray:
    probs = CHANNEL_TABLE[dest].copy()
    probs[female, :2] *= params.WOMEN_REGULAR_ODDS
    channel = categorical(rng, probs)
    move = np.isin(channel, REGULAR) & minor & (rng.random(len(dest)) >= params.MINOR_REGULAR_KEEP)
    if move.any():
        informal = CHANNEL_TABLE[dest[move]][:, 2:].copy()
        informal[informal.sum(axis=1) == 0, 2] = 1.0
        channel[move] = 2 + categorical(rng, informal)
    return channel


def _n_brokers(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    n = len(channel)
    extra = np.minimum(rng.poisson(params.EXTRA_BROKERS_MEAN, n), params.MAX_BROKERS - 1)
    u = rng.random(n)
    out = np.zeros(n, dtype=np.int64)
    out[channel == CH["broker"]] = 1 + extra[channel == CH["broker"]]
    reg = np.isin(channel, REGULAR)
    out[reg] = (u[reg] < params.AGENCY_BROKER_SHARE).astype(np.int64)
    fam = channel == CH["family_friend"]
    out[fam] = (u[fam] < params.FAMILY_BROKER_SHARE).astype(np.int64)
    own = channel == CH["own"]
    out[own] = (u[own] < params.OWN_BROKER_SHARE).astype(np.int64)
    return out


def _agencies(rng: np.random.Generator, plan: NationalPlan, dest: np.ndarray,
              channel: np.ndarray) -> np.ndarray:
    ag = plan.agencies
    out = np.full(len(dest), -1, dtype=np.int64)
    uses = np.isin(channel, REGULAR) & (dest != _D["KR"])  # Korea: EPS, government to government
    for d in np.unique(dest[uses]).tolist():
        rows = np.flatnonzero(uses & (dest == d))
        w = ag.weight * ag.allowed[:, d]
        out[rows] = rng.choice(len(w), size=len(rows), p=w / w.sum())
    return out


def _documents(rng: np.random.Generator, channel: np.ndarray, dest: np.ndarray) -> dict[str, np.ndarray]:
    n = len(channel)
    reg = np.isin(channel, REGULAR)
    near = _NEAR[dest]
    docs = {}
    for name in params.DOCS_REGULAR:
        p = np.where(reg, params.DOCS_REGULAR[name], params.DOCS_INFORMAL[name])
        if name == "has_passport":
            p = np.where(~reg & ~near, params.PASSPORT_FAR, p)
        elif name == "has_visa":
            p = np.where(~reg & ~near, 0.5, p)
        elif name == "has_border_pass":
            p = np.where(near, p, 0.0)
        docs[name] = (rng.random(n) < p).astype(np.int8)
    return docs


def _fees(rng: np.random.Generator, channel: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(channel)
    by_channel = [params.FEE_REGULAR, params.FEE_REGULAR, params.FEE_BROKER, params.FEE_FAMILY,
                  params.FEE_OWN]
    med = np.array([by_channel[c][0] for c in range(5)])[channel]
    sig = np.array([by_channel[c][1] for c in range(5)])[channel]
    for d, (m, s) in params.FEE_FAR.items():
        rows = dest == _D[d]
        med[rows], sig[rows] = m, s
    fee = np.round(med * np.exp(sig * rng.standard_normal(n)) / 5) * 5
    debt_p = np.array([params.DEBT_SHARE[c] for c in params.CHANNELS])[channel]
    has_debt = rng.random(n) < debt_p
    debt = np.where(has_debt, np.round(fee * rng.uniform(*params.DEBT_OF_FEE, n) / 5) * 5, 0.0)
    debt = np.where(has_debt, np.maximum(debt, 5.0), 0.0)
    return fee, debt


def simulate_commune(plan: NationalPlan, commune: str) -> CommuneSim:
    """Draw the persons, journeys and outcomes of one commune."""
    rng = np.random.default_rng([plan.seed, 1, int(commune)])
    geo = plan.geography
    size = rng.gamma(params.COMMUNE_SIZE_SHAPE, 1 / params.COMMUNE_SIZE_SHAPE)
    commune_effect = float(rng.normal(0.0, params.COMMUNE_EFFECT_SD))
    n = int(rng.poisson(plan.expected_journeys[commune] * size / params.REALISED_JOURNEYS_PER_PERSON))
    # persons
    u = rng.random(n)
    sex = np.where(u < params.SEX_X_SHARE, 2, np.where(u < params.SEX_X_SHARE + WOMEN_OVERALL, 1, 0))
    lo, hi = ndtr((params.AGE_MIN - params.AGE_MEAN) / params.AGE_SD), ndtr(
        (params.AGE_MAX - params.AGE_MEAN) / params.AGE_SD)
    age0 = params.AGE_MEAN + params.AGE_SD * ndtri(lo + (hi - lo) * rng.random(n))
    n_villages = len(geo.villages_of[commune])
    village_w = rng.dirichlet(np.full(n_villages, 2.0))
    village = rng.choice(n_villages, size=n, p=village_w)
    national_id = rng.integers(100_000_000, 1_000_000_000, n)
    person, seq, dep, ret, returned = _timeline(rng, n)
    first_dep = dep[seq == 0]  # the first block is every person in order
    birth_day = first_dep - np.floor(age0 * 365.25).astype(np.int64)
    # journeys
    m = len(person)
    age = ((dep - birth_day[person]) / 365.25).astype(np.int64)
    female = sex[person] == 1
    dest = categorical(rng, DEST_GIVEN_SEX[sex[person]])
    channel = _channels(rng, dest, female, age < 18)
    n_brokers = _n_brokers(rng, channel)
    agency = _agencies(rng, plan, dest, channel)
    # local brokers
    n_local = 2 + m // int(round(1 / params.BROKERS_PER_JOURNEYS))
    ag = plan.agencies
    irregular_ag = (ag.status >= AGENCY_STATUS_CODES.index("expired")).astype(float)
    link_w = ag.weight * (1 + 2 * irregular_ag)
    broker_agency = np.where(rng.random(n_local) < params.BROKER_AGENCY_LINK,
                             rng.choice(len(link_w), size=n_local, p=link_w / link_w.sum()), -1)
    broker_active = (rng.random(n_local) >= params.BROKER_INACTIVE).astype(np.int8)
    broker_village = rng.integers(0, n_villages, n_local)
    bw = 1.0 / np.arange(1, n_local + 1)
    broker = np.where(n_brokers > 0, rng.choice(n_local, size=m, p=bw / bw.sum()), -1)
    via_broker = (channel == CH["broker"]) & (broker >= 0)
    agency = np.where(via_broker, broker_agency[np.maximum(broker, 0)], agency)
    agency_status = ag.status_at(agency, dep)
    docs = _documents(rng, channel, dest)
    fee, debt = _fees(rng, channel, dest)
    sector = categorical(rng, SECTOR_TABLE[dest, sex[person]])
    covariates = {
        "n_brokers": n_brokers, "channel": channel, "agency_status": agency_status,
        "dest": dest, "sector": sector, "female": female, "minor": age < 18, "debt": debt > 0,
        "no_passport": docs["has_passport"] == 0, "year": departure_year(dep) - 2015,
        "returned": returned, "regular": np.isin(channel, REGULAR),
        "cn_woman": female & (dest == _D["CN"]),
    }
    eta0 = plan.province_effect[commune[:2]] + commune_effect
    knobs = outcome_knobs(plan.scenario, plan.seed, commune, person, seq, n)
    outcomes = draw_outcomes(rng, covariates, eta0, knobs)
    if outcomes.stayed is not None:  # scenario knob: return depends on the outcome
        returned = returned & ~outcomes.stayed
        ret = np.where(outcomes.stayed, np.maximum(ret, _END + 1), ret)
    return CommuneSim(
        commune=commune, commune_effect=commune_effect, sex=sex, birth_day=birth_day,
        village=village, national_id=national_id, person=person, seq=seq, dep=dep, ret=ret,
        returned=returned, age=age, dest=dest, channel=channel, n_brokers=n_brokers,
        agency=agency, agency_status=agency_status, broker=broker, docs=docs, fee=fee,
        debt=debt, sector=sector, outcomes=outcomes, broker_agency=broker_agency,
        broker_active=broker_active, broker_village=broker_village,
    )
