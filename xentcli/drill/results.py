"""What a check found, as data first: each test's name, verdict and message.

:class:`TestResult` keeps the parts of a failure apart (the input, the
expected and the given output, a warning, the user's traceback, a hint) so the
CLI can lay them out; :attr:`TestResult.message` joins them into the plain text
that ``--json`` carries. :func:`short` writes an array on one short line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CheckReport", "TestResult", "short"]

_WIDTH = 62


def short(value: Any, precision: int = 6, width: int = _WIDTH) -> str:
    """One line for a value: small arrays in full, big ones by shape and a few entries.

    >>> short(np.array([[1000.0, 0.0, -1000.0]]))
    '[[1000, 0, -1000]]'
    >>> short(np.zeros((100000, 10)))
    'an array of shape (100000, 10)'
    >>> short(2.0)
    '2'
    """
    if not isinstance(value, np.ndarray):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if value.size > 60:
        return f"an array of shape {value.shape}"
    digits = f"{{:.{precision}g}}"
    text = np.array2string(
        value, separator=", ", max_line_width=10**6, threshold=60,
        formatter={"float_kind": digits.format},
    )
    text = " ".join(text.split())
    if value.dtype == np.float32:
        text += " (float32)"
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text


@dataclass
class TestResult:
    """One rung of the ladder."""

    name: str
    passed: bool
    #: Which input failed (empty when the test passed).
    case: str = ""
    #: Labelled lines: ("input", "z = [...]"), ("expected", ...), ("given", ...).
    details: list[tuple[str, str]] = field(default_factory=list)
    traceback: str | None = None
    hint: str | None = None
    #: A note for a passed test (e.g. how long the big batch took).
    note: str = ""

    @property
    def message(self) -> str:
        if self.passed:
            return self.note
        lines = [self.case] if self.case else []
        lines += [f"{label}: {text}" for label, text in self.details]
        if self.traceback:
            lines.append(self.traceback)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "message": self.message,
                "hint": self.hint}


@dataclass
class CheckReport:
    """Every test that ran on one file, in order; it stops at the first failure."""

    drill: str
    file: str
    tests: list[TestResult]
    #: How many tests the whole ladder has (the report may stop before its end).
    total: int

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests) and (
            len(self.tests) == self.total)

    @property
    def failed(self) -> TestResult | None:
        return next((t for t in self.tests if not t.passed), None)

    def to_json(self) -> dict[str, Any]:
        return {"drill": self.drill, "file": self.file, "passed": self.passed,
                "tests": [t.to_json() for t in self.tests]}
