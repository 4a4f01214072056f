"""Scenarios: knobs that let the synthetic data fool the estimators (issue 15.6).

The default data are a controlled world: lists catch every victim alike, indicators are missing
completely at random and return does not depend on the outcome, so the estimators cannot fail
for the reasons they fail on real data. A :class:`Scenario` turns on, one by one or together:

* ``heterogeneity_sd``: a latent catchability shared across the four sources (people differ in
  how easy they are to find; the Rasch model of Fienberg, Johnson & Junker 1999);
* ``referral_log_or``: list dependence by referral (a victim referred by one service is more
  likely on another);
* ``churn_exit_rate``: an open population over the years the lists cover (entries at return,
  exits at this rate, lists covering different years; closure fails);
* ``mnar_asked_log_or``, ``mnar_item_log_or``: indicators missing not at random;
* ``return_fl_stay``: return that depends on the outcome.

Every knob is off by default, and a knob that is off changes no draw: the random numbers a knob
needs come from a stream of its own, ``default_rng([seed, 8, commune, knob])``, and a knob that
reshapes a probability compares it with the same uniform draws as before. So the default data
of every seed are unchanged. ``truth.json`` records the scenario (``truth['scenario']``).

Choose one with ``make_country(..., scenario='heterogeneity')``, ``register synth --scenario
heterogeneity`` or ``python -m synthetic --scenario heterogeneity``; a specification is a comma
separated list of scenario names and ``knob=value`` settings, applied in order (e.g.
``'referral,heterogeneity_sd=0.5'``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from . import params
from .errors import SyntheticError

STREAM = 8  # the scenario knobs' random streams: [seed, STREAM, commune, knob]
KNOB_CATCHABILITY, KNOB_CHURN, KNOB_RETURN = 1, 2, 3


@dataclass(frozen=True)
class Scenario:
    """The knobs of one synthetic world (all off: the default data)."""

    name: str = "default"
    heterogeneity_sd: float = 0.0
    referral_log_or: float = 0.0
    churn_exit_rate: float = 0.0
    mnar_asked_log_or: float = 0.0
    mnar_item_log_or: float = 0.0
    return_fl_stay: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self)[1:]:
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise SyntheticError(f"scenario knob {f.name} must be a number, got {value!r}")
        if self.heterogeneity_sd < 0 or self.churn_exit_rate < 0:
            raise SyntheticError("heterogeneity_sd and churn_exit_rate must be >= 0")
        if not 0.0 <= self.return_fl_stay <= 1.0:
            raise SyntheticError(f"return_fl_stay must lie in [0, 1], got {self.return_fl_stay!r}")

    @property
    def is_default(self) -> bool:
        return all(getattr(self, f.name) == 0 for f in fields(self)[1:])

    @property
    def knobs(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k != "name"}

    def to_truth(self) -> dict:
        """The scenario as recorded in truth.json: every knob, and what each one does."""
        out: dict = {"name": self.name, "knobs": self.knobs, "on": [k for k, v in self.knobs.items() if v]}
        out["effects"] = {k: EFFECTS[k] for k in out["on"]}
        if self.churn_exit_rate:
            out["list_years"] = {k: list(v) for k, v in params.LIST_YEARS.items()}
            out["churn_reference_years"] = params.CHURN_REFERENCE_YEARS
        out["streams"] = f"[seed, {STREAM}, commune, knob] (catchability {KNOB_CATCHABILITY}, " \
                         f"churn {KNOB_CHURN}, return {KNOB_RETURN})"
        return out


EFFECTS = {
    "heterogeneity_sd": "each victim's capture log-odds on the three service lists and the "
                        "log-odds that the register asked the indicators move by sd x u, "
                        "u ~ N(0, 1) per person (shared catchability)",
    "referral_log_or": "log-odds ratio of being on a list when on the list that refers to it: "
                       "register -> mosvy, mosvy -> police, mosvy -> ngo (police -> ngo planted "
                       "always)",
    "churn_exit_rate": "open population: a victim is present from the return of the first "
                       "trafficking journey until leaving (exponential, this rate per year); "
                       "each service list covers list_years and catches with probability "
                       "1 - (1 - p)^(years exposed / churn_reference_years)",
    "mnar_asked_log_or": "log-odds that the indicator module was asked move by this for "
                         "forced-labour journeys (missing not at random)",
    "mnar_item_log_or": "log-odds that an asked indicator was left blank move by this when the "
                        "indicator is present (missing not at random)",
    "return_fl_stay": "share of forced-labour journeys that were a person's last that do not "
                      "return within the data window (return depends on the outcome)",
}

SCENARIOS: dict[str, Scenario] = {
    "default": Scenario(),
    "heterogeneity": Scenario("heterogeneity", heterogeneity_sd=params.HETEROGENEITY_SD),
    "referral": Scenario("referral", referral_log_or=params.REFERRAL_LOG_OR),
    "churn": Scenario("churn", churn_exit_rate=params.CHURN_EXIT_RATE),
    "mnar": Scenario("mnar", mnar_asked_log_or=params.MNAR_ASKED_LOG_OR,
                     mnar_item_log_or=params.MNAR_ITEM_LOG_OR),
    "return": Scenario("return", return_fl_stay=params.RETURN_FL_STAY),
}
SCENARIOS["adversarial"] = Scenario("adversarial", **{
    k: v for s in SCENARIOS.values() for k, v in s.knobs.items() if v})


def scenario_from(spec: Scenario | str | None) -> Scenario:
    """A scenario from a name, ``knob=value`` settings or both (comma separated), or itself."""
    if spec is None:
        return SCENARIOS["default"]
    if isinstance(spec, Scenario):
        return spec
    out, names = Scenario(), []
    known = {f.name for f in fields(Scenario)} - {"name"}
    for token in (t.strip() for t in str(spec).split(",")):
        if not token:
            continue
        if "=" in token:
            key, _, value = (s.strip() for s in token.partition("="))
            if key not in known:
                raise SyntheticError(f"unknown scenario knob {key!r}; use one of {', '.join(sorted(known))}")
            try:
                number = float(value)
            except ValueError:
                raise SyntheticError(f"scenario knob {key} needs a number, got {value!r}") from None
            out = replace(out, **{key: number})
        elif token in SCENARIOS:
            out = replace(out, **{k: v for k, v in SCENARIOS[token].knobs.items() if v})
        else:
            raise SyntheticError(f"unknown scenario {token!r}; use one of {', '.join(SCENARIOS)} "
                                 "or knob=value")
        names.append(token)
    return replace(out, name="+".join(names) if names and not out.is_default else "default")


def knob_rng(seed: int, commune: str, knob: int) -> np.random.Generator:
    """The random stream of one knob in one commune (never used when the knob is off)."""
    return np.random.default_rng([seed, STREAM, int(commune), knob])


def catchability(seed: int, commune: str, n_persons: int, sd: float) -> np.ndarray:
    """Each person's shift of the capture log-odds, ``sd * u`` with ``u ~ N(0, 1)`` (zeros when
    the knob is off); the same for every source of the commune."""
    if sd == 0:
        return np.zeros(n_persons)
    return sd * knob_rng(seed, commune, KNOB_CATCHABILITY).standard_normal(n_persons)


def shift_probability(p: np.ndarray | float, shift: np.ndarray) -> np.ndarray:
    """``expit(logit(p) + shift)``."""
    p = np.asarray(p, dtype=float)
    return 1.0 / (1.0 + np.exp(-(np.log(p) - np.log1p(-p) + shift)))
