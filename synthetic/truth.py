"""The planted truth, as a JSON-able dict (``truth.json``), built from the communes' summaries.

Schema (every count is over the chosen provinces; prevalences are shares of *returned journeys*
of people whose home is in the area, one row per journey as in the researcher export)::

    generator, generator_version, seed, scale, provinces [codes], n_communes,
    period {first_departure, data_end, snapshot}, definitions {...text...},
    totals, by_province[code], by_district[code]:
        n_migrants (persons), n_journeys, n_returned (journeys), n_returned_persons, n_victims,
        forced_labour / trafficking: {expected (mean model probability), realised (latent),
            n_realised, recorded (derived from recorded indicators, register.definitions rule,
            among returned journeys where not None), n_recorded, n_recorded_positive}
        by_province only: province_effect (logit, cluster included), in_cluster,
            out_migration_weight;  totals only: n_duplicate_records
    risk_model: outcome, unit, link, intercept, odds_ratios[name] {odds_ratio, log_odds_ratio,
        term (coding on export columns)}, province_effects[code], province_effect_sd,
        commune_effect_sd, note, marginal_attenuation, marginal_odds_ratios[name]
    spatial_cluster: provinces, effect_logit, chosen
    duplicates: [{original {commune, person_id, journey_id}, copy {commune, person_id,
        journey_id}, name_typo, national_id_missing, moved}]
    mse: victim_definition, N, N_by {province, sex, minor}, sources, list_sizes,
        capture_model, pattern_order, pattern_counts {"1001": n, ...},
        membership {columns: [commune, person_id, sex, minor, mosvy_record_id,
        police_record_id, ngo_record_id, register], rows: [...]}
    agencies: n, by_status
    scenario: name, knobs {every knob, 0 = off}, on [knobs turned on], effects {knob: what it
        does}, streams; with churn also list_years, churn_reference_years (``synthetic.scenario``)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from . import params
from .lists import LISTS, capture_model, membership_table, pattern_counts
from .national import AGENCY_STATUS_CODES, NationalPlan

# How each planted odds ratio is coded on the researcher export's columns.
TERMS: dict[str, str] = {
    "n_brokers": "n_brokers, per additional broker in the chain (linear on the log-odds)",
    "channel[mou]": "channel == 'mou' vs 'licensed_agency'",
    "channel[broker]": "channel == 'broker' vs 'licensed_agency'",
    "channel[family_friend]": "channel == 'family_friend' vs 'licensed_agency'",
    "channel[own]": "channel == 'own' vs 'licensed_agency'",
    "agency_irregular": "agency_status in {expired, suspended, revoked, unlicensed} vs "
                        "{licensed, none}",
    "destination_country[MY]": "destination_country == 'MY' vs 'TH'",
    "destination_country[KR]": "destination_country == 'KR' vs 'TH'",
    "destination_country[JP]": "destination_country == 'JP' vs 'TH'",
    "destination_country[gulf]": "destination_country in {SA, AE, QA, KW} vs 'TH'",
    "destination_country[CN]": "destination_country == 'CN' vs 'TH' (SG, HK, TW, VN, LA: OR 1)",
    "sector[fishing]": "sector == 'fishing' vs agriculture, manufacturing, hospitality, "
                       "services, other (all OR 1)",
    "sector[domestic_work]": "sector == 'domestic_work' (same reference)",
    "sector[entertainment]": "sector == 'entertainment' (same reference)",
    "sector[construction]": "sector == 'construction' (same reference)",
    "female": "sex == 'F' vs 'M' or 'X'",
    "minor": "age_at_departure < 18 (age_band '<18') vs 18 and over (true age; an age from a "
             "birth year alone can be a year too high, so a few minors look adult)",
    "debt": "debt_usd > 0 (true value; recorded debt_usd may be missing)",
    "no_passport": "has_passport == 0 (true value; recorded may be missing)",
    "departure_year": "departure_year - 2015, per year",
}
_SUMS = ("n_persons", "n_journeys", "n_returned", "n_returned_persons", "fl_expected_sum",
         "fl_realised", "fl_recorded_n", "fl_recorded_pos", "tr_expected_sum", "tr_realised",
         "tr_recorded_n", "tr_recorded_pos", "n_victims", "n_copies")


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _block(s: dict) -> dict:
    """Prevalence block from summed counts."""
    out = {"n_migrants": s["n_persons"], "n_journeys": s["n_journeys"],
           "n_returned": s["n_returned"], "n_returned_persons": s["n_returned_persons"],
           "n_victims": s["n_victims"]}
    for key, label in (("fl", "forced_labour"), ("tr", "trafficking")):
        out[label] = {
            "expected": _ratio(s[f"{key}_expected_sum"], s["n_returned"]),
            "realised": _ratio(s[f"{key}_realised"], s["n_returned"]),
            "n_realised": s[f"{key}_realised"],
            "recorded": _ratio(s[f"{key}_recorded_pos"], s[f"{key}_recorded_n"]),
            "n_recorded": s[f"{key}_recorded_n"],
            "n_recorded_positive": s[f"{key}_recorded_pos"],
        }
    return out


def _add(into: dict, s: dict) -> None:
    for k in _SUMS:
        into[k] = into.get(k, 0) + s[k]


def risk_model(plan: NationalPlan) -> dict:
    """The planted logistic model of forced labour."""
    attenuation = 1 / math.sqrt(1 + params.ATTENUATION_C2 * params.COMMUNE_EFFECT_SD**2)
    return {
        "outcome": "forced_labour (ICLS 2018: any involuntariness AND any coercion indicator)",
        "unit": "returned journey",
        "link": "logit",
        "intercept": params.INTERCEPT,
        "odds_ratios": {name: {"odds_ratio": v, "log_odds_ratio": math.log(v), "term": TERMS[name]}
                        for name, v in params.ODDS_RATIOS.items()},
        "province_effects": dict(sorted(plan.province_effect.items())),
        "province_effect_sd": params.PROVINCE_EFFECT_SD,
        "commune_effect_sd": params.COMMUNE_EFFECT_SD,
        "note": "Odds ratios are conditional on the province and commune effects. A logistic "
                "regression with province fixed effects (no commune effect) estimates log ORs "
                "attenuated by about the factor below (Zeger, Liang & Albert 1988).",
        "marginal_attenuation": attenuation,
        "marginal_odds_ratios": {name: math.exp(math.log(v) * attenuation)
                                 for name, v in params.ODDS_RATIOS.items()},
    }


def build_truth(plan: NationalPlan, provinces: list[str], parts: Iterable[dict]) -> dict:
    """Aggregate the communes' truth parts ({'summary', 'victims', 'duplicates'})."""
    geo = plan.geography
    total: dict = {}
    by_province: dict[str, dict] = {}
    by_district: dict[str, dict] = {}
    victims: list[dict] = []
    duplicates: list[dict] = []
    for part in parts:
        s = part["summary"]
        _add(total, s)
        _add(by_province.setdefault(s["province"], {}), s)
        _add(by_district.setdefault(s["district"], {}), s)
        victims.extend(part["victims"])
        duplicates.extend(part["duplicates"])
    victims.sort(key=lambda v: (v["commune"], v["person_id"]))
    duplicates.sort(key=lambda d: (d["copy"]["commune"], d["copy"]["person_id"]))
    provinces_out = {}
    for p in provinces:
        block = _block(by_province[p])
        block.update(province_effect=plan.province_effect[p],
                     in_cluster=p in params.CLUSTER_PROVINCES,
                     out_migration_weight=plan.out_migration_weight[p])
        provinces_out[p] = block
    n_by = {"province": {}, "sex": {}, "minor": {}}
    for v in victims:
        for key, value in (("province", v["province"]), ("sex", v["sex"]),
                           ("minor", "minor" if v["minor"] else "adult")):
            n_by[key][value] = n_by[key].get(value, 0) + 1
    ag = plan.agencies
    recorded = ("share derived from the recorded indicators by register.definitions, among "
                "returned journeys where it is not None (indicators asked at random, so it "
                "estimates the same quantity)")
    if plan.scenario.mnar_asked_log_or or plan.scenario.mnar_item_log_or:
        recorded = ("share derived from the recorded indicators by register.definitions, among "
                    "returned journeys where it is not None; the indicators are missing NOT at "
                    "random in this scenario, so it is biased for the realised share")
    return {
        "generator": "synthetic",
        "generator_version": params.GENERATOR_VERSION,
        "seed": plan.seed,
        "scale": plan.scale,
        "provinces": list(provinces),
        "n_communes": sum(len(geo.communes_of[p]) for p in provinces),
        "period": {"first_departure": params.FIRST_DEPARTURE, "data_end": params.DATA_END,
                   "snapshot": params.SNAPSHOT_DATE},
        "definitions": {
            "prevalence": "share of returned journeys (home in the area) with the outcome",
            "expected": "mean model probability over those journeys",
            "realised": "share with the latent outcome (all returned journeys)",
            "recorded": recorded,
            "n_migrants": "persons with at least one journey (copies registered in a second "
                          "commune not counted)",
        },
        "totals": _block(total) | {"n_duplicate_records": total.get("n_copies", 0)},
        "by_province": provinces_out,
        "by_district": {d: _block(s) for d, s in sorted(by_district.items())},
        "risk_model": risk_model(plan),
        "spatial_cluster": {"provinces": list(params.CLUSTER_PROVINCES),
                            "effect_logit": params.CLUSTER_EFFECT,
                            "chosen": [p for p in params.CLUSTER_PROVINCES if p in provinces]},
        "duplicates": duplicates,
        "mse": {
            "victim_definition": "persons with at least one returned journey that is trafficking "
                                 "(latent truth), home in the chosen provinces; one per person "
                                 "(identified by their home-commune register record)",
            "N": len(victims),
            "N_by": n_by,
            "sources": ["mosvy", "police", "ngo", "register"],
            "list_sizes": {**{name: sum(name in v["lists"] for v in victims) for name in LISTS},
                           "register": sum(v["on_register"] for v in victims)},
            "capture_model": capture_model(plan.scenario),
            "pattern_order": "mosvy, police, ngo, register",
            "pattern_counts": pattern_counts(victims),
            "membership": membership_table(victims),
        },
        "agencies": {"n": len(ag.ids),
                     "by_status": {s: int((ag.status == i).sum())
                                   for i, s in enumerate(AGENCY_STATUS_CODES) if i > 0}},
        "scenario": plan.scenario.to_truth(),
    }
