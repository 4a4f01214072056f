"""Hostile input never crashes the register: it is stored normalised or refused by name.

Property-based (hypothesis, derandomised) and hand-picked: Khmer digits, zero-width and
direction marks, very long fields, NUL and control characters, wrong encodings, formulas in
cells, SQL-looking text, huge and negative numbers, impossible dates, empty, header-only and
garbage files, Excel files that are not Excel, damaged register files, and bytes that are not
UTF-8 on the command line. For every input: no traceback; either the value is stored as the
register promises (NFC, no direction marks, codes in ASCII) or the record is refused with a
message naming the field, and the register is unchanged; ``check`` stays OK; the researcher
export never holds a cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import register
from register.cli import app
from register.io import safe_cell
from register.model import MODEL, fields_of
from tests.faults import helpers as h

runner = CliRunner()
SETTINGS = {"deadline": None, "derandomize": True, "database": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
BIDI_CONTROL = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
HOSTILE = [*BIDI_CONTROL, *INVISIBLE, "\x00", "\x01", "\x1b", "\x7f", "\t", "\n", "\r", " ",
           "\u00a0", "\u3000", "=", "+", "-", "@", "'", '"', ";", ",", "\\", "%", "0", "9", "០",
           "៩", "ក", "ខ", "\u17d2", "\u17b6", "e\u0301", "\u0301", "A", "z", "\U0001f600",
           "'; DROP TABLE persons; --", "=HYPERLINK(\"http://x\")", "1e400", "-1", "NaN"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=3)),
                        max_size=12).map("".join)
long_text = st.tuples(hostile_text, st.integers(1, 40)).map(lambda pair: pair[0] * pair[1])
TEXT_FIELDS = {s.name: s.max_length for s in fields_of("departures") if s.kind == "text"}
NUMBER_FIELDS = {s.name for s in fields_of("departures") if s.kind == "text" and s.digits}
DEPARTURE_FIELDS = [s.name for s in fields_of("departures")]
# A refusal may name the field given, or the field its rule is about (an age is a birth_year).
RELATED = {"birth_date": {"birth_year"}, "departure_date": {"birth_year"}}


@pytest.fixture(scope="module")
def figures(request):
    figures = h.Figures("hostile inputs")
    yield figures
    h.report(request.config, figures)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return h.make_register(tmp_path_factory.mktemp("hostile") / "base.db")


def fresh(base: Path, folder: Path) -> Path:
    path = folder / "r.db"
    shutil.copy(base, path)
    return path


def expected_text(value: str, field: str | None = None) -> str | None:
    """What the register promises to store for free text (written independently of it); a
    phone or ID number is stored with Khmer digits read as digits, and without spaces, dots or
    dashes when what is left is a number (the clerk issue: search finds it however typed)."""
    text = "".join(c for c in value if c not in BIDI_CONTROL and c not in "\ufeff\u2060"
                   and not (unicodedata.category(c) == "Cc" and c not in "\t\n\r"))
    text = re.sub(rf"^[\s{INVISIBLE}]+|[\s{INVISIBLE}]+$", "", unicodedata.normalize("NFC", text))
    if text and field in NUMBER_FIELDS:
        text = text.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789"))
        bare = re.sub(r"[\s.\-\u200b]+", "", text)
        text = bare if re.fullmatch(r"\+?\d+", bare) else text
    return text or None


def state(conn) -> tuple:
    counted = tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in h.COUNTED)
    head = conn.execute("SELECT hash FROM audit_entry WHERE chain = 0 ORDER BY seq DESC LIMIT 1"
                        ).fetchone()
    return counted, head


IDENTITY = ", ".join(f"i.{f.name}" for f in MODEL.table("person_identity").fields)


def stored(reg, journey_id: str) -> dict[str, Any]:
    cur = reg.conn.execute(
        f"SELECT {IDENTITY}, p.sex, p.birth_date, p.birth_year, "
        "p.home_village, j.* FROM journeys j JOIN persons p ON p.id = j.person_id "
        "LEFT JOIN person_identity i ON i.person_id = p.id WHERE j.id = ?", (journey_id,))
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def attempt(reg, values: dict[str, Any], fields: set[str]) -> dict[str, Any] | None:
    """Add one departure: return its stored row, or None when refused naming ``fields``.
    Any other exception (a crash) propagates; a refusal must leave the register unchanged."""
    before = state(reg.conn)
    try:
        report = register.add_records(reg, "departures", [values], today=h.TODAY)
    except register.ValidationError as exc:
        named = {p.field for p in exc.problems}
        allowed = set(fields).union(*(RELATED.get(f, set()) for f in fields))
        assert named and named <= allowed, (named, fields, [str(p) for p in exc.problems])
        assert all(str(p) for p in exc.problems)
        assert state(reg.conn) == before
        return None
    return stored(reg, report.ids[0]) if report.ids else {}


def sound_and_safe(path: Path, folder: Path) -> None:
    h.assert_sound(path)
    cells = h.export_cells(path, folder / "export.csv")
    assert not h.formula_cells(cells), h.formula_cells(cells)[:5]


# -- property-based ----------------------------------------------------------------------------
def test_free_text_is_stored_normalised_or_refused_as_too_long(base, tmp_path, figures):
    path = fresh(base, tmp_path)
    with register.open_register(path, actor="fault-test", durable=False) as reg:

        @settings(max_examples=400, **SETTINGS)
        @given(st.sampled_from(sorted(TEXT_FIELDS)), st.one_of(hostile_text, long_text))
        def run(field: str, value: str) -> None:
            figures.add("hypothesis_examples")
            row = attempt(reg, h.departure(**{field: value}), {field})
            expected = expected_text(value, field)
            if row is None:
                assert expected is not None and len(expected) > TEXT_FIELDS[field]
                return
            got = row[field]
            if got is not None:  # each promise on its own line: hypothesis reports each broken one
                assert not set(got) & set(BIDI_CONTROL), ("direction mark kept", value, got)
                assert unicodedata.is_normalized("NFC", got), ("not NFC", value, got)
                assert not [c for c in got if unicodedata.category(c) == "Cc"
                            and c not in "\t\n\r"], ("control character kept", value, got)
                assert got == got.strip() and not got.startswith(tuple(INVISIBLE)) \
                    and not got.endswith(tuple(INVISIBLE)), ("invisible end kept", value, got)
            assert got == expected, (value, got, expected)

        run()
    sound_and_safe(path, tmp_path)


def test_any_text_in_any_field_is_accepted_or_refused_by_name(base, tmp_path, figures):
    path = fresh(base, tmp_path)
    with register.open_register(path, actor="fault-test", durable=False) as reg:

        @settings(max_examples=500, **SETTINGS)
        @given(st.sampled_from(DEPARTURE_FIELDS), st.one_of(hostile_text, long_text))
        def run(field: str, value: str) -> None:
            figures.add("hypothesis_examples")
            attempt(reg, h.departure(**{field: value}), {field})

        run()
    sound_and_safe(path, tmp_path)


python_values = st.one_of(
    st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.dates(), st.datetimes(), st.booleans(), st.none(), hostile_text,
    st.sampled_from([10**400, -(10**400), float("inf"), float("-inf"), float("nan"), 1e308]))


def test_any_python_value_through_the_api_is_accepted_or_refused_by_name(base, tmp_path, figures):
    """What a script calling the API (or an Excel cell) may hand over: numbers of any size,
    infinities, NaN, dates and datetimes in any field."""
    path = fresh(base, tmp_path)
    with register.open_register(path, actor="fault-test", durable=False) as reg:

        @settings(max_examples=400, **SETTINGS)
        @given(st.sampled_from(DEPARTURE_FIELDS), python_values)
        def run(field: str, value: Any) -> None:
            figures.add("hypothesis_examples")
            attempt(reg, h.departure(**{field: value}), {field})

        run()
    sound_and_safe(path, tmp_path)


def test_hostile_csv_cells_are_imported_or_refused_by_row_and_field(base, tmp_path, figures):
    path = fresh(base, tmp_path)
    source = tmp_path / "in.csv"
    with register.open_register(path, actor="fault-test", durable=False) as reg:

        @settings(max_examples=200, **SETTINGS)
        @given(st.dictionaries(st.sampled_from(DEPARTURE_FIELDS[2:]), hostile_text,
                               min_size=1, max_size=3))
        def run(cells: dict[str, str]) -> None:
            figures.add("hypothesis_examples")
            h.write_departures_csv(source, [h.departure(**cells)])
            before = state(reg.conn)
            try:
                register.import_file(reg, source, "departures", today=h.TODAY)
            except register.ValidationError as exc:
                named = {(p.row, p.field) for p in exc.problems}
                allowed = set(cells).union(*(RELATED.get(f, set()) for f in cells))
                assert {f for _, f in named} <= allowed and {r for r, _ in named} == {2}, named
                assert state(reg.conn) == before
            except register.RegisterError as exc:
                assert source.name in str(exc), exc
                assert state(reg.conn) == before

        run()
    sound_and_safe(path, tmp_path)


@settings(max_examples=500, **SETTINGS)
@given(st.one_of(hostile_text, st.text()))
def test_safe_cell_never_leaves_a_formula(value):
    shown = safe_cell(value)
    assert not shown.startswith(h.FORMULA_START)
    assert shown in (value, "'" + value)


# -- hand-picked: whole files ------------------------------------------------------------------
def csv_text(*rows: dict[str, Any], header: list[str] = h.HEADER, sep: str = ",") -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=sep, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue()


def xlsx(path: Path, rows: list[list[Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path.read_bytes()


def excel_row(**overrides: Any) -> list[Any]:
    row = h.departure(**overrides)
    return [row.get(k) for k in h.HEADER]


D = h.departure
GARBAGE = random.Random(7).randbytes(5000)
ok = csv_text(D()).encode()
# (case, file suffix, file bytes or a builder taking a scratch path, expected, what the message
# or the stored row must show). expected: "accept", "refuse" (exit 1 naming `show`), "either".
FILES: list[tuple[str, str, Any, str, Any]] = [
    ("empty file", ".csv", b"", "refuse", "no header"),
    ("blank lines only", ".csv", b"\r\n\r\n  \r\n", "refuse", "no header"),
    ("header only", ".csv", csv_text().encode(), "accept", {}),
    ("header only with BOM", ".csv", b"\xef\xbb\xbf" + csv_text().encode(), "accept", {}),
    ("latin-1", ".csv", csv_text(D(name="José")).encode("latin-1"), "refuse", "UTF-8"),
    ("cp1252 quotes", ".csv", csv_text(D(name="“Sok”")).encode("cp1252"), "refuse", "UTF-8"),
    ("UTF-16 LE with BOM", ".csv", csv_text(D()).encode("utf-16"), "refuse", "UTF-8"),
    ("UTF-16 BE with BOM", ".csv", b"\xfe\xff" + csv_text(D()).encode("utf-16-be"), "refuse",
     "UTF-8"),
    ("UTF-32", ".csv", csv_text(D()).encode("utf-32"), "refuse", "UTF-8"),
    ("NUL bytes", ".csv", ok.replace(b"Sok", b"S\x00ok", 1) + b"\x00\x00", "refuse", "in.csv"),
    ("binary garbage", ".csv", GARBAGE, "refuse", "in.csv"),
    ("binary garbage as xlsx", ".xlsx", GARBAGE, "refuse", "Excel"),
    ("CSV named .xlsx", ".xlsx", ok, "refuse", "Excel"),
    ("truncated xlsx", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row()])[:700], "refuse",
     "Excel"),
    ("zip that is not xlsx", ".xlsx", lambda p: _zip(p), "refuse", "Excel"),
    ("old .xls", ".xls", GARBAGE, "refuse", ".xls"),
    ("100k-character name", ".csv", csv_text(D(name="ក" * 100_000)).encode(), "refuse", "name"),
    ("200k-character place", ".csv", csv_text(D(destination_place="x" * 200_000)).encode(),
     "refuse", "in.csv"),
    ("formulas in text", ".csv", csv_text(D(name="=HYPERLINK(\"http://x\",\"y\")",
                                            destination_place="+cmd|' /C calc'!A0",
                                            job_promised="@SUM(1+1)*cmd|' /C calc'!A0",
                                            national_id="-2+3")).encode(), "accept",
     {"name": "=HYPERLINK(\"http://x\",\"y\")", "national_id": "-2+3"}),
    ("formula in a code", ".csv", csv_text(D(sex="=1+1")).encode(), "refuse", "sex"),
    ("SQL in text", ".csv", csv_text(D(name="'; DROP TABLE persons; --",
                                       national_id="1 OR 1=1")).encode(), "accept",
     {"name": "'; DROP TABLE persons; --", "national_id": "1 OR 1=1"}),
    ("SQL in a code", ".csv", csv_text(D(home_village="01020101'; DROP TABLE persons; --"))
     .encode(), "refuse", "home_village"),
    ("SQL in an agency", ".csv", csv_text(D(agency_id="x' OR '1'='1")).encode(), "refuse",
     "agency_id"),
    ("Khmer digits", ".csv", csv_text(D(home_village="០១០២០១០១", departure_date="១២/០៣/២០២៤",
                                        birth_year="១៩៩៦", fee_usd="២៥០", n_brokers="២"))
     .encode(), "accept", {"home_village": "01020101", "departure_date": "2024-03-12",
                           "birth_year": 1996, "fee_usd": 250.0, "n_brokers": 2}),
    ("invisible marks in codes", ".csv", csv_text(D(
        home_village="\u200b0102\u200c0101\u200e", sex="\u200fF", destination_country="T\u200bH",
        channel="broker\u2069", departure_date="\ufeff2024-03-12")).encode(), "accept",
     {"home_village": "01020101", "sex": "F", "destination_country": "TH",
      "channel": "broker", "departure_date": "2024-03-12"}),
    ("direction marks in a name", ".csv", csv_text(D(name="\u202eSok\u202c Dara\u200f")).encode(),
     "accept", {"name": "Sok Dara"}),
    ("Arabic letter mark in a name", ".csv", csv_text(D(name="Sok\u061c Dara")).encode(),
     "accept", {"name": "Sok Dara"}),
    ("decomposed accents", ".csv", csv_text(D(name="Jose\u0301")).encode(), "accept",
     {"name": "José"}),
    ("huge fee", ".csv", csv_text(D(fee_usd="1e308")).encode(), "refuse", "fee_usd"),
    ("overflowing fee", ".csv", csv_text(D(fee_usd="1e400")).encode(), "refuse", "fee_usd"),
    ("huge broker count", ".csv", csv_text(D(n_brokers="99999999999999999999999")).encode(),
     "refuse", "n_brokers"),
    ("huge year", ".csv", csv_text(D(birth_year="1e20")).encode(), "refuse", "birth_year"),
    ("negative fee", ".csv", csv_text(D(fee_usd="-5")).encode(), "refuse", "fee_usd"),
    ("negative debt", ".csv", csv_text(D(debt_usd="-0.01")).encode(), "refuse", "debt_usd"),
    ("negative brokers", ".csv", csv_text(D(n_brokers="-1")).encode(), "refuse", "n_brokers"),
    ("NaN fee", ".csv", csv_text(D(fee_usd="NaN")).encode(), "refuse", "fee_usd"),
    ("infinite debt", ".csv", csv_text(D(debt_usd="-Infinity")).encode(), "refuse", "debt_usd"),
    ("30 February", ".csv", csv_text(D(departure_date="2024-02-30")).encode(), "refuse",
     "departure_date"),
    ("31/02", ".csv", csv_text(D(departure_date="31/02/2024")).encode(), "refuse",
     "departure_date"),
    ("month 13", ".csv", csv_text(D(birth_date="1990-13-01")).encode(), "refuse", "birth_date"),
    ("year zero", ".csv", csv_text(D(departure_date="0000-00-00")).encode(), "refuse",
     "departure_date"),
    ("future date", ".csv", csv_text(D(departure_date="2100-01-01")).encode(), "refuse",
     "departure_date"),
    ("duplicate column", ".csv", csv_text(D(), header=[*h.HEADER, "sex"]).encode(), "refuse",
     "sex"),
    ("dressed-up header", ".csv", csv_text(D()).replace("home_village", "\u200bHome Village\u200e")
     .encode(), "accept", {"home_village": "01020101"}),
    ("extra cells", ".csv", ok.rstrip() + b",surplus,=1+1\r\n", "refuse", "extra"),
    ("unknown column", ".csv", csv_text({**D(), "colour": "=red"}, header=[*h.HEADER, "colour"])
     .encode(), "refuse", "colour"),
    ("no sex column", ".csv", csv_text(D(), header=[c for c in h.HEADER if c != "sex"]).encode(),
     "refuse", "sex"),
    ("semicolons (European Excel)", ".csv", csv_text(D(), sep=";").encode(), "accept",
     {"sex": "F"}),
    ("quotes and semicolons in a place", ".csv",
     csv_text(D(destination_place="Rayong ;'Site 2'; Chonburi")).encode(), "accept",
     {"destination_place": "Rayong ;'Site 2'; Chonburi"}),
    ("unterminated quote", ".csv", ok.rstrip() + b'\r\n"' + ok.splitlines()[1], "either", "row 3"),
    ("old Mac line ends", ".csv", ok.replace(b"\r\n", b"\r"), "accept", {"sex": "F"}),
    ("5000 columns", ".csv", (",".join(f"c{i}" for i in range(5000)) + "\n" +
                              ",".join("=1" for _ in range(5000))).encode(), "refuse", "c0"),
    ("empty workbook", ".xlsx", lambda p: xlsx(p, []), "refuse", "no header"),
    ("Excel date in the sex column", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(
        sex=dt.datetime(2024, 1, 2))]), "refuse", "sex"),
    ("Excel date in the name column", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(
        name=dt.date(2024, 1, 2))]), "either", "name"),
    ("Excel date in a yes/no column", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(
        has_visa=dt.date(2024, 1, 2))]), "refuse", "has_visa"),
    ("Excel number for a village", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(
        home_village=1020101)]), "refuse", "home_village"),
    ("Excel formula cell", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(
        name="=CONCAT(\"a\",\"b\")")]), "either", "name"),
    ("Excel booleans", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(has_passport=True,
                                                                       has_visa=False)]),
     "accept", {"has_passport": 1, "has_visa": 0}),
    ("Excel huge number", ".xlsx", lambda p: xlsx(p, [h.HEADER, excel_row(fee_usd=1e20)]),
     "refuse", "fee_usd"),
]


def _zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return path.read_bytes()


def no_traceback(result, what: str = "") -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"crash {what}: {type(result.exception).__name__}: {result.exception}\n{result.output}")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("case", "suffix", "data", "expected", "show"), FILES,
                         ids=[case[0] for case in FILES])
def test_hostile_file(base, tmp_path, figures, case, suffix, data, expected, show):
    figures.add("hand_picked_files")
    path = fresh(base, tmp_path)
    source = tmp_path / f"in{suffix}"
    scratch = tmp_path / f"scratch{suffix}"
    source.write_bytes(data(scratch) if callable(data) else data)
    before = h.content(path)
    result = runner.invoke(app, ["import", str(source), "--kind", "departures", "--db", str(path)])
    no_traceback(result)
    assert result.exit_code in (0, 1, 2), result.output
    if expected == "refuse" or (expected == "either" and result.exit_code):
        assert result.exit_code != 0, f"accepted: {result.output}"
        assert show in result.output, result.output
        assert h.content(path) == before
    else:
        assert result.exit_code == 0, result.output
        with register.open_register(path) as reg:
            ids = [r[0] for r in reg.conn.execute("SELECT id FROM journeys")]
            if expected == "either":
                assert len(ids) == 1
            else:
                assert len(ids) == (1 if show else 0)
                if show:
                    row = stored(reg, ids[0])
                    assert {k: row[k] for k in show} == show
    sound_and_safe(path, tmp_path)


# -- hand-picked: the command line ---------------------------------------------------------------
ENTRY = ["--sex", "F", "--home-village", h.VILLAGE, "--departure-date", "2024-05-01",
         "--destination-country", "TH", "--channel", "broker"]
OPTIONS: list[tuple[str, list[str], str, Any]] = [
    ("100k-character name", ["--name", "ក" * 100_000], "refuse", "name"),
    ("negative fee", ["--fee-usd", "-5"], "refuse", "fee_usd"),
    ("30 February", ["--departure-date", "2024-02-30"], "refuse", "departure_date"),
    ("Khmer digits in the village", ["--home-village", "០១០២០១០១"], "accept",
     {"home_village": "01020101"}),
    ("direction mark on the sex", ["--sex", "\u200fM"], "accept", {"sex": "M"}),
    ("formula as a name", ["--name", "=1+1"], "accept", {"name": "=1+1"}),
    ("SQL as a phone", ["--phone", "0'; DELETE FROM journeys; --"], "accept",
     {"phone": "0'; DELETE FROM journeys; --"}),
    ("control characters", ["--destination-place", "Ray\x1bong\x07"], "accept",
     {"destination_place": "Rayong"}),
]


@pytest.mark.parametrize(("case", "options", "expected", "show"), OPTIONS,
                         ids=[case[0] for case in OPTIONS])
def test_hostile_option(base, tmp_path, figures, case, options, expected, show):
    figures.add("hand_picked_options")
    path = fresh(base, tmp_path)
    before = h.content(path)
    given = dict(zip(ENTRY[::2], ENTRY[1::2], strict=True))
    given.update(zip(options[::2], options[1::2], strict=True))
    args = [a for pair in given.items() for a in pair]
    result = runner.invoke(app, ["add-departure", "--db", str(path), "--no-input", *args])
    no_traceback(result)
    if expected == "refuse":
        label = register.i18n.t(f"field.{show}")  # the refusal names the field by its label
        assert result.exit_code == 1 and f"{label}: " in result.output, result.output
        assert h.content(path) == before
    else:
        assert result.exit_code == 0, result.output
        with register.open_register(path) as reg:
            row = stored(reg, reg.conn.execute("SELECT id FROM journeys").fetchone()[0])
        assert {k: row[k] for k in show} == show
    sound_and_safe(path, tmp_path)


def test_bytes_that_are_not_utf8_on_the_command_line(base, tmp_path, figures):
    """A terminal in a legacy encoding sends bytes that are not UTF-8: Python hands them over as
    lone surrogates. The clerk must get a message, not a traceback, and nothing half-stored."""
    path = fresh(base, tmp_path)
    before = h.content(path)
    failures = []
    for args in (["add-departure", "--db", str(path), "--no-input", *ENTRY, "--name", b"Jos\xe9"],
                 ["add-departure", "--db", str(path), "--no-input", *ENTRY[2:], "--sex",
                  b"F\xff"],
                 ["search", b"Jos\xe9", "--db", str(path)]):
        figures.add("hand_picked_options")
        cmd = [*h.register_cmd(), *args]
        done = subprocess.run(cmd, cwd=h.ROOT, env=h.env(), capture_output=True)
        err = done.stderr.decode("utf-8", "replace")
        if done.returncode not in (0, 1, 2) or "Traceback" in err:
            failures.append((args[0], done.returncode, err.strip().splitlines()[-1:]))
    after = h.content(path)
    assert after == before or len(after["journeys"]) == 1
    h.assert_sound(path)
    assert not failures, failures


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    if how == "zeroed page":
        data[page:2 * page] = bytes(page)
    elif how == "garbage page":
        data[2 * page:3 * page] = random.Random(3).randbytes(page)
    elif how == "cut in half":
        data = data[: len(data) // 2]
    elif how == "garbage after the header":
        data[100:] = random.Random(4).randbytes(len(data) - 100)
    path.write_bytes(bytes(data))


DB_FILES = ["missing", "a folder", "empty", "a CSV", "garbage", "zeroed page", "garbage page",
            "cut in half", "garbage after the header"]


@pytest.mark.parametrize("what", DB_FILES)
def test_register_file_that_is_not_a_whole_register(base, tmp_path, figures, what):
    """--db given something that is not a whole register: every command says so (exit 1 or 2),
    no traceback. A damaged register must be reported by 'check', not crash it."""
    path = tmp_path / "r.db"
    if what == "a folder":
        path.mkdir()
    elif what == "empty":
        path.write_bytes(b"")
    elif what == "a CSV":
        path.write_bytes(csv_text(D()).encode() * 20)
    elif what == "garbage":
        path.write_bytes(GARBAGE * 10)
    elif what != "missing":
        shutil.copy(base, path)
        with register.open_register(path, durable=False) as reg:
            register.add_records(reg, "departures", h.synthetic_departures(300, "X"), today=h.TODAY)
        conn = h.raw(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        _damage(path, what)
    for command in (["check"], ["list", "departures"], ["export", "--out", str(tmp_path / "x.csv")],
                    ["add-departure", *ENTRY]):
        figures.add("hand_picked_register_files")
        result = runner.invoke(app, [*command, "--db", str(path), "--no-input"])
        no_traceback(result, f"'register {command[0]}' on {what}")
        assert result.exit_code in ((1, 2) if command[0] == "check" else (0, 1, 2)), result.output
        assert "Error" in result.output or result.exit_code == 0, result.output


@pytest.mark.parametrize(("birth_year", "departure_date"), [(2030, "2024-03-12"),
                                                            (2010, "2009-01-01")])
def test_export_of_a_record_edited_outside_the_program(base, tmp_path, figures, birth_year,
                                                       departure_date):
    """A birth year after the departure (edited by hand, or merged in from a tampered commune
    file): 'check' reports the edit, and the export does not crash and emits no negative age."""
    figures.add("hand_picked_register_files")
    path = fresh(base, tmp_path)
    with register.open_register(path) as reg:
        register.add_records(reg, "departures", [h.departure()], today=h.TODAY)
    conn = h.raw(path)
    conn.execute("UPDATE persons SET birth_year = ?", (birth_year,))
    conn.execute("UPDATE journeys SET departure_date = ?", (departure_date,))
    conn.close()
    checked = runner.invoke(app, ["check", "--db", str(path), "--no-input"])
    no_traceback(checked, "check")
    assert checked.exit_code == 1 and "edited outside" in checked.output
    out = tmp_path / "export.csv"
    result = runner.invoke(app, ["export", "--db", str(path), "--out", str(out), "--no-input"])
    no_traceback(result, "export")
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        cells = h.export_cells(path, out)
        assert not h.formula_cells(cells), h.formula_cells(cells)
