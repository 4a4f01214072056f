"""Every number the synthetic generator is calibrated to, with where it comes from.

Tags follow the project's calibration notes (``calibration.md`` in the team's shared data, copied
facts only; nothing is read from there at run time):

* **[V]** a published figure (source named), **[D]** arithmetic on published figures,
* **[P]** an assumption of this generator where no figure was found (the notes' proposals or ours).

The generator draws *around* these numbers; the tests check that estimators recover the planted
truth, never that the synthetic data reproduce the published figures.
"""

from __future__ import annotations

import math

GENERATOR_VERSION = "1.0.0"

# ---------------------------------------------------------------------------------------------
# Time window
# ---------------------------------------------------------------------------------------------
# Departures 2015-2025 (issue 3); records entered up to the snapshot date (late entries).
FIRST_DEPARTURE = "2015-01-01"
DATA_END = "2025-12-31"  # no departure or return after this day
SNAPSHOT_DATE = "2026-06-30"  # last possible recorded_date (late entries)
# Relative number of first departures per year. [P] flat, with the COVID-19 border closures of
# 2020-21 (115,767 returned Mar-Oct 2020, IOM sitrep 2020 [V]) halving departures.
YEAR_WEIGHTS = {2015: 1.0, 2016: 1.0, 2017: 1.1, 2018: 1.1, 2019: 1.1, 2020: 0.5, 2021: 0.4,
                2022: 0.9, 2023: 1.1, 2024: 1.1, 2025: 1.0}
COVID_START = "2020-03-15"
COVID_EARLY_RETURN = 0.25  # [P] share of those abroad on COVID_START who came back within 200 days

# ---------------------------------------------------------------------------------------------
# Population (2019 census) and out-migration by province
# ---------------------------------------------------------------------------------------------
# Census 2019 populations, from the project's population table (khm_population_census2019_by_
# province.csv, sources per row there): the final figure where known [V], else the provisional
# figure [V]; four provinces had neither and are [P] approximations of unconfirmed figures:
# 13 Preah Vihear 251,352 (de.wikipedia, status unclear), 14 Prey Veng 1,100,000 ("about 1.1
# million", urdupoint.com on the final results), 18 Preah Sihanouk 310,000 (no figure found;
# assumption), 19 Stung Treng 159,565 (fr.wikipedia, status unclear). 24 Pailin 75,112 is
# second-hand. The national total is then 15.6 M against 15,552,211 final [V].
PROVINCE_POPULATION: dict[str, int] = {
    "01": 861_883, "02": 997_169, "03": 899_791, "04": 525_932, "05": 877_523,
    "06": 681_549, "07": 592_845, "08": 1_201_581, "09": 125_902, "10": 372_825,
    "11": 92_213, "12": 2_281_951, "13": 251_352, "14": 1_100_000, "15": 411_759,
    "16": 217_453, "17": 1_014_234, "18": 310_000, "19": 159_565, "20": 525_497,
    "21": 900_914, "22": 276_038, "23": 42_665, "24": 75_112, "25": 776_841,
}

# Relative out-migration (journeys per resident). [P] from calibration A3: high on the north-west
# border (Banteay Meanchey, Battambang, Oddar Meanchey, Siem Reap: IOM/KOICA 2020's top returnee
# provinces [V]) and the south-east Mekong belt (Prey Veng, Kampong Cham, Tbong Khmum, Svay
# Rieng, Takeo: Poipet bus destinations [V]); mid for Kampong Thom, Pursat, Preah Vihear, Kampong
# Speu (CENTRAL outreach provinces [V]); low for Phnom Penh, the north-east highlands, the coast
# and Pailin. The census out-migration table was not retrieved [gap]; these are assumptions.
OUT_MIGRATION_WEIGHT: dict[str, float] = {
    "01": 1.0, "02": 1.0, "22": 1.0, "17": 1.0, "14": 1.0, "03": 1.0, "25": 1.0, "20": 1.0,
    "21": 1.0, "06": 0.5, "15": 0.5, "13": 0.5, "05": 0.5, "04": 0.35, "07": 0.35, "08": 0.35,
    "10": 0.35, "12": 0.1, "11": 0.15, "16": 0.15, "19": 0.15, "23": 0.2, "18": 0.2, "09": 0.2,
    "24": 0.3,
}
OUT_MIGRATION_JITTER_SD = 0.15  # [P] log-normal noise on the weights, drawn per seed
# Issue 3: "around two million journeys" for the whole country at scale 1.
TARGET_JOURNEYS = 2_000_000
COMMUNE_SIZE_SHAPE = 6.0  # [P] Gamma(shape, 1/shape) noise on commune sizes (CV about 0.4)

