"""One question of a bank, and one drawn instance of it.

A :class:`Question` holds its checked, compiled formulas and templates;
:meth:`Question.instantiate` draws the parameters for a seed and renders
everything a session shows and grades, as an :class:`Instance`. The same seed
always gives the same instance. Problems are :class:`Problem` objects that print
as ``<file>:<line>: question '<id>': <reason>``.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xentcli.errors import BankError, ExpressionError
from xentcli.quiz.expr import Formula, format_value
from xentcli.quiz.params import ParamSpec
from xentcli.quiz.template import Template

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_LEVEL",
    "DEFAULT_RTOL",
    "KINDS",
    "LETTERS",
    "LEVELS",
    "MAX_DRAWS",
    "MISTAKE_MARGIN",
    "SHOWN_MARGIN",
    "Instance",
    "Mistake",
    "MistakeValue",
    "Problem",
    "Question",
    "default_par_seconds",
    "shown_number",
]

KINDS = ("numeric", "choice", "open")
LETTERS = "ABCDEF"
DEFAULT_RTOL = 0.01
DEFAULT_ATOL = 0.001
#: Draws before giving up on a question whose ``require`` is never met.
MAX_DRAWS = 200
#: 1 recall, 2 apply, 3 interview (several steps, two ideas combined, a trap).
LEVELS = (1, 2, 3)
#: The level of a question that does not say (a user's bank from before levels).
DEFAULT_LEVEL = 2
#: A draw is redrawn when a declared mistake lies within this many tolerances
#: of the answer: inside one it would be graded right, just outside it a
#: rounded mistake could still pass.
MISTAKE_MARGIN = 2.0
# Seconds a prepared candidate needs, by kind and level, where a bank does not say.
_PAR: dict[str, tuple[int, int, int]] = {
    "numeric": (60, 120, 240),
    "choice": (30, 45, 90),
    "open": (60, 120, 180),
}


#: The value shown as expected lies within this share of the tolerance of the
#: exact value, so that typing it back is right with room to spare.
SHOWN_MARGIN = 0.1


def shown_number(expected: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> str:
    """The expected value as feedback shows it: 6 significant digits, more when the
    tolerance needs them, so that the text typed back is always graded right.

    >>> shown_number(0.35667494393873245), shown_number(1000.0713, rtol=0, atol=0.0005)
    ('0.356675', '1000.0713')
    """
    tolerance = max(atol, rtol * abs(expected))
    for digits in range(6, 18):
        text = format(expected, f".{digits}g")
        if abs(float(text) - expected) <= SHOWN_MARGIN * tolerance:
            return "0" if text == "-0" else text
    return repr(expected)


def default_par_seconds(kind: str, level: int) -> int:
    """The ``par_seconds`` of a question that declares none.

    >>> default_par_seconds("choice", 1), default_par_seconds("numeric", 3)
    (30, 240)
    """
    return _PAR[kind][level - 1]


# ------------------------------------------------------------------------ problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank: where, which question, and why."""

    file: str
    line: int | None
    question: str | None  # "'entropy-basic'", or "#3" when the id is missing
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f" question {self.question}:" if self.question else ""
        return f"{where}:{who} {self.reason}"


# ----------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Mistake:
    """A declared slip of a numeric question: its value is a formula like the answer's."""

    id: str
    formula: Formula
    message: Template  # one line; may show the params, the lets and {answer}


@dataclass(frozen=True)
class MistakeValue:
    """A declared mistake worked out for one draw."""

    id: str
    value: float
    message: str


@dataclass(frozen=True)
class Instance:
    """One drawn question: everything a session shows and grades, for one seed."""

    question: Question
    seed: int
    params: dict[str, Any]  # the drawn parameters, JSON-serialisable
    prompt: str
    choices: tuple[str, ...]  # choice questions: in the order shown (A, B, ...)
    expected: float | str  # numeric: the value; choice: the letter; open: the model answer
    explanation: str  # the worked solution ("" for open questions)
    key_points: tuple[str, ...]  # open questions
    hints: tuple[str, ...] = ()  # progressively stronger, rendered for this draw
    mistakes: tuple[MistakeValue, ...] = ()  # numeric: each declared mistake's value
    whys: tuple[str | None, ...] = ()  # choice: why each shown option is wrong (None: no reason)

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def topic(self) -> str:
        return self.question.topic

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def unit(self) -> str:
        return self.question.unit

    @property
    def level(self) -> int:
        return self.question.level

    @property
    def par_seconds(self) -> int:
        return self.question.par_seconds

    @property
    def rtol(self) -> float:
        return self.question.rtol

    @property
    def atol(self) -> float:
        return self.question.atol

    def expected_text(self) -> str:
        """The expected answer in short: a number, a letter, or "self-graded".

        A number is shown with the digits its tolerance needs (see
        :func:`shown_number`), so that typing it back is graded right.
        """
        if isinstance(self.expected, float):
            return shown_number(self.expected, self.rtol, self.atol)
        return self.expected if self.kind == "choice" else "self-graded"


