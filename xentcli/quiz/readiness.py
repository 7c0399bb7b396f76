"""The readiness report of a mock interview: credit per question, readiness per topic.

Each question earns a credit: 0 unless right; 1 if right within par, 0.75 if
slower; times 0.75 for each hint used. A topic's readiness is the mean credit
of its questions, the interview's the mean over all questions asked: 80% or
more is "ready", 50% or more "nearly", less "not yet". Pure data: the session
(:mod:`xentcli.quiz.interview`) builds it, the CLI renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time only where a report is made: stats needs verdict alone
    from xentcli.quiz.session import Outcome, Report

__all__ = ["Asked", "InterviewReport", "TopicReadiness", "verdict"]

_SLOW = 0.75  # credit kept by a right answer slower than par
_PER_HINT = 0.75  # credit kept per hint used
READY, NEARLY = 0.8, 0.5


def verdict(readiness: float) -> str:
    """``ready`` (80% or more), ``nearly`` (50% or more) or ``not yet``."""
    return "ready" if readiness >= READY else "nearly" if readiness >= NEARLY else "not yet"



@dataclass(frozen=True)
class Asked:
    """One asked question of an interview, with its clock."""

    outcome: Outcome
    level: int
    par_seconds: int
    limit_seconds: float
    timed_out: bool

    @property
    def hints(self) -> int:
        return self.outcome.hints

    @property
    def diagnosis(self) -> str | None:
        return self.outcome.diagnosis

    @property
    def credit(self) -> float:
        """0 unless right; 1 within par, 0.75 slower; times 0.75 per hint."""
        if not self.outcome.correct or self.timed_out:
            return 0.0
        credit = 1.0 if self.outcome.seconds <= self.par_seconds else _SLOW
        return credit * _PER_HINT ** self.hints

    def to_json(self, base: dict[str, Any]) -> dict[str, Any]:
        return {
            **base,
            "level": self.level,
            "seconds": round(self.outcome.seconds, 3),
            "par_seconds": self.par_seconds,
            "limit_seconds": round(self.limit_seconds, 3),
            "timed_out": self.timed_out,
            "skipped": self.outcome.skipped and not self.timed_out,
        }


@dataclass(frozen=True)
class TopicReadiness:
    """One topic's line of the readiness report."""

    topic: str
    asked: int
    right: int
    timed_out: int
    hints: int
    seconds: float
    par_seconds: int
    mistakes: tuple[str, ...]  # the diagnosis of each recognised mistake
    readiness: float

    @property
    def verdict(self) -> str:
        return verdict(self.readiness)

    def to_json(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "right": self.right,
            "timed_out": self.timed_out,
            "hints": self.hints,
            "seconds": round(self.seconds, 3),
            "par_seconds": self.par_seconds,
            "time_vs_par": round(self.seconds / self.par_seconds, 3),
            "mistakes": list(self.mistakes),
            "readiness": self.readiness,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class InterviewReport:
    """The result of an interview (possibly ended early) and of its retry."""

    asked: tuple[Asked, ...]
    planned: int
    finished: bool
    out_of_time: bool  # the interview's clock ran out before the script did
    minutes: float
    seconds: float  # how long the interview lasted
    retry: tuple[Asked, ...] | None = None

    @property
    def quiz_report(self) -> Report:
        from xentcli.quiz.session import Report

        return Report(tuple(a.outcome for a in self.asked), self.finished, self.planned)

    @property
    def correct(self) -> int:
        return sum(a.outcome.correct and not a.timed_out for a in self.asked)

    @property
    def timed_out(self) -> int:
        return sum(a.timed_out for a in self.asked)

    @property
    def readiness(self) -> float:
        return sum(a.credit for a in self.asked) / len(self.asked) if self.asked else 0.0

    @property
    def missed(self) -> list[Asked]:
        """Questions not answered right (wrong, skipped or timed out), in order."""
        return [a for a in self.asked if a.credit == 0.0]

    def by_topic(self) -> list[TopicReadiness]:
        """Per topic, in the order topics were first asked."""
        groups: dict[str, list[Asked]] = {}
        for a in self.asked:
            groups.setdefault(a.outcome.instance.topic, []).append(a)
        return [
            TopicReadiness(
                topic,
                asked=len(items),
                right=sum(a.outcome.correct and not a.timed_out for a in items),
                timed_out=sum(a.timed_out for a in items),
                hints=sum(a.hints for a in items),
                seconds=sum(a.outcome.seconds for a in items),
                par_seconds=sum(a.par_seconds for a in items),
                mistakes=tuple(d for a in items if (d := a.diagnosis)),
                readiness=sum(a.credit for a in items) / len(items),
            )
            for topic, items in groups.items()
        ]

    def to_json(self) -> dict[str, Any]:
        """The quiz's ``--json`` report, with the clock per question and readiness per topic."""
        base = self.quiz_report.to_json()
        base["questions"] = [a.to_json(q) for a, q in zip(self.asked, base["questions"],
                                                           strict=True)]
        retry: dict[str, Any] | None = None
        if self.retry is not None:
            from xentcli.quiz.session import Report

            again = Report(tuple(a.outcome for a in self.retry), True, len(self.retry))
            retry = again.to_json()
            retry["questions"] = [a.to_json(q) for a, q in zip(self.retry, retry["questions"],
                                                               strict=True)]
        return {
            **base,
            "minutes": self.minutes,
            "seconds": round(self.seconds, 3),
            "planned": self.planned,
            "finished": self.finished,
            "out_of_time": self.out_of_time,
            "timed_out": self.timed_out,
            "readiness": {t.topic: t.to_json() for t in self.by_topic()},
            "overall": {"readiness": self.readiness,
                        "verdict": verdict(self.readiness)},
            "missed": [a.outcome.instance.id for a in self.missed],
            "retry": retry,
        }
