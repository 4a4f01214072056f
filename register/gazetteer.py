"""Cambodia's administrative gazetteer: NCDD codes and names (Khmer and Latin).

The register keys every place on the NCDD gazetteer codes (province 2 digits, district 4,
commune 6, village 8). The data ship inside the package, one folder per gazetteer *version*
under ``register/data/gazetteer/`` (see the README there for sources, licence and how to add a
version). ``load_gazetteer()`` reads the current version once and caches it; it needs only the
standard library, so the clerk's command starts quickly.

Communes are split, merged and renamed by sub-decree. A new gazetteer version gets a new folder,
and ``changes.csv`` lists every code that changed between two versions, with the legal
reference, so that ``successors()`` can map a code recorded under an old version to the
code(s) that replace it.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path

from register.errors import RegisterError, UnknownCodeError
from register.i18n import language, t

CURRENT_VERSION = "ncdd_2024-10-14"
DATA_DIR = Path(__file__).resolve().parent / "data" / "gazetteer"
CHANGES_FILE = DATA_DIR / "changes.csv"

LEVELS = ("province", "district", "commune", "village")
_LEVEL_OF_LENGTH = {2: "province", 4: "district", 6: "commune", 8: "village"}
_LENGTH_OF_LEVEL = {level: n for n, level in _LEVEL_OF_LENGTH.items()}
_LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
_FILES = {"district": "districts.csv", "commune": "communes.csv", "village": "villages.csv"}
_CODE_COLUMN = {"province": "adm1_code", "district": "adm2_code", "commune": "adm3_code",
                "village": "adm4_code"}

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_DROP = str.maketrans("", "", _ZERO_WIDTH)
# Removed before comparing names: spaces, hyphens, apostrophes, punctuation, zero-width marks
# and (after NFKD) the Latin combining accents.
_FOLD_DROP = str.maketrans("", "", " \t\r\n-\u2010\u2011\u2013\u2014_'\u2019`.,()/;:"
                           + _ZERO_WIDTH + "".join(map(chr, range(0x0300, 0x0370))))
# Khmer spellings that look the same: subscript DA / subscript TA, and the two forms of "O".
_KHMER_VARIANTS = (("\u17d2\u178a", "\u17d2\u178f"), ("\u17b2", "\u17b1"))
_TYPE_WORDS_KM = ("រាជធានី", "ខេត្ត", "ក្រុង", "ស្រុក", "ខណ្ឌ", "ឃុំ", "សង្កាត់", "ភូមិ")
_TYPE_WORDS_LATIN = frozenset({
    "province", "capital", "khett", "khaet", "district", "srok", "krong", "khan", "municipality",
    "commune", "khum", "sangkat", "quarter", "village", "phum", "phoum"})
_PROVINCE_TYPES = {"province": "ខេត្ត", "capital": "រាជធានី"}
_CAPITAL_CODES = frozenset({"12"})  # Phnom Penh


@dataclass(frozen=True, slots=True)
class Place:
    """One administrative unit of the gazetteer."""

    code: str
    level: str  # 'province' | 'district' | 'commune' | 'village'
    name_km: str
    name_en: str
    parent_code: str | None
    type_en: str  # e.g. 'khum (commune)', 'sangkat (quarter)', 'phum (village)', 'capital'
    type_km: str = ""  # e.g. 'ឃុំ', 'សង្កាត់', 'ភូមិ', 'រាជធានី'


class GazetteerVersionError(RegisterError, LookupError):
    """The requested gazetteer version is not shipped with this program."""


class LevelError(RegisterError, ValueError):
    """A level that is not province, district, commune or village."""


class GazetteerDataError(RegisterError, ValueError):
    """A gazetteer or changes file is malformed (duplicate codes, orphans, bad columns)."""


def normalise_code(code: object) -> str:
    """Strip whitespace and turn Khmer digits (០-៩) into ASCII digits."""
    return str(code).strip().translate(_KHMER_DIGITS)


def code_level(code: object) -> str:
    """The level implied by a code's length; raises UnknownCodeError if it cannot be a code."""
    norm = normalise_code(code)
    level = _LEVEL_OF_LENGTH.get(len(norm)) if norm.isdigit() and norm.isascii() else None
    if level is None:
        raise _error(code, norm, None, _format_problem(code, norm))
    return level


