"""The edges a newcomer hits first: typos at the root, `| head`, long cards at a
terminal, completion, --json on learn, and a wide plot written to a file."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.quiz.cards import list_cards

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _xent(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xentcli", *args], capture_output=True,
                          text=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


@pytest.mark.parametrize(("typed", "message"), [
    ("cacl", "Error: No such command 'cacl'. Did you mean 'calc'? See 'xent --help'.\n"),
    ("QUIZ", "Error: No such command 'QUIZ'. Did you mean 'quiz'? See 'xent --help'.\n"),
    ("lern", "Error: No such command 'lern'. Did you mean 'learn'? See 'xent --help'.\n"),
    ("zzz", "Error: No such command 'zzz'. See 'xent --help'.\n"),
])
def test_a_mistyped_command_gets_a_suggestion(typed: str, message: str) -> None:
    result = runner.invoke(app, [typed])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    # `yes skip | xent quiz -n 30 | head -3`: Rich meets the closed pipe mid-session.
    proc = subprocess.Popen(
        [sys.executable, "-m", "xentcli", "quiz", "-n", "30", "--no-save", "--seed", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader leaves
    try:
        proc.stdin.write(b"skip\n" * 40)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    code = proc.wait(60)
    errors = proc.stderr.read()
    proc.stderr.close()
    assert (code, errors) == (0, b"")


def test_learn_json_lists_every_topic() -> None:
    result = runner.invoke(app, ["learn", "--json"])
    assert result.exit_code == 0
    topics = json.loads(result.stdout)["topics"]
    assert [t["topic"] for t in topics] == [c.topic for c in list_cards()]
    assert set(topics[0]) == {"topic", "title", "summary"}


def test_learn_json_gives_the_card_with_its_numbers_filled_in() -> None:
    result = runner.invoke(app, ["learn", "Entropy", "--json"])
    assert result.exit_code == 0
    card = json.loads(result.stdout)
    assert (card["topic"], card["title"]) == ("entropy", "Entropy")
    assert card["text"].startswith("# Entropy")
    assert "{" not in card["text"]  # every live number was computed


def test_learn_json_of_an_unknown_topic_is_one_line() -> None:
    result = runner.invoke(app, ["learn", "nope", "--json"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: unknown topic 'nope'. 'xent learn' lists the topics.\n"


def test_learn_completes_topic_names() -> None:
    env = {**os.environ, "_XENT_COMPLETE": "complete_bash", "COMP_WORDS": "xent learn cr",
           "COMP_CWORD": "2"}
    done = _xent(env=env)
    assert done.stdout.split() == ["cross-entropy"]


@pytest.mark.parametrize(("words", "offered"), [
    ("xent quiz -t cr", ["cross-entropy"]),
    ("xent interview --topic lo", ["logistic-regression"]),
    ("xent export anki deck.apkg -t js", ["js-divergence"]),
])
def test_topic_options_complete_topic_names(words: str, offered: list[str]) -> None:
    env = {**os.environ, "_XENT_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - 1)}
    assert _xent(env=env).stdout.split() == offered


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_a_saved_plot_keeps_a_width_beyond_80(tmp_path: Path) -> None:
    saved = tmp_path / "wide.txt"
    result = runner.invoke(app, ["plot", "logloss", "--width", "120", "--save", str(saved)])
    assert result.exit_code == 0, result.stderr
    assert _widest(saved.read_text()) == 120


def test_a_piped_plot_keeps_a_width_beyond_80() -> None:
    result = runner.invoke(app, ["plot", "entropy", "--width", "100"])
    assert result.exit_code == 0
    assert _widest(result.stdout) == 100


# --------------------------------------------------------------- at a terminal

needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


def _at_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run xent with stdout on a pseudo-terminal of 80x24; return what it showed."""
    import pty

    master, slave = pty.openpty()
    full = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80", "LINES": "24",
            **env}
    proc = subprocess.Popen([sys.executable, "-m", "xentcli", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=full, cwd=ROOT, close_fds=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        assert ready, seen
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(60) == 0, seen
    return seen.decode().replace("\r", "")


@needs_pty
def test_a_card_taller_than_the_terminal_goes_through_the_pager(tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    shown = _at_terminal(["learn", "entropy"], {"PAGER": f"cat > {paged}"})
    assert "Entropy" in paged.read_text()
    assert "Entropy" not in shown  # all of it went to the pager


@needs_pty
def test_a_short_text_at_a_terminal_is_not_paged(tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    shown = _at_terminal(["learn", "entropy"], {"PAGER": f"cat > {paged}", "LINES": "200"})
    assert not paged.exists()
    assert "Entropy" in shown


def test_a_piped_card_is_never_paged(tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    done = _xent("learn", "entropy", env={**os.environ, "PAGER": f"cat > {paged}"})
    assert not paged.exists()
    assert done.stdout.split("\n", 1)[0].strip() == "Entropy"


@needs_pty
def test_a_plot_wider_than_the_terminal_is_drawn_to_fit_with_a_note() -> None:
    shown = _at_terminal(["plot", "entropy", "--width", "120"], {})
    assert "Note: --width 120 is wider than this terminal (80 columns): drawn 80" in shown
    assert _widest(shown) <= 80


# ------------------------------------------------------- interrupts and memory

_EARLY_CTRL_C = """
import builtins, sys
real_import = builtins.__import__
def slow_import(name, *args, **kwargs):
    if name == "xentcli.cli.app":  # Ctrl-C lands while the CLI is still importing
        raise KeyboardInterrupt
    return real_import(name, *args, **kwargs)
builtins.__import__ = slow_import
from xentcli.cli import main
sys.argv = ["xent", "calc", "entropy", "0.5,0.5"]
main()
"""


def test_ctrl_c_while_starting_is_one_line_and_130() -> None:
    done = subprocess.run([sys.executable, "-c", _EARLY_CTRL_C], capture_output=True,
                          text=True, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\nInterrupted.\n")


def test_running_out_of_memory_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from xentcli.cli import app as app_module

    def no_memory(name: str) -> None:
        raise MemoryError

    monkeypatch.setattr(app_module, "load_command", no_memory)
    result = runner.invoke(app, ["stats"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == wrapped("Error: not enough memory for this input; try a smaller file or "
                             "a machine with more memory.\n")


@pytest.mark.parametrize(("args", "option"), [
    (["ce", "0", "0.5,0.5", "--eps"], "--eps"),
    (["ce", "0", "0.5,0.5", "--base"], "--base"),
    (["ce", "0", "0.5,0.5", "--eps", "--base", "2"], "--eps"),
    (["entropy", "--base", "-q", "0.5,0.5"], "--base"),
])
def test_an_option_without_its_value_is_named(args: list[str], option: str) -> None:
    # It used to take the '--' put before the numbers as its value: "got '--'".
    result = runner.invoke(app, ["calc", *args])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: {option} needs a value. See 'xent calc {args[0]} --help'.\n"
    )


def test_an_option_followed_by_its_value_still_works() -> None:
    result = runner.invoke(app, ["calc", "ce", "0", "0.5,0.5", "--base", "2", "-q"])
    assert (result.exit_code, result.stdout) == (0, "1.0\n")
