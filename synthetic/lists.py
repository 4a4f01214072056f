"""Service lists for multiple systems estimation (MSE): who of the trafficking victims MOSVY, the
police and NGOs saw, with the identifying fields each list keeps (and their errors).

The victims are persons with at least one returned journey that was trafficking (latent truth).
Default capture model, controlled and homogeneous (no heterogeneity between victims):

* MOSVY: P = ``params.P_MOSVY``, independent of the rest;
* police: P = ``params.P_POLICE``, independent of MOSVY;
* NGO: P = ``params.P_NGO_GIVEN_POLICE`` if on the police list, else ``P_NGO_GIVEN_NOT_POLICE``
  (police refer victims to NGO shelters: the one planted list dependence, police:ngo);
* the commune register (fourth source): the victim's own register record shows trafficking by
  the derived rule (``register.definitions.trafficking``) on some journey. This depends only on
  whether the indicators were asked, drawn independently, so it is independent of the others.

The true log-linear model is therefore independence plus a single police:ngo interaction.

Scenario knobs (``synthetic.scenario``; off by default, and then no draw changes) reshape the
capture probabilities, compared with the same uniform draws: a latent catchability shared by
the sources (``heterogeneity_sd``, on the log-odds), referral between services
(``referral_log_or``: register -> MOSVY, MOSVY -> police, MOSVY -> NGO), and an open
population (``churn_exit_rate``: a victim present from the return until leaving the area, each
list covering its own years, ``params.LIST_YEARS``; the contact date then falls in the years
both overlap).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from . import params
from ._util import day, iso_dates, uuids
from .model import SEX_CODES, CommuneSim
from .names import add_typos
from .national import NationalPlan
from .scenario import KNOB_CHURN, Scenario, catchability, knob_rng, shift_probability

LISTS = ("mosvy", "police", "ngo")
SOURCES = (*LISTS, "register")


def police_ngo_odds_ratio() -> float:
    """The planted conditional odds ratio between the police and NGO lists."""
    a, b = params.P_NGO_GIVEN_POLICE, params.P_NGO_GIVEN_NOT_POLICE
    return (a / (1 - a)) / (b / (1 - b))


def capture_model(scenario: Scenario | None = None) -> dict:
    """The capture probabilities and dependence, as written to truth.json (the default model,
    then what the scenario's knobs change)."""
    p_ngo = (params.P_POLICE * params.P_NGO_GIVEN_POLICE
             + (1 - params.P_POLICE) * params.P_NGO_GIVEN_NOT_POLICE)
    out = {
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
    if scenario is None or scenario.is_default:
        return out
    if scenario.referral_log_or:
        ratio = math.exp(scenario.referral_log_or)
        out["dependence"].update({k: {"odds_ratio": ratio} for k in REFERRALS})
        out["true_loglinear_terms"] = ["police:ngo", *REFERRALS]
    if scenario.heterogeneity_sd:
        out["heterogeneity"] = (f"latent catchability shared by the four sources: logit-normal, "
                                f"sd {scenario.heterogeneity_sd:g}")
    if scenario.churn_exit_rate:
        out["open_population"] = {"exit_rate_per_year": scenario.churn_exit_rate,
                                  "list_years": {k: list(v) for k, v in params.LIST_YEARS.items()},
                                  "reference_years": params.CHURN_REFERENCE_YEARS}
    if scenario.heterogeneity_sd or scenario.churn_exit_rate:
        out["true_loglinear_terms"] = None  # no log-linear model with two-list terms is true
    return out


def ngo_base(police: np.ndarray) -> np.ndarray:
    """P(on the NGO list) by whether on the police list (the planted police -> NGO referral)."""
    return np.where(police, params.P_NGO_GIVEN_POLICE, params.P_NGO_GIVEN_NOT_POLICE)


# Referrals of the referral knob: (referring source, list referred to), in draw order.
REFERRALS = ("mosvy:register", "mosvy:police", "mosvy:ngo")


def _capture(plan: NationalPlan, sim: CommuneSim, u: dict[str, np.ndarray], on_reg: np.ndarray,
             persons: np.ndarray, entry: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Who of the victims ``persons`` each list caught, given the uniform draws ``u`` of every
    person; the default model unless the scenario's knobs are on. With churn, also the day each
    list's contact falls on (else None)."""
    sc = plan.scenario
    if sc.is_default or not (sc.heterogeneity_sd or sc.referral_log_or or sc.churn_exit_rate):
        mosvy = u["mosvy"] < params.P_MOSVY
        police = u["police"] < params.P_POLICE
        ngo = u["ngo"] < ngo_base(police)
        return {"mosvy": mosvy[persons], "police": police[persons], "ngo": ngo[persons]}, None
    k = len(persons)
    shift = catchability(plan.seed, sim.commune, sim.n_persons, sc.heterogeneity_sd)[persons]
    gamma = sc.referral_log_or
    exposure, contact = _exposure(plan, sim, entry) if sc.churn_exit_rate else ({}, None)

    def caught(name: str, base, extra) -> np.ndarray:
        p = shift_probability(base, shift + extra)
        if name in exposure:
            p = 1.0 - (1.0 - p) ** (exposure[name] / params.CHURN_REFERENCE_YEARS)
        return u[name][persons] < p

    mosvy = caught("mosvy", np.full(k, params.P_MOSVY), gamma * on_reg[persons])
    police = caught("police", np.full(k, params.P_POLICE), gamma * mosvy)
    ngo = caught("ngo", ngo_base(police), gamma * mosvy)
    return {"mosvy": mosvy, "police": police, "ngo": ngo}, contact


def _exposure(plan: NationalPlan, sim: CommuneSim,
              entry: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Open population: years each victim was present while each list was kept, and a contact
    day within those years (or the entry day where they never overlap)."""
    rng = knob_rng(plan.seed, sim.commune, KNOB_CHURN)
    stay = rng.exponential(365.25 / plan.scenario.churn_exit_rate, len(entry))
    leave = np.minimum(entry + stay, day(params.DATA_END))
    u = rng.random((len(params.LIST_YEARS), len(entry)))
    years, contact = {}, {}
    for i, (name, (first, last)) in enumerate(params.LIST_YEARS.items()):
        start = np.maximum(entry, day(f"{first}-01-01"))
        end = np.minimum(leave, day(f"{last}-12-31"))
        years[name] = np.maximum(end - start, 0.0) / 365.25
        contact[name] = np.where(end > start, start + u[i] * (end - start), entry).astype(np.int64)
    return years, contact


def victims_of(plan: NationalPlan, sim: CommuneSim, person_id: list[str], name_km: list[str],
               name_latin: list[str], national_id: list[str]) -> list[dict]:
    """The commune's trafficking victims, the lists that saw them and the list records."""
    rng = np.random.default_rng([plan.seed, 4, int(sim.commune)])
    n = sim.n_persons
    u = {name: rng.random(n) for name in LISTS}  # in this order: the default draws
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
    caught, list_contact = _capture(plan, sim, u, on_reg, persons, sim.ret[first_row])
    birth = iso_dates(sim.birth_day[persons])
    victims = [{"commune": sim.commune, "district": district, "province": province,
                "person_id": person_id[p], "sex": SEX_CODES[sim.sex[p]],
                "minor": bool(sim.age[r] < 18), "on_register": bool(on_reg[p]),
                "lists": {}} for p, r in zip(persons.tolist(), first_row.tolist(), strict=True)]
    for name in LISTS:
        take = np.flatnonzero(caught[name])
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
        when = contact if list_contact is None else list_contact[name]
        dates = iso_dates(when[take] + rng.integers(0, 60, len(take)))
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
