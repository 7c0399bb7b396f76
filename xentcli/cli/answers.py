"""Reading answers: at a terminal with line editing, or one per line from a pipe.

An answer is cleaned before anything grades, shows or stores it: bytes that are
not UTF-8 become U+FFFD, terminal escape sequences are taken out (and noted, so
the answer can be refused), other control characters are shown escaped.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "GARBLED",
    "MAX_ANSWER",
    "enable_line_editing",
    "input_line",
    "read_bounded_line",
]


class _Answers(Protocol):
    # Readers may also have `garbled`: True when the last line held a terminal
    # key code, taken out of it (read with getattr: it is optional).
    interactive: bool

    def read(self, prompt: str) -> str | None:
        """One answer line without its newline; None at the end of input."""


MAX_ANSWER = 2000  # characters kept of one answer (an open answer is a paragraph)
#: Characters read of one piped answer line; the rest of a longer line is skipped
#: in pieces of this size, never held whole (a 500 MB line costs no memory).
READ_LIMIT = 4 * MAX_ANSWER


#: A terminal's key codes and control sequences: ESC [ ... final, ESC O x, ESC x.
_ESCAPES = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[O\]PX^_][^\x1b\x07]*(?:\x07|\x1b\\\\)?|\x1b."
GARBLED = "the answer held a terminal key code (an arrow key?), taken out of it"


def _clean(text: str) -> str:
    """An answer as it can be shown, graded and stored (see :func:`_clean_answer`)."""
    return _clean_answer(text)[0]


def _clean_answer(text: str) -> tuple[str, bool]:
    """An answer as it can be shown, graded and stored, and whether it held key codes.

    Bytes that are not UTF-8 become U+FFFD; a terminal escape sequence (what an
    arrow key sends where no line editing reads it) is taken out, so it never
    reaches the grader or the store; other control characters are shown as
    ``\\x07``; an answer is cut to :data:`MAX_ANSWER` characters.
    """
    import re

    try:  # stdin hands undecodable bytes over as lone surrogates
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    decoded = raw.decode("utf-8", "replace")
    stripped = re.sub(_ESCAPES, "", decoded)
    text = "".join(_shown(ch) for ch in stripped)
    text = text if len(text) <= MAX_ANSWER else text[:MAX_ANSWER] + "…"
    return text, stripped != decoded


def _shown(ch: str) -> str:
    if ch.isprintable() or ch in " \t":
        return ch
    return ch.encode("unicode_escape").decode("ascii")


def enable_line_editing() -> None:
    """Give input() line editing and history where the readline module exists.

    Imported here, not at start-up: only an interactive prompt needs it.
    """
    try:
        import readline  # noqa: F401
    except ImportError:  # pragma: no cover - Windows without pyreadline
        pass


def input_line(console: Console, prompt: str) -> str:
    """Read one line at a terminal with line editing (arrow keys, history).

    input() edits the line only when it writes the prompt itself to a terminal
    stdout; with --json stdout is the report's, so the prompt goes to the
    console (stderr) and the line is read without editing. Call
    :func:`enable_line_editing` once first.

    Raises:
        EOFError: Ctrl-D.
    """
    if console.file is sys.stdout and sys.stdout.isatty():
        # \001 and \002 tell readline that the bold codes take no room.
        bold = console.color_system is not None and not console.no_color
        return input(f"\001\x1b[1m\002{prompt}\001\x1b[0m\002 " if bold else f"{prompt} ")
    return console.input(f"[bold]{prompt}[/] ")


def read_bounded_line(limit: int = READ_LIMIT) -> str | None:
    """One line of standard input without its newline, at most ``limit`` characters
    (a longer one ends in ``…``, the rest of it read and dropped); None at the end."""
    line = sys.stdin.readline(limit)
    if not line:
        return None
    if line.endswith("\n"):
        return line.rstrip("\r\n")
    if len(line) < limit:  # the input ended without a newline
        return line.rstrip("\r")
    while True:  # skip the rest of the line, a bounded piece at a time
        rest = sys.stdin.readline(limit)
        if not rest or rest.endswith("\n"):
            return line + "…"


class _TerminalAnswers:
    """Answers typed at a terminal, with line editing and history (readline)."""

    interactive = True

    def __init__(self, console: Console) -> None:
        self.console = console
        self.garbled = False
        enable_line_editing()

    def read(self, prompt: str) -> str | None:
        try:
            line = input_line(self.console, prompt)
        except EOFError:  # Ctrl-D
            self.console.print()
            return None
        text, self.garbled = _clean_answer(line)
        return text


class _LineAnswers:
    """Answers from a pipe or a file, one per line; each is echoed to the transcript."""

    interactive = False

    def __init__(self, console: Console) -> None:
        self.console = console
        self.garbled = False

    def read(self, prompt: str) -> str | None:
        line = read_bounded_line()
        if line is None:
            return None
        from rich.text import Text

        text, self.garbled = _clean_answer(line)
        # A Text, not markup: an answer ending in a backslash is echoed as typed.
        self.console.print(Text.assemble((prompt, "bold"), " ", text))
        return text