# Journeys per person: 1, 2 or 3 (a person can leave again after coming back). [P]; about a third
# of IPPMD emigrants had left less than a year before the survey (OECD 2017) [V] suggests
# repeated short stays.
JOURNEYS_PER_PERSON = {1: 0.72, 2: 0.20, 3: 0.08}
# Mean journeys per person after the data window cuts later journeys off (measured on the
# generator; converts expected journeys into persons).
REALISED_JOURNEYS_PER_PERSON = 1.25
STAY_MEDIAN_DAYS = 540.0  # [P] log-normal length of stay abroad
STAY_SIGMA = 0.8
GAP_MEDIAN_DAYS = 120.0  # [P] time at home before leaving again
GAP_SIGMA = 0.7

# ---------------------------------------------------------------------------------------------
# Destinations, sex, age
# ---------------------------------------------------------------------------------------------
# Share of journeys by destination. Thailand about 92 % of Cambodians abroad (MOLVT via Cambodia
# Daily [V]); 88 % of IPPMD emigrants (OECD 2017 [V]). MOLVT 31 Dec 2021 stock [V]: South Korea
# 45,866 (3.5 % [D]), Malaysia 23,027 (1.8 %), Japan 11,453 (0.9 %), Singapore 821, Hong Kong 202,
# Saudi Arabia 43; 2019 departures [V]: Thailand 57,823, Korea 5,938, Japan 3,945. Gulf (Kuwait,
# Qatar MOUs), Taiwan, China (forced-marriage route, MFA repatriations [V]), Viet Nam and Laos:
# small [P].
DESTINATION_SHARE: dict[str, float] = {
    "TH": 0.900, "KR": 0.035, "MY": 0.025, "JP": 0.018, "SG": 0.002, "HK": 0.002, "TW": 0.002,
    "SA": 0.002, "AE": 0.002, "QA": 0.002, "KW": 0.002, "CN": 0.004, "VN": 0.002, "LA": 0.002,
}
# Share of women by destination. Women are 40.6 % of the MOLVT 2021 stock [V/D] and 40 % of IPPMD
# emigrants [V]; Malaysia slightly more women, South Korea more men (OECD 2017 [V]); Hong Kong
# domestic helpers [V]; the rest [P].
WOMEN_SHARE: dict[str, float] = {
    "TH": 0.40, "KR": 0.25, "MY": 0.55, "JP": 0.40, "SG": 0.70, "HK": 0.95, "TW": 0.40,
    "SA": 0.80, "AE": 0.50, "QA": 0.20, "KW": 0.60, "CN": 0.85, "VN": 0.40, "LA": 0.40,
}
SEX_X_SHARE = 0.001  # [P]
# Age at first departure: truncated normal, mean 29, sd 8 ([P], calibration A4), on [15, 60]
# which gives about 4.5 % under 18 (child deportees were 7-11 % in 2015 [D]; agencies may not
# recruit minors [unverified], so minors go through informal channels).
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 29.0, 8.0, 15.0, 60.0
BIRTH_DATE_KNOWN = 0.8  # [P] else only the birth year is recorded

