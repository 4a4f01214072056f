"""register list, show and search as the clerk reads them: labels and values in the clerk's
language, never field names or 0/1, within the terminal's width (bug 7 of the clerk issue:
tables fixed at 200 columns, an alias under 'sex' in search)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import register
from register.cli import app
from register.model import MODEL
from tests.conftest import departure


@pytest.fixture
def path(reg_path):
    with register.open_register(reg_path) as reg:
        register.add_broker(reg, name="Chea Sok", alias="Ta Sok", phone="011 222 333")
        dep = register.add_departure(reg, **departure(name="Sok Dara", has_passport=1,
                                                      contract_seen=0))
        register.add_return(reg, journey_id=dep.ids[0], return_date="2024-09-01",
                            return_mode="deported", ind_deception=1, ind_debt_bondage=1,
                            ind_isolation=0, exploitation_type="labour")
    return str(reg_path)


def run(*args: str, columns: int = 80, lang: str = "en"):
    return CliRunner(env={"COLUMNS": str(columns)}).invoke(app, ["--lang", lang, *args])


def test_search_shows_sex_as_a_label_and_a_broker_apart(path):
    result = run("search", "sok", "--db", path, columns=120)
    assert result.exit_code == 0, result.output
    person = next(line for line in result.output.splitlines() if "Sok Dara" in line)
    broker = next(line for line in result.output.splitlines() if "Chea Sok" in line)
    assert "Female" in person and "person" in person
    assert "Ta Sok" in broker and "broker" in broker
    header = result.output.splitlines()[0]
    assert "Sex" not in header and "Detail" in header  # no alias under a column named sex


def test_show_prints_labels_and_words(path):
    with register.open_register(path) as reg:
        journey = reg.conn.execute("SELECT id FROM journeys").fetchone()[0]
    result = run("show", journey[:8], "--db", path, columns=100)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Departure date: 12 March 2024" in out
    assert "Destination country: Thailand" in out and "Home village: Ou Thum" in out
    assert "Passport: yes" in out and "Saw a contract: no" in out
    assert "How they came back: Deported" in out
    assert "Deception (indicator of forced labour): yes" in out
    names = {f.name for _, f in MODEL.fields()}
    shown = {line.split(":")[0].strip() for line in out.splitlines() if ":" in line}
    assert not shown & names, shown & names  # no field names
    khmer = run("show", journey[:8], "--db", path, columns=100, lang="km")
    assert "ថ្ងៃទី១២ ខែមីនា ឆ្នាំ២០២៤" in khmer.output and "ថៃ" in khmer.output


def test_list_fits_the_terminal(path):
    for kind in ("departures", "returns", "persons", "brokers"):
        result = run("list", kind, "--db", path, columns=80)
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80, result.output
    returns = run("list", "returns", "--db", path, columns=80).output.split()
    for word in ("Sok", "Dara", "01/09/2024", "Deported", "Forced", "labour"):
        assert word in returns, (word, returns)  # every value, whole (a cell may wrap)
    wide = run("list", "departures", "--db", path, columns=160).output
    row = next(line for line in wide.splitlines() if "Sok Dara" in line)
    for words in ("Female", "Ou Thum", "12/03/2024", "Thailand", "Broker", "yes"):
        assert words in row, (words, row)


def test_list_in_khmer_uses_khmer_digits_and_labels(path):
    result = run("list", "departures", "--db", path, columns=200, lang="km")
    assert "១២/០៣/២០២៤" in result.output and "ស្រី" in result.output
    assert "អូរធំ" in result.output and "បាទ/ចាស" in result.output
