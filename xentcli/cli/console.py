"""The two consoles: results on stdout, notes and errors on stderr.

Rich is imported on first use, not at start-up. Rich already writes no escape
codes when the stream is not a terminal; under ``NO_COLOR`` it drops colours but
would still write bold and dim, so there we turn styling off altogether. Nothing
is wider than a classic 80-column terminal.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

MAX_WIDTH = 80


def _make(stderr: bool) -> Console:
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    # emoji=False: an answer like ":fire:" is echoed as typed, not as a picture.
    console = Console(stderr=stderr, highlight=False, emoji=False,
                      color_system=None if plain else "auto")
    if console.width > MAX_WIDTH:
        console.width = MAX_WIDTH
    return console


def out_console() -> Console:
    """Console for results (stdout). Made per call: cheap, and it picks up the
    current stdout, terminal and ``NO_COLOR`` (tests swap all three)."""
    return _make(stderr=False)


def err_console() -> Console:
    """Console for notes, warnings and progress (stderr)."""
    return _make(stderr=True)