# ---------------------------------------------------------------------------------------------
# Recruitment channel, agencies, brokers, documents, fees and debt
# ---------------------------------------------------------------------------------------------
CHANNELS = ("licensed_agency", "mou", "broker", "family_friend", "own")
# Channel by destination. Fewer than a third of Cambodian migrants use regular channels (ILO/IOM
# Risks and rewards 2017 via IOM DTM 2020 [V]); calibration [P]: PRA/MOU 35 %, broker 45 %,
# family/friends/self 20 %. Thai MOU quotas go through licensed agencies (migra-info.org 2018
# [V]); South Korea is the government-to-government EPS (recorded as "mou", no agency) [V];
# Japan through licensed agencies [V]. Per-destination splits are [P].
CHANNEL_SHARE: dict[str, tuple[float, float, float, float, float]] = {
    #       licensed_agency, mou, broker, family_friend, own
    "TH": (0.05, 0.20, 0.45, 0.18, 0.12),
    "KR": (0.00, 0.85, 0.10, 0.00, 0.05),
    "JP": (0.85, 0.00, 0.10, 0.00, 0.05),
    "MY": (0.50, 0.00, 0.35, 0.10, 0.05),
    "SG": (0.70, 0.00, 0.20, 0.05, 0.05),
    "HK": (0.80, 0.00, 0.15, 0.00, 0.05),
    "TW": (0.50, 0.00, 0.40, 0.05, 0.05),
    "SA": (0.60, 0.00, 0.35, 0.00, 0.05),
    "AE": (0.60, 0.00, 0.35, 0.00, 0.05),
    "QA": (0.60, 0.00, 0.35, 0.00, 0.05),
    "KW": (0.60, 0.00, 0.35, 0.00, 0.05),
    "CN": (0.00, 0.00, 0.60, 0.30, 0.10),
    "VN": (0.00, 0.00, 0.20, 0.30, 0.50),
    "LA": (0.00, 0.00, 0.20, 0.30, 0.50),
}
# Women use regular channels more; irregular and deported flows lean male (31-36 % women among
# Poipet returnees 2015, 32 % in 2014 [D] against 40 % overall). [P] odds multiplier.
WOMEN_REGULAR_ODDS = 1.6
MINOR_REGULAR_KEEP = 0.1  # [P] minors on a regular channel stay there (else moved to informal)

# Brokers in the chain (n_brokers). Trafficked fishermen usually went through two or more Khmer
# and Thai brokers (UNIAP SIREN CB-03, 2009 [V]). [P]: broker channel 1 + Poisson(0.6); agency
# channels mostly none (provincial "satellite" brokers [V]); family/own rarely.
EXTRA_BROKERS_MEAN = 0.6
AGENCY_BROKER_SHARE = 0.2
FAMILY_BROKER_SHARE = 0.12
OWN_BROKER_SHARE = 0.04
MAX_BROKERS = 6

# Licensed recruitment agencies: 77 on the MOLVT list of May 2017 [V], about 100 at a 2022 ACRA/MAC
# event [V]; calibration [P]: 80-110 agencies, Zipf-like market share, some flagged.
N_AGENCIES = (85, 110)
AGENCY_ZIPF = 1.1
AGENCY_STATUS_SHARE = {"licensed": 0.70, "expired": 0.12, "unlicensed": 0.10,
                       "suspended": 0.04, "revoked": 0.04}  # [P]
UNLICENSED_MARKET_WEIGHT = 0.5  # [P]
SUB_LICENSEE_SHARE = 0.10  # [P] small firms working under a larger agency's licence [V qualitative]
# Destinations an agency may send to: the 2017 list covers Japan, Malaysia and Thailand [V].
AGENCY_DESTINATION_SHARE = {"TH": 0.9, "MY": 0.3, "JP": 0.2, "SG": 0.06, "HK": 0.06, "TW": 0.05,
                            "SA": 0.05, "AE": 0.05, "QA": 0.05, "KW": 0.05}
BROKERS_PER_JOURNEYS = 1 / 120  # [P] local brokers per commune: 2 + journeys/120
BROKER_AGENCY_LINK = 0.3  # [P] share of local brokers working for an agency
BROKER_INACTIVE = 0.2  # [P]

# Documents by regular (agency/MOU) versus informal channel. [P] consistent with 60-71 %
# documented among Cambodians in Thailand, many regularising after arrival [V].
DOCS_REGULAR = {"has_passport": 0.97, "has_visa": 0.93, "has_work_permit": 0.90,
                "has_border_pass": 0.02, "contract_seen": 0.85}
