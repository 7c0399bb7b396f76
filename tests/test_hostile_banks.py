"""Banks written to break xent: each is refused with a reason, never shown raw."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def _bank(tmp_path: Path, question: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text("topic: t\ntitle: T\nsummary: S.\nquestions:\n" + question)
    return path


def test_a_function_placed_in_a_template_is_a_problem_not_a_repr(tmp_path: Path) -> None:
    path = _bank(tmp_path, (
        "  - id: fn\n    kind: numeric\n    prompt: 'What is {ln}?'\n"
        "    answer: ln(2)\n    explanation: It is {ln(2):.3f}.\n"
    ))
    result = runner.invoke(app, ["bank", "check", str(path)])
    assert result.exit_code == 1
    assert "in {ln}: ln is a function: call it, as in ln(x)" in result.stdout + result.stderr
    assert "<function" not in result.stdout + result.stderr


@pytest.mark.parametrize(("escape", "code"), [
    ("\\e[2J", "U+001B (an escape code)"),          # clear the screen
    ("\\e]0;pwned\\a", "U+001B (an escape code)"),  # retitle the terminal window
    ("\\e[31m", "U+001B (an escape code)"),         # everything after in red
    ("\\x9b2J", "U+009B"),                          # the one-byte C1 form of ESC [
    ("\\a", "U+0007"),
])
def test_escape_sequences_in_bank_text_never_reach_the_terminal(
    tmp_path: Path, escape: str, code: str,
) -> None:
    path = _bank(tmp_path, (
        f'  - id: esc\n    kind: numeric\n    prompt: "What is ln 2?{escape}"\n'
        "    answer: ln(2)\n    explanation: It is {ln(2):.3f}.\n"
    ))
    expected = f"t.yaml:7: text may not contain control characters: found {code}"
    check = runner.invoke(app, ["bank", "check", str(path)])
    quiz = runner.invoke(app, ["quiz", "--bank", str(path), "--no-save"], input="skip\n")
    for result in (check, quiz):
        assert result.exit_code in (1, 2)
        assert expected in result.stdout + result.stderr
        assert "\x1b" not in result.stdout + result.stderr
        assert "\x9b" not in result.stdout + result.stderr
