"""The running totals of schema v7: kept by triggers, checked whenever the file is.

Per question, per topic and for the odd answers (see
:data:`~xentcli.quiz.store_schema.MIGRATIONS`), triggers on ``answers`` keep
the totals for every write of every program, in the write's own transaction.
So a start reads a few hundred rows instead of counting 100,000 answers.

They are trusted as far as the file itself is:

- An open that skips the integrity check (:mod:`.store_integrity`: the file is
  exactly as xent last checked or wrote it) trusts them: the check that
  sealed it also checked them (below), and xent's own writes since went through
  the triggers.
- An open that runs the integrity check (a new, changed or day-old file)
  counts them anew from the answers and compares, with the triggers' text. A
  write that went around the triggers (``INSERT OR REPLACE`` deletes a row
  without its delete trigger; a trigger or a total edited or dropped by hand)
  is found there and mended in one transaction: the triggers made again and
  the totals counted again. A read-only file cannot be mended: the summary
  replays the answers instead (:attr:`Store.totals` is False).
"""

from __future__ import annotations

import sqlite3

from xentcli.quiz.store_schema import (
    CARD_TOTALS,
    COUNT_TOTALS,
    ODD_ANSWERS,
    TOPIC_TOTALS,
    TOTALS_SCHEMA,
    TOTALS_TRIGGERS,
)

__all__ = ["check_totals", "delete_answers", "mend_totals"]

_TOTALS = {
    "card_totals": (CARD_TOTALS, "SELECT question_id, answers, lapses FROM card_totals"),
    "topic_totals": (TOPIC_TOTALS,
                     "SELECT topic, answers, correct, skipped FROM topic_totals"),
}


def _triggers_sound(conn: sqlite3.Connection) -> bool:
    """Exactly xent's triggers, as written, and no other."""
    found = sorted(str(row[0]) for row in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger'"))
    return found == sorted(TOTALS_TRIGGERS)


def check_totals(conn: sqlite3.Connection, version: int) -> bool:
    """Whether the totals are what the answers give now (one pass over each index)."""
    if version < TOTALS_SCHEMA:
        return False
    if not _triggers_sound(conn):
        return False
    for counted, kept in _TOTALS.values():  # one row per key on each side: sets compare
        if set(conn.execute(counted).fetchall()) != set(conn.execute(kept).fetchall()):
            return False
    odd = conn.execute("SELECT odd FROM answer_totals").fetchall()
    return odd == conn.execute(ODD_ANSWERS).fetchall()


def delete_answers(conn: sqlite3.Connection) -> None:
    """Delete every answer and its totals, inside the caller's transaction.

    Without the triggers for the time of it: one delete per answer in them
    made a reset of 100,000 answers take a second instead of a tenth.
    """
    names = [statement.split()[2] for statement in TOTALS_TRIGGERS]  # CREATE TRIGGER name
    for name in names:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DELETE FROM answers")
    for table in _TOTALS:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM answer_totals")
    conn.execute("INSERT INTO answer_totals VALUES (1, 0)")
    for statement in TOTALS_TRIGGERS:
        conn.execute(statement)


def mend_totals(conn: sqlite3.Connection) -> None:
    """Make the triggers again and count the totals anew, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # xent makes no trigger but these: any other could change the totals too.
        names = [str(row[0]) for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in names:
            conn.execute('DROP TRIGGER "' + name.replace('"', '""') + '"')
        for statement in TOTALS_TRIGGERS:
            conn.execute(statement)
        for table in (*_TOTALS, "answer_totals"):
            conn.execute(f"DELETE FROM {table}")
        for statement in COUNT_TOTALS:
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