DOCS_INFORMAL = {"has_passport": 0.38, "has_visa": 0.10, "has_work_permit": 0.15,
                 "has_border_pass": 0.25, "contract_seen": 0.10}
PASSPORT_FAR = 0.98  # [P] beyond Thailand/Viet Nam/Laos a passport is almost always held

# Recruitment fees (log-normal: median, sigma). MOU/PRA route about US$650 vs irregular as little
# as US$30 (Mekong Migration Network [V]); calibration [P]: PRA median 450 (IQR 250-800 gives
# sigma 0.86), irregular median 60 (IQR 30-150, sigma 1.19), Korea/Japan 1,000-3,000.
FEE_REGULAR = (450.0, 0.86)
FEE_BROKER = (60.0, 1.19)
FEE_FAMILY = (40.0, 1.0)
FEE_OWN = (30.0, 1.0)
FEE_FAR = {"KR": (1200.0, 0.35), "JP": (2500.0, 0.35), "SA": (900.0, 0.5), "AE": (900.0, 0.5),
           "QA": (900.0, 0.5), "KW": (900.0, 0.5), "TW": (1500.0, 0.5), "HK": (1000.0, 0.5),
           "SG": (1000.0, 0.5)}
# Debt at departure for 50-60 % of migrants (calibration [P]); more on costlier routes.
DEBT_SHARE = {"licensed_agency": 0.65, "mou": 0.65, "broker": 0.55, "family_friend": 0.40,
              "own": 0.30}
DEBT_OF_FEE = (0.5, 1.3)  # [P] debt = fee x Uniform(0.5, 1.3)

# ---------------------------------------------------------------------------------------------
# Sectors by destination and sex (IOM DTM 2020, IOM/ARCM 2019, MOLVT [V] for which sectors;
# the shares are [P]).
# ---------------------------------------------------------------------------------------------
SECTORS = ("agriculture", "fishing", "construction", "manufacturing", "domestic_work",
           "hospitality", "entertainment", "services", "other")
_S = dict[str, float]
SECTOR_SHARE: dict[str, tuple[_S, _S]] = {  # (men, women)
    "TH": ({"construction": 0.30, "agriculture": 0.24, "fishing": 0.12, "manufacturing": 0.18,
            "services": 0.10, "hospitality": 0.02, "other": 0.04},
           {"agriculture": 0.25, "manufacturing": 0.28, "construction": 0.15,
            "domestic_work": 0.10, "services": 0.10, "hospitality": 0.06, "entertainment": 0.04,
            "other": 0.02}),
    "KR": ({"manufacturing": 0.60, "agriculture": 0.28, "construction": 0.06, "fishing": 0.06},
           {"manufacturing": 0.60, "agriculture": 0.40}),
    "JP": ({"manufacturing": 0.70, "agriculture": 0.15, "construction": 0.10, "services": 0.05},
           {"manufacturing": 0.75, "agriculture": 0.15, "services": 0.10}),
    "MY": ({"manufacturing": 0.50, "construction": 0.30, "agriculture": 0.20},
           {"domestic_work": 0.45, "manufacturing": 0.45, "services": 0.10}),
    "SG": ({"construction": 0.7, "services": 0.3}, {"domestic_work": 0.9, "services": 0.1}),
    "HK": ({"construction": 0.5, "services": 0.5}, {"domestic_work": 0.95, "services": 0.05}),
    "TW": ({"manufacturing": 0.6, "fishing": 0.3, "construction": 0.1},
           {"manufacturing": 0.6, "domestic_work": 0.4}),
    "SA": ({"construction": 0.6, "services": 0.3, "other": 0.1},
           {"domestic_work": 0.85, "services": 0.15}),
    "CN": ({"manufacturing": 0.4, "construction": 0.3, "services": 0.3},
           {"manufacturing": 0.3, "entertainment": 0.2, "services": 0.2, "other": 0.3}),
    "VN": ({"agriculture": 0.4, "construction": 0.3, "services": 0.3},
           {"agriculture": 0.4, "services": 0.4, "hospitality": 0.2}),
}
for _gulf in ("AE", "QA", "KW"):
    SECTOR_SHARE[_gulf] = SECTOR_SHARE["SA"]
