"""Shared test settings: hypothesis profiles, an isolated progress folder, and a
terminal of known size and colour."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The machine is small and shared: no per-example deadline (timings belong in
# benchmarks/), and a modest number of examples by default.
settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own XENT_HOME: nothing touches the user's real progress."""
    home = tmp_path / "xent-home"
    monkeypatch.setenv("XENT_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _plain_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is checked at 80 columns without colour, whatever terminal runs the tests
    (Rich reads COLUMNS; a test that needs another width sets its own)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


# ------------------------------------------------------------ a real terminal

ROOT = Path(__file__).resolve().parents[1]


class Terminal:
    """`xent quiz` in a child process whose stdin/stdout are a pseudo-terminal."""

    def __init__(self, *args: str, save: bool = False) -> None:
        import pty

        self.master, slave = pty.openpty()
        env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "80"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xentcli", "quiz", *([] if save else ["--no-save"]), *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True,
        )
        os.close(slave)
        self.seen = b""

    def _wait(self, text: str, count: int, patience: float) -> bool:
        token = text.encode()
        while self.seen.count(token) < count:
            ready, _, _ = select.select([self.master], [], [], patience)
            if not ready:
                return False
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"ended without {text!r}: {self.seen.decode(errors='replace')!r}"
            self.seen += chunk
        return True

    def expect(self, text: str, count: int = 1) -> None:
        """Read until ``text`` has appeared ``count`` times (a hang fails, not a timing)."""
        assert self._wait(text, count, 60), f"no {text!r} in {self.seen.decode()!r}"

    def interrupt(self, until: str) -> None:
        """Press Ctrl-C (SIGINT) until ``until`` shows.

        CPython's input() can miss a SIGINT that lands after the prompt is written
        but before it blocks reading the terminal (the flag is set, nothing wakes
        the read). A second SIGINT then interrupts the read, and both raise a
        single KeyboardInterrupt; a person would simply press Ctrl-C again.
        """
        for _ in range(6):
            self.proc.send_signal(signal.SIGINT)
            if self._wait(until, 1, 10):
                return
        raise AssertionError(f"no {until!r} in {self.seen.decode()!r}")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def keys(self, raw: bytes) -> None:
        """Send key codes as a terminal would (b"\\x1b[D" is Left-arrow)."""
        os.write(self.master, raw)

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(60)
        return code, " ".join(self.seen.decode().replace("\r", "").split())

    def close(self) -> None:
        """Always called: a failed test must not leave a child process behind."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def start(*args: str, save: bool = False) -> Terminal:
        opened.append(Terminal(*args, save=save))
        return opened[-1]

    yield start
    for term in opened:
        term.close()