def _check_level(level: str | None) -> None:
    if level is not None and level not in _LENGTH_OF_LEVEL:
        raise LevelError(t("gazetteer.unknown_level", level=level, levels=", ".join(LEVELS)))


def _format_problem(code: object, norm: str) -> str:
    msg = t("gazetteer.not_a_code", code=repr(str(code)))
    if norm.isdigit() and len(norm) in (1, 3, 5, 7):
        msg += t("gazetteer.lost_zero", n=len(norm))
    return msg


def _error(code: object, norm: str, level: str | None, message: str) -> UnknownCodeError:
    err = UnknownCodeError(message)
    err.code = norm  # type: ignore[attr-defined]
    err.level = level  # type: ignore[attr-defined]
    return err


def _clean(text: str) -> str:
    """NFC, no zero-width marks, single spaces, trimmed (the source has a few stray ones)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if any(ch in text for ch in _ZERO_WIDTH):
            text = text.translate(_ZERO_WIDTH_DROP)
    if "  " in text or text[:1].isspace() or text[-1:].isspace():
        text = " ".join(text.split())
    return text


def fold(text: str) -> str:
    """The key names are compared on: case-, space-, hyphen- and accent-insensitive; Khmer NFC."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD_DROP)
    if not text.isascii():  # accents off Latin letters; Khmer has no decompositions
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text)
                                     .translate(_FOLD_DROP))
        for old, new in _KHMER_VARIANTS:
            text = text.replace(old, new)
    return text.casefold()


def _query_keys(query: str) -> list[str]:
    """The folded query, plus a variant without a leading/trailing type word ('srok', 'ឃុំ')."""
    keys = [fold(query)]
    words = query.split()
    if len(words) > 1:
        kept = [w for w in words if w.casefold().strip(".") not in _TYPE_WORDS_LATIN]
        if kept and len(kept) < len(words):
            keys.append(fold(" ".join(kept)))
    stripped = unicodedata.normalize("NFC", query).strip()
    for word in _TYPE_WORDS_KM:
        if stripped.startswith(word) and fold(stripped[len(word):]):
            keys.append(fold(stripped[len(word):]))
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]


