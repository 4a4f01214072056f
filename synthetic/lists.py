"""Service lists for multiple systems estimation (MSE): who of the trafficking victims MOSVY, the
police and NGOs saw, with the identifying fields each list keeps (and their errors).

The victims are persons with at least one returned journey that was trafficking (latent truth).
Capture model, controlled and homogeneous (no heterogeneity between victims):

* MOSVY: P = ``params.P_MOSVY``, independent of the rest;
* police: P = ``params.P_POLICE``, independent of MOSVY;
* NGO: P = ``params.P_NGO_GIVEN_POLICE`` if on the police list, else ``P_NGO_GIVEN_NOT_POLICE``
  (police refer victims to NGO shelters: the one planted list dependence, police:ngo);
* the commune register (fourth source): the victim's own register record shows trafficking by
  the derived rule (``register.definitions.trafficking``) on some journey. This depends only on
  whether the indicators were asked, drawn independently, so it is independent of the others.

The true log-linear model is therefore independence plus a single police:ngo interaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import params
from ._util import iso_dates, uuids
from .model import SEX_CODES, CommuneSim
from .names import add_typos
from .national import NationalPlan

LISTS = ("mosvy", "police", "ngo")
SOURCES = (*LISTS, "register")


def police_ngo_odds_ratio() -> float:
    """The planted conditional odds ratio between the police and NGO lists."""
    a, b = params.P_NGO_GIVEN_POLICE, params.P_NGO_GIVEN_NOT_POLICE
    return (a / (1 - a)) / (b / (1 - b))


def capture_model() -> dict:
    """The capture probabilities and dependence, as written to truth.json."""
    p_ngo = (params.P_POLICE * params.P_NGO_GIVEN_POLICE
             + (1 - params.P_POLICE) * params.P_NGO_GIVEN_NOT_POLICE)
    return {
        "mosvy": {"p": params.P_MOSVY},
        "police": {"p": params.P_POLICE},
        "ngo": {"p_given_police": params.P_NGO_GIVEN_POLICE,
                "p_given_not_police": params.P_NGO_GIVEN_NOT_POLICE, "p": p_ngo},
        "register": {"p_indicators_asked": params.INDICATORS_ASKED,
                     "rule": "register record derives trafficking = 1 on some journey"},
        "dependence": {"police:ngo": {"odds_ratio": police_ngo_odds_ratio()}},
        "true_loglinear_terms": ["police:ngo"],
        "heterogeneity": "none (capture probabilities equal for all victims)",
    }


def victims_of(plan: NationalPlan, sim: CommuneSim, person_id: list[str], name_km: list[str],
               name_latin: list[str], national_id: list[str]) -> list[dict]:
    """The commune's trafficking victims, the lists that saw them and the list records."""
    rng = np.random.default_rng([plan.seed, 4, int(sim.commune)])
    n = sim.n_persons
    caught = {
        "mosvy": rng.random(n) < params.P_MOSVY,
        "police": rng.random(n) < params.P_POLICE,
    }
    caught["ngo"] = rng.random(n) < np.where(caught["police"], params.P_NGO_GIVEN_POLICE,
                                             params.P_NGO_GIVEN_NOT_POLICE)
    o = sim.outcomes
    victim_rows = np.flatnonzero(sim.returned & o.tr)
    if len(victim_rows) == 0:
        return []
    persons, first = np.unique(sim.person[victim_rows], return_index=True)
    first_row = victim_rows[first]  # earliest trafficking journey (journeys are in sequence order)
    on_reg = np.zeros(n, dtype=bool)
    on_reg[sim.person[sim.returned & (o.tr_recorded == 1)]] = True
    k = len(persons)
    province, district = sim.commune[:2], plan.geography.district_of[sim.commune]
    contact = sim.ret[first_row] + rng.integers(0, 90, k)
    birth = iso_dates(sim.birth_day[persons])
    victims = [{"commune": sim.commune, "district": district, "province": province,
                "person_id": person_id[p], "sex": SEX_CODES[sim.sex[p]],
                "minor": bool(sim.age[r] < 18), "on_register": bool(on_reg[p]),
                "lists": {}} for p, r in zip(persons.tolist(), first_row.tolist(), strict=True)]
    for name in LISTS:
        take = np.flatnonzero(caught[name][persons])
        khmer = rng.random(len(take)) < params.LIST_SCRIPT_KHMER[name]
        written = [name_km[persons[i]] if km else name_latin[persons[i]]
                   for i, km in zip(take.tolist(), khmer.tolist(), strict=True)]
        written = add_typos(rng, written, params.LIST_NAME_TYPO[name])
        has_id = rng.random(len(take)) < params.LIST_NATIONAL_ID[name]
        has_date = rng.random(len(take)) < params.LIST_BIRTH_DATE[name]
        year_err = np.where(rng.random(len(take)) < params.LIST_BIRTH_YEAR_ERROR[name],
                            rng.choice([-1, 1], len(take)), 0)
        no_commune = rng.random(len(take)) < params.LIST_COMMUNE_MISSING[name]
        ids = uuids(rng, len(take))
        dates = iso_dates(contact[take] + rng.integers(0, 60, len(take)))
        for j, i in enumerate(take.tolist()):
            p = persons[i]
            victims[i]["lists"][name] = {
                "record_id": ids[j], "list": name, "name": written[j],
                "sex": SEX_CODES[sim.sex[p]],
                "birth_date": birth[i] if has_date[j] else None,
                "birth_year": int(birth[i][:4]) + int(year_err[j]),
                "province_code": province,
                "commune_code": None if no_commune[j] else sim.commune,
                "national_id": national_id[p] if has_id[j] else None,
                "contact_date": dates[j],
            }
    return victims


def collect_lists(victims: Iterable[dict]) -> dict[str, list[dict]]:
    """The three service lists from the victims' list records, in record-id order (a shuffle)."""
    out: dict[str, list[dict]] = {name: [] for name in LISTS}
    for v in victims:
        for name, record in v["lists"].items():
            out[name].append(record)
    for name in LISTS:
        out[name].sort(key=lambda r: r["record_id"])
    return out


def membership_table(victims: Iterable[dict]) -> dict:
    """Which victim is on which list, compactly (columns + rows) for truth.json."""
    columns = ["commune", "person_id", "sex", "minor", *(f"{s}_record_id" for s in LISTS),
               "register"]
    rows = [[v["commune"], v["person_id"], v["sex"], v["minor"],
             *((v["lists"][s]["record_id"] if s in v["lists"] else None) for s in LISTS),
             v["on_register"]] for v in victims]
    return {"columns": columns, "rows": rows}


def pattern_counts(victims: Iterable[dict]) -> dict[str, int]:
    """Counts of capture patterns over (mosvy, police, ngo, register), e.g. '1001': 12; the
    all-zero pattern is the number no source saw."""
    counts: dict[str, int] = {}
    for v in victims:
        key = "".join("1" if (s in v["lists"] if s != "register" else v["on_register"]) else "0"
                      for s in SOURCES)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
