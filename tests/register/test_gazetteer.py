"""The NCDD gazetteer shipped with the register: counts, hierarchy, names, search, versions."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from register.errors import UnknownCodeError
from register.gazetteer import (
    CURRENT_VERSION,
    CodeChange,
    Gazetteer,
    GazetteerDataError,
    GazetteerVersionError,
    Place,
    available_versions,
    code_level,
    load_code_changes,
    load_gazetteer,
    read_gazetteer,
    successors,
)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


# -- content ------------------------------------------------------------------------------------
def test_counts_match_the_ncdd_export(gaz: Gazetteer) -> None:
    # Published counts of the NCDD export of 14 Oct 2024 (data/gazetteer/README.md).
    assert gaz.version == CURRENT_VERSION == "ncdd_2024-10-14"
    counts = {level: len(gaz.places(level)) for level in ("province", "district", "commune",
                                                           "village")}
    assert counts == {"province": 25, "district": 210, "commune": 1652, "village": 14570}
    assert len(gaz) == 25 + 210 + 1652 + 14570


def test_unit_types(gaz: Gazetteer) -> None:
    def tally(level: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in gaz.places(level):
            out[p.type_en] = out.get(p.type_en, 0) + 1
        return out

    assert tally("province") == {"province": 24, "capital": 1}
    assert tally("district") == {"srok (district)": 163, "krong (municipality)": 33,
                                 "khan (section)": 14}
    assert tally("commune") == {"khum (commune)": 1383, "sangkat (quarter)": 269}
    assert tally("village") == {"phum (village)": 14570}


def test_every_child_has_its_parent_one_level_up(gaz: Gazetteer) -> None:
    expected_parent_level = {"district": "province", "commune": "district", "village": "commune"}
    for level, parent_level in expected_parent_level.items():
        for place in gaz.places(level):
            parent = gaz.get(place.parent_code)
            assert parent.level == parent_level
            assert place.code.startswith(parent.code)
    assert all(p.parent_code is None for p in gaz.places("province"))


def test_children_and_lineage(gaz: Gazetteer) -> None:
    kids = gaz.children("0102")
    assert [k.code for k in kids] == sorted(k.code for k in kids)
    assert all(k.level == "commune" and k.parent_code == "0102" for k in kids)
    assert "010201" in {k.code for k in kids}
    assert sum(len(gaz.children(p.code)) for p in gaz.places("province")) == 210
    assert gaz.children("01020103") == []
    assert [p.code for p in gaz.lineage("01020103")] == ["01", "0102", "010201", "01020103"]
    assert gaz.describe("010201") == "Banteay Neang, Mongkol Borei, Banteay Meanchey"


def test_known_names(gaz: Gazetteer) -> None:
    place = gaz.get("010201")
    assert place == Place("010201", "commune", "បន្ទាយនាង", "Banteay Neang", "0102",
                          "khum (commune)", "ឃុំ")
    assert gaz.get("12").name_en == "Phnom Penh" and gaz.get("12").name_km == "ភ្នំពេញ"
    assert gaz.get("12").type_en == "capital"
    assert gaz.get("25").name_km == "ត្បូងឃ្មុំ"  # Khmer province names: MEF 2025 crosswalk


def test_phnom_penh_khan_codes_are_ncdd_not_mef(gaz: Gazetteer) -> None:
    # MEF 2025 permutes these three codes; NCDD (and the 2020 NCDD scrape) have these.
    assert gaz.get("1210").name_en == "Chrouy Changvar"
    assert gaz.get("1210").name_km == "ជ្រោយចង្វារ"
    assert gaz.get("1211").name_en == "Praek Pnov"
    assert gaz.get("1212").name_en == "Chbar Ampov"
    # Communes that exist only in the MEF list are not in the register's key.
    assert not gaz.exists("021106") and not gaz.exists("250315")


def test_names_are_clean_nfc(gaz: Gazetteer) -> None:
    for level in ("province", "district", "commune", "village"):
        for p in gaz.places(level):
            for name in (p.name_km, p.name_en):
                assert name == name.strip() and "  " not in name and "\u200b" not in name
                assert unicodedata.is_normalized("NFC", name)
            assert p.name_km  # every unit has a Khmer name


# -- codes --------------------------------------------------------------------------------------
def test_khmer_digits_and_whitespace_are_accepted(gaz: Gazetteer) -> None:
    assert gaz.get("០១០២០១").code == "010201"
    assert gaz.exists(" ១២១០ ", "district")
    assert gaz.level_of("០១០២០១០៣") == "village"


@pytest.mark.parametrize(("code", "level"), [("01", "province"), ("0102", "district"),
                                             ("010201", "commune"), ("01020103", "village")])
def test_level_of(gaz: Gazetteer, code: str, level: str) -> None:
    assert gaz.level_of(code) == level == code_level(code)
    assert gaz.exists(code, level) and not gaz.exists(code, "province" if level != "province"
                                                      else "village")


@pytest.mark.parametrize("bad", ["", "1", "12345", "0102010", "abcd", "01-02", "010201033"])
def test_level_of_rejects_non_codes(gaz: Gazetteer, bad: str) -> None:
    with pytest.raises(UnknownCodeError):
        gaz.level_of(bad)
    assert not gaz.exists(bad)


def test_unknown_codes_raise_clear_errors(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownCodeError, match=r"no commune with code 010299.*district 0102"):
        gaz.get("010299")
    with pytest.raises(UnknownCodeError, match=r"no province with code 99"):
        gaz.get("99")
    with pytest.raises(UnknownCodeError, match=r"0102 is a district code .* commune code"):
        gaz.get("0102", level="commune")
    with pytest.raises(UnknownCodeError, match="leading zero"):
        gaz.get("10201")  # 010201 after Excel dropped the zero
    with pytest.raises(UnknownCodeError) as info:
        gaz.children("12999999")
    assert info.value.code == "12999999" and info.value.level == "village"
    assert isinstance(info.value, LookupError)
    with pytest.raises(ValueError, match="unknown level"):
        gaz.exists("01", level="region")


# -- search -------------------------------------------------------------------------------------
def test_search_latin_ignores_case_spaces_hyphens_accents(gaz: Gazetteer) -> None:
    for query in ("Banteay Neang", "banteay neang", "BANTEAY-NEANG", "banteayneang",
                  "Bântéay Neang", "  khum Banteay Neang "):
        hits = gaz.search(query, level="commune")
        assert hits and hits[0].code == "010201", query


def test_search_khmer(gaz: Gazetteer) -> None:
    hits = gaz.search("បន្ទាយនាង")
    # exact matches first, the commune before the village of the same name
    assert [h.code for h in hits[:2]] == ["010201", "01020103"]
    assert gaz.search("ឃុំបន្ទាយនាង")[0].code == "010201"  # with the type word
    assert gaz.search("បន្ទាយ\u200bនាង")[0].code == "010201"  # zero-width space typed
    # subscript TA typed for subscript DA (they look identical)
    assert gaz.search("កណ្តាល", level="province")[0].code == "08"
    # decomposed input is NFC-normalised
    assert gaz.search(unicodedata.normalize("NFD", "ភ្នំពេញ"))[0].code == "12"


def test_search_ranking_exact_prefix_substring_fuzzy(gaz: Gazetteer) -> None:
    hits = gaz.search("Mongkol Borei", limit=50)
    assert hits[0].code == "0102"
    names = [h.name_en for h in hits]
    first_prefix = next(i for i, n in enumerate(names) if n != "Mongkol Borei")
    assert all(n == "Mongkol Borei" for n in names[:first_prefix])
    # 'Chraoy Chongvar' is MEF's romanisation; fuzzy matching finds NCDD's 'Chrouy Changvar'
    assert gaz.search("Chraoy Chongvar", level="district")[0].code == "1210"
    assert gaz.search("Battambang", level="province")[0].code == "02"
    hits = gaz.search("Phnom", level="province")
    assert [h.code for h in hits] == ["12"]  # prefix of 'Phnom Penh'


def test_search_by_code_level_and_limit(gaz: Gazetteer) -> None:
    assert gaz.search("០១០២០១")[0].code == "010201"
    hits = gaz.search("Thmei", level="village", limit=7)
    assert len(hits) == 7 and all(h.level == "village" for h in hits)
    assert gaz.search("") == [] and gaz.search("Thmei", limit=0) == []
    assert gaz.search("zzzzqqqq") == []


# -- loading, caching, purity -------------------------------------------------------------------
def test_load_is_cached_and_versions_are_listed() -> None:
    assert load_gazetteer() is load_gazetteer(CURRENT_VERSION)
    assert CURRENT_VERSION in available_versions()
    with pytest.raises(GazetteerVersionError, match="ncdd_1999-01-01"):
        load_gazetteer("ncdd_1999-01-01")


def test_import_does_not_pull_in_pandas() -> None:
    code = ("import sys, register.gazetteer as g; g.load_gazetteer().search('Kep'); "
            "bad = [m for m in ('pandas', 'numpy', 'statsmodels') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _write_version(folder: Path, villages: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "provinces.csv").write_text("adm1_code,name_en,name_km\n01,Alpha,អាល់ហ្វា\n",
                                          encoding="utf-8")
    (folder / "districts.csv").write_text(
        "adm1_code,adm2_code,type_km,type_en,name_km,name_en\n"
        "01,0101,ស្រុក,srok (district),ក,Ka\n", encoding="utf-8")
    (folder / "communes.csv").write_text(
        "adm1_code,adm2_code,adm3_code,type_km,type_en,name_km,name_en\n"
        "01,0101,010101,ឃុំ,khum (commune),ខ,Kha\n", encoding="utf-8")
    (folder / "villages.csv").write_text(
        "adm1_code,adm2_code,adm3_code,adm4_code,type_km,type_en,name_km,name_en\n" + villages,
        encoding="utf-8")
    return folder


def test_read_gazetteer_from_a_folder(tmp_path: Path) -> None:
    folder = _write_version(tmp_path / "test_2030-01-01",
                            "01,0101,010101,01010101,ភូមិ,phum (village),គ,Ko\n")
    gaz = read_gazetteer(folder)
    assert gaz.version == "test_2030-01-01"
    assert [p.code for p in gaz.lineage("01010101")] == ["01", "0101", "010101", "01010101"]


def test_orphans_are_refused(tmp_path: Path) -> None:
    folder = _write_version(tmp_path / "bad_2030-01-01",
                            "01,0101,010199,01019901,ភូមិ,phum (village),គ,Ko\n")
    with pytest.raises(GazetteerDataError, match="unknown parent 010199"):
        read_gazetteer(folder)


# -- code changes between versions --------------------------------------------------------------
def test_shipped_changes_file_is_valid() -> None:
    changes = load_code_changes()
    versions = set(available_versions())
    for c in changes:  # every listed code exists in the versions shipped
        if c.from_version in versions:
            assert load_gazetteer(c.from_version).exists(c.old_code, c.level)
        if c.to_version in versions and c.new_code:
            assert load_gazetteer(c.to_version).exists(c.new_code, c.level)


def test_successors_follow_splits_recodes_and_chains() -> None:
    a, b, c = "ncdd_2024-10-14", "ncdd_2026-01-01", "ncdd_2027-06-30"
    changes = (
        CodeChange(a, b, "commune", "010201", "010201", "split", "SD 1", "2025-05-01"),
        CodeChange(a, b, "commune", "010201", "010214", "split", "SD 1", "2025-05-01"),
        CodeChange(a, b, "district", "1210", "1299", "recode", "SD 2", "2025-06-01"),
        CodeChange(b, c, "commune", "010214", "010215", "recode", "SD 3", "2027-01-01"),
        CodeChange(b, c, "commune", "020101", "", "abolish", "SD 4", "2027-01-01"),
    )
    assert successors("010201", a, b, changes) == ("010201", "010214")
    assert successors("010201", a, c, changes) == ("010201", "010215")
    assert successors("១២១០", a, c, changes) == ("1299",)
    assert successors("020101", a, c, changes) == ()
    assert successors("020101", a, b, changes) == ("020101",)
    assert successors("010202", a, c, changes) == ("010202",)  # untouched codes carry over


def test_bad_changes_rows_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "changes.csv"
    header = ("from_version,to_version,level,old_code,new_code,change,legal_reference,"
              "effective_date,note\n")
    path.write_text(header + "a_2024-01-01,b_2025-01-01,commune,0102,010202,recode,SD 9,,\n",
                    encoding="utf-8")
    with pytest.raises(GazetteerDataError, match="line 2: old_code"):
        load_code_changes(path)
    path.write_text(header + "a_2024-01-01,b_2025-01-01,commune,010201,010202,recode,,,\n",
                    encoding="utf-8")
    with pytest.raises(GazetteerDataError, match="legal_reference"):
        load_code_changes(path)
