"""The clerk's script, driven as a clerk would: options, prompts, exit codes, messages."""

from __future__ import annotations

import csv
import subprocess
import sys

from typer.testing import CliRunner

import register
from register.cli import app
from tests.conftest import COMMUNE, VILLAGE

runner = CliRunner()

DEPARTURE = ["--sex", "F", "--home-village", VILLAGE, "--departure-date", "2024-05-01",
             "--destination-country", "TH", "--channel", "broker", "--n-brokers", "3",
             "--name", "Sok Dara"]


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


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


def test_departure_by_options(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", *DEPARTURE)
    assert result.exit_code == 0, result.output
    assert "Saved: departure" in result.output
    assert "3 brokers in the chain" in result.output
    with register.open_register(reg_path) as reg:
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 1


def test_no_input_refuses_missing_fields(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", "--sex", "F")
    assert result.exit_code == 2
    assert "--home-village, --departure-date, --destination-country, --channel" in result.output


def test_bad_option_value_is_a_clear_message(reg_path):
    args = [a if a != "TH" else "Narnia" for a in DEPARTURE]
    result = invoke("add-departure", "--db", str(reg_path), "--no-input", *args)
    assert result.exit_code == 1
    assert "field 'destination_country', value 'Narnia'" in result.output
    assert "Traceback" not in result.output


def test_departure_and_return_by_prompts(reg_path):
    # Answers in prompt order; a wrong answer is asked again (here the country "XX").
    answers = ["Chan Sophea", "", "", "", "M", "", "1990", VILLAGE, "", "", "2023-01-02", "XX",
               "TH", "", "", "own", "", "", "", "", "", "", "", "", "", "", "", ""]
    result = invoke("add-departure", "--db", str(reg_path), input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "not a known ISO country code" in result.output
    journey = result.output.split("Saved: departure ")[1].split()[0]
    # The return: journey id given as an option, the rest at the prompts.
    ret = ["2024-02-01", "deported", "construction", "1", "", "", "", "", "", "", "", "", "",
           "1", "labour"]
    result = invoke("add-return", "--db", str(reg_path), "--journey-id", journey,
                    input="\n".join(ret) + "\n")
    assert result.exit_code == 0, result.output
    with register.open_register(reg_path) as reg:
        row = reg.conn.execute("SELECT return_mode, ind_deception, ind_debt_bondage FROM returns"
                               ).fetchone()
    assert row == ("deported", 1, 1)


def test_interrupted_prompt_writes_nothing(reg_path):
    result = invoke("add-departure", "--db", str(reg_path), input="Chan Sophea\n")
    assert result.exit_code != 0
    with register.open_register(reg_path) as reg:
        assert reg.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_template_import_export_check_cycle(reg_path, tmp_path):
    header = invoke("template", "departures").output.strip().split(",")
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
    assert dry.exit_code == 1 and "row 3, field 'sex'" in dry.output
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


def test_not_a_register(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    result = invoke("check", "--db", str(junk))
    assert result.exit_code == 1 and "is not a register" in result.output
    missing = invoke("check", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "no register at" in missing.output


def test_lookup_by_khmer_and_latin_name():
    latin = invoke("lookup", "banteay neang", "--level", "commune")
    assert latin.exit_code == 0 and "010201" in latin.output
    khmer = invoke("lookup", "បន្ទាយនាង", "--level", "commune")
    assert khmer.exit_code == 0 and "010201" in khmer.output


def test_correct_and_show(reg_path):
    saved = invoke("add-departure", "--db", str(reg_path), "--no-input", *DEPARTURE)
    journey = saved.output.split("Saved: departure ")[1].split()[0]
    result = invoke("correct", journey[:8], "--db", str(reg_path), "--set",
                    "destination_country=MY", "--reason", "typo", "--no-input")
    assert result.exit_code == 0, result.output
    assert "'TH' -> 'MY'" in result.output
    shown = invoke("show", journey[:8], "--db", str(reg_path))
    assert "destination_country: MY" in shown.output and "many_brokers" in shown.output
    no_reason = invoke("correct", journey[:8], "--db", str(reg_path), "--set", "sex=M",
                       "--no-input")
    assert no_reason.exit_code == 2


def test_khmer_prompts_through_the_translation_layer(reg_path):
    result = runner.invoke(app, ["--lang", "km", "add-departure", "--db", str(reg_path)],
                           input="\n")
    assert "ឈ្មោះពេញ" in result.output  # "Full name"
    assert result.exit_code != 0  # input ended before the record was complete
    unknown = runner.invoke(app, ["--lang", "fr", "check", "--db", str(reg_path)])
    assert unknown.exit_code == 1 and "unknown language" in unknown.output


def test_entry_points():
    for cmd in ([sys.executable, "-m", "register", "--help"],
                [str(__import__("pathlib").Path(sys.executable).with_name("register")), "--help"]):
        out = subprocess.run(cmd, capture_output=True, text=True)
        assert out.returncode == 0 and "add-departure" in out.stdout


def test_every_command_has_help_and_is_in_the_readme():
    from pathlib import Path

    import typer

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert len(names) >= 20
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert group.commands[name].help, name
        assert f"register {name}" in readme, f"'register {name}' is not documented in the README"


def test_a_missing_register_file_is_asked_for_or_refused(reg_path):
    asked = invoke("check", input=f"{reg_path}\n")
    assert asked.exit_code == 0, asked.output
    assert "Register file" in asked.output and "intact" in asked.output
    refused = invoke("check", "--no-input")
    assert refused.exit_code == 2 and "--db" in refused.output
    kind = invoke("import", "x.csv", "--db", str(reg_path), "--no-input")
    assert kind.exit_code == 2 and "--kind" in kind.output
    saved = invoke("add-agency", "--no-input", "--name", "Acme", "--licence-status", "licensed")
    assert saved.exit_code == 2 and "--db" in saved.output
