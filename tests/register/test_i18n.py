"""Khmer everywhere: the catalogues agree, no sentence escapes the translation layer, official
terms are used as the glossary fixes them, and the help is Khmer when the clerk's language is."""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from register import i18n
from register.cli import app
from register.cli.app import CLICK_WORDS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "register"
LOCALE = PACKAGE / "locale"
runner = CliRunner()
EN = i18n.catalogue("en")
KM = i18n.catalogue("km")


def test_the_khmer_catalogue_is_complete_with_the_same_placeholders():
    """One test for the whole catalogue: every English key has a Khmer message, with the same
    placeholders, and no Khmer key is unknown in English."""
    problems = []
    for key, english in EN.items():
        khmer = KM.get(key)
        if not khmer or not khmer.strip():
            problems.append(f"{key}: no Khmer")
        elif i18n.placeholders(khmer) != i18n.placeholders(english):
            problems.append(f"{key}: placeholders {sorted(i18n.placeholders(khmer))} "
                            f"!= {sorted(i18n.placeholders(english))}")
    problems += [f"{key}: not in English" for key in KM.keys() - EN.keys()]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


def test_the_catalogues_are_sorted_json_with_a_final_newline():
    for lang in i18n.LANGUAGES:
        text = (LOCALE / f"{lang}.json").read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# -- no sentence outside the catalogue ------------------------------------------------------

OUTPUT = {"echo", "fail", "prompt", "confirm", "secho", "print"}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = {"RegisterError"}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and {
                        getattr(b, "id", getattr(b, "attr", None)) for b in node.bases} & names:
                    names.add(node.name)
                    changed = True
    return names


