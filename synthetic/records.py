"""Turn one commune's simulation into register records (dicts in the register's vocabulary),
with the mess real registers have: blanks, late entries, typos, people registered twice.

Random streams per commune: ``[seed, 5, commune]`` for record-level mess, ``[seed, 6, commune]``
for identities (ids, names, national ids), ``[seed, 3, commune]`` for the copies of people from
another commune; none of them changes the model draws of :mod:`.model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import params
from ._util import NA, day, iso_dates, uuids, with_none
from .exploitation import EXPLOITATION_TYPES, INDICATORS
from .model import SEX_CODES, CommuneSim, simulate_commune
from .names import draw_names
from .national import DESTINATIONS, NationalPlan

_SNAPSHOT = day(params.SNAPSHOT_DATE)
_END = day(params.DATA_END)
PLACES = {
    "TH": ("Bangkok", "Chonburi", "Rayong", "Chanthaburi", "Trat", "Sa Kaeo", "Samut Sakhon",
           "Pathum Thani", "Nakhon Ratchasima", "Surat Thani"),
    "MY": ("Kuala Lumpur", "Penang", "Johor Bahru", "Selangor"),
    "KR": ("Ansan", "Gimhae", "Hwaseong", "Pocheon"), "JP": ("Aichi", "Ibaraki", "Gunma"),
    "SG": ("Singapore",), "HK": ("Hong Kong",), "TW": ("Taoyuan", "Kaohsiung"),
    "SA": ("Riyadh", "Jeddah"), "AE": ("Dubai", "Abu Dhabi"), "QA": ("Doha",),
    "KW": ("Kuwait City",), "CN": ("Guangdong", "Fujian", "Henan"), "VN": ("Tay Ninh", "Ho Chi Minh City"),
    "LA": ("Champasak", "Vientiane"),
}
FISHING_PORTS = ("Samut Sakhon", "Songkhla", "Rayong", "Trat", "Pattani")
JOBS = {
    "agriculture": "farm worker", "fishing": "fishing boat crew", "construction": "construction worker",
    "manufacturing": "factory worker", "domestic_work": "domestic helper",
    "hospitality": "restaurant or hotel worker", "entertainment": "karaoke or bar worker",
    "services": "shop or service worker", "other": "general labourer",
}
_JOB_TEXT = np.array([JOBS[s] for s in params.SECTORS], dtype=object)
# Organisations in referral records (synthetic names).
ORGANISATIONS = {
    "mosvy": "Provincial Department of Social Affairs (MoSVY)",
    "police": "Provincial anti-human-trafficking police",
    "ngo": "NGO shelter (synthetic)", "health": "Referral hospital",
    "legal": "Legal aid office (synthetic)", "other": "Other service",
}


@dataclass
class CommuneRecords:
    """One commune register's records, ready for the register API, plus its share of the truth."""

    commune: str
    agencies: list[dict]
    brokers: list[dict]
    departures: list[dict]
    returns: list[dict]
    referrals: list[dict]
    duplicates: list[dict] = field(default_factory=list)  # copies held here: original <-> copy
    victims: list[dict] = field(default_factory=list)  # trafficking victims (for the MSE lists)
    summary: dict = field(default_factory=dict)  # counts and sums for the truth
    latent: dict = field(default_factory=dict)  # per journey: journey_id, p_fl, fl, p_tr, tr


@dataclass(frozen=True)
class Identity:
    """Who the persons of a commune are (drawn apart from the model)."""

    person_id: list[str]
    journey_id: list[str]
    name_km: list[str]
    name_latin: list[str]
    khmer_script: bool  # the commune clerk writes names in Khmer script
    national_id: list[str]
    broker_id: list[str]
    broker_name: list[str]


def identity(plan: NationalPlan, sim: CommuneSim) -> Identity:
    rng = np.random.default_rng([plan.seed, 6, int(sim.commune)])
    khmer = bool(rng.random() < params.COMMUNE_KHMER_SCRIPT)
    km, latin = draw_names(rng, sim.sex == 1)
    n_local = len(sim.broker_agency)
    bkm, blat = draw_names(rng, rng.random(n_local) < 0.3)
    return Identity(
        person_id=uuids(rng, sim.n_persons), journey_id=uuids(rng, sim.n_journeys),
        name_km=km, name_latin=latin, khmer_script=khmer,
        national_id=sim.national_id.astype("U9").tolist(),
        broker_id=uuids(rng, n_local), broker_name=bkm if khmer else blat,
    )


@lru_cache(maxsize=8)
def _cached(plan: NationalPlan, commune: str) -> tuple[CommuneSim, Identity]:
    sim = simulate_commune(plan, commune)
    return sim, identity(plan, sim)


def _entry_dates(rng: np.random.Generator, event: np.ndarray) -> np.ndarray:
    n = len(event)
    delay = rng.exponential(params.RECORD_DELAY_DAYS, n).astype(np.int64)
    late = rng.random(n) < params.LATE_ENTRY
    delay[late] = rng.integers(*params.LATE_ENTRY_DAYS, late.sum())
    return np.minimum(event + delay, _SNAPSHOT)


