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
    # Rich exits with status 1 when the reader of a pipe leaves (`xent quiz | head`);
    # the root command treats that as the normal end it is (status 0, no message).
    console.on_broken_pipe = _reader_left  # type: ignore[method-assign]
    return console


def _reader_left() -> None:
    raise BrokenPipeError


def page(text: str) -> None:
    """Write ``text`` to stdout; at a terminal, through a pager when it is taller
    than the screen, so the top of a long card is not scrolled away.

    The pager is ``$PAGER`` (``less`` when unset, with ``LESS=-FRX`` unless set:
    keep colours, leave the text on screen, quit at once if it fits). Piped or
    redirected output is written as is, never paged.
    """
    import shutil
    import subprocess
    import sys

    rows = shutil.get_terminal_size().lines
    if not sys.stdout.isatty() or text.count("\n") < rows - 1:
        sys.stdout.write(text)
        return
    command = os.environ.get("PAGER", "").strip() or "less"
    if command == "less" and shutil.which("less") is None:
        sys.stdout.write(text)
        return
    env = {**os.environ}
    env.setdefault("LESS", "-FRX")
    sys.stdout.flush()
    try:
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        sys.stdout.write(text)
        return
    assert pager.stdin is not None
    try:
        pager.stdin.write(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager before the end: fine
        pass
    while True:
        try:
            pager.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
            continue


def out_console() -> Console:
    """Console for results (stdout). Made per call: cheap, and it picks up the
    current stdout, terminal and ``NO_COLOR`` (tests swap all three)."""
    return _make(stderr=False)


def err_console() -> Console:
    """Console for notes, warnings and progress (stderr)."""
    return _make(stderr=True)
