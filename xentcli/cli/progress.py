"""A progress bar on stderr while a large input file is read.

A command that reads files (``xent calc``, ``xent eval``) runs inside
:func:`reading_progress`; the reader reports, once per block of rows, how many
bytes of each source it has consumed (:func:`track`). Nothing is drawn unless:

- stderr is a terminal (never when it is piped or redirected), the terminal
  can redraw a line (``TERM`` is not ``dumb``), and ``-q`` was not given;
- and the reading has gone on for :data:`DELAY` seconds: a quick read shows
  nothing at all.

The bar is transient: it is erased when the reading ends, when an error stops
it (before the one-line error is printed) and on Ctrl-C. It is redrawn at most
every :data:`INTERVAL` seconds, from the reading itself (no thread), and Rich's
progress module is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = ["DELAY", "INTERVAL", "Board", "reading_progress", "track", "wanted"]

#: Seconds of reading before a bar appears.
DELAY = 1.0
#: Fewest seconds between two redraws (at most five a second).
INTERVAL = 0.2
#: Longest source name shown (the start of a longer one is cut: '…/big.csv').
LABEL_WIDTH = 22


def wanted(*, stderr_tty: bool, term: str | None, quiet: bool) -> bool:
    """Whether a bar may be drawn at all (it still waits for :data:`DELAY`).

    >>> wanted(stderr_tty=True, term="xterm-256color", quiet=False)
    True
    >>> wanted(stderr_tty=False, term="xterm", quiet=False)  # 2>log, 2>&1 | ...
    False
    >>> wanted(stderr_tty=True, term="dumb", quiet=False)
    False
    """
    return stderr_tty and not quiet and (term or "").lower() != "dumb"


def label(name: str, source: str) -> str:
    """``PRED @data.csv``, the file name cut from the left to fit.

    >>> label("PRED", "@/tmp/a/rather/long/folder/big.csv")
    'PRED …/long/folder/big.csv'
    """
    if len(source) > LABEL_WIDTH:
        tail = source[-(LABEL_WIDTH - 1):]
        cut = tail.find("/")  # start at a whole folder or file name where one fits
        source = "…" + (tail[cut:] if cut > 0 else tail)
    return f"{name} {source}"


class Display(Protocol):
    """What draws the bars (Rich in use; a recorder in tests)."""

    def add(self, description: str, total: int | None, started: float) -> int: ...

    def update(self, task: int, completed: int) -> None: ...

    def refresh(self) -> None: ...

    def stop(self) -> None: ...


class Tracker:
    """One source's reading: :meth:`update` with the bytes consumed so far."""

    def __init__(self, board: Board | None, description: str, total: int | None,
                 started: float = 0.0) -> None:
        self._board = board
        self.description, self.total, self.started = description, total, started
        self.position = 0
        self.done = False
        self.task: int | None = None  # its bar, while one is drawn

    def update(self, position: int) -> None:
        self.position = position
        if self._board is not None:
            self._board.tick()

    def finish(self) -> None:
        """The source is read (or closed, or failed): it needs no bar any more."""
        if self.done:
            return
        self.done = True
        if self._board is not None:
            self._board.finished()