class Gazetteer:
    """All places of one gazetteer version, looked up by code or name."""

    def __init__(self, version: str, places: list[Place]) -> None:
        self.version = version
        self._places: dict[str, Place] = {}
        self._children: dict[str | None, list[Place]] = {}
        self._by_level: dict[str, list[Place]] = {level: [] for level in LEVELS}
        for place in places:
            if place.code in self._places:
                raise GazetteerDataError(t("gazetteer.duplicate", version=version,
                                           code=place.code))
            if _LEVEL_OF_LENGTH.get(len(place.code)) != place.level:
                raise GazetteerDataError(t("gazetteer.wrong_level", version=version,
                                           code=place.code, level=place.level))
            self._places[place.code] = place
            self._children.setdefault(place.parent_code, []).append(place)
            self._by_level[place.level].append(place)
        for level_places in self._by_level.values():
            level_places.sort(key=lambda p: p.code)
        for parent, kids in self._children.items():
            if parent is not None and parent not in self._places:
                raise GazetteerDataError(t("gazetteer.orphan", version=version,
                                           level=kids[0].level, code=kids[0].code, parent=parent))
            kids.sort(key=lambda p: p.code)
        self._index: dict[str, tuple[str, ...]] | None = None

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self._by_level[lv])} {lv}s" for lv in LEVELS)
        return f"<Gazetteer {self.version}: {counts}>"

    def __len__(self) -> int:
        return len(self._places)

    def __contains__(self, code: object) -> bool:
        return self.exists(code)  # type: ignore[arg-type]

    # -- lookup by code ------------------------------------------------------------------------
    def get(self, code: str, level: str | None = None) -> Place:
        """The place with this code (Khmer digits accepted). ``level`` optionally demands a level.

        Raises UnknownCodeError naming the code, the level expected and, when useful, the
        nearest existing parent.
        """
        _check_level(level)
        norm = normalise_code(code)
        place = self._places.get(norm)
        if place is not None and (level is None or place.level == level):
            return place
        implied = _LEVEL_OF_LENGTH.get(len(norm)) if norm.isdigit() and norm.isascii() else None
        if implied is None:
            problem = _format_problem(code, norm)
            if level is not None:
                problem += t("gazetteer.level_digits", level=t(f"level.{level}"),
                             n=_LENGTH_OF_LEVEL[level])
            raise _error(code, norm, level, problem)
        if level is not None and implied != level:
            raise _error(code, norm, level, t(
                "gazetteer.wrong_length", code=norm, implied=t(f"level.{implied}"), n=len(norm),
                level=t(f"level.{level}"), m=_LENGTH_OF_LEVEL[level]))
        message = t("gazetteer.no_place", level=t(f"level.{implied}"), code=norm,
                    version=self.version)
        for n in (6, 4, 2):
            parent = self._places.get(norm[:n]) if n < len(norm) else None
            if parent is not None:
                message += t("gazetteer.parent_exists", parent_level=t(f"level.{parent.level}"),
                             parent=parent.code, children=t(f"level_plural.{implied}"),
                             name=parent.name_km if language() == "km" else parent.name_en,
                             range=self._range(parent.code))
                break
        else:
            first, last = self._by_level["province"][0].code, self._by_level["province"][-1].code
            message += (t("gazetteer.provinces_are", first=first, last=last)
                        if implied == "province" else t("gazetteer.no_province", code=norm[:2]))
        raise _error(code, norm, implied, message)

    def _range(self, parent: str) -> str:
        kids = self._children.get(parent, [])
        return f"{kids[0].code}-{kids[-1].code}" if kids else "none"

    def exists(self, code: str, level: str | None = None) -> bool:
        """True if the code (Khmer digits accepted) is in this gazetteer, at ``level`` if given."""
        _check_level(level)
        place = self._places.get(normalise_code(code))
        return place is not None and (level is None or place.level == level)

    def level_of(self, code: str) -> str:
        """'province', 'district', 'commune' or 'village' from the length of the code."""
        return code_level(code)

    def children(self, code: str) -> list[Place]:
        """The places one level below ``code``, sorted by code (villages have none)."""
        return list(self._children.get(self.get(code).code, []))

    def lineage(self, code: str) -> list[Place]:
        """Province, district, commune, village down to ``code`` itself."""
        chain = [self.get(code)]
        while chain[-1].parent_code is not None:
            chain.append(self._places[chain[-1].parent_code])
        return chain[::-1]

    def describe(self, code: str, lang: str = "en") -> str:
        """'Banteay Neang, Mongkol Borei, Banteay Meanchey' (``lang='km'`` for Khmer names)."""
        attr = "name_km" if lang == "km" else "name_en"
        return ", ".join(getattr(p, attr) for p in reversed(self.lineage(code)))

    def places(self, level: str) -> list[Place]:
        """Every place at ``level``, sorted by code."""
        _check_level(level)
        return list(self._by_level[level])

    # -- lookup by name ------------------------------------------------------------------------
    def _search_index(self) -> dict[str, tuple[str, ...]]:
        if self._index is None:
            index: dict[str, list[str]] = {}
            for place in self._places.values():
                for key in {fold(place.name_en), fold(place.name_km)}:
                    if key:
                        index.setdefault(key, []).append(place.code)
            self._index = {key: tuple(codes) for key, codes in index.items()}
        return self._index

    def search(self, query: str, level: str | None = None, limit: int = 20) -> list[Place]:
        """Places whose Khmer or Latin name matches ``query``, best first.

        Ranking: a code typed as the query, then exact name, prefix, substring, and finally
        similar spellings (difflib ratio >= 0.7) to fill the remaining slots. Ties go to the
        higher level (province before village), then to the code. Case, spaces, hyphens,
        apostrophes and Latin accents are ignored; Khmer is NFC-normalised; a leading type word
        ('srok', 'khum', 'ឃុំ', 'ភូមិ', ...) is also tried without it.
        """
        _check_level(level)
        if limit <= 0 or not query.strip():
            return []
        best: dict[str, tuple[int, float]] = {}  # code -> (tier, -similarity)

        def offer(code: str, tier: int, score: float = 0.0) -> None:
            if level is not None and _LEVEL_OF_LENGTH[len(code)] != level:
                return
            if code not in best or (tier, score) < best[code]:
                best[code] = (tier, score)

        as_code = normalise_code(query)
        if as_code in self._places:
            offer(as_code, 0)
        index = self._search_index()
        keys = _query_keys(query)
        for name, codes in index.items():
            for key in keys:
                if name == key:
                    tier = 1
                elif name.startswith(key):
                    tier = 2
                elif key in name:
                    tier = 3
                else:
                    continue
                for code in codes:
                    offer(code, tier)
        if len(best) < limit:
            self._fuzzy(keys, index, offer)
        ranked = sorted(best, key=lambda c: (*best[c], _LEVEL_RANK[self._places[c].level], c))
        return [self._places[c] for c in ranked[:limit]]

    @staticmethod
    def _fuzzy(keys: list[str], index: dict[str, tuple[str, ...]],
               offer: Callable[[str, int, float], None]) -> None:
        cutoff = 0.7
        matcher = difflib.SequenceMatcher(autojunk=False)
        for key in keys:
            if len(key) < 3:
                continue
            matcher.set_seq2(key)
            for name, codes in index.items():
                matcher.set_seq1(name)
                if (matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff
                        and (ratio := matcher.ratio()) >= cutoff):
                    for code in codes:
                        offer(code, 4, -ratio)


