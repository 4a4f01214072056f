"""Synthetic Khmer names, in Khmer script and Latin transliteration, and the typos clerks make.

Names are drawn from short lists of common Khmer family names and given names (no real person is
meant); a full name is ``FAMILY GIVEN``, the Khmer order. :func:`romanize` turns a name written in
either script into the Latin form used by record linkage, and tolerates typos in Khmer script by
matching each word to the nearest known word.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

# (Khmer script, Latin) pairs.
FAMILY: tuple[tuple[str, str], ...] = (
    ("សុខ", "Sok"), ("ចាន់", "Chan"), ("គីម", "Kim"), ("ហេង", "Heng"), ("មាស", "Meas"),
    ("ជា", "Chea"), ("កែវ", "Keo"), ("ពេជ្រ", "Pich"), ("លី", "Ly"), ("សំ", "Sam"),
    ("ម៉ៅ", "Mao"), ("ប្រាក់", "Prak"), ("អ៊ុក", "Ouk"), ("រស់", "Ros"), ("សេង", "Seng"),
    ("ឡុង", "Long"), ("ប៉ែន", "Pen"), ("ទេព", "Tep"), ("ខៀវ", "Khiev"), ("ទូច", "Touch"),
    ("ឈឹម", "Chhim"), ("លឹម", "Lim"), ("នូវ", "Nov"), ("យឹម", "Yim"), ("ស៊ីម", "Sim"),
    ("អ៊ឹម", "Em"), ("ហែម", "Hem"), ("ស៊ុន", "Sun"), ("ផាន", "Phan"), ("ឆាយ", "Chhay"),
    ("នួន", "Nuon"), ("វ៉ាន់", "Vann"), ("សាយ", "Say"),
)
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("ដារ៉ា", "Dara"), ("សុខា", "Sokha"), ("វិបុល", "Vibol"), ("រិទ្ធី", "Rithy"),
    ("សុផល", "Sophal"), ("វីរៈ", "Virak"), ("សំណាង", "Samnang"), ("វណ្ណា", "Vanna"),
    ("កុសល", "Kosal"), ("សុវណ្ណ", "Sovann"), ("ពិសិដ្ឋ", "Piseth"), ("ប៊ុនធឿន", "Bunthoeun"),
    ("ចន្ថា", "Chantha"), ("សុធា", "Sothea"), ("វិសាល", "Visal"), ("មករា", "Makara"),
    ("ណារិទ្ធ", "Narith"), ("ភក្តី", "Pheakdey"), ("សម្បត្តិ", "Sambath"), ("វុទ្ធី", "Vuthy"),
)
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("ស្រីមុំ", "Sreymom"), ("សុភា", "Sophea"), ("ចន្ទនារី", "Channary"), ("បុប្ផា", "Bopha"),
    ("ស្រីនាង", "Sreyneang"), ("ដាលីស", "Dalis"), ("កញ្ញា", "Kanha"), ("ធីតា", "Thida"),
    ("ចិន្តា", "Chenda"), ("ម៉ាលី", "Maly"), ("ស្រីល័ក្ខ", "Sreyleak"), ("វណ្ណី", "Vanny"),
    ("ផល្លា", "Phalla"), ("រស្មី", "Raksmey"), ("សុគន្ធា", "Sokunthea"), ("ស្រីពៅ", "Sreypov"),
    ("សុធី", "Sothy"), ("លក្ខិណា", "Leakhena"), ("សុខនី", "Sokny"), ("នារី", "Nary"),
)
# Other transliterations in common use, which a clerk may write instead of the usual one.
LATIN_VARIANTS: dict[str, tuple[str, ...]] = {
    "Sok": ("Sokh",), "Chan": ("Chann", "Chanh"), "Chea": ("Chear",), "Keo": ("Kaev", "Keu"),
    "Pich": ("Pech", "Pheach"), "Ly": ("Lee",), "Mao": ("Mau",), "Heng": ("Hing",),
    "Meas": ("Mias",), "Sokha": ("Sokhar",), "Dara": ("Darah",), "Rithy": ("Rithey",),
    "Sophea": ("Sopheap", "Sophia"), "Channary": ("Chanary",), "Bopha": ("Bophar",),
    "Thida": ("Theda",), "Vanna": ("Vana",), "Sovann": ("Sovan",), "Piseth": ("Pisith",),
    "Raksmey": ("Reaksmey", "Raksmei"), "Sreymom": ("Srey Mom",), "Sreypov": ("Srey Pov",),
}
_KM_TO_LATIN = dict(FAMILY + GIVEN_MALE + GIVEN_FEMALE)
_LATIN_CANON = {latin.lower(): latin for latin in _KM_TO_LATIN.values()}
for _canon, _variants in LATIN_VARIANTS.items():
    for _variant in _variants:
        _LATIN_CANON[_variant.lower().replace(" ", "")] = _canon
_KM_WORDS = list(_KM_TO_LATIN)
_LATIN_LETTERS = "aeiouhnkstrmpc"


_FAM_KM = np.array([f"{km} " for km, _ in FAMILY], dtype=object)
_FAM_LATIN = np.array([f"{latin} " for _, latin in FAMILY], dtype=object)
_GM_KM = np.array([km for km, _ in GIVEN_MALE], dtype=object)
_GM_LATIN = np.array([latin for _, latin in GIVEN_MALE], dtype=object)
_GF_KM = np.array([km for km, _ in GIVEN_FEMALE], dtype=object)
_GF_LATIN = np.array([latin for _, latin in GIVEN_FEMALE], dtype=object)


def draw_names(rng: np.random.Generator, female: np.ndarray) -> tuple[list[str], list[str]]:
    """Draw one full name per person; return (Khmer script, Latin) lists of the same length.

    ``female`` is a boolean array; people of sex X get a name from either list.
    """
    n = len(female)
    fam = rng.integers(0, len(FAMILY), n)
    gm = rng.integers(0, len(GIVEN_MALE), n)
    gf = rng.integers(0, len(GIVEN_FEMALE), n)
    km = _FAM_KM[fam] + np.where(female, _GF_KM[gf], _GM_KM[gm])
    latin = _FAM_LATIN[fam] + np.where(female, _GF_LATIN[gf], _GM_LATIN[gm])
    return km.tolist(), latin.tolist()


def _latin_typo(name: str, kind: int, pos: float, pick: float) -> str:
    words = name.split(" ")
    w = min(int(pos * len(words)), len(words) - 1)
    word = words[w]
    if kind == 0 and word in LATIN_VARIANTS:  # another transliteration
        options = LATIN_VARIANTS[word]
        words[w] = options[min(int(pick * len(options)), len(options) - 1)]
        return " ".join(words)
    i = 1 + min(int(pick * (len(word) - 1)), len(word) - 2) if len(word) > 2 else 0
    if kind <= 1:  # drop a letter
        word = word[:i] + word[i + 1:]
    elif kind == 2:  # double a letter
        word = word[:i] + word[i] + word[i:]
    elif kind == 3 and i + 1 < len(word):  # swap two letters
        word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    else:  # a wrong letter
        word = word[:i] + _LATIN_LETTERS[int(pick * 997) % len(_LATIN_LETTERS)] + word[i + 1:]
    words[w] = word
    return " ".join(words)


def _khmer_typo(name: str, kind: int, pos: float, pick: float) -> str:
    words = name.split(" ")
    w = min(int(pos * len(words)), len(words) - 1)
    word = words[w]
    if len(word) < 2:
        return name
    i = 1 + min(int(pick * (len(word) - 1)), len(word) - 2)
    if kind <= 1:  # a sign left out
        word = word[:i] + word[i + 1:]
    elif kind == 2:  # a sign typed twice
        word = word[:i] + word[i] + word[i:]
    elif i + 1 < len(word):  # two signs swapped
        word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    words[w] = word
    return " ".join(words)


def add_typos(rng: np.random.Generator, names: Sequence[str], rate: float) -> list[str]:
    """Return a copy of ``names`` where each name has a typo with probability ``rate``.

    A typo is another usual transliteration, a dropped, doubled or swapped letter (or Khmer sign),
    or a wrong letter. The draws are vectorised; only the changed names are touched in Python.
    """
    out = list(names)
    n = len(out)
    hit = np.flatnonzero(rng.random(n) < rate)
    kinds = rng.integers(0, 5, len(hit)).tolist()
    pos = rng.random(len(hit)).tolist()
    pick = rng.random(len(hit)).tolist()
    for k, i in enumerate(hit.tolist()):
        name = out[i]
        if name and name[0].isascii():
            out[i] = _latin_typo(name, kinds[k], pos[k], pick[k])
        elif name:
            out[i] = _khmer_typo(name, kinds[k], pos[k], pick[k])
    return out


def romanize(name: str | None) -> str | None:
    """Latin form of a synthetic name written in Khmer script or Latin letters.

    Each Khmer word is looked up in the name lists, or matched to the closest listed word when
    it carries a typo; Latin words in a known variant spelling become the usual spelling. Words
    that match nothing are kept as they are (so a typo in Latin letters stays visible to the
    linkage). Only meant for the names this module makes.
    """
    if name is None:
        return None
    out = []
    for word in name.split():
        if word in _KM_TO_LATIN:
            out.append(_KM_TO_LATIN[word])
        elif not word.isascii():
            close = difflib.get_close_matches(word, _KM_WORDS, n=1, cutoff=0.5)
            out.append(_KM_TO_LATIN[close[0]] if close else word)
        else:
            out.append(_LATIN_CANON.get(word.lower(), word))
    # "Srey Mom" written in two words is one given name.
    text = " ".join(out)
    for canon, variants in LATIN_VARIANTS.items():
        for variant in variants:
            if " " in variant and variant in text:
                text = text.replace(variant, canon)
    return text
