"""Every error message fits 80 columns, however long the value it quotes."""

from __future__ import annotations

from typer.testing import CliRunner

from xentcli.cli.app import MESSAGE_LIMIT, app, shorten, wrap_error

runner = CliRunner()


def test_a_long_message_continues_under_its_text() -> None:
    message = ("the progress file /home/someone/.local/share/xent/progress.db cannot be "
               "written (read-only file system); showing it read-only")
    assert wrap_error(message) == (
        "Error: the progress file /home/someone/.local/share/xent/progress.db cannot be\n"
        "       written (read-only file system); showing it read-only\n"
    )


def test_a_short_message_stays_on_one_line() -> None:
    assert wrap_error("P: 'x' is not a number") == "Error: P: 'x' is not a number\n"


def test_a_short_quoted_command_is_never_split() -> None:
    printed = wrap_error("Invalid value for 'PATH': path 'nope' does not exist. "
                         "See 'xent bank check --help'.")
    assert printed == ("Error: Invalid value for 'PATH': path 'nope' does not exist. See\n"
                       "       'xent bank check --help'.\n")


def test_a_long_quoted_value_is_cut_with_an_ellipsis() -> None:
    value = ",".join(["0.1"] * 30_000)  # a 90 KB row
    printed = wrap_error(f"P: empty row in '0.5;;{value}': two semicolons in a row?")
    assert printed == ("Error: P: empty row in '0.5;;0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.…': "
                       "two\n       semicolons in a row?\n")


def test_a_huge_message_without_quotes_keeps_its_start_and_end() -> None:
    message = "start " + "x " * 50_000 + "what to do"
    short = shorten(message)
    assert len(short) <= MESSAGE_LIMIT
    assert short.startswith("start x x") and short.endswith("x x what to do")
    assert " … " in short
    lines = wrap_error(message).splitlines()
    assert len(lines) <= 6 and max(map(len, lines)) <= 80


def test_a_90_kilobyte_row_in_an_error_prints_two_short_lines() -> None:
    row = ",".join(["0.1"] * 30_000)
    result = runner.invoke(app, ["calc", "entropy", f"0.5,0.5;;{row}"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: P: empty row in '0.5,0.5;;0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.…': two\n"
        "       semicolons in a row?\n"
    )


def test_the_text_between_two_quoted_values_is_never_cut() -> None:
    printed = wrap_error("Invalid value for '--date': 2026-11-26 has passed; give today or a "
                         "later day. See 'xent plan --help'.")
    assert printed == ("Error: Invalid value for '--date': 2026-11-26 has passed; give today "
                       "or a later\n       day. See 'xent plan --help'.\n")