# -- reading a version folder -------------------------------------------------------------------
def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        try:
            idx = [header.index(col) for col in columns]
        except ValueError as exc:
            raise GazetteerDataError(t("gazetteer.missing_column", path=path, error=exc,
                                       header=header)) from None
        getter = itemgetter(*idx)
        return [getter(row) for row in reader if row]


def _province_names_km(directory: Path) -> dict[str, str]:
    """Khmer province names. NCDD's export has none; the crosswalk carries MEF 2025's."""
    provinces = directory / "provinces.csv"
    with provinces.open(encoding="utf-8-sig") as fh:
        has_km = "name_km" in fh.readline().strip().split(",")
    if has_km:
        return {row[0]: row[1] for row in _rows(provinces, ("adm1_code", "name_km"))}
    names: dict[str, str] = {row[0]: row[1] for row in _rows(
        directory / "province_name_crosswalk.csv", ("adm1_code", "name_km_mef_2025"))}
    for code, name in names.items():  # 'រាជធានីភ្នំពេញ' -> 'ភ្នំពេញ': the type is in type_km
        for word in _PROVINCE_TYPES.values():
            if name.startswith(word):
                names[code] = name[len(word):]
    return names


def read_gazetteer(directory: Path | str, version: str | None = None) -> Gazetteer:
    """Read a gazetteer version folder (uncached). ``version`` defaults to the folder's name."""
    directory = Path(directory)
    version = version or directory.name
    names_km = _province_names_km(directory)
    places: list[Place] = []
    for code, name_en in _rows(directory / "provinces.csv", ("adm1_code", "name_en")):
        kind = "capital" if code in _CAPITAL_CODES else "province"
        places.append(Place(code, "province", _clean(names_km.get(code, "")), _clean(name_en),
                            None, kind, _PROVINCE_TYPES[kind]))
    parent_column = {"district": "adm1_code", "commune": "adm2_code", "village": "adm3_code"}
    for level, filename in _FILES.items():
        columns = (_CODE_COLUMN[level], parent_column[level], "name_km", "name_en", "type_en",
                   "type_km")
        for code, parent, name_km, name_en, type_en, type_km in _rows(directory / filename,
                                                                       columns):
            places.append(Place(code, level, _clean(name_km), _clean(name_en), parent,
                                type_en, type_km))
    return Gazetteer(version, places)


