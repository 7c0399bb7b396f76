"""Where the shipped question banks (and the concept cards beside them) live.

Apart from :mod:`xentcli.quiz.bank` so that finding the cards does not load
the question model.
"""

from __future__ import annotations

from pathlib import Path

from xentcli.errors import BankError

__all__ = ["shipped_bank_dir"]


def shipped_bank_dir() -> Path:
    """The folder of the banks shipped with xent.

    In an installed wheel it is ``xentcli/questions`` (the build copies the
    repository's top-level ``questions/`` there); in a source checkout or an
    editable install it is ``<repo>/questions``.
    """
    return _find_shipped(Path(__file__).resolve().parent.parent)


def _find_shipped(package: Path) -> Path:
    for candidate in (package / "questions", package.parent / "questions"):
        if candidate.is_dir():
            return candidate
    raise BankError(f"the shipped question banks are missing (looked in {package / 'questions'})")
