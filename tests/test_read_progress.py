"""The bar shown on stderr while a large input file is read: when it shows, what
it counts, and that it is gone before anything else is written.

The decisions run on a fake clock and a recording display; the terminal itself
is tried through a pseudo-terminal, with the delay set to 0 so that a small
file is "slow". (The cost of the bar is measured in benchmarks/read_progress.py.)
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from messages import wrapped
from typer.testing import CliRunner

from xentcli.cli import progress
from xentcli.cli.app import app
from xentcli.cli.calc import reader
from xentcli.cli.progress import Board, reading_progress, wanted
from xentcli.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


class Clock:
    """A clock that moves only when told (or by ``step`` on every reading)."""

    def __init__(self, step: float = 0.0) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        now = self.now
        self.now += self.step
        return now


class Recorder:
    """A display that writes down what it is asked to draw."""

    def __init__(self, events: list[tuple[Any, ...]]) -> None:
        self.events = events
        self.events.append(("start",))

    def add(self, description: str, total: int | None, started: float) -> int:
        self.events.append(("add", description, total))
        return len([e for e in self.events if e[0] == "add"]) - 1

    def update(self, task: int, completed: int) -> None:
        self.events.append(("update", task, completed))

    def refresh(self) -> None:
        self.events.append(("refresh",))

    def stop(self) -> None:
        self.events.append(("stop",))


def _board(enabled: bool = True) -> tuple[Board, Clock, list[tuple[Any, ...]]]:
    clock, events = Clock(), []  # type: ignore[var-annotated]
    return Board(enabled, clock=clock, display=lambda: Recorder(events)), clock, events


def _kinds(events: list[tuple[Any, ...]]) -> list[str]:
    return [e[0] for e in events]


# ---------------------------------------------------------------- the decisions


@pytest.mark.parametrize(("tty", "term", "quiet", "shown"), [
    (True, "xterm-256color", False, True),
    (True, None, False, True),
    (False, "xterm", False, False),  # 2> log, 2>&1 | less: never
    (True, "dumb", False, False),  # cannot redraw a line in place
    (True, "DUMB", False, False),
    (True, "xterm", True, False),  # -q: nothing but the value
])
def test_a_bar_is_wanted_only_at_a_terminal_that_redraws_and_not_with_quiet(
    tty: bool, term: str | None, quiet: bool, shown: bool,
) -> None:
    assert wanted(stderr_tty=tty, term=term, quiet=quiet) is shown


def test_a_read_quicker_than_the_delay_shows_nothing() -> None:
    board, clock, events = _board()
    tracker = board.track("P @a.csv", 1000)
    for t in (0.1, 0.5, 0.99):
        clock.now = t
        tracker.update(int(t * 1000))
    tracker.finish()
    clock.now = 5.0
    board.close()
    assert events == []


def test_a_slow_read_shows_its_bar_after_the_delay_and_erases_it_when_done() -> None:
    board, clock, events = _board()
    tracker = board.track("P @big.csv", 2000)
    clock.now = 0.9
    tracker.update(900)
    assert events == []
    clock.now = 1.0
    tracker.update(1000)
    assert events == [("start",), ("add", "P @big.csv", 2000), ("update", 0, 1000),
                      ("refresh",)]
    clock.now = 1.5
    tracker.update(1500)
    tracker.finish()
    assert events[-2:] == [("refresh",), ("stop",)]
    board.close()
    assert _kinds(events).count("stop") == 1


def test_the_bar_is_redrawn_at_most_five_times_a_second() -> None:
    board, clock, events = _board()
    tracker = board.track("P -", None)  # a pipe: no total
    for step in range(301):  # a block every 10 ms for 3 s
        clock.now = step / 100
        tracker.update(step * 4096)
    refreshes = _kinds(events).count("refresh")
    assert 9 <= refreshes <= 11  # from 1.0 s to 3.0 s, one every 0.2 s
    assert ("add", "P -", None) in events
    drawn = [e[2] for e in events if e[0] == "update"]
    assert drawn == sorted(drawn) and drawn[-1] >= 280 * 4096


def test_two_sources_get_a_bar_each_and_go_together() -> None:
    board, clock, events = _board()
    target, pred = board.track("TARGET @y.csv", 100), board.track("PRED @q.csv", 900)
    clock.now = 2.0
    target.update(50)
    assert [e for e in events if e[0] == "add"] == [("add", "TARGET @y.csv", 100),
                                                    ("add", "PRED @q.csv", 900)]
    target.finish()
    assert "stop" not in _kinds(events)  # PRED is still being read
    pred.finish()
    assert _kinds(events)[-1] == "stop"


def test_a_board_that_may_not_draw_never_does() -> None:
    board, clock, events = _board(enabled=False)
    tracker = board.track("P @big.csv", 10)
    for t in range(100):
        clock.now = float(t)
        tracker.update(t)
    board.close()
    assert events == []


def test_an_error_while_reading_erases_the_bar_before_it_goes_on() -> None:
    clock, events = Clock(), []  # type: ignore[var-annotated]
    with pytest.raises(InputError), reading_progress(
        quiet=False, stderr_tty=True, clock=clock, display=lambda: Recorder(events),
    ):
        tracker = progress.track("P @big.csv", 100)
        clock.now = 3.0
        tracker.update(40)
        assert _kinds(events)[-1] == "refresh"
        raise InputError("P: 'abc' is not a number")
    assert _kinds(events)[-1] == "stop"


def test_outside_a_command_and_with_quiet_nothing_is_tracked() -> None:
    assert progress.track("P @a.csv", 10)._board is None
    with reading_progress(quiet=True, stderr_tty=True) as board:
        assert not board.enabled
    with reading_progress(quiet=False, stderr_tty=False) as board:
        assert not board.enabled


def test_a_long_file_name_is_cut_from_the_left() -> None:
    assert progress.label("P", "@big.csv") == "P @big.csv"
    shown = progress.label("--sample-weights", "@/home/me/data/2026/weights-final.csv")
    assert shown == "--sample-weights …/weights-final.csv"  # a whole name when it can
    assert progress.label("P", "@" + "x" * 40) == "P …" + "x" * 21


# ---------------------------------------------------------- what the reader counts


def _read_with_bar(source: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Read ``source`` whole with a clock that passes 0.5 s per look: always slow."""
    monkeypatch.setattr(reader, "CHUNK_LINES", 100)
    events: list[tuple[Any, ...]] = []
    with reading_progress(quiet=False, stderr_tty=True, clock=Clock(step=0.5),
                          display=lambda: Recorder(events)):
        reader.read_source(source, "P")
    return events