SECTOR_SHARE["LA"] = SECTOR_SHARE["VN"]

# ---------------------------------------------------------------------------------------------
# Exploitation: the planted logistic model of forced labour (ICLS 2018) and its odds ratios
# ---------------------------------------------------------------------------------------------
# Conditional odds ratios (given province and commune effects). Calibration [P]: fishing about 3
# (UNIAP: seafarers highest, 31 %; UN-ACT 2015: fishing boats the strongest predictor [V]);
# informal broker vs licensed agency about 2.5; each extra broker about 1.4 (risk rising with each
# broker, 2011 assessment citing UNIAP [V qualitative]); debt about 1.8 (debt bondage 75 % among
# fishers, IJM 2017 [V]); female about 0.8 (men more often in the worst situations, UNIAP [V]; no
# significant gender effect in UN-ACT 2015 [V], so small). The rest are [P].
ODDS_RATIOS: dict[str, float] = {
    "n_brokers": 1.4,  # per broker in the chain
    "channel[mou]": 0.8,  # reference: licensed_agency
    "channel[broker]": 2.5,
    "channel[family_friend]": 1.5,
    "channel[own]": 1.3,
    "agency_irregular": 2.0,  # agency not licensed at departure (expired/suspended/revoked/unlicensed)
    "destination_country[MY]": 1.4,  # reference: TH
    "destination_country[KR]": 0.5,
    "destination_country[JP]": 0.6,
    "destination_country[gulf]": 2.0,  # SA, AE, QA, KW
    "destination_country[CN]": 2.5,
    "sector[fishing]": 3.0,  # reference: every other sector
    "sector[domestic_work]": 1.8,
    "sector[entertainment]": 2.0,
    "sector[construction]": 1.3,
    "female": 0.8,  # sex == "F"
    "minor": 2.0,  # age at departure < 18
    "debt": 1.8,  # debt_usd > 0
    "no_passport": 1.5,  # has_passport == 0
    "departure_year": 0.96,  # per year after 2015 (conditions improving, UN-ACT 2015 [V])
}
GULF = ("SA", "AE", "QA", "KW")
IRREGULAR_AGENCY_STATUSES = ("expired", "suspended", "revoked", "unlicensed")
# Intercept on the logit scale (the reference: licensed agency, 0 brokers, Thailand, agriculture,
# man, adult, no debt, passport, 2015, province and commune effects 0). [P] chosen so that about
# 15 % of returned journeys are forced labour nationally (calibration [P] about 12 %, range
# 5-25 %; IJM/NORC 2022: 40 % of returned migrants by ILO indicators [V]).
INTERCEPT = -3.45
PROVINCE_EFFECT_SD = 0.3  # [P] calibration suggests 0.4-0.6 before the cluster
PROVINCE_EFFECT_CLIP = 0.6
COMMUNE_EFFECT_SD = 0.25  # [P] about 0.3 in the calibration notes
# The spatial cluster: four neighbouring north-west border provinces (Banteay Meanchey borders
# Battambang, Siem Reap and Oddar Meanchey), +0.8 on the logit scale (calibration [P]).
CLUSTER_PROVINCES = ("01", "02", "17", "22")
CLUSTER_EFFECT = 0.8
# Marginal (population-averaged) log ORs are attenuated by 1/sqrt(1 + c^2 sd^2) over the commune
# effect, c^2 = 0.346 (Zeger, Liang & Albert 1988): factor 0.989 here.
ATTENUATION_C2 = (16 * math.sqrt(3) / (15 * math.pi)) ** 2