class Board:
    """The sources of one command and, once they have taken long enough, their bars.

    Args:
        enabled: see :func:`wanted`; a disabled board never draws.
        clock: seconds, monotonic (tests pass a fake one).
        display: makes the display when it is first needed (Rich by default).
        delay: seconds of reading before the bars appear (:data:`DELAY`).
        interval: fewest seconds between two redraws (:data:`INTERVAL`).
    """

    def __init__(self, enabled: bool, *, clock: Callable[[], float] = time.monotonic,
                 display: Callable[[], Display] | None = None,
                 delay: float | None = None, interval: float | None = None) -> None:
        self.enabled = enabled
        self._clock, self._make = clock, display or _rich_display
        self._delay = DELAY if delay is None else delay
        self._interval = INTERVAL if interval is None else interval
        self._reading: list[Tracker] = []
        self._next = 0.0  # no drawing before this time
        self.display: Display | None = None

    def track(self, description: str, total: int | None) -> Tracker:
        if not self.enabled:
            return Tracker(None, description, total)
        now = self._clock()
        if not self._reading and self.display is None:
            # The clock starts when the first source opens (again after a pause).
            self._next = max(self._next, now + self._delay)
        tracker = Tracker(self, description, total, now)
        self._reading.append(tracker)
        return tracker

    def tick(self) -> None:
        """Called by a tracker: draw when due (cheap when not: one clock read)."""
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._interval
        if self.display is None:
            self.display = self._make()
        for tracker in self._reading:
            if tracker.task is None:
                tracker.task = self.display.add(tracker.description, tracker.total,
                                                tracker.started)
            self.display.update(tracker.task, tracker.position)
        self.display.refresh()

    def finished(self) -> None:
        """A source is done: when none is left reading, the bars go."""
        if all(tracker.done for tracker in self._reading):
            self._reading = []
            self._erase()

    def close(self) -> None:
        """Erase the bars; the board draws nothing after this."""
        self.enabled = False
        for tracker in self._reading:
            tracker._board = None
        self._reading = []
        self._erase()

    def _erase(self) -> None:
        if self.display is not None:
            display, self.display = self.display, None
            display.stop()


def _rich_display() -> Display:
    return _RichDisplay()


class _RichDisplay:
    """Rich's Progress on the stderr console (80 columns, NO_COLOR honoured), transient."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.text import Text

        from xentcli.cli.console import err_console

        class _Time(ProgressColumn):
            """Time left where the size is known (a file), time so far otherwise (a pipe)."""

            def __init__(self) -> None:
                super().__init__()
                self._left, self._so_far = TimeRemainingColumn(), TimeElapsedColumn()

            def render(self, task: Task) -> Text:
                column = self._left if task.total is not None else self._so_far
                return column.render(task)

        console = err_console()
        # Two columns kept free: Ctrl-C makes the terminal echo '^C' after the bar,
        # and on the last columns it would wrap to a line the erasing misses.
        console.width = max(20, console.width - 2)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=None),
            DownloadColumn(),
            TransferSpeedColumn(),
            _Time(),
            console=console,
            transient=True,
            auto_refresh=False,
            expand=True,
        )
        self._progress.start()

    def add(self, description: str, total: int | None, started: float) -> int:
        task = self._progress.add_task(description, total=total)
        for shown in self._progress.tasks:
            if shown.id == task:  # its time counts from the opening, not from the drawing
                shown.start_time = min(started, shown.start_time or started)
        return int(task)

    def update(self, task: int, completed: int) -> None:
        from rich.progress import TaskID

        self._progress.update(TaskID(task), completed=completed)

    def refresh(self) -> None:
        self._progress.refresh()

    def stop(self) -> None:
        self._progress.stop()


_BOARD: ContextVar[Board | None] = ContextVar("xent_reading_progress", default=None)


@contextmanager
def reading_progress(*, quiet: bool, clock: Callable[[], float] = time.monotonic,
                     display: Callable[[], Display] | None = None,
                     stderr_tty: bool | None = None) -> Iterator[Board]:
    """Show the progress of the files read inside the ``with`` block, if slow.

    The bar is erased when the block ends, however it ends (an error, Ctrl-C),
    before anything else is written.
    """
    tty = _stderr_is_terminal() if stderr_tty is None else stderr_tty
    board = Board(wanted(stderr_tty=tty, term=os.environ.get("TERM"), quiet=quiet),
                  clock=clock, display=display)
    token = _BOARD.set(board)
    try:
        yield board
    finally:
        _BOARD.reset(token)
        board.close()


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without one, or closed
        return False


def track(description: str, total: int | None, *, shown: bool = True) -> Tracker:
    """A tracker for one source, on the current board (a silent one outside any,
    or when not ``shown``)."""
    board = _BOARD.get() if shown else None
    return Tracker(None, description, total) if board is None else board.track(description, total)
