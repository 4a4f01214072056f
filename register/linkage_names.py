"""Names for record linkage (see ``register.linkage``): folded, and reduced to a consonant skeleton.

Khmer names are written in Khmer script or in one of several Latin transliterations. Within a
script a name is compared after folding (Latin: lowercase ASCII letters; Khmer: its letters and
signs; no spaces); across scripts by a rough consonant *skeleton* shared by Khmer script and its
usual transliterations (``សុខ ដារ៉ា`` and ``Sok Dara`` both give ``sktr``). The skeleton is a
heuristic: it misses words whose spelling and sound part ways (``ចន្ទនារី``/``Channary``: the ``ទ``
is silent).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise_name", "word_keys"]

# Khmer consonants U+1780..U+17A2 -> consonant class ('-' = none: the vowel carrier អ).
# k: ក ខ គ ឃ; g (ng): ង; c: ច ឆ ជ ឈ; j (nh): ញ; t: ដ ឋ ឌ ឍ ត ថ ទ ធ; n: ណ ន; p: ប ផ ព ភ; m y r l v;
# s: ឝ ឞ ស; h: ហ; l: ឡ.
_KM_CLASS = dict(zip((chr(c) for c in range(0x1780, 0x17A3)), "kkkkgccccjttttnttttnppppmyrlvssshl-",
                     strict=True))
_KM_CLASS.update({"\u17ab": "r", "\u17ac": "r", "\u17ad": "l", "\u17ae": "l", "\u17c6": "m"})
_KM_SILENT_FINAL = re.compile("\u17d2?\u179a[\u17c9-\u17d1]*$")  # final រ or ្រ, no vowel after
# Digraphs become upper-case placeholders so that the single-letter mapping leaves them alone.
_LATIN_DIGRAPHS = (("chh", "C"), ("ch", "C"), ("kh", "K"), ("th", "T"), ("ph", "P"), ("ng", "G"),
                   ("nh", "J"), ("sh", "S"), ("gh", "K"))
_LATIN_SINGLE = str.maketrans("jfbdgqcxzw", "cpptkkkssv")
_LATIN_FINAL_R = re.compile("(?<=[aeiouy])r$")
_SPLIT = re.compile("[\\s\u200b\u200c\u200d\u17d4-\u17da.,;:/_\\-]+")


def _is_khmer(ch: str) -> bool:
    return "\u1780" <= ch <= "\u17dd"


def _token_skeleton(token: str) -> str:
    if any(_is_khmer(ch) for ch in token):
        token = _KM_SILENT_FINAL.sub("", token) if len(token) > 1 else token
        classes = [_KM_CLASS.get(ch, "") for ch in token]
    else:
        token = _LATIN_FINAL_R.sub("", token)
        for digraph, cls in _LATIN_DIGRAPHS:
            token = token.replace(digraph, cls)
        classes = [("" if ch in "aeiou" else ch) for ch in token.translate(_LATIN_SINGLE)]
    # y, v (w) and h are consonants only at the start of a word; later they spell vowels.
    return "".join(c for i, c in enumerate(classes)
                   if c not in ("-", "") and (i == 0 or c not in "yvh")).lower()


@lru_cache(maxsize=200_000)
def normalise_name(name: str | None) -> tuple[str | None, str | None, str | None]:
    """``(fold, script, skeleton)`` of a name written in Khmer script or Latin letters.

    ``fold`` keeps the letters only (Latin lowercased and stripped of accents; no spaces or
    punctuation); ``script`` is ``"km"`` or ``"la"``; ``skeleton`` is the consonant skeleton shared
    by Khmer script and its usual transliterations. All three are None when nothing is left.

    >>> normalise_name("Sok  Dara")
    ('sokdara', 'la', 'sktr')
    >>> normalise_name("សុខ ដារ៉ា")[1:]
    ('km', 'sktr')
    """
    kept = _words(name)
    if not kept:
        return None, None, None
    fold = "".join(kept)
    script = "km" if any(_is_khmer(ch) for ch in fold) else "la"
    return fold, script, _skeleton(kept)


@lru_cache(maxsize=200_000)
def word_keys(name: str | None) -> tuple[str | None, str | None]:
    """The skeletons of a name's first word and of the rest (None for a one-word name).

    For blocking (``register.linkage``): a typo or an odd transliteration usually changes one word,
    so records sharing one word's skeleton, birth year and place may still be one person.

    >>> word_keys("Sok  Dara")
    ('sk', 'tr')
    """
    kept = _words(name)
    return (_skeleton(kept[:1]), _skeleton(kept[1:])) if kept else (None, None)


def _words(name: str | None) -> list[str]:
    """The words of a name, lowercased, keeping Khmer and ASCII letters only."""
    if not name:
        return []
    text = unicodedata.normalize("NFKD", str(name)).lower()
    kept = ["".join(ch for ch in t if _is_khmer(ch) or "a" <= ch <= "z") for t in _SPLIT.split(text)]
    return [t for t in kept if t]


def _skeleton(words: list[str]) -> str | None:
    return re.sub(r"(.)\1+", r"\1", "".join(_token_skeleton(t) for t in words)) or None