def test_a_text_file_counts_its_bytes_against_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("0.1,0.2,0.7\n" * 1000)
    events = _read_with_bar(f"@{path}", monkeypatch)
    assert ("add", progress.label("P", f"@{path}"), 12000) in events
    done = [e[2] for e in events if e[0] == "update"]
    assert done == sorted(done) and len(done) >= 5
    assert done[-1] == 12000
    assert events[-1] == ("stop",)


def test_a_pipe_counts_what_it_read_without_a_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "w") as pipe:
            pipe.write("0.5,0.5\n" * 1000)

    writer = threading.Thread(target=feed)
    writer.start()
    events = _read_with_bar(f"@/dev/fd/{read_end}", monkeypatch)
    writer.join()
    os.close(read_end)
    assert [e for e in events if e[0] == "add"][0][2] is None
    assert [e[2] for e in events if e[0] == "update"][-1] == 8000


def test_a_npy_array_counts_its_rows_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "q.npy"
    np.save(path, np.full((5000, 4), 0.25))
    events: list[tuple[Any, ...]] = []
    with reading_progress(quiet=False, stderr_tty=True, clock=Clock(step=0.5),
                          display=lambda: Recorder(events)):
        rows = reader.open_rows(f"@{path}", "Q")
        while not rows.done:
            rows.take(1000)
        rows.close()
    assert ("add", progress.label("Q", f"@{path}"), 5000 * 4 * 8) in events
    assert [e[2] for e in events if e[0] == "update"][-1] == 5000 * 4 * 8


def test_rows_typed_at_a_terminal_get_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    # `xent calc entropy -` at a terminal: the time is the typist's, not the reading's.
    import io

    class Typed(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Typed("0.5,0.5\n0.2,0.8\n"))
    events: list[tuple[Any, ...]] = []
    with reading_progress(quiet=False, stderr_tty=True, clock=Clock(step=5.0),
                          display=lambda: Recorder(events)):
        assert reader.read_source("-", "P").shape == (2, 2)
    assert events == []


# ------------------------------------------------------------ the command itself


