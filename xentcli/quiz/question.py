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
    "DEFAULT_RTOL",
    "KINDS",
    "LETTERS",
    "MAX_DRAWS",
    "Instance",
    "Problem",
    "Question",
]

KINDS = ("numeric", "choice", "open")
LETTERS = "ABCDEF"
DEFAULT_RTOL = 0.01
DEFAULT_ATOL = 0.001
#: Draws before giving up on a question whose ``require`` is never met.
MAX_DRAWS = 200


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
    def rtol(self) -> float:
        return self.question.rtol

    @property
    def atol(self) -> float:
        return self.question.atol

    def expected_text(self) -> str:
        """The expected answer in short: a number, a letter, or "self-graded"."""
        if isinstance(self.expected, float):
            return format_value(self.expected)
        return self.expected if self.kind == "choice" else "self-graded"


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
    unit: str = "nats"
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    tags: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def _fail(self, what: str, reason: str, seed: int) -> _DrawFailure:
        line = self.lines.get(what.split(" ")[0], self.line)
        return _DrawFailure(Problem(self.file, line, f"'{self.id}'", f"{what}: {reason} "
                                    f"(seed {seed})"))

    def _names(self, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Draw params until every ``require`` holds: (params, all names)."""
        rng = random.Random(f"{self.id}:{seed}")
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
            if all(self._holds(i, req, names, seed) for i, req in enumerate(self.requires, 1)):
                return values, names
        raise self._fail("require", f"the conditions never all held in {MAX_DRAWS} draws", seed)

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

    def instantiate(self, seed: int) -> Instance:
        """Draw this question's numbers for ``seed`` and render it.

        The same seed always gives the same instance (numbers and choice order).

        Raises:
            BankError: a formula or template fails for this draw; the message
                names the file, the question, the field and the seed.
        """
        try:
            return self._instantiate(seed)
        except _DrawFailure as exc:
            raise BankError(str(exc.problem)) from None

    def _instantiate(self, seed: int) -> Instance:
        values, names = self._names(seed)
        expected: float | str
        if self.kind == "numeric":
            assert isinstance(self.answer, Formula)
            try:
                value = self.answer.evaluate(names)
            except ExpressionError as exc:
                raise self._fail("answer", str(exc), seed) from None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._fail("answer", f"gives {format_value(value)}, not a number", seed)
            if not math.isfinite(value):
                raise self._fail("answer", f"gives {format_value(value)}, not a finite number",
                                 seed)
            expected = float(value)
            names["answer"] = expected
        prompt = self._render("prompt", self.prompt, names, seed)
        choices: tuple[str, ...] = ()
        if self.kind == "choice":
            assert isinstance(self.answer, int)
            order = list(range(len(self.choices)))
            random.Random(f"{self.id}:{seed}:choices").shuffle(order)
            choices = tuple(
                self._render(f"choices {i + 1}", self.choices[i], names, seed) for i in order
            )
            expected = LETTERS[order.index(self.answer - 1)]
        explanation = ""
        if self.explanation is not None:
            explanation = self._render("explanation", self.explanation, names, seed)
        key_points: tuple[str, ...] = ()
        if self.kind == "open":
            assert isinstance(self.answer, Template)
            expected = self._render("answer", self.answer, names, seed)
            key_points = tuple(
                self._render(f"key_points {i}", t, names, seed)
                for i, t in enumerate(self.key_points, 1)
            )
        return Instance(self, seed, values, prompt, choices, expected, explanation, key_points)

    def first_problem(self, seeds: Iterable[int]) -> Problem | None:
        """The first problem of drawing this question for these seeds, if any.

        Besides failing formulas and templates: params that are not finite, and
        two choices that read the same.
        """
        return _first_problem(self, seeds)


def _first_problem(question: Question, seeds: Iterable[int]) -> Problem | None:
    for seed in seeds:
        try:
            instance = question._instantiate(seed)
        except _DrawFailure as exc:
            return exc.problem
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
    return None


def _first_duplicate(items: Sequence[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""  # pragma: no cover - only called when there is one
