"""Banks written to break xent: each is refused with a reason, never shown raw."""

from __future__ import annotations

import os
import subprocess
import sys
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
        assert expected in result.stdout + result.stderr.replace("\n       ", " ")
        assert "\x1b" not in result.stdout + result.stderr
        assert "\x9b" not in result.stdout + result.stderr


# ------------------------------------------------ bank folders with odd entries

def _check_folder(folder: Path) -> subprocess.CompletedProcess[str]:
    # A subprocess with a timeout: the failure this guards against is a hang.
    return subprocess.run([sys.executable, "-m", "xentcli", "bank", "check", folder.name],
                          capture_output=True, text=True, timeout=30, cwd=folder.parent)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_in_a_bank_folder_is_refused_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")
    done = _check_folder(folder)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == "banks/pipe.yaml: a named pipe, not a bank file\nFound 1 problem.\n"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_an_endless_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "zero.yaml").symlink_to("/dev/zero")
    done = _check_folder(folder)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == "banks/zero.yaml: a device, not a bank file\nFound 1 problem.\n"


def test_a_symbolic_link_loop_is_a_problem_not_an_internal_error(tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "a.yaml").symlink_to("b.yaml")
    (folder / "b.yaml").symlink_to("a.yaml")
    done = _check_folder(folder)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == (
        "banks/a.yaml: a symbolic link that loops back on itself\n"
        "banks/b.yaml: a symbolic link that loops back on itself\n"
        "Found 2 problems.\n"
    )


def test_a_file_past_the_size_limit_is_refused_after_reading_only_the_limit(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "big.yaml").write_text("# padding\n" * 150_000)
    done = _check_folder(folder)
    assert done.stdout == "banks/big.yaml: the file is larger than 1 MB\nFound 1 problem.\n"
