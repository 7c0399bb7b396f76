"""`xent bank list` and `xent bank check` through CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from messages import wrapped
from typer.testing import CliRunner, Result

from xentcli.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures" / "banks"


def _bank(*args: str) -> Result:
    return CliRunner().invoke(app, ["bank", *args])


@pytest.fixture(autouse=True)
def _in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems name files relative to the current folder.
    monkeypatch.chdir(FIXTURES)


def test_list_shows_topics_kinds_and_counts() -> None:
    result = _bank("list", "--bank", "good")
    assert result.exit_code == 0
    assert result.stderr == ""
    line = "─" * 58
    assert result.stdout == (
        "Topic      Title           Numeric   Choice   Open   Total\n"
        f"{line}\n"
        "basics     Basics                2        1      1       4\n"
        "units      Bits and nats         1        1      0       2\n"
        f"{line}\n"
        "2 topics                         3        2      1       6\n"
    )


def test_list_takes_several_banks() -> None:
    result = _bank("list", "--bank", "good/units.yaml", "--bank", "single")
    assert result.exit_code == 0
    assert [row.split()[0] for row in result.stdout.splitlines()[2:4]] == ["units", "ce-loss"]


def test_check_passes_a_valid_bank() -> None:
    result = _bank("check", "good", "single")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "OK: 3 topics, 7 questions (4 numeric, 2 choice, 1 open), 20 draws each.\n"
    )


def test_check_of_one_question_says_question() -> None:
    result = _bank("check", "single")
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 1 topic, 1 question (1 numeric, 0 choice, 0 open)")


def test_check_reports_every_problem_with_file_line_and_id() -> None:
    result = _bank("check", "bad")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout == (
        "bad/broken.yaml:5: question 'broken-unknown-key': missing 'answer'\n"
        "bad/broken.yaml:8: question 'broken-unknown-key': unknown key 'anwser'\n"
        "bad/broken.yaml:11: question 'broken-kind': unknown kind 'essay' "
        "(use numeric, choice or open)\n"
        "bad/broken.yaml:13: question #3: missing 'id'\n"
        "bad/broken.yaml:16: question #3: answer 3 is not a choice (1 to 2)\n"
        "bad/broken.yaml:23: question 'broken-sometimes': answer: division by zero (seed 0)\n"
        "bad/broken.yaml:27: question 'broken-name': prompt: unknown name 'p'\n"
        "bad/other.yaml:5: question 'broken-name': duplicate id (also in bad/broken.yaml:25)\n"
        "bad/other.yaml:9: question 'broken-name': key_points must be a list of 2 to 6 "
        "entries\n"
        "Found 9 problems.\n"
    )


def test_check_refuses_a_missing_path() -> None:
    result = _bank("check", "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(
        "Error: Invalid value for 'PATH': path 'nope' does not exist. "
        "See 'xent bank check --help'.\n"
    )


def test_list_refuses_an_invalid_bank() -> None:
    result = _bank("list", "--bank", "bad/other.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == wrapped(
        "Error: bad/other.yaml:9: question 'broken-name': key_points must be a list of 2 to 6 "
        "entries\n"
    )


def test_bank_without_a_command_shows_help() -> None:
    result = _bank()
    assert result.exit_code == 0
    assert "list" in result.stdout and "check" in result.stdout


def test_check_help_describes_the_checks() -> None:
    result = _bank("check", "--help")
    assert result.exit_code == 0
    assert "20 seeds" in " ".join(result.stdout.split())
