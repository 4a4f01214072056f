"""Synthetic commune migration registers of Cambodia with a planted truth.

>>> country = make_country(["01", "22"], seed=7, scale=0.1)
>>> records = country.commune_records(country.communes[0])
>>> truth = country.truth  # JSON-able dict, written next to the registers as truth.json

See ``params`` for every calibration number and its source, ``exploitation`` for how forced
labour and trafficking are planted, ``lists`` for the MSE service lists.
"""

from .country import SyntheticCountry, make_country, truth_part
from .exploitation import derive, linear_predictor
from .names import romanize
from .params import GENERATOR_VERSION
from .records import CommuneRecords

__all__ = [
    "GENERATOR_VERSION",
    "CommuneRecords",
    "SyntheticCountry",
    "derive",
    "linear_predictor",
    "make_country",
    "romanize",
    "truth_part",
]
