"""The project's exceptions, in one place.

They carry a message written for the person at the terminal. Only the CLI edge
(:mod:`xentcli.cli.app`) turns them into one line on stderr and an exit code;
the layers below never print. This module imports nothing heavy, so the CLI can
catch these without loading numpy.
"""

from __future__ import annotations


class XentError(Exception):
    """Base class: an error whose message is meant for the user."""


class InputError(XentError, ValueError):
    """Invalid input to a numeric function: the message names the value."""


class QuizError(XentError):
    """A problem with a quiz session, a bank or the progress store."""


class BankError(QuizError):
    """A question bank that is not valid (file, question id and reason)."""


class ExpressionError(QuizError, ValueError):
    """An expression (an answer or a bank formula) that cannot be evaluated."""


class StoreError(QuizError):
    """The progress store cannot be opened, read or written."""


class ExportError(XentError):
    """An export that cannot be made (a missing optional package, a bad option)."""


class DrillError(XentError):
    """Bad input to ``xent drill``: an unknown drill, a missing file, a file
    without the drill's function, or a drill file that is not valid."""