def _words(node: ast.AST) -> bool:
    """A literal with words in it (an f-string's literal parts too)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_words(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _words(node.left) or _words(node.right)
    if isinstance(node, ast.IfExp):
        return _words(node.body) or _words(node.orelse)
    return False


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")}


def test_no_sentence_is_written_outside_the_translation_layer():
    """Literal text passed to an output function (echo, fail, typer.echo/prompt ...) or to an
    error the clerk sees (RegisterError and its subclasses), and help texts that are not
    catalogue keys, anywhere in register/."""
    trees = _trees()
    errors = _error_classes(trees)
    found = []
    for path, tree in trees.items():
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if (name in OUTPUT or name in errors) and any(_words(a) for a in node.args[:1]):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)[:90]}")
            for keyword in node.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant):
                    text = keyword.value.value
                    if not (text in EN or str(text).startswith("opt:")):
                        found.append(f"{where}:{node.lineno}: help={text!r} is not a key")
                elif keyword.arg == "help" and isinstance(keyword.value, ast.Call):
                    # help=t("key") is translated once, when the module is imported: in the
                    # language of that moment. Give the key itself (translated at --help).
                    found.append(f"{where}:{node.lineno}: help={ast.unparse(keyword.value)}"
                                 " is translated too early; give the key")
    assert not found, "\n".join(found)


def test_every_key_the_code_names_is_in_the_catalogue():
    """t("key") with a literal key: the key exists (a typo would show the key to the clerk)."""
    missing = []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("t", "t_in")
                    and node.args):
                arg = node.args[-1] if node.func.id == "t_in" and len(node.args) > 1 \
                    else node.args[0]
                if isinstance(arg, ast.Constant) and arg.value not in EN:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {arg.value}")
    assert not missing, "\n".join(missing)


def test_click_words_are_in_the_catalogue_as_click_says_them():
    for english, key in CLICK_WORDS.items():
        assert EN[key] == english, key


# -- the glossary -----------------------------------------------------------------------------

GLOSSARY = LOCALE / "glossary.csv"


def _glossary() -> list[dict[str, str]]:
    with GLOSSARY.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_glossary_is_complete_and_awaits_review():
    rows = _glossary()
    assert {"english", "khmer", "note", "source", "review"} <= set(rows[0])
    assert len(rows) >= 30
    for row in rows:
        assert row["english"].strip() and row["khmer"].strip(), row
        assert re.search("[\u1780-\u17ff]", row["khmer"]), row
        assert row["review"] == "awaiting review by a native speaker", row
    english = {e.casefold() for r in rows for e in r["english"].split("|")}
    for term in ("province", "district", "commune", "village", "broker", "agency", "referral",
                 "forced labour", "trafficking", "licence", "debt bondage", "deception",
                 "ministry of labour and vocational training"):
        assert term in english, term


_SPELLING = str.maketrans({"\u178f": "\u178a"})  # coeng TA and coeng DA are written alike


def _plain(text: str) -> str:
    """English text without what is not prose: placeholders, options, quoted commands,
    hyphenated names (commune-migration-register)."""
    text = re.sub(r"\{[^}]*\}|--[\w-]+|'[^']*'|\"[^\"]*\"|\b\w+(?:-\w+)+\b", " ", text)
    return text


def test_official_terms_are_used_as_the_glossary_fixes_them():
    """Wherever the English catalogue uses a glossary term, the Khmer message uses its Khmer
    term (coeng TA and DA, a spelling variant, compared alike)."""
    bad = []
    for row in _glossary():
        english = [re.escape(e.strip()) for e in row["english"].split("|")]
        pattern = re.compile(r"\b(?:" + "|".join(english) + r")\b", re.IGNORECASE)
        khmer = [k.strip().translate(_SPELLING) for k in row["khmer"].split("|")]
        for key, text in EN.items():
            if key.startswith("click.") or not pattern.search(_plain(text)):
                continue
            if not any(k in KM.get(key, "").translate(_SPELLING) for k in khmer):
                bad.append(f"{key}: '{row['english']}' -> {row['khmer']}: {KM.get(key)}")
    assert not bad, f"{len(bad)} messages:\n" + "\n".join(bad[:60])


# -- the help in Khmer ------------------------------------------------------------------------

LATIN_WORD = re.compile(r"(?<![-\w.{/<])[A-Za-z][a-z]{2,}(?![\w-])")
# What stays in Latin letters in Khmer: what the clerk types (the program, its commands and
# option values) and the names of other programs and formats.
LATIN_KEPT = {"register", "kobo", "odk", "all", "Excel", "KoboToolbox", "Central", "Splink",
              "DuckDB", "SQLite"}


def english_words(text: str) -> list[str]:
    """Words in Latin letters, leaving out commands (``register show``, a command listed at the
    start of a line), quoted commands and file names."""
    text = re.sub(r"'[^']*'|register [\w-]+|^\s{2}[a-z-]+(?=\s{2})|\S+\.(?:db|csv|xlsx)\b",
                  " ", text, flags=re.MULTILINE)
    return [w for w in LATIN_WORD.findall(text) if w not in LATIN_KEPT]


@pytest.mark.parametrize("command", ["add-departure", "add-return", "list", "show", "init",
                                     "import", "void", "report", "correct", "check"])
def test_help_is_khmer_with_lang_km(command):
    result = runner.invoke(app, ["--lang", "km", command, "--help"])
    assert result.exit_code == 0, result.output
    assert re.search("[\u1780-\u17ff]", result.output)
    assert english_words(result.output) == [], result.output


def test_the_command_list_is_khmer_with_register_lang(monkeypatch):
    monkeypatch.setenv("REGISTER_LANG", "km")
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert english_words(result.output) == [], result.output
    assert "add-departure" in result.output


def test_the_registers_language_gives_khmer_help(tmp_path, monkeypatch):
    monkeypatch.delenv("REGISTER_LANG", raising=False)
    db = tmp_path / "r.db"
    made = runner.invoke(app, ["init", "--commune", "010201", "--db", str(db), "--language", "km",
                               "--no-input"])
    assert made.exit_code == 0, made.output
    assert "បន្ទាយនាង" in made.output and english_words(made.output.replace(str(db), "")) == []
    helped = runner.invoke(app, ["add-return", "--db", str(db), "--help"])
    assert english_words(helped.output) == [], helped.output
    english = runner.invoke(app, ["--lang", "en", "add-return", "--db", str(db), "--help"])
    assert "Record a return" in english.output


def test_click_errors_in_khmer():
    result = runner.invoke(app, ["--lang", "km", "show"])
    assert result.exit_code == 2
    assert english_words(result.output) == [], result.output


def test_every_command_and_option_has_its_help_in_khmer():
    """Every command's and option's help comes from the catalogue (a docstring or a literal
    would stay English)."""
    import typer

    from register.cli.helptext import localise

    i18n.set_language("km")
    try:
        group = typer.main.get_command(app)
        localise(group)
        english = []
        for name, command in group.commands.items():
            if not re.search("[\u1780-\u17ff]", command.help or ""):
                english.append(f"{name}: {command.help!r}")
            for param in command.params:
                if param.name != "help" and not re.search("[\u1780-\u17ff]",
                                                          getattr(param, "help", "") or ""):
                    english.append(f"{name} {param.name}: {getattr(param, 'help', None)!r}")
        assert not english, "\n".join(english)
    finally:
        i18n.set_language(None)
