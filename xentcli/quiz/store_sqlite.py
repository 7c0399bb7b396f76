"""How the progress store talks to SQLite: where the file is, connections, and
sqlite's failures turned into one-line :class:`~xentcli.errors.StoreError` messages.

This module imports :mod:`sqlite3` at its top; command modules import the store
only inside the commands that need it, to keep start-up fast.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from xentcli.errors import StoreError
from xentcli.quiz.store_integrity import distrust

__all__ = ["BUSY_TIMEOUT", "ENV_HOME", "FILENAME", "default_path"]

ENV_HOME = "XENT_HOME"
FILENAME = "progress.db"
#: Seconds a writer waits for another one to finish before giving up.
BUSY_TIMEOUT = 30.0


def default_path() -> Path:
    """Where progress is kept: ``$XENT_HOME/progress.db``, else the user data folder."""
    home = os.environ.get(ENV_HOME, "").strip()
    if home:
        return Path(home).expanduser() / FILENAME
    import platformdirs

    return platformdirs.user_data_path("xent", appauthor=False) / FILENAME


def _timestamp(moment: datetime) -> str:
    # One fixed format, always UTC, so the text sorts in time order.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _jsonable(value: Any) -> Any:
    for convert in ("tolist", "item"):  # numpy arrays and scalars
        if hasattr(value, convert):
            return getattr(value, convert)()
    return str(value)


# ------------------------------------------------------------- sqlite's failures

_BUSY, _READONLY, _CANTOPEN, _PERM, _IOERR, _CORRUPT, _NOTADB = 5, 8, 14, 3, 10, 11, 26
_FULL = 13
#: Free bytes below which a failed write is put down to a full disk.
_NEARLY_FULL = 1 << 20


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return int(code) & 0xFF
    text = str(exc).lower()
    for words, guess in (
        ("readonly", _READONLY), ("read-only", _READONLY), ("unable to open", _CANTOPEN),
        ("locked", _BUSY), ("not a database", _NOTADB), ("malformed", _CORRUPT),
        ("disk is full", _FULL), ("disk i/o error", _IOERR),
    ):
        if words in text:
            return guess
    return None


def _cannot_write(exc: sqlite3.Error, path: Path | None = None) -> bool:
    """A location nothing can be written to: read-only, or (given ``path``) a full disk."""
    code = _code(exc)
    if code in (_READONLY, _CANTOPEN, _PERM):
        return True
    return path is not None and (code == _FULL or code == _IOERR and _disk_full(path))


def _disk_full(path: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < _NEARLY_FULL
    except OSError:
        return False


def _untouched(path: Path, why: str) -> StoreError:
    return StoreError(
        f"the progress file {path} {why}; it was left untouched. Move it aside to start "
        "afresh, or quiz with --no-save"
    )


def _failure(path: Path, exc: sqlite3.Error, doing: str) -> StoreError:
    code = _code(exc)
    if code in (_CORRUPT, _NOTADB):
        distrust(path)  # a seal that still matches must not vouch for it again
        return _untouched(path, f"is damaged ({exc})")
    if code == _FULL or code == _IOERR and _disk_full(path):
        return StoreError(f"the disk is full: could not write {path} while {doing}")
    if code == _BUSY:
        return StoreError(f"the progress file {path} stayed locked by another xent for "
                          f"{BUSY_TIMEOUT:g} seconds while {doing}; try again")
    return StoreError(f"could not use the progress file {path} while {doing}: {exc}")


class _Unwritable(Exception):
    """Internal: the store cannot be written here (the reason is the message)."""


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    uri = f"{path.absolute().as_uri()}?{mode}"  # as_uri escapes '?', '#' and '%' in names
    # Autocommit: every transaction below is explicit and short.
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)



def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


