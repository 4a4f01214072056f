"""The clerk's script, driven as a clerk would: options, exit codes, messages, the register
file remembered. (Prompts: test_cli_entry.py; lists and records: test_cli_browse.py.)"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import register
from register.cli import app
from tests.conftest import COMMUNE, VILLAGE

runner = CliRunner(env={"COLUMNS": "200"})

DEPARTURE = ["--sex", "F", "--home-village", VILLAGE, "--departure-date", "2024-05-01",
             "--destination-country", "TH", "--channel", "broker", "--n-brokers", "3",
             "--name", "Sok Dara"]


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, ["--lang", "en", *args], input=input)


def saved_id(output: str) -> str:
    """The short id in 'Saved: departure 1a2b3c4d of ...'."""
    return output.split("Saved: ")[1].split()[1]


def test_init_with_a_real_and_a_wrong_commune(tmp_path):
    db = tmp_path / "r.db"
    bad = invoke("init", "--commune", "999999", "--db", str(db), "--no-input")
    assert bad.exit_code == 1 and "no commune with code 999999" in bad.output
    assert not db.exists()
    village = invoke("init", "--commune", VILLAGE, "--db", str(db), "--no-input")
    assert village.exit_code == 1 and "6-digit commune code" in village.output
    ok = invoke("init", "--commune", COMMUNE, "--db", str(db), "--no-input")
    assert ok.exit_code == 0, ok.output
    assert "Banteay Neang" in ok.output and db.exists()
    again = invoke("init", "--commune", COMMUNE, "--db", str(db), "--no-input")
    assert again.exit_code == 1 and "already exists" in again.output


def test_init_missing_options_with_no_input(tmp_path):
    result = invoke("init", "--no-input")
    assert result.exit_code == 2 and "--commune, --db" in result.output


def test_init_asks_and_saves_the_communes_language(tmp_path):
    db = tmp_path / "r.db"
    made = runner.invoke(app, ["init", "--commune", COMMUNE, "--db", str(db)], input="2\n")
    assert made.exit_code == 0, made.output
    assert "1  English" in made.output and "2  ខ្មែរ" in made.output
    assert "បានបង្កើតបញ្ជី" in made.output  # the rest of the session is in Khmer
    with register.open_register(db) as reg:
        assert register.i18n.register_language(reg.conn) == "km"
    # later commands speak Khmer without --lang; --lang and REGISTER_LANG still win
    checked = runner.invoke(app, ["check", "--db", str(db)])
    assert "កំណត់ហេតុសវនកម្ម" in checked.output
    english = runner.invoke(app, ["--lang", "en", "check", "--db", str(db)])
    assert "audit log is intact" in english.output
    by_env = runner.invoke(app, ["check", "--db", str(db)], env={"REGISTER_LANG": "en"})
    assert "audit log is intact" in by_env.output


def test_departure_by_options(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", *DEPARTURE)
    assert result.exit_code == 0, result.output
    assert "Saved: departure" in result.output and "of Sok Dara" in result.output
    assert "3 brokers in the chain" in result.output
    with register.open_register(reg_path) as reg:
        journey, person = reg.conn.execute("SELECT id, person_id FROM journeys").fetchone()
    # bug 6: the message shows the person id that add-referral needs
    assert f"departure {journey[:8]}" in result.output and f"person {person[:8]}" in result.output


def test_no_input_refuses_missing_fields(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", "--sex", "F")
    assert result.exit_code == 2
    assert "--home-village, --departure-date, --destination-country, --channel" in result.output


def test_bad_option_value_is_a_clear_message(reg_path):
    args = [a if a != "TH" else "Narnia" for a in DEPARTURE]
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", *args)
    assert result.exit_code == 1
    assert "Destination country: 'Narnia' is not a known country" in result.output
    assert "row 1" not in result.output and "Traceback" not in result.output


def test_khmer_answers_and_digits_as_options(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", "--sex", "ស្រី",
                    "--home-village", "០១០២០១០១", "--departure-date", "០៥/០៣/២០២៤",
                    "--destination-country", "ម៉ាឡេស៊ី", "--channel", "ដោយខ្លួនឯង",
                    "--has-passport", "ចាស", "--phone", "០១២ ៣៤៥ ៦៧៨",
                    "--national-id", "០១០ ២០៣ ០៤៥")
    assert result.exit_code == 0, result.output
    with register.open_register(reg_path) as reg:
        row = reg.conn.execute(
            "SELECT p.sex, p.home_village, j.departure_date, j.destination_country, j.channel, "
            "j.has_passport, i.phone, i.national_id FROM journeys j JOIN persons p ON "
            "p.id = j.person_id JOIN person_identity i ON i.person_id = p.id").fetchone()
    assert row == ("F", VILLAGE, "2024-03-05", "MY", "own", 1, "012345678", "010203045")
    found = invoke("search", "012 345", "--db", str(reg_path))  # bug 7: typed with spaces
    assert found.exit_code == 0 and "Female" in found.output


def test_a_licence_valid_until_next_year_can_be_recorded(reg_path):
    """Bug 1, through the command line (the library's test is in test_records.py)."""
    result = invoke("add-agency", "--db", str(reg_path), "--no-input", "--name", "X Co",
                    "--licence-status", "licensed", "--licence-expiry", "2099-12-31")
    assert result.exit_code == 0, result.output
    assert "Saved: agency" in result.output  # bug 7: not 'agencie'


def test_a_village_of_another_province_is_accepted_with_a_warning(reg_path):
    far = "12010101"  # a village of Phnom Penh; the register is in Banteay Meanchey
    args = [a if a != VILLAGE else far for a in DEPARTURE]
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", *args)
    assert result.exit_code == 0, result.output
    assert "in another province than this register's commune" in result.output


def test_template_import_export_check_cycle(reg_path, tmp_path):
    shown = invoke("template", "departures").output.splitlines()
    header = next(line for line in shown if line.startswith("person_id,")).split(",")
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        good = dict(zip(header, [""] * len(header), strict=True))
        good.update(sex="F", home_village=VILLAGE, departure_date="2024-01-01",
                    destination_country="MY", channel="own", name="Keo Vanna")
        writer.writerow(good.values())
        writer.writerow({**good, "sex": "?"}.values())
    dry = invoke("import", str(path), "--kind", "departures", "--db", str(reg_path), "--dry-run")
    assert dry.exit_code == 1 and "row 3: Sex (column sex)" in dry.output
    refused = invoke("import", str(path), "--kind", "departures", "--db", str(reg_path))
    assert refused.exit_code == 1 and "Nothing was written: 1 problems" in refused.output
    rows = path.read_text().splitlines()[:2]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = invoke("import", str(path), "--kind", "departures", "--db", str(reg_path))
    assert done.exit_code == 0, done.output
    out = tmp_path / "export.csv"
    exported = invoke("export", "--db", str(reg_path), "--out", str(out), "--level", "detailed",
                      "--accept-reidentification-risk")
    assert exported.exit_code == 0 and "Exported 1 journeys" in exported.output
    assert "Keo Vanna" not in out.read_text()
    checked = invoke("check", "--db", str(reg_path))
    assert checked.exit_code == 0 and "audit log is intact" in checked.output


def test_the_template_says_phones_are_text(tmp_path):
    shown = invoke("template", "departures")
    assert "format the columns national_id, phone, contact_phone as Text" in shown.output
    book = tmp_path / "departures.xlsx"
    made = invoke("template", "ការចាកចេញ", "--out", str(book))  # the kind named in Khmer
    assert made.exit_code == 0, made.output
    import openpyxl

    sheet = openpyxl.load_workbook(book).active
    header = [c.value for c in sheet[1]]
    phone = header.index("phone") + 1
    assert sheet.cell(row=2, column=phone).number_format == "@"
    assert "leading 0" in sheet.cell(row=1, column=phone).comment.text


def test_a_wrong_header_is_named_once(reg_path, tmp_path):
    """Bug 7: a header of other columns is one problem (not one per cell), and a header of
    unknown columns without rows is refused too."""
    path = tmp_path / "wrong.csv"
    rows = "\n".join(f"{i},F,x" for i in range(300))
    path.write_text(f"numero,gender,colour\n{rows}\n", encoding="utf-8")
    result = invoke("import", str(path), "--kind", "departures", "--db", str(reg_path))
    assert result.exit_code == 1
    assert "Nothing was written: 2 problems" in result.output
    assert "the columns numero, gender, colour are not fields of departures" in result.output
    assert "has no column for sex, home_village, departure_date" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_text("numero,gender\n", encoding="utf-8")
    result = invoke("import", str(empty), "--kind", "departures", "--db", str(reg_path))
    assert result.exit_code == 1 and "numero, gender" in result.output


def test_not_a_register(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    result = invoke("check", "--db", str(junk))
    assert result.exit_code == 1 and "is not a register" in result.output
    missing = invoke("check", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "no register at" in missing.output


def test_a_csv_given_as_the_register_is_named_not_asked_a_passphrase(tmp_path):
    """Bug 7: a CSV as --db asked for a passphrase, then said it was wrong."""
    path = tmp_path / "departures.csv"
    path.write_text("name,sex,home_village\n" + "Sok Dara,F,01020101\n" * 40, encoding="utf-8")
    result = invoke("check", "--db", str(path), input="secret-passphrase\n")
    assert result.exit_code == 1
    assert "is not a register: it is a text or spreadsheet file" in result.output
    assert "Passphrase" not in result.output


def test_lookup_by_khmer_and_latin_name():
    latin = invoke("lookup", "banteay neang", "--level", "commune")
    assert latin.exit_code == 0 and "010201" in latin.output
    khmer = invoke("lookup", "បន្ទាយនាង", "--level", "ឃុំ")
    assert khmer.exit_code == 0 and "010201" in khmer.output
    wrong = invoke("lookup", "x", "--level", "township")
    assert wrong.exit_code == 1 and "unknown level" in wrong.output


def test_correct_shows_words_and_a_no_op_is_not_written(reg_path):
    saved = invoke("add-departure", "--db", str(reg_path), "--no-input", *DEPARTURE)
    journey = saved_id(saved.output)
    result = invoke("correct", journey, "--db", str(reg_path), "--set",
                    "destination_country=MY", "--reason", "typo", "--no-input")
    assert result.exit_code == 0, result.output
    assert "Corrected Destination country: Thailand -> Malaysia" in result.output
    # a field named by its label, in Khmer
    by_label = invoke("correct", journey, "--db", str(reg_path), "--set", "ប្រទេសគោលដៅ=KR",
                      "--reason", "typo", "--no-input")
    assert "Malaysia -> South Korea" in by_label.output, by_label.output
    with register.open_register(reg_path) as reg:
        before = reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
    same = invoke("correct", journey, "--db", str(reg_path), "--set", "destination_country=KR",
                  "--reason", "again", "--no-input")
    assert same.exit_code == 0 and "Nothing changed" in same.output
    with register.open_register(reg_path) as reg:
        assert reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] == before
    no_reason = invoke("correct", journey, "--db", str(reg_path), "--set", "sex=M",
                       "--no-input")
    assert no_reason.exit_code == 2


def test_entry_points():
    for cmd in ([sys.executable, "-m", "register", "--help"],
                [str(Path(sys.executable).with_name("register")), "--help"]):
        out = subprocess.run(cmd, capture_output=True, text=True,
                             env={**os.environ, "REGISTER_LANG": "en"})
        assert out.returncode == 0 and "add-departure" in out.stdout


def test_khmer_help_in_a_real_process():
    """`register --lang km X --help` in a process of its own: the language is chosen before
    the help is made."""
    out = subprocess.run([sys.executable, "-m", "register", "--lang", "km", "add-return",
                          "--help"], capture_output=True, text=True, encoding="utf-8",
                         env={**os.environ, "COLUMNS": "100"})
    assert out.returncode == 0 and "កត់ត្រាការវិលត្រឡប់" in out.stdout
    assert "Record a return" not in out.stdout


def test_every_command_has_help_and_is_in_the_readme():
    import typer

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert len(names) >= 20
    for name in names:
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        assert group.commands[name].help, name
        assert f"register {name}" in readme, f"'register {name}' is not documented in the README"


def test_a_missing_register_file_is_asked_for_or_refused(reg_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")  # a folder without a .db file
    asked = invoke("check", input=f"{reg_path}\n")
    assert asked.exit_code == 0, asked.output
    assert "Register file" in asked.output and "intact" in asked.output
    kind = invoke("import", "x.csv", "--db", str(reg_path), "--no-input")
    assert kind.exit_code == 2 and "--kind" in kind.output


def test_the_register_is_remembered(reg_path, tmp_path, monkeypatch):
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    refused = invoke("check", "--no-input")
    assert refused.exit_code == 2 and "--db" in refused.output
    assert invoke("check", "--db", str(reg_path)).exit_code == 0
    again = invoke("check", "--no-input")  # the register used last
    assert again.exit_code == 0 and f"Register: {reg_path}" in again.output
    # the only .db file of the folder wins over the one used last
    monkeypatch.chdir(reg_path.parent)
    other = empty / "other.db"
    register.init_register(other, commune=COMMUNE).close()
    assert invoke("check", "--db", str(other)).exit_code == 0
    here = invoke("add-agency", "--no-input", "--name", "Acme", "--licence-status", "licensed")
    assert here.exit_code == 0, here.output
    with register.open_register(reg_path) as reg:
        assert reg.conn.execute("SELECT name FROM agencies").fetchone() == ("Acme",)