# Indicators given the latent forced-labour status. [P] throughout; the rule (any involuntariness
# AND any coercion) is the ICLS 2018 definition.
MEANS_GIVEN_FL = 0.75  # deception or abuse of vulnerability present among forced labour
MEANS_KIND = {"deception": 0.5, "abuse_of_vulnerability": 0.25, "both": 0.25}
INDICATOR_P_FL = {
    "ind_abusive_conditions": 0.6, "ind_excessive_overtime": 0.7,
    "ind_restriction_of_movement": 0.35, "ind_isolation": 0.2,
    "ind_physical_sexual_violence": 0.15, "ind_intimidation_threats": 0.35,
    "ind_retention_of_documents": 0.35, "ind_withholding_wages": 0.4,
    "ind_debt_bondage": 0.3,
}
DEBT_BONDAGE_WITH_DEBT = 0.5
NOT_FL_PATTERN = {"clean": 0.5, "involuntary_only": 0.3, "coercion_only": 0.2}
INDICATOR_P_NOT_FL = {
    "ind_deception": 0.3, "ind_abusive_conditions": 0.5, "ind_excessive_overtime": 0.6,
    "ind_abuse_of_vulnerability": 0.2, "ind_restriction_of_movement": 0.2, "ind_isolation": 0.1,
    "ind_physical_sexual_violence": 0.05, "ind_intimidation_threats": 0.2,
    "ind_retention_of_documents": 0.3, "ind_withholding_wages": 0.3, "ind_debt_bondage": 0.1,
}
# Exploitation type. Sexual exploitation in entertainment, forced marriage of women taken to
# China (MFA repatriations [V]).
SEXUAL_GIVEN_FL_ENTERTAINMENT = 0.6
FORCED_MARRIAGE_GIVEN_FL_CN_WOMAN = 0.5
OTHER_GIVEN_FL = 0.03
SEXUAL_NOT_FL_ENTERTAINMENT = 0.08
FORCED_MARRIAGE_NOT_FL_CN_WOMAN = 0.2
MEANS_GIVEN_SEX_OR_MARRIAGE = 0.7  # deception or abuse of vulnerability, without forced labour

# ---------------------------------------------------------------------------------------------
# Returns, referrals
# ---------------------------------------------------------------------------------------------
# Return mode given forced labour and channel. Deportations through Poipet 55,000-89,000 a year
# [V]; [P] shares.
RETURN_MODE = ("voluntary", "deported", "rescued", "escaped", "died_abroad")
RETURN_MODE_SHARE = {
    "regular": (0.95, 0.045, 0.0, 0.0, 0.005),
    "irregular": (0.70, 0.295, 0.0, 0.0, 0.005),
    "forced_labour": (0.45, 0.25, 0.15, 0.14, 0.01),
}
INDICATORS_ASKED = 0.6  # [P] share of return records where the indicator module was asked
INDICATOR_ITEM_MISSING = 0.01  # [P] one indicator left blank in an asked module
REFERRAL_P = {"trafficking": 0.4, "forced_labour": 0.25, "other": 0.02}  # [P]
REFERRAL_SERVICE = {"mosvy": 0.35, "ngo": 0.30, "police": 0.15, "health": 0.10, "legal": 0.10}
REFERRAL_STATUS = {"referred": 0.3, "received": 0.4, "closed": 0.25, "declined": 0.05}

# ---------------------------------------------------------------------------------------------
# Realistic mess
# ---------------------------------------------------------------------------------------------
MISSING = {"fee_usd": 0.15, "debt_usd": 0.20, "has_passport": 0.05, "has_visa": 0.08,
           "has_work_permit": 0.08, "has_border_pass": 0.10, "contract_seen": 0.10,
           "n_brokers": 0.05, "sector": 0.03, "destination_place": 0.2, "job_promised": 0.3,
           "job_done": 0.3}  # [P]