@dataclass(frozen=True)
class _Draw:
    """The numbers of one accepted draw, before anything is rendered."""

    values: dict[str, Any]  # the params
    names: dict[str, Any]  # params, lets, base, unit (and answer for numeric questions)
    collisions: tuple[str, ...]  # per draw thrown away: the mistake that came too close
    expected: float | None = None
    mistakes: tuple[tuple[Mistake, float], ...] = ()


class _DrawFailure(Exception):
    """A draw that failed; private, turned into a BankError or a Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Question:
    """A checked question of a bank, ready to be drawn."""

    id: str
    topic: str
    kind: str
    file: str
    line: int
    prompt: Template
    answer: Formula | Template | int  # numeric formula / open model answer / choice position
    explanation: Template | None = None
    choices: tuple[Template, ...] = ()
    key_points: tuple[Template, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    lets: tuple[tuple[str, Formula], ...] = ()
    requires: tuple[Formula, ...] = ()
    base: float = math.e
    unit: str = "nats"  # what a numeric answer is in; "" for a plain number (unit: none)
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    tags: tuple[str, ...] = ()
    level: int = DEFAULT_LEVEL
    par_seconds: int = 0  # 0: the default for the kind and level (see default_par_seconds)
    hints: tuple[Template, ...] = ()
    mistakes: tuple[Mistake, ...] = ()
    whys: tuple[Template | None, ...] = ()  # choice: one per entry of `choices`, as written
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def _fail(self, what: str, reason: str, seed: int) -> _DrawFailure:
        line = self.lines.get(what.split(" ")[0], self.line)
        return _DrawFailure(Problem(self.file, line, f"'{self.id}'", f"{what}: {reason} "
                                    f"(seed {seed})"))

    def __post_init__(self) -> None:
        if self.par_seconds <= 0:
            object.__setattr__(self, "par_seconds", default_par_seconds(self.kind, self.level))

    def _draw(self, seed: int) -> _Draw:
        """Draw params until every ``require`` holds and no declared mistake comes
        within :data:`MISTAKE_MARGIN` tolerances of the answer."""
        rng = random.Random(f"{self.id}:{seed}")
        collisions: list[str] = []
        for _ in range(MAX_DRAWS):
            values: dict[str, Any] = {}
            for spec in self.params:
                try:
                    values[spec.name] = spec.draw(rng, values)
                except BankError as exc:
                    raise self._fail(f"params {spec.name}", str(exc), seed) from None
            names: dict[str, Any] = {**values, "base": self.base, "unit": self.unit}
            for name, formula in self.lets:
                try:
                    names[name] = formula.evaluate(names)
                except ExpressionError as exc:
                    raise self._fail(f"let {name}", str(exc), seed) from None
            if not all(self._holds(i, req, names, seed) for i, req in enumerate(self.requires, 1)):
                continue
            if self.kind != "numeric":
                return _Draw(values, names, tuple(collisions))
            expected = self._number("answer", self.answer, names, seed)
            names["answer"] = expected
            mistakes = tuple((m, self._number(f"mistakes {m.id}", m.formula, names, seed))
                             for m in self.mistakes)
            margin = MISTAKE_MARGIN * max(self.atol, self.rtol * abs(expected))
            close = [m.id for m, value in mistakes if abs(value - expected) <= margin]
            if close:
                collisions.append(close[0])
                continue
            return _Draw(values, names, tuple(collisions), expected, mistakes)
        if collisions:
            raise self._fail("mistakes", f"a declared mistake came within {MISTAKE_MARGIN:g}x "
                             f"the tolerance of the answer in every one of {MAX_DRAWS} draws",
                             seed)
        raise self._fail("require", f"the conditions never all held in {MAX_DRAWS} draws", seed)

    def _number(self, what: str, formula: Any, names: Mapping[str, Any], seed: int) -> float:
        assert isinstance(formula, Formula)
        try:
            value = formula.evaluate(names)
        except ExpressionError as exc:
            raise self._fail(what, str(exc), seed) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(what, f"gives {format_value(value)}, not a number", seed)
        if not math.isfinite(value):
            raise self._fail(what, f"gives {format_value(value)}, not a finite number", seed)
        return float(value)

    def _holds(self, number: int, formula: Formula, names: Mapping[str, Any], seed: int) -> bool:
        try:
            return bool(formula.evaluate(names))
        except ExpressionError as exc:
            raise self._fail(f"require {number}", str(exc), seed) from None

    def _render(self, what: str, template: Template, names: Mapping[str, Any], seed: int) -> str:
        try:
            return template.render(names)
        except ExpressionError as exc:
            raise self._fail(what, str(exc), seed) from None

    def instantiate(self, seed: int, *, texts: bool = True) -> Instance:
        """Draw this question's numbers for ``seed`` and render it.

        The same seed always gives the same instance (numbers and choice order).
        ``texts=False`` leaves the prompt, explanation, hints and key points
        empty (half the work), for checks that need only the numbers and the
        mistakes' messages.

        Raises:
            BankError: a formula or template fails for this draw; the message
                names the file, the question, the field and the seed.
        """
        try:
            return self._render_draw(self._draw(seed), seed, texts)
        except _DrawFailure as exc:
            raise BankError(str(exc.problem)) from None

    def _instantiate(self, seed: int) -> Instance:
        return self._render_draw(self._draw(seed), seed)

    def _render_draw(self, draw: _Draw, seed: int, texts: bool = True) -> Instance:
        values, names = draw.values, draw.names
        expected: float | str = 0.0
        mistakes: tuple[MistakeValue, ...] = ()
        if self.kind == "numeric":
            assert draw.expected is not None
            expected = draw.expected
            mistakes = tuple(
                MistakeValue(m.id, value, " ".join(
                    self._render(f"mistakes {m.id}", m.message, names, seed).split()))
                for m, value in draw.mistakes
            )
        hints = tuple(self._render(f"hint {i}", t, {k: v for k, v in names.items()
                                                     if k != "answer"}, seed)
                      for i, t in enumerate(self.hints, 1)) if texts else ()
        prompt = self._render("prompt", self.prompt, names, seed) if texts else ""
        choices: tuple[str, ...] = ()
        whys: tuple[str | None, ...] = ()
        if self.kind == "choice":
            assert isinstance(self.answer, int)
            order = list(range(len(self.choices)))
            random.Random(f"{self.id}:{seed}:choices").shuffle(order)
            choices = tuple(
                self._render(f"choices {i + 1}", self.choices[i], names, seed) for i in order
            )
            whys = tuple(self._why(i, names, seed) for i in order)
            expected = LETTERS[order.index(self.answer - 1)]
        explanation = ""
        if self.explanation is not None and texts:
            explanation = self._render("explanation", self.explanation, names, seed)
        key_points: tuple[str, ...] = ()
        if self.kind == "open":
            assert isinstance(self.answer, Template)
            expected = self._render("answer", self.answer, names, seed)
            key_points = tuple(
                self._render(f"key_points {i}", t, names, seed)
                for i, t in enumerate(self.key_points, 1)
            ) if texts else ()
        return Instance(self, seed, values, prompt, choices, expected, explanation, key_points,
                        hints, mistakes, whys)

    def _why(self, index: int, names: Mapping[str, Any], seed: int) -> str | None:
        template = self.whys[index] if index < len(self.whys) else None
        if template is None:
            return None
        return " ".join(self._render(f"choices {index + 1} why", template, names, seed).split())

    def first_problem(self, seeds: Iterable[int]) -> Problem | None:
        """The first problem of drawing this question for these seeds, if any.

        Besides failing formulas and templates: params that are not finite, and
        two choices that read the same.
        """
        return _first_problem(self, seeds)


def _first_problem(question: Question, seeds: Iterable[int]) -> Problem | None:
    kept = 0
    thrown: list[str] = []
    for seed in seeds:
        try:
            draw = question._draw(seed)
            instance = question._render_draw(draw, seed)
        except _DrawFailure as exc:
            return exc.problem
        kept += 1
        thrown.extend(draw.collisions)
        try:
            json.dumps(instance.params, allow_nan=False)
        except ValueError:
            return Problem(question.file, question.line, f"'{question.id}'",
                           f"params: a drawn value is not finite (seed {seed})")
        if len(set(instance.choices)) < len(instance.choices):
            return Problem(question.file, question.lines.get("choices", question.line),
                           f"'{question.id}'",
                           f"choices: two choices read the same (seed {seed}): "
                           f"{_first_duplicate(instance.choices)!r}")
    if len(thrown) > kept:
        worst = max(set(thrown), key=lambda mid: (thrown.count(mid), mid))
        return Problem(question.file, question.lines.get("mistakes", question.line),
                       f"'{question.id}'",
                       f"mistakes: '{worst}' comes within {MISTAKE_MARGIN:g}x the tolerance "
                       f"of the answer in {thrown.count(worst)} of {len(thrown) + kept} draws "
                       f"(each was drawn again); choose params that tell them apart")
    return None


def _first_duplicate(items: Sequence[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""  # pragma: no cover - only called when there is one
