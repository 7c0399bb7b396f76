"""The progress store: every answer in one SQLite file, saved as it is given.

The file is ``$XENT_HOME/progress.db`` when ``XENT_HOME`` is set, else
``progress.db`` in the platform's user data folder for ``xent``. It runs in WAL
mode with a busy timeout, so two sessions saving at once wait their turn
instead of failing, and each answer is its own committed transaction (Ctrl-C
or a crash loses nothing already answered).

The schema carries its version in ``PRAGMA user_version`` and is brought up to
date by :data:`MIGRATIONS`, one step per version, inside one transaction.

A file that is not a sound SQLite database, or comes from a newer xent, is
refused with :class:`~xentcli.errors.StoreError` and never written to, moved or
deleted. A location where nothing can be written (a read-only folder or file)
is not an error for the quiz: :func:`open_progress` reports it as
:attr:`SaveStatus.READ_ONLY`, and the quiz runs without saving.

This module imports :mod:`sqlite3` at its top; command modules import it only
inside the commands that need it, to keep start-up fast.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from xentcli.errors import StoreError
from xentcli.quiz.records import (
    AnswerRecord,
    InterviewRecorder,
    NullInterviewRecorder,
    NullRecorder,
    Recorder,
    utc_now,
)
from xentcli.quiz.schedule import Review

__all__ = [
    "ENV_HOME",
    "EXPORT_FIELDS",
    "FILENAME",
    "HINTS_SCHEMA",
    "INTERVIEW_SCHEMA",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Progress",
    "SaveStatus",
    "Store",
    "StoreRecorder",
    "default_path",
    "open_progress",
    "open_store",
]

ENV_HOME = "XENT_HOME"
FILENAME = "progress.db"
#: Seconds a writer waits for another one to finish before giving up.
BUSY_TIMEOUT = 30.0
_MAGIC = b"SQLite format 3\x00"

# One script per schema version: MIGRATIONS[n] takes a database from version n
# to n + 1. Released steps are never edited, only appended to.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: one row per answer.
    (
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            kind TEXT NOT NULL,
            seed INTEGER,
            params TEXT NOT NULL,
            given TEXT,
            expected TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            skipped INTEGER NOT NULL CHECK (skipped IN (0, 1)),
            seconds REAL NOT NULL,
            answered_at TEXT NOT NULL
        )""",
    ),
    # v2: answers belong to a session, so two sessions running at once (or a
    # history export) can be told apart; and the scheduler and stats read each
    # question's answers in time order, which the index serves.
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL
        )""",
        "ALTER TABLE answers ADD COLUMN session_id INTEGER REFERENCES sessions(id)",
        "CREATE INDEX answers_by_question ON answers (question_id, answered_at)",
    ),
    # v3: mock interviews (`xent interview`), one row each beside the session
    # that holds their answers, with the report as JSON; and small settings
    # such as the interview date of `xent plan`.
    (
        """CREATE TABLE interviews (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions(id),
            started_at TEXT NOT NULL,
            minutes REAL NOT NULL,
            seed INTEGER,
            planned INTEGER NOT NULL,
            asked INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            timed_out INTEGER NOT NULL,
            readiness REAL NOT NULL,
            finished INTEGER NOT NULL CHECK (finished IN (0, 1)),
            report TEXT NOT NULL
        )""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    ),
    # v4: how many hints an answer used (one given after a hint does not move
    # its question up a box) and the mistake or unit problem recognised in it.
    # Older rows keep their values: no hint, no diagnosis.
    (
        "ALTER TABLE answers ADD COLUMN hints INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE answers ADD COLUMN diagnosis TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: The first schema version with the interviews and settings tables.
INTERVIEW_SCHEMA = 3
#: The first schema version that records hints and diagnoses.
HINTS_SCHEMA = 4

#: The columns of ``xent stats --export``, in order.
EXPORT_FIELDS = (
    "id", "session_id", "answered_at", "question_id", "topic", "kind", "seed", "params",
    "given", "expected", "correct", "skipped", "seconds", "hints", "diagnosis",
)


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


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return int(code) & 0xFF
    text = str(exc).lower()
    for words, guess in (
        ("readonly", _READONLY), ("read-only", _READONLY), ("unable to open", _CANTOPEN),
        ("locked", _BUSY), ("not a database", _NOTADB), ("malformed", _CORRUPT),
    ):
        if words in text:
            return guess
    return None


def _cannot_write(exc: sqlite3.Error) -> bool:
    return _code(exc) in (_READONLY, _CANTOPEN, _PERM)


def _untouched(path: Path, why: str) -> StoreError:
    return StoreError(
        f"the progress file {path} {why}; it was left untouched. Move it aside to start "
        "afresh, or quiz with --no-save"
    )


def _failure(path: Path, exc: sqlite3.Error, doing: str) -> StoreError:
    code = _code(exc)
    if code in (_CORRUPT, _NOTADB):
        return _untouched(path, f"is damaged ({exc})")
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


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before sqlite gets a chance to touch it."""
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


def _check_contents(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version, once the file proved sound and not from a newer xent."""
    problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
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


# ------------------------------------------------------------------ the store


class Store:
    """An open progress database (use :func:`open_store`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, version: int, *,
                 writable: bool, note: str | None = None) -> None:
        self.conn = conn
        self.path = path
        self.version = version
        self.writable = writable
        #: Why the store is read-only, for a warning.
        self.note = note

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _read(self, sql: str, doing: str) -> list[Any]:
        try:
            return self.conn.execute(sql).fetchall()
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, doing) from None

    def count(self) -> int:
        """How many answers are recorded."""
        return int(self._read("SELECT count(*) FROM answers", "counting answers")[0][0])

    def session_count(self) -> int:
        """How many sessions recorded at least one answer (v1 files had no sessions)."""
        if self.version < 2:
            return 0
        sql = "SELECT count(DISTINCT session_id) FROM answers WHERE session_id IS NOT NULL"
        return int(self._read(sql, "counting sessions")[0][0])

    def reviews(self) -> list[Review]:
        """Every answer, oldest first, as the scheduler reads it."""
        hints = "hints" if self.version >= HINTS_SCHEMA else "0"
        rows = self._read(
            f"SELECT question_id, topic, correct, skipped, answered_at, id, {hints} FROM answers "
            "ORDER BY answered_at, id",
            "reading the history",
        )
        return [
            Review(qid, topic, bool(correct), self._when(at, row_id), bool(skipped),
                   hinted=bool(used))
            for qid, topic, correct, skipped, at, row_id, used in rows
        ]

    def _when(self, at: object, row_id: int) -> datetime:
        """A stored timestamp; one edited by hand into something else is named, not a crash."""
        try:
            return datetime.fromisoformat(str(at))
        except ValueError:
            raise StoreError(
                f"the progress file {self.path} has answer {row_id} dated {at!r}, which is "
                "not a date and time (YYYY-MM-DDTHH:MM:SS); the file was left untouched"
            ) from None

    def history(self) -> Iterator[dict[str, Any]]:
        """Every answer with all its columns (:data:`EXPORT_FIELDS`), oldest first."""
        older = {"session_id": (2, "NULL AS session_id"), "hints": (HINTS_SCHEMA, "0 AS hints"),
                 "diagnosis": (HINTS_SCHEMA, "NULL AS diagnosis")}
        columns = ", ".join(
            older[f][1] if f in older and self.version < older[f][0] else f
            for f in EXPORT_FIELDS
        )
        try:
            cursor = self.conn.execute(
                f"SELECT {columns} FROM answers ORDER BY answered_at, id"
            )
            for row in cursor:
                item = dict(zip(EXPORT_FIELDS, row, strict=True))
                item["params"] = json.loads(item["params"])
                item["correct"] = bool(item["correct"])
                item["skipped"] = bool(item["skipped"])
                yield item
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "reading the history") from None

    def reset(self) -> int:
        """Delete every recorded answer and session; return how many answers went."""
        if not self.writable:
            raise StoreError(f"cannot delete progress: {self.note or 'the file is read-only'}")
        try:
            # Overwrite the deleted answers' bytes instead of leaving them in free pages.
            self.conn.execute("PRAGMA secure_delete = ON")
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                gone = int(self.conn.execute("SELECT count(*) FROM answers").fetchone()[0])
                self.conn.execute("DELETE FROM answers")
                self.conn.execute("DELETE FROM sessions")
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "deleting progress") from None
        return gone


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
            if _cannot_write(exc):
                continue
            raise _failure(path, exc, "opening it") from None
        except BaseException:
            conn.close()
            raise
        if version != SCHEMA_VERSION:
            conn.close()
            raise _Unwritable(f"{why}, and its older format cannot be upgraded there")
        return Store(conn, path, version, writable=False, note=why)
    raise _Unwritable(why)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _open(path: Path, *, create: bool) -> Store | None:
    """Writable when possible, else read-only; :class:`_Unwritable` when neither."""
    try:
        exists = path.exists()
    except OSError as exc:
        raise StoreError(f"cannot reach the progress file {path}: {_reason(exc)}") from None
    if not exists and not create:
        return None
    if exists:
        _check_header(path)
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
        _check_contents(conn, path)
        _use_wal(conn)
        version = _migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        if _cannot_write(exc):
            return _open_read_only(path, f"{path} cannot be written ({exc})")
        raise _failure(path, exc, "opening it") from None
    except BaseException:
        conn.close()
        raise
    return Store(conn, path, version, writable=True)


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


# ------------------------------------------------------------ recording a quiz


@dataclass
class StoreRecorder:
    """Saves each answer at once, in its own transaction and connection.

    The connection is opened per answer: an answer every few seconds costs
    nothing noticeable, and no connection is left open when a session ends
    in any way at all. The first answer also creates the session's row.
    """

    path: Path
    clock: Callable[[], datetime] = utc_now  # when the session started
    session_id: int | None = field(default=None, init=False)

    def record(self, rec: AnswerRecord) -> None:
        params = json.dumps(dict(rec.params), sort_keys=True, allow_nan=False,
                            default=_jsonable)
        try:
            conn = _connect(self.path, "mode=rw")
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving an answer") from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self.session_id is None:
                    cursor = conn.execute("INSERT INTO sessions (started_at) VALUES (?)",
                                          (_timestamp(self.clock()),))
                    session_id = cursor.lastrowid
                else:
                    session_id = self.session_id
                conn.execute(
                    "INSERT INTO answers (question_id, topic, kind, seed, params, given, "
                    "expected, correct, skipped, seconds, answered_at, session_id, hints, "
                    "diagnosis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rec.question_id, rec.topic, rec.kind, rec.seed, params, rec.given,
                     rec.expected, int(rec.correct), int(rec.skipped), float(rec.seconds),
                     _timestamp(rec.answered_at), session_id, int(rec.hints), rec.diagnosis),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self.session_id = session_id
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving an answer") from None
        finally:
            conn.close()


class SaveStatus(str, Enum):
    """Whether a quiz session's answers are being saved."""

    SAVING = "saving"
    READ_ONLY = "read-only"  # the location cannot be written: the quiz runs, nothing is saved
    OFF = "off"  # --no-save


@dataclass(frozen=True)
class Progress:
    """What a quiz session gets from the store: a recorder and the history."""

    status: SaveStatus
    path: Path | None
    reviews: tuple[Review, ...] = ()
    warning: str | None = None  # for the user, when status is READ_ONLY
    exam_date: date | None = None  # set by `xent plan --date`

    def recorder(self) -> Recorder:
        """Where this session's answers go."""
        if self.status is SaveStatus.SAVING and self.path is not None:
            return StoreRecorder(self.path)
        return NullRecorder()

    def interview_recorder(self) -> InterviewRecorder:
        """Where a mock interview's answers and report go."""
        if self.status is SaveStatus.SAVING and self.path is not None:
            from xentcli.quiz.store_interviews import StoreInterviewRecorder

            return StoreInterviewRecorder(self.path)
        return NullInterviewRecorder()


def open_progress(path: Path | None = None, *, no_save: bool = False) -> Progress:
    """Prepare a quiz session's progress: create or upgrade the store, read the history.

    ``no_save`` opens nothing at all. A location that cannot be written gives
    :attr:`SaveStatus.READ_ONLY` with a warning (and the history, when the file
    can still be read); it is not an error.

    Raises:
        StoreError: the file is damaged, not SQLite or from a newer xent (it is
            left untouched).
    """
    if no_save:
        return Progress(SaveStatus.OFF, None)
    where = path if path is not None else default_path()
    try:
        store = _open(where, create=True)
    except _Unwritable as exc:
        return Progress(SaveStatus.READ_ONLY, where,
                        warning=f"{exc}; answers will not be saved")
    assert store is not None  # create=True never gives None
    with store:
        reviews = tuple(store.reviews())
        from xentcli.quiz.store_interviews import read_exam_date

        exam = read_exam_date(store)
        if not store.writable:
            return Progress(SaveStatus.READ_ONLY, where, reviews,
                            warning=f"{store.note}; answers will not be saved", exam_date=exam)
    return Progress(SaveStatus.SAVING, where, reviews, exam_date=exam)