NATIONAL_ID_RECORDED = 0.7  # [P]
# Fields of schema 0003 (drawn from their own stream, see records._follow_up_fields)
CONSENT_ASKED = 0.97  # [P] consent to be registered recorded (yes) for most persons
PLANNED_MONTHS = (6, 12, 18, 24, 36)  # [P] planned stay through informal channels
CONTRACT_MONTHS = 24  # [P] agency and MoU contracts: two years, the usual first contract
REGULAR_CHANNELS = ("licensed_agency", "mou")
PLANNED_MISSING = 0.3  # [P] planned stay not recorded
RECORD_DELAY_DAYS = 20.0  # [P] mean delay between the event and its entry
LATE_ENTRY = 0.08  # [P] entered 6 months to 3 years later
LATE_ENTRY_DAYS = (180, 1000)
NAME_TYPO = 0.05  # [P] typo in the register's copy of a name
COMMUNE_KHMER_SCRIPT = 0.7  # [P] share of commune clerks who type names in Khmer script
# The same person registered in two communes of one province: [P]
DUPLICATE_COMMUNE_SHARE = 0.25  # communes that hold copies of people from another commune
DUPLICATES_PER_COMMUNE = (1, 3)
DUPLICATE_NAME_TYPO = 0.7
DUPLICATE_ID_MISSING = 0.4
DUPLICATE_MOVED = 0.5  # the copy gives a home village in the registering commune

# ---------------------------------------------------------------------------------------------
# Multiple systems estimation: service lists. The victims are the people with at least one
# returned journey that is trafficking (latent truth) whose home is in the chosen provinces.
# [P]; police and NGO positively dependent (police refer to NGO shelters).
# ---------------------------------------------------------------------------------------------
P_MOSVY = 0.10
P_POLICE = 0.06
P_NGO_GIVEN_POLICE = 0.45
P_NGO_GIVEN_NOT_POLICE = 0.10
LIST_NAME_TYPO = {"mosvy": 0.10, "police": 0.20, "ngo": 0.15}
LIST_NATIONAL_ID = {"mosvy": 0.5, "police": 0.6, "ngo": 0.2}
LIST_BIRTH_DATE = {"mosvy": 0.7, "police": 0.0, "ngo": 0.3}
LIST_BIRTH_YEAR_ERROR = {"mosvy": 0.02, "police": 0.08, "ngo": 0.10}
LIST_COMMUNE_MISSING = {"mosvy": 0.1, "police": 0.3, "ngo": 0.2}
LIST_SCRIPT_KHMER = {"mosvy": 0.8, "police": 0.3, "ngo": 0.2}

# ---------------------------------------------------------------------------------------------
# Scenarios: knobs that make the data harder for the estimators (issue 15.6; ``scenario``).
# Every knob is off by default, and a knob that is off changes no draw: the default data of a
# seed are the same with or without this section. The values below are the settings of the named
# scenarios, chosen [P] to be strong enough to show a bias, within what the literature reports.
# ---------------------------------------------------------------------------------------------
# Latent catchability shared by the four sources: a victim's capture log-odds on every list (and
# the log-odds that the register asked the indicators) move by sd x u, u ~ N(0, 1). A logit SD
# of 0.8-1 is what issue 15 measured as biasing log-linear estimates by -28% to -48%; 1.0 [P].
HETEROGENEITY_SD = 1.0
# Referral between services: being on the referring list adds this log-odds ratio to being on
# the list referred to (register -> MOSVY, MOSVY -> police, MOSVY -> NGO; police -> NGO is
# planted already). 1.5 (odds ratio 4.5) [P], near the planted police:NGO odds ratio (7.4).
REFERRAL_LOG_OR = 1.5
# Open population over the decade the lists cover: a victim enters at the return of the first
# trafficking journey and leaves the area (migrates again, moves, dies) at this rate per year
# [P]; each list covers its own years [P] (a police database started in 2019, an NGO project that
# ended in 2020) and catches a person with probability 1 - (1 - p)^(years exposed / reference).
CHURN_EXIT_RATE = 0.3
LIST_YEARS = {"mosvy": (2015, 2025), "police": (2019, 2025), "ngo": (2015, 2020)}
CHURN_REFERENCE_YEARS = 3.0
# Indicators missing not at random: the log-odds that the indicator module is asked move by this
# for forced-labour journeys (victims avoid the clerk or are not asked), and the log-odds that an
# item is left blank move by the item log-odds ratio when the indicator is present (shame). [P]
MNAR_ASKED_LOG_OR = -1.0
MNAR_ITEM_LOG_OR = 2.0
# Return that depends on the outcome: a share of forced-labour journeys that were a person's last
# do not come back within the data window (held, still abroad, died). [P]
RETURN_FL_STAY = 0.4