def _version_key(version: str) -> str:
    return version.rsplit("_", 1)[-1]  # the ISO date of e.g. 'ncdd_2024-10-14'


def available_versions() -> tuple[str, ...]:
    """The gazetteer versions shipped with this program, oldest first."""
    found = [p.name for p in DATA_DIR.iterdir() if (p / "provinces.csv").is_file()]
    return tuple(sorted(found, key=_version_key))


@cache
def _load(version: str) -> Gazetteer:
    directory = DATA_DIR / version
    if not (directory / "provinces.csv").is_file():
        raise GazetteerVersionError(t("gazetteer.no_version", version=version,
                                      versions=", ".join(available_versions())))
    return read_gazetteer(directory, version)


def load_gazetteer(version: str | None = None) -> Gazetteer:
    """The gazetteer ``version`` (default CURRENT_VERSION), read once and then cached."""
    return _load(version or CURRENT_VERSION)


# -- code changes between versions --------------------------------------------------------------
CHANGE_KINDS = ("recode", "split", "merge", "rename", "abolish")
_CHANGE_COLUMNS = ("from_version", "to_version", "level", "old_code", "new_code", "change",
                   "legal_reference", "effective_date", "note")


@dataclass(frozen=True, slots=True)
class CodeChange:
    """One row of changes.csv: ``old_code`` of ``from_version`` became ``new_code``."""

    from_version: str
    to_version: str
    level: str
    old_code: str
    new_code: str  # '' when the unit was abolished
    change: str  # one of CHANGE_KINDS
    legal_reference: str  # e.g. the sub-decree number, in Khmer or Latin
    effective_date: str  # ISO date
    note: str = ""


def load_code_changes(path: Path | str | None = None) -> tuple[CodeChange, ...]:
    """Read and check ``changes.csv`` (default: the one shipped with the package)."""
    path = Path(path) if path is not None else CHANGES_FILE
    changes = []
    for line, row in enumerate(_rows(path, _CHANGE_COLUMNS), start=2):
        change = CodeChange(*(_clean(v) for v in row))
        problem = None
        if change.level not in _LENGTH_OF_LEVEL or change.change not in CHANGE_KINDS:
            problem = t("gazetteer.change_kind")
        elif not _is_code(change.old_code, change.level):
            problem = t("gazetteer.change_code", column="old_code", code=change.old_code,
                        level=change.level)
        elif not (_is_code(change.new_code, change.level)
                  or (change.change == "abolish" and not change.new_code)):
            problem = t("gazetteer.change_code", column="new_code", code=change.new_code,
                        level=change.level)
        elif not change.legal_reference:
            problem = t("gazetteer.change_reference")
        if problem:
            raise GazetteerDataError(t("gazetteer.bad_change", path=path, line=line,
                                       problem=problem))
        changes.append(change)
    return tuple(changes)


def _is_code(code: str, level: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) == _LENGTH_OF_LEVEL[level]


def successors(code: str, from_version: str, to_version: str = CURRENT_VERSION,
               changes: tuple[CodeChange, ...] | None = None) -> tuple[str, ...]:
    """The code(s) that ``code`` of ``from_version`` has become in ``to_version``.

    One code when it is unchanged, renamed or recoded; several when the unit was split (the
    clerk must pick one, using the village); none when it was abolished. Changes are applied
    step by step in date order; a code with no row in a step carries over unchanged.
    """
    changes = load_code_changes() if changes is None else changes
    lo, hi = _version_key(from_version), _version_key(to_version)
    steps = sorted({(c.from_version, c.to_version) for c in changes
                    if lo <= _version_key(c.from_version) and _version_key(c.to_version) <= hi},
                   key=lambda s: (_version_key(s[0]), _version_key(s[1])))
    current = {normalise_code(code)}
    for step in steps:
        mapping: dict[str, set[str]] = {}
        for c in changes:
            if (c.from_version, c.to_version) == step:
                mapping.setdefault(c.old_code, set()).update({c.new_code} - {""})
        current = set().union(*(mapping.get(c, {c}) for c in current))
    return tuple(sorted(current))