def _places(rng: np.random.Generator, sim: CommuneSim, rows: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    u = rng.random(len(rows))
    dest, sector = sim.dest[rows], sim.sector[rows]
    for d in np.unique(dest).tolist():
        at = dest == d
        options = PLACES[DESTINATIONS[d]]
        if DESTINATIONS[d] == "TH":
            fish = at & (sector == params.SECTORS.index("fishing"))
            out[fish] = np.array(FISHING_PORTS, dtype=object)[(u[fish] * len(FISHING_PORTS)).astype(int)]
            at = at & ~fish
        out[at] = np.array(options, dtype=object)[(u[at] * len(options)).astype(int)]
    return out


def departure_dicts(plan: NationalPlan, sim: CommuneSim, ident: Identity, rows: np.ndarray,
                    rng: np.random.Generator, names: list[str]) -> tuple[list[dict], np.ndarray]:
    """Departure records for the journeys ``rows`` of ``sim`` (person fields included), and the
    day each was recorded."""
    n = len(rows)
    p = sim.person[rows]
    miss = {k: rng.random(n) < v for k, v in params.MISSING.items()}
    birth_known = rng.random(sim.n_persons) < params.BIRTH_DATE_KNOWN
    id_known = rng.random(sim.n_persons) < params.NATIONAL_ID_RECORDED
    birth = np.array(iso_dates(sim.birth_day), dtype=object)
    villages = np.array(plan.geography.villages_of[sim.commune], dtype=object)
    agency_ids = np.array(plan.agencies.ids + [None], dtype=object)
    broker_ids = np.array(ident.broker_id + [None], dtype=object)
    promised = sim.sector[rows].copy()
    deceived = sim.outcomes.deceived[rows]
    promised[deceived] = (promised[deceived] + 1 + rng.integers(0, len(params.SECTORS) - 1,
                                                                  deceived.sum())) % len(params.SECTORS)
    recorded = _entry_dates(rng, sim.dep[rows])
    def pick(values: list, at: np.ndarray) -> list:
        return np.array(values, dtype=object)[at].tolist()

    cols = {
        "person_id": pick(ident.person_id, p),
        "journey_id": pick(ident.journey_id, rows),
        "name": pick(names, p),
        "national_id": with_none(np.array(ident.national_id, dtype=object)[p], ~id_known[p]),
        "phone": [None] * n,
        "sex": np.array(SEX_CODES, dtype=object)[sim.sex[p]].tolist(),
        "birth_date": with_none(birth[p], ~birth_known[p]),
        "birth_year": (sim.birth_day[p].astype("datetime64[D]").astype("datetime64[Y]")
                       .astype(np.int64) + 1970).tolist(),
        "home_village": villages[sim.village[p]].tolist(),
        "departure_date": iso_dates(sim.dep[rows]),
        "destination_country": np.array(DESTINATIONS, dtype=object)[sim.dest[rows]].tolist(),
        "destination_place": with_none(_places(rng, sim, rows), miss["destination_place"]),
        "sector": with_none(np.array(params.SECTORS, dtype=object)[sim.sector[rows]], miss["sector"]),
        "channel": np.array(params.CHANNELS, dtype=object)[sim.channel[rows]].tolist(),
        "agency_id": agency_ids[sim.agency[rows]].tolist(),
        "broker_id": broker_ids[sim.broker[rows]].tolist(),
        "n_brokers": with_none(sim.n_brokers[rows], miss["n_brokers"]),
        **{k: with_none(sim.docs[k][rows], miss[k])
           for k in ("has_passport", "has_visa", "has_work_permit", "has_border_pass")},
        "fee_usd": with_none(sim.fee[rows], miss["fee_usd"]),
        "debt_usd": with_none(sim.debt[rows], miss["debt_usd"]),
        "contract_seen": with_none(sim.docs["contract_seen"][rows], miss["contract_seen"]),
        "job_promised": with_none(_JOB_TEXT[promised], miss["job_promised"]),
        "recorded_date": iso_dates(recorded),
    }
    cols.update(_follow_up_fields(plan, sim, rows))
    keys = list(cols)
    return [dict(zip(keys, row)) for row in zip(*cols.values())], recorded  # noqa: B905


def _follow_up_fields(plan: NationalPlan, sim: CommuneSim, rows: np.ndarray) -> dict[str, list]:
    """Citizenship, consent and the planned stay (fields added in schema 0003), from a random
    stream of their own ([seed, 7, commune]) so that every other draw stays as it was."""
    n = len(rows)
    rng = np.random.default_rng([plan.seed, 7, int(sim.commune)])
    p = sim.person[rows]
    consent_asked = rng.random(sim.n_persons) < params.CONSENT_ASKED
    planned = rng.choice(params.PLANNED_MONTHS, size=n)
    regular = np.isin(sim.channel[rows], [params.CHANNELS.index(c) for c in params.REGULAR_CHANNELS])
    planned = np.where(regular, params.CONTRACT_MONTHS, planned)
    return {
        "citizenship": ["KH"] * n,
        "consent": with_none(np.ones(n, dtype=np.int64), ~consent_asked[p]),
        "planned_months": with_none(planned, rng.random(n) < params.PLANNED_MISSING),
    }


def return_dicts(sim: CommuneSim, ident: Identity, rows: np.ndarray, rng: np.random.Generator,
                 dep_recorded: np.ndarray) -> tuple[list[dict], np.ndarray]:
    """Return records of the returned journeys ``rows``; also their recorded days."""
    n = len(rows)
    o = sim.outcomes
    recorded = np.maximum(_entry_dates(rng, sim.ret[rows]), dep_recorded)
    kinds = np.array(EXPLOITATION_TYPES + (None,), dtype=object)
    done = _JOB_TEXT[sim.sector[rows]]
    cols = {
        "id": uuids(rng, n),
        "journey_id": np.array(ident.journey_id, dtype=object)[rows].tolist(),
        "return_date": iso_dates(sim.ret[rows]),
        "return_mode": np.array(params.RETURN_MODE, dtype=object)[o.return_mode[rows]].tolist(),
        "job_done": with_none(done, rng.random(n) < params.MISSING["job_done"]),
        **{name: with_none(o.recorded[name][rows], o.recorded[name][rows] == NA) for name in INDICATORS},
        "exploitation_type": kinds[o.recorded_kind[rows]].tolist(),
        "recorded_date": iso_dates(recorded),
    }
    keys = list(cols)
    out = [dict(zip(keys, row)) for row in zip(*cols.values())]  # noqa: B905
    return out, recorded


def referral_dicts(plan: NationalPlan, sim: CommuneSim, ident: Identity, rows: np.ndarray,
                   rng: np.random.Generator, ret_recorded: np.ndarray) -> list[dict]:
    """Referrals after return: more likely for trafficking and forced-labour victims."""
    o = sim.outcomes
    p = np.where(o.tr[rows], params.REFERRAL_P["trafficking"],
                 np.where(o.fl[rows], params.REFERRAL_P["forced_labour"], params.REFERRAL_P["other"]))
    hit = rng.random(len(rows)) < p
    r, rec = rows[hit], ret_recorded[hit]
    n = len(r)
    services = list(params.REFERRAL_SERVICE)
    sp = np.array(list(params.REFERRAL_SERVICE.values()))
    service = [services[i] for i in rng.choice(len(sp), size=n, p=sp / sp.sum()).tolist()]
    statuses = list(params.REFERRAL_STATUS)
    tp = np.array(list(params.REFERRAL_STATUS.values()))
    status = [statuses[i] for i in rng.choice(len(tp), size=n, p=tp / tp.sum()).tolist()]
    when = np.minimum(sim.ret[r] + 1 + rng.exponential(20.0, n).astype(np.int64), _SNAPSHOT)
    recorded = np.minimum(np.maximum(when + rng.integers(0, 15, n), rec), _SNAPSHOT)
    ids = uuids(rng, n)
    pid = [ident.person_id[i] for i in sim.person[r].tolist()]
    jid = [ident.journey_id[i] for i in r.tolist()]
    dates, rdates = iso_dates(when), iso_dates(recorded)
    return [{"id": ids[i], "person_id": pid[i], "journey_id": jid[i], "service": service[i],
             "organisation": ORGANISATIONS[service[i]], "referral_date": dates[i],
             "status": status[i], "recorded_date": rdates[i]} for i in range(n)]


def broker_dicts(plan: NationalPlan, sim: CommuneSim, ident: Identity) -> list[dict]:
    villages = plan.geography.villages_of[sim.commune]
    out = []
    for i in range(len(sim.broker_agency)):
        a = int(sim.broker_agency[i])
        given = ident.broker_name[i].split(" ")[-1]
        out.append({"id": ident.broker_id[i], "name": ident.broker_name[i],
                    "alias": f"Bong {given}" if given.isascii() else f"បង {given}",
                    "phone": None, "village": villages[int(sim.broker_village[i])],
                    "agency_id": plan.agencies.ids[a] if a >= 0 else None,
                    "active": int(sim.broker_active[i])})
    return out


def agency_dicts(plan: NationalPlan, used: set[int]) -> list[dict]:
    """The national agency records this commune refers to (and their parent agencies)."""
    records = plan.agencies.records
    index = {r["id"]: i for i, r in enumerate(records)}
    wanted = {i for i in used if i >= 0}
    for i in list(wanted):
        parent = records[i]["parent_agency_id"]
        if parent is not None:
            wanted.add(index[parent])
    # parents first, so a register that checks parent_agency_id finds it
    return sorted((records[i] for i in wanted), key=lambda r: (r["parent_agency_id"] is not None, r["id"]))
