"""Banks written to break xent: each is refused with a reason, never shown raw."""

from __future__ import annotations

from pathlib import Path

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
