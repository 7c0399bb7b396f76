"""Opening the progress file: refuse what is not sound, then bring it up to date.

A file that is not a sound SQLite database, or comes from a newer xent, is
refused with :class:`~xentcli.errors.StoreError` and never written to, moved or
deleted. Soundness is sqlite's ``PRAGMA quick_check``, skipped only for the
very file last found sound (:mod:`xentcli.quiz.store_integrity` says when). A
location where nothing can be written (a read-only folder or file, a full
disk) gives a read-only store, or :class:`_Unwritable` when not even that can
be had.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from xentcli.errors import StoreError
from xentcli.quiz.store_integrity import Trust, created, distrust, examine
from xentcli.quiz.store_queries import Store
from xentcli.quiz.store_schema import MIGRATIONS, SCHEMA_VERSION
from xentcli.quiz.store_sqlite import (
    _BUSY,
    BUSY_TIMEOUT,
    _cannot_write,
    _code,
    _connect,
    _disk_full,
    _failure,
    _reason,
    _untouched,
    _Unwritable,
    default_path,
)
from xentcli.quiz.store_totals import check_totals, mend_totals

__all__ = ["open_store"]

_MAGIC = b"SQLite format 3\x00"


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before sqlite gets a chance to touch it."""
    _check_kind(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_MAGIC))
    except IsADirectoryError:
        raise StoreError(f"the progress file {path} is a folder; it was left untouched. "
                         "Move it aside, or quiz with --no-save") from None
    except OSError as exc:
        raise StoreError(f"cannot read the progress file {path}: {exc.strerror or exc}; "
                         "it was left untouched") from None
    if head and head != _MAGIC:  # an empty file is an empty database
        raise _untouched(path, "is not an SQLite database")


def _check_kind(path: Path) -> None:
    """Refuse a named pipe, a device or a socket: opening one to read can wait forever."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # gone, or unreadable: the open that follows says which
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    what = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device")
    raise StoreError(f"the progress file {path} is {what}, not a file; it was left "
                     "untouched. Move it aside, or quiz with --no-save")


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    """sqlite's integrity check of every page: ``["ok"]``, or what is wrong."""
    return [str(row[0]) for row in conn.execute("PRAGMA quick_check")]


def _check_contents(conn: sqlite3.Connection, path: Path, *, sealed: bool = False) -> int:
    """The schema version, once the file proved sound and not from a newer xent.

    ``sealed``: the file is the one last found sound (:mod:`.store_integrity`),
    so the full check, the one cost that grows with the history, is skipped.
    """
    if not sealed:
        problems = _quick_check(conn)
        if problems != ["ok"]:
            distrust(path)
            raise _untouched(path, f"is damaged ({problems[0]})")
    # One statement, one snapshot: another xent may be creating the tables right now.
    version, tables = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), "
        "(SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    if version > SCHEMA_VERSION:
        raise _untouched(path, f"was written by a newer xent (schema {version}, this one "
                               f"reads up to {SCHEMA_VERSION})")
    if version == 0 and tables:
        # Another program's database under our name: adding tables to it is not ours to do.
        raise _untouched(path, "is an SQLite database that xent did not make")
    return int(version)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL mode once (the mode is stored in the file).

    Changing the journal mode can fail with "database is locked" at once,
    without the busy timeout, while another xent opens the same new file; so
    that one step waits and retries by itself.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.001
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if _code(exc) != _BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.1)


def _migrate(conn: sqlite3.Connection) -> int:
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; others wait, then see it done
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _open_read_only(path: Path, why: str) -> Store:
    """The history of a file this process cannot write to, or :class:`_Unwritable`."""
    if not path.exists():
        raise _Unwritable(why)
    # "mode=ro" needs the WAL index to be creatable or present; "immutable"
    # reads the file as it is, which is right for a folder nobody can write.
    for mode in ("mode=ro", "mode=ro&immutable=1"):
        conn = _connect(path, mode)
        try:
            version = _check_contents(conn, path)
        except sqlite3.Error as exc:
            conn.close()
            if _cannot_write(exc, path):
                continue
            raise _failure(path, exc, "opening it") from None
        except BaseException:
            conn.close()
            raise
        if version != SCHEMA_VERSION:
            conn.close()
            raise _Unwritable(f"{why}, and its older format cannot be upgraded there")
        try:
            totals = check_totals(conn, version)  # cannot be mended here: else replayed
        except sqlite3.Error as exc:
            conn.close()
            raise _failure(path, exc, "opening it") from None
        return Store(conn, path, version, writable=False, note=why, totals=totals)
    raise _Unwritable(why)


def _open(path: Path, *, create: bool) -> Store | None:
    """Writable when possible, else read-only; :class:`_Unwritable` when neither."""
    try:
        exists = path.exists()
    except OSError as exc:
        raise StoreError(f"cannot reach the progress file {path}: {_reason(exc)}") from None
    if not exists and not create:
        return None
    trust: Trust | None = None
    sealed = False
    if exists:
        _check_header(path)
        trust, sealed = examine(path)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _Unwritable(f"cannot create the folder {path.parent} "
                              f"({_reason(exc)})") from None
    try:
        conn = _connect(path, "mode=rwc")
    except sqlite3.Error as exc:
        if _cannot_write(exc):
            raise _Unwritable(f"cannot create {path} ({exc})") from None
        raise _failure(path, exc, "opening it") from None
    try:
        _check_contents(conn, path, sealed=sealed)
        _use_wal(conn)
        version = _migrate(conn)
        if not exists:  # checked empty, then only this open wrote it
            trust = created(path)
        elif not sealed and not check_totals(conn, version):
            # Checked like the rest of the file: a write went around the triggers.
            mend_totals(conn)
    except sqlite3.Error as exc:
        conn.close()
        if _cannot_write(exc, path):
            why = "the disk is full" if _disk_full(path) else str(exc)
            return _open_read_only(path, f"{path} cannot be written ({why})")
        raise _failure(path, exc, "opening it") from None
    except BaseException:
        conn.close()
        raise
    return Store(conn, path, version, writable=True, trust=trust, totals=True)


def open_store(path: Path | None = None, *, create: bool = False) -> Store | None:
    """Open the progress database (``None`` when there is none and ``create`` is false).

    The store is writable when the location allows it, else read-only with
    :attr:`Store.note` saying why.

    Raises:
        StoreError: the file is damaged, not SQLite, from a newer xent, unreadable,
            or cannot be created at all (only with ``create=True``).
    """
    where = path if path is not None else default_path()
    try:
        return _open(where, create=create)
    except _Unwritable as exc:
        raise StoreError(f"cannot open the progress store: {exc}") from None

