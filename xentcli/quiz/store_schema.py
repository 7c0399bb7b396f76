"""The progress file's schema: one migration step per version, never edited once released.

The version is kept in ``PRAGMA user_version``; :mod:`xentcli.quiz.store_open`
brings a file up to :data:`SCHEMA_VERSION` inside one transaction.
"""

from __future__ import annotations

__all__ = [
    "DRILLS_VERSION",
    "EXPORT_FIELDS",
    "HINTS_SCHEMA",
    "INTERVIEW_SCHEMA",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STAMP_GLOB",
    "TOTALS_SCHEMA",
    "TOTALS_TRIGGERS",
]

#: The shape of xent's own timestamps: 2024-05-15T12:00:00.000000+00:00.
STAMP_GLOB = "????-??-??T??:??:??.??????+00:00"


def _odd(row: str) -> str:
    """SQL: 1 when an answer is not as xent writes it (the summary replays then), else 0."""
    return (f"(typeof({row}.question_id) != 'text' OR typeof({row}.topic) != 'text' "
            f"OR typeof({row}.answered_at) != 'text' "
            f"OR {row}.answered_at NOT GLOB '{STAMP_GLOB}')")


# The triggers' steps, part of the v7 step below (never edited once released,
# like it: a file's triggers are compared with this text). No conflict clause
# (OR IGNORE...): an outer statement's would override it; a missing row is
# added with NOT EXISTS instead.
_ADD = f"""    INSERT INTO card_totals SELECT new.question_id, 0, 0 WHERE NOT EXISTS
        (SELECT 1 FROM card_totals WHERE question_id = new.question_id);
    UPDATE card_totals SET answers = answers + 1, lapses = lapses + (new.correct = 0)
        WHERE question_id = new.question_id;
    INSERT INTO topic_totals SELECT new.topic, 0, 0, 0 WHERE NOT EXISTS
        (SELECT 1 FROM topic_totals WHERE topic = new.topic);
    UPDATE topic_totals SET answers = answers + 1, correct = correct + new.correct,
        skipped = skipped + new.skipped WHERE topic = new.topic;
    UPDATE answer_totals SET odd = odd + {_odd("new")};"""
_REMOVE = f"""    UPDATE card_totals SET answers = answers - 1, lapses = lapses - (old.correct = 0)
        WHERE question_id = old.question_id;
    DELETE FROM card_totals WHERE question_id = old.question_id AND answers <= 0;
    UPDATE topic_totals SET answers = answers - 1, correct = correct - old.correct,
        skipped = skipped - old.skipped WHERE topic = old.topic;
    DELETE FROM topic_totals WHERE topic = old.topic AND answers <= 0;
    UPDATE answer_totals SET odd = odd - {_odd("old")};"""
#: The totals as counted from the answers themselves (``new`` stands for each row).
CARD_TOTALS = ("SELECT question_id, count(*), sum(correct = 0) FROM answers "
               "GROUP BY question_id")
TOPIC_TOTALS = ("SELECT topic, count(*), sum(correct), sum(skipped) FROM answers "
                "GROUP BY topic")
ODD_ANSWERS = f"SELECT count(*) FROM answers AS new WHERE {_odd('new')}"
_COUNT_TOTALS = (
    f"INSERT INTO card_totals {CARD_TOTALS}",
    f"INSERT INTO topic_totals {TOPIC_TOTALS}",
    f"INSERT INTO answer_totals VALUES (1, ({ODD_ANSWERS}))",
)

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
    # v5: coding drills, one row per `xent drill check`; which drills are
    # passed is read from it. A table of its own: the quiz's are untouched
    # (and DRILLS_VERSION is found from this step, not written down).
    (
        """CREATE TABLE drill_attempts (
            id INTEGER PRIMARY KEY,
            drill TEXT NOT NULL,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            failed_test TEXT,
            tests_passed INTEGER NOT NULL,
            tests_total INTEGER NOT NULL,
            seconds REAL NOT NULL,
            attempted_at TEXT NOT NULL
        )""",
        "CREATE INDEX drill_attempts_by_drill ON drill_attempts (drill, attempted_at)",
    ),
    # v6: start-up that does not grow with the history (xentcli.quiz.store_summary):
    # a question's answers in time order with what its Leitner box needs, a
    # topic's latest answers, the answers of one day, and how many sessions.
    (
        "CREATE INDEX answers_by_card ON answers (question_id, answered_at, id, correct, hints)",
        "CREATE INDEX answers_by_topic ON answers (topic, answered_at, correct, skipped)",
        "CREATE INDEX answers_by_time ON answers (answered_at)",
        "CREATE INDEX answers_by_session ON answers (session_id)",
    ),
    # v7: running totals, so that a start reads a few rows instead of counting
    # every answer (xentcli.quiz.store_totals): per question (answers, wrong or
    # skipped), per topic (answers, right, skipped), and how many answers the
    # SQL summary cannot read as xent writes them (a question, topic or time
    # that is not text, or a time not in xent's one format). Triggers keep them
    # for every write by any program; the last three statements count what is
    # already there, in the same transaction as the rest.
    (
        """CREATE TABLE card_totals (
            question_id TEXT PRIMARY KEY,
            answers INTEGER NOT NULL,
            lapses INTEGER NOT NULL
        )""",
        """CREATE TABLE topic_totals (
            topic TEXT PRIMARY KEY,
            answers INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            skipped INTEGER NOT NULL
        )""",
        """CREATE TABLE answer_totals (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            odd INTEGER NOT NULL
        )""",
        f"""CREATE TRIGGER answers_add AFTER INSERT ON answers BEGIN
{_ADD}
END""",
        f"""CREATE TRIGGER answers_remove AFTER DELETE ON answers BEGIN
{_REMOVE}
END""",
        f"""CREATE TRIGGER answers_change
AFTER UPDATE OF question_id, topic, correct, skipped, answered_at ON answers BEGIN
{_REMOVE}
{_ADD}
END""",
        *_COUNT_TOTALS,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: The first schema version with the interviews and settings tables.
INTERVIEW_SCHEMA = 3
#: The first schema version that records hints and diagnoses.
HINTS_SCHEMA = 4
#: The first schema version with the running totals (found from its step).
TOTALS_SCHEMA = 1 + next(
    n for n, step in enumerate(MIGRATIONS) if any("card_totals (" in s for s in step))
#: The statements that make the totals' triggers, and those that count the totals anew.
TOTALS_TRIGGERS = tuple(s for s in MIGRATIONS[TOTALS_SCHEMA - 1] if s.startswith("CREATE TRIGGER"))
COUNT_TOTALS = _COUNT_TOTALS

#: The columns of ``xent stats --export``, in order.
EXPORT_FIELDS = (
    "id", "session_id", "answered_at", "question_id", "topic", "kind", "seed", "params",
    "given", "expected", "correct", "skipped", "seconds", "hints", "diagnosis",
)



#: The schema version that brought the drills' table (found, not written down,
#: so that the steps of other features can come before it).
DRILLS_VERSION = 1 + next(
    i for i, step in enumerate(MIGRATIONS) if any("drill_attempts" in s for s in step))