def test_piped_stderr_is_exactly_as_without_a_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even with no delay at all, a stderr that is not a terminal gets only the error.
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(reader, "CHUNK_LINES", 10)
    path = tmp_path / "bad.csv"
    path.write_text("0.5,0.5\n" * 100 + "0.5,abc\n")
    result = runner.invoke(app, ["calc", "entropy", f"@{path}"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == wrapped(
        f"Error: P: 'abc' is not a number (@{path} line 101, index 1)\n")


def test_ctrl_c_in_a_command_says_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    # Typer turns it into a silent exit 130; the user is told, as at start-up.
    from xentcli.cli.calc import stream

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(stream, "compute", interrupted)
    result = runner.invoke(app, ["calc", "entropy", "0.5,0.5"])
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "\nInterrupted.\n")


needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

_AT_TERMINAL = """
import sys
from xentcli.cli import main, progress
from xentcli.cli.calc import reader
progress.DELAY = 0.0  # every read is slow enough
reader.CHUNK_LINES = 50
if sys.argv[1] == "interrupt":
    real, calls = reader._convert_chunk, []
    def convert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    reader._convert_chunk = convert
sys.argv = ["xent", *sys.argv[2:]]
main()
"""
#: The sequence that erases the bar: up to its line, clear the line.
_ERASE = "\x1b[1A\x1b[2K"


def _at_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the snippet with stdout and stderr on an 80x24 pseudo-terminal."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    full = {name: value for name, value in os.environ.items() if name != "NO_COLOR"}
    full.update({"TERM": "xterm-256color", **(env or {})})
    proc = subprocess.Popen([sys.executable, "-c", _AT_TERMINAL, *args],
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=full,
                            cwd=ROOT, close_fds=True)
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
    return proc.wait(60), seen.decode().replace("\r", "")


def _big(tmp_path: Path, bad_at: int | None = None) -> Path:
    lines = ["0.1,0.2,0.7\n"] * 2000
    if bad_at is not None:
        lines[bad_at - 1] = "0.1,abc,0.7\n"
    path = tmp_path / "big.csv"
    path.write_text("".join(lines))
    return path


@needs_pty
def test_at_a_terminal_the_bar_is_drawn_then_erased_before_the_result(tmp_path: Path) -> None:
    path = _big(tmp_path)
    status, shown = _at_terminal("read", "calc", "entropy", f"@{path}")
    assert status == 0
    bar, _, after = shown.rpartition(_ERASE)
    assert "P …" in bar and "/big.csv" in bar and "/24.0 kB" in bar  # what is read, of all
    assert "\x1b[" in bar  # in colour
    plain = re.sub(r"\x1b\[[0-9;]*m", "", after)  # the result is in bold at a terminal
    assert plain == "entropy  H(P) = 0.801819 nats   (mean over 2000 rows)\n"


@needs_pty
def test_an_error_mid_file_erases_the_bar_before_its_one_line(tmp_path: Path) -> None:
    path = _big(tmp_path, bad_at=1500)
    status, shown = _at_terminal("read", "calc", "entropy", f"@{path}")
    assert status == 2
    bar, _, after = shown.rpartition(_ERASE)
    assert "kB" in bar
    assert after == wrapped(f"Error: P: 'abc' is not a number (@{path} line 1500, index 1)\n")


@needs_pty
def test_ctrl_c_while_reading_erases_the_bar_and_says_interrupted(tmp_path: Path) -> None:
    status, shown = _at_terminal("interrupt", "calc", "entropy", f"@{_big(tmp_path)}")
    assert status == 130
    bar, _, after = shown.rpartition(_ERASE)
    assert "kB" in bar
    assert after == "\nInterrupted.\n"


@needs_pty
def test_without_colour_the_bar_has_no_escape_codes_but_its_own(tmp_path: Path) -> None:
    status, shown = _at_terminal("read", "calc", "entropy", f"@{_big(tmp_path)}",
                                 env={"NO_COLOR": "1"})
    assert status == 0
    bar = shown.rpartition(_ERASE)[0]
    assert "━" in bar
    # Only cursor moves and line clears (Rich's redrawing), never a colour or a style.
    assert not re.search(r"\x1b\[[0-9;]*m", bar)


@needs_pty
@pytest.mark.parametrize("args", [("-q",), ("--json",)])
def test_quiet_draws_nothing_and_json_only_on_stderr(tmp_path: Path, args: tuple[str]) -> None:
    status, shown = _at_terminal("read", "calc", "entropy", f"@{_big(tmp_path)}", *args)
    assert status == 0
    if args == ("-q",):
        assert re.fullmatch(r"0\.80181855254333\d*\n", shown)  # the value, nothing else
    else:
        assert shown.rpartition(_ERASE)[2].startswith('{"measure": "entropy"')


@needs_pty
def test_a_dumb_terminal_gets_no_bar(tmp_path: Path) -> None:
    status, shown = _at_terminal("read", "calc", "entropy", f"@{_big(tmp_path)}",
                                 env={"TERM": "dumb"})
    assert (status, shown) == (0, "entropy  H(P) = 0.801819 nats   (mean over 2000 rows)\n")
