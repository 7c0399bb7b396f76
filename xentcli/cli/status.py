"""Exit codes, named once."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    #: A command ran but found problems (``bank check``), or an unexpected failure.
    ERROR = 1
    #: Invalid input: a bad value, option or file. One line on stderr says which.
    USAGE = 2
    #: Ctrl-C (128 + SIGINT), as shells expect.
    INTERRUPTED = 130
