"""Error messages as the root handler prints them: long ones wrap at 80 columns.

The wrapping itself is tested in tests/test_message_width.py; CLI tests state
the message in one piece and compare it as printed.
"""

from __future__ import annotations

from xentcli.cli.app import wrap_error


def wrapped(line: str) -> str:
    """``"Error: text\\n"`` as printed: within 80 columns, continued under the text.

    >>> wrapped("Error: short\\n")
    'Error: short\\n'
    """
    assert line.startswith("Error: ") and line.endswith("\n"), line
    return wrap_error(line[len("Error: "):-1])


def squash(text: str) -> str:
    """``text`` without any whitespace: compares a message however it was wrapped
    (a long path may be cut anywhere)."""
    return "".join(text.split())


def is_one_error(stderr: str) -> bool:
    """One error message as the root handler prints it: ``Error: ...`` and, if it is
    long, lines indented under its text, none wider than 80 columns."""
    lines = stderr.splitlines()
    return (
        stderr.endswith("\n") and bool(lines) and lines[0].startswith("Error: ")
        and all(line.startswith(" " * len("Error: ")) for line in lines[1:])
        and all(len(line) <= 80 for line in lines)
    )
