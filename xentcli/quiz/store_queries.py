"""An open progress database and what is read from it or deleted in it.

:class:`Store` is made by :func:`xentcli.quiz.store_open.open_store`, once the
file proved sound; its reads name a hand-edited row instead of failing inside.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from xentcli.errors import StoreError
from xentcli.quiz.schedule import Review
from xentcli.quiz.store_integrity import Trust
from xentcli.quiz.store_schema import EXPORT_FIELDS, HINTS_SCHEMA
from xentcli.quiz.store_sqlite import _failure
from xentcli.quiz.store_totals import delete_answers

__all__ = ["Store"]


class Store:
    """An open progress database (use :func:`open_store`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, version: int, *,
                 writable: bool, note: str | None = None, trust: Trust | None = None,
                 totals: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.version = version
        self.writable = writable
        #: Why the store is read-only, for a warning.
        self.note = note
        #: What this process knows the file to be, to renew its seal on close.
        self.trust = trust if writable else None
        #: Whether the running totals (:mod:`.store_totals`) hold for this file.
        self.totals = totals

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(ok=kind is None)

    def close(self, *, ok: bool = True) -> None:
        """Close the file; seal it when it is still what was checked, plus xent's writes."""
        before = self.trust.before() if self.trust is not None else None
        self.conn.close()
        if self.trust is not None:
            self.trust.renew(before, ok=ok)

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
            Review(self._text(qid, row_id, "question id"), self._text(topic, row_id, "topic"),
                   bool(correct), self._when(at, row_id), bool(skipped), hinted=bool(used))
            for qid, topic, correct, skipped, at, row_id, used in rows
        ]

    def _bad_row(self, row_id: object, what: str, value: object, expected: str) -> StoreError:
        """A hand-edited value named with its row, like a bad date (the file is untouched)."""
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return StoreError(f"the progress file {self.path} has answer {row_id} with the "
                          f"{what} {shown}, which is not {expected}; the file was left "
                          "untouched")

    def _text(self, value: object, row_id: int, what: str) -> str:
        if not isinstance(value, str):  # a BLOB or a number put there by hand
            raise self._bad_row(row_id, what, value, "text")
        return value

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
                for name, value in item.items():
                    if isinstance(value, bytes):  # a BLOB put there by hand
                        raise self._bad_row(item["id"], name, value, "text or a number")
                item["params"] = self._params(item["params"], item["id"])
                item["correct"] = bool(item["correct"])
                item["skipped"] = bool(item["skipped"])
                yield item
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "reading the history") from None

    def _params(self, text: object, row_id: int) -> Any:
        def no_constant(name: str) -> Any:
            raise ValueError(name)

        try:  # strict JSON: NaN or Infinity could not be exported
            return json.loads(str(text), parse_constant=no_constant)
        except ValueError:
            raise self._bad_row(row_id, "params", text, "JSON") from None

    def reset(self) -> int:
        """Delete every recorded answer, session and interview; return how many answers
        went. The interview date of ``xent plan`` is a setting, not progress: it stays."""
        if not self.writable:
            raise StoreError(f"cannot delete progress: {self.note or 'the file is read-only'}")
        try:
            # Overwrite the deleted answers' bytes instead of leaving them in free pages.
            self.conn.execute("PRAGMA secure_delete = ON")
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                gone = int(self.conn.execute("SELECT count(*) FROM answers").fetchone()[0])
                delete_answers(self.conn)  # and their running totals (writable: schema v7)
                self.conn.execute("DELETE FROM sessions")
                self.conn.execute("DELETE FROM interviews")  # schema v3: interviews
                self.conn.execute("DELETE FROM drill_attempts")  # coding drills
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, "deleting progress") from None
        return gone

