"""Assemble one commune register: its own people, the copies of people from a neighbouring commune
registered here too, its share of the truth and its victims for the service lists."""

from __future__ import annotations

import numpy as np

from . import params
from ._util import NA, day, iso_dates, uuids
from .lists import victims_of
from .model import CommuneSim
from .names import add_typos
from .national import NationalPlan
from .records import (
    CommuneRecords,
    Identity,
    _cached,
    agency_dicts,
    broker_dicts,
    departure_dicts,
    referral_dicts,
    return_dicts,
)

_SNAPSHOT = day(params.SNAPSHOT_DATE)


def _source_commune(plan: NationalPlan, commune: str, rng: np.random.Generator) -> str | None:
    geo = plan.geography
    same = [c for c in geo.communes_in_district[geo.district_of[commune]] if c != commune]
    if not same:
        same = [c for c in geo.communes_of[commune[:2]] if c != commune]
    return same[int(rng.integers(0, len(same)))] if same else None


def copies(plan: NationalPlan, commune: str, khmer_script: bool) -> tuple[list[dict], list[dict], set[int]]:
    """People of another commune of the province registered again in ``commune``.

    Returns the copies' departure records (their first journey, no return), the duplicate pairs
    for the truth, and the agencies the copies refer to.
    """
    rng = np.random.default_rng([plan.seed, 3, int(commune)])
    if rng.random() >= params.DUPLICATE_COMMUNE_SHARE:
        return [], [], set()
    source = _source_commune(plan, commune, rng)
    if source is None:
        return [], [], set()
    sim, ident = _cached(plan, source)
    if sim.n_persons == 0:
        return [], [], set()
    k = min(int(rng.integers(params.DUPLICATES_PER_COMMUNE[0], params.DUPLICATES_PER_COMMUNE[1] + 1)),
            sim.n_persons)
    persons = np.sort(rng.choice(sim.n_persons, size=k, replace=False))
    rows = persons  # a person's first journey has the person's own index (first block)
    true_names = ident.name_km if khmer_script else ident.name_latin
    typo = rng.random(k) < params.DUPLICATE_NAME_TYPO
    names = list(true_names)
    for i, p in enumerate(persons.tolist()):
        if typo[i]:
            names[p] = add_typos(rng, [true_names[p]], 1.0)[0]
    records, _ = departure_dicts(plan, sim, ident, rows, rng, names)
    id_missing = rng.random(k) < params.DUPLICATE_ID_MISSING
    moved = rng.random(k) < params.DUPLICATE_MOVED
    villages = plan.geography.villages_of[commune]
    new_person, new_journey = uuids(rng, k), uuids(rng, k)
    recorded = iso_dates(np.minimum(sim.dep[rows] + rng.integers(30, 700, k), _SNAPSHOT))
    pairs = []
    for i, rec in enumerate(records):
        p = int(persons[i])
        rec.update(person_id=new_person[i], journey_id=new_journey[i], broker_id=None,
                   recorded_date=recorded[i])
        if id_missing[i]:
            rec["national_id"] = None
        else:
            rec["national_id"] = ident.national_id[p]
        if moved[i]:
            rec["home_village"] = villages[int(rng.integers(0, len(villages)))]
        pairs.append({
            "original": {"commune": source, "person_id": ident.person_id[p],
                         "journey_id": ident.journey_id[p]},
            "copy": {"commune": commune, "person_id": new_person[i],
                     "journey_id": new_journey[i]},
            "name_typo": bool(typo[i]), "national_id_missing": bool(id_missing[i]),
            "moved": bool(moved[i]),
        })
    return records, pairs, {int(a) for a in sim.agency[rows].tolist()}


def summarise(plan: NationalPlan, sim: CommuneSim, n_victims: int, n_copies: int) -> dict:
    """The commune's contribution to the truth (sums over its returned journeys)."""
    o, r = sim.outcomes, sim.returned
    fl_known = o.fl_recorded[r] != NA
    tr_known = o.tr_recorded[r] != NA
    return {
        "commune": sim.commune, "district": plan.geography.district_of[sim.commune],
        "province": sim.commune[:2], "commune_effect": sim.commune_effect,
        "n_persons": sim.n_persons, "n_journeys": sim.n_journeys, "n_returned": int(r.sum()),
        "n_returned_persons": int(len(np.unique(sim.person[r]))),
        "fl_expected_sum": float(o.p_fl[r].sum()), "fl_realised": int(o.fl[r].sum()),
        "fl_recorded_n": int(fl_known.sum()), "fl_recorded_pos": int((o.fl_recorded[r] == 1).sum()),
        "tr_expected_sum": float(o.p_tr[r].sum()), "tr_realised": int(o.tr[r].sum()),
        "tr_recorded_n": int(tr_known.sum()), "tr_recorded_pos": int((o.tr_recorded[r] == 1).sum()),
        "n_victims": n_victims, "n_copies": n_copies,
    }


def build_commune_records(plan: NationalPlan, commune: str) -> CommuneRecords:
    """Every record of one commune register, deterministic for (seed, scale, commune)."""
    sim, ident = _cached(plan, commune)
    rng = np.random.default_rng([plan.seed, 5, int(commune)])
    true_names = ident.name_km if ident.khmer_script else ident.name_latin
    names = add_typos(rng, true_names, params.NAME_TYPO)
    departures, dep_rec = departure_dicts(plan, sim, ident, np.arange(sim.n_journeys), rng, names)
    ret_rows = np.flatnonzero(sim.returned)
    returns, ret_rec = return_dicts(sim, ident, ret_rows, rng, dep_rec[ret_rows])
    referrals = referral_dicts(plan, sim, ident, ret_rows, rng, ret_rec)
    brokers = broker_dicts(plan, sim, ident)
    copy_records, pairs, copy_agencies = copies(plan, commune, ident.khmer_script)
    used = set(np.unique(sim.agency).tolist()) | set(np.unique(sim.broker_agency).tolist())
    agencies = agency_dicts(plan, used | copy_agencies)
    victims = victims_of(plan, sim, ident.person_id, ident.name_km, ident.name_latin,
                         ident.national_id)
    o = sim.outcomes
    latent = {"journey_id": ident.journey_id, "person_id": [ident.person_id[i] for i in sim.person.tolist()],
              "returned": sim.returned, "p_fl": o.p_fl, "fl": o.fl, "p_tr": o.p_tr, "tr": o.tr,
              "fl_recorded": o.fl_recorded, "tr_recorded": o.tr_recorded}
    return CommuneRecords(
        commune=commune, agencies=agencies, brokers=brokers,
        departures=departures + copy_records, returns=returns, referrals=referrals,
        duplicates=pairs, victims=victims,
        summary=summarise(plan, sim, len(victims), len(copy_records)), latent=latent,
    )


__all__ = ["CommuneRecords", "Identity", "build_commune_records", "copies", "summarise"]
