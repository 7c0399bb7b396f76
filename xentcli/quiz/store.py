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

Here: recording a quiz's answers and preparing a session's progress. The
rest lives beside it, one responsibility each, and its public names are
importable from here too: :mod:`~xentcli.quiz.store_sqlite` (where the file
is, connections, sqlite's failures as messages),
:mod:`~xentcli.quiz.store_schema` (the migrations),
:mod:`~xentcli.quiz.store_open` (opening and checking a file),
:mod:`~xentcli.quiz.store_integrity` (when that check can be skipped),
:mod:`~xentcli.quiz.store_queries` (the :class:`Store` and its reads),
:mod:`~xentcli.quiz.store_drills`, :mod:`~xentcli.quiz.store_interviews` and
:mod:`~xentcli.quiz.store_summary`.

This module imports :mod:`sqlite3` at its top; command modules import it only
inside the commands that need it, to keep start-up fast.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path

from xentcli.quiz.records import (
    AnswerRecord,
    InterviewRecorder,
    NullInterviewRecorder,
    NullRecorder,
    Recorder,
    utc_now,
)
from xentcli.quiz.schedule import CardState, Review
from xentcli.quiz.store_drills import (
    DrillAttempt,
    DrillProgress,
    drill_progress,
    record_drill_attempt,
)
from xentcli.quiz.store_integrity import Trust
from xentcli.quiz.store_open import _open, open_store
from xentcli.quiz.store_queries import Store
from xentcli.quiz.store_schema import (
    DRILLS_VERSION,
    EXPORT_FIELDS,
    HINTS_SCHEMA,
    INTERVIEW_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
)
from xentcli.quiz.store_sqlite import (
    BUSY_TIMEOUT,
    ENV_HOME,
    FILENAME,
    _connect,
    _failure,
    _jsonable,
    _timestamp,
    _Unwritable,
    default_path,
)

__all__ = [
    "BUSY_TIMEOUT",
    "DRILLS_VERSION",
    "ENV_HOME",
    "EXPORT_FIELDS",
    "FILENAME",
    "HINTS_SCHEMA",
    "INTERVIEW_SCHEMA",
    "DrillAttempt",
    "DrillProgress",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Progress",
    "SaveStatus",
    "Store",
    "StoreRecorder",
    "default_path",
    "drill_progress",
    "open_progress",
    "open_store",
    "record_drill_attempt",
]

# ------------------------------------------------------------ recording a quiz


@dataclass
class StoreRecorder:
    """Saves each answer at once, in its own transaction and connection.

    The connection is opened per answer: an answer every few seconds costs
    nothing noticeable, and no connection is left open when a session ends
    in any way at all. The first answer also creates the session's row.
    With ``trust`` (from the open that checked the file), each answer renews
    the file's seal, so the next start needs no integrity check.
    """

    path: Path
    clock: Callable[[], datetime] = utc_now  # when the session started
    trust: Trust | None = field(default=None, repr=False, compare=False)
    session_id: int | None = field(default=None, init=False)
    started_at: str | None = field(default=None, init=False)  # the session row's

    def record(self, rec: AnswerRecord) -> None:
        params = json.dumps(dict(rec.params), sort_keys=True, allow_nan=False,
                            default=_jsonable)
        before = self.trust.before() if self.trust is not None else None
        try:
            conn = _connect(self.path, "mode=rw")
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving an answer") from None
        saved = False
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                session_id, started = self.session_id, self.started_at
                if session_id is not None and conn.execute(
                    "SELECT 1 FROM sessions WHERE id = ? AND started_at = ?",
                    (session_id, started),
                ).fetchone() is None:
                    # `xent stats --reset` deleted it meanwhile (its id may even be
                    # another session's by now): this session starts a new row.
                    session_id = None
                if session_id is None:
                    started = _timestamp(self.clock())
                    cursor = conn.execute("INSERT INTO sessions (started_at) VALUES (?)",
                                          (started,))
                    session_id = cursor.lastrowid
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
            self.session_id, self.started_at = session_id, started
            saved = True
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "saving an answer") from None
        finally:
            conn.close()
            if self.trust is not None:
                self.trust.renew(before, ok=saved)


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
    #: Every answer, oldest first; None: read from the file when first asked for.
    loaded: tuple[Review, ...] | None = ()
    warning: str | None = None  # for the user, when status is READ_ONLY
    exam_date: date | None = None  # set by `xent plan --date`
    #: What the planner needs, worked out in SQL (None: replay the reviews).
    states: dict[str, CardState] | None = None
    accuracy: dict[str, float] | None = None
    #: What the open found the file to be: the session's writes renew its seal.
    trust: Trust | None = field(default=None, repr=False, compare=False)
    _cache: list[tuple[Review, ...]] = field(default_factory=list, repr=False, compare=False)

    @property
    def reviews(self) -> tuple[Review, ...]:
        """Every answer, oldest first (a long history is read only when asked for)."""
        if self.loaded is not None:
            return self.loaded
        if not self._cache:
            self._cache.append(_read_reviews(self.path) if self.path is not None else ())
        return self._cache[0]

    def recorder(self) -> Recorder:
        """Where this session's answers go."""
        if self.status is SaveStatus.SAVING and self.path is not None:
            return StoreRecorder(self.path, trust=self.trust)
        return NullRecorder()

    def interview_recorder(self) -> InterviewRecorder:
        """Where a mock interview's answers and report go."""
        if self.status is SaveStatus.SAVING and self.path is not None:
            from xentcli.quiz.store_interviews import StoreInterviewRecorder

            return StoreInterviewRecorder(self.path, trust=self.trust)
        return NullInterviewRecorder()


def _read_reviews(path: Path) -> tuple[Review, ...]:
    try:
        store = _open(path, create=False)
    except _Unwritable:
        return ()
    if store is None:
        return ()
    with store:
        return tuple(store.reviews())


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
        from xentcli.quiz.store_interviews import read_exam_date
        from xentcli.quiz.store_summary import planning

        # Start-up does not grow with the history: the planner's inputs come from
        # SQL, and the answers themselves are read only if something asks for them.
        planned = planning(store)
        reviews = None if planned is not None else tuple(store.reviews())
        states, accuracy = planned if planned is not None else (None, None)
        exam = read_exam_date(store)
        if not store.writable:
            return Progress(SaveStatus.READ_ONLY, where, reviews,
                            warning=f"{store.note}; answers will not be saved", exam_date=exam,
                            states=states, accuracy=accuracy)
    return Progress(SaveStatus.SAVING, where, reviews, exam_date=exam, states=states,
                    accuracy=accuracy, trust=store.trust)


