"""The inputs of each test, and the right answers, computed by the core.

A :class:`Case` is one call of the user's function: named inputs (numpy arrays
and plain numbers) and the expected output, which always comes from
:mod:`xentcli.core` (in float64, on the very values the user's function gets).
Random inputs are drawn by argument kind from a fixed seed, so a file gets the
same verdict every time it is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xentcli.drill.tasks import Drill

__all__ = ["BIG_ROWS", "Case", "big_case", "example_cases", "float32_cases", "random_cases",
           "reference", "shape_cases", "stability_cases"]

#: Rows of the vectorised test's batch.
BIG_ROWS = 100_000
_BIG_CLASSES = 4


@dataclass
class Case:
    """One call of the function under test."""

    name: str
    inputs: dict[str, Any]
    expected: Any = None
    #: Relative and absolute tolerance of the comparison with ``expected``.
    rtol: float = 1e-9
    atol: float = 1e-12


def reference(drill: Drill, inputs: dict[str, Any]) -> Any:
    """The core's answer for ``inputs`` (computed in float64)."""
    import xentcli.core as core

    function = getattr(core, drill.reference.function)
    wide = {k: _float64(v) for k, v in inputs.items()}
    args = [wide[name] for name in drill.reference.args]
    options = {k: (wide[v] if isinstance(v, str) and v in wide else v)
               for k, v in drill.reference.options}
    return np.asarray(function(*args, **options), dtype=np.float64)


def reference_call(drill: Drill) -> dict[str, Any]:
    """The reference as data, for the child process to time it on the big batch."""
    return {"function": drill.reference.function, "args": list(drill.reference.args),
            "options": dict(drill.reference.options)}


def _float64(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    return value


def _as_input(drill: Drill, name: str, value: Any) -> Any:
    kind = next(a.kind for a in drill.args if a.name == name)
    if kind == "scalar":
        return float(value)
    if kind == "labels":
        return np.asarray(value, dtype=np.int64)
    return np.asarray(value, dtype=np.float64)


def _case(drill: Drill, name: str, inputs: dict[str, Any], rtol: float = 1e-9,
          atol: float = 1e-12) -> Case:
    case = Case(name, inputs, rtol=rtol, atol=atol)
    case.expected = reference(drill, inputs)
    return case


def example_cases(drill: Drill) -> list[Case]:
    inputs = {k: _as_input(drill, k, v) for k, v in drill.example}
    return [_case(drill, "the task's example", inputs)]


def stability_cases(drill: Drill) -> list[Case]:
    return [
        _case(drill, name, {k: _as_input(drill, k, v) for k, v in values})
        for name, values in drill.stability
    ]


def draw(drill: Drill, rng: np.random.Generator, batch: tuple[int, ...], classes: int,
         scalar_index: int = -1, scale: float = 3.0) -> dict[str, Any]:
    """Random inputs for one call: a batch of shape ``batch`` with ``classes`` classes."""
    shape = (*batch, classes)
    out: dict[str, Any] = {}
    for arg in drill.args:
        if arg.kind == "logits":
            out[arg.name] = rng.normal(0.0, scale, shape)
        elif arg.kind == "probs":
            out[arg.name] = _softmax(rng.normal(0.0, 1.5, shape))
        elif arg.kind == "target":
            soft = _softmax(rng.normal(0.0, 1.5, shape))
            hot = np.eye(classes)[rng.integers(0, classes, batch)]
            pick = rng.random(batch) < 0.5  # half one-hot rows, half soft ones
            out[arg.name] = np.where(pick[..., None], hot, soft)
        elif arg.kind == "labels":
            out[arg.name] = rng.integers(0, classes, batch).astype(np.int64)
        elif arg.kind == "binary":
            out[arg.name] = rng.integers(0, 2, shape).astype(np.float64)
        else:
            out[arg.name] = arg.values[scalar_index]
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    result: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return result


def _scalar_count(drill: Drill) -> int:
    return max((len(a.values) for a in drill.args if a.kind == "scalar"), default=1)


def random_cases(drill: Drill, rng: np.random.Generator) -> list[Case]:
    cases = []
    for i, (batch, classes) in enumerate((((8,), 5), ((5,), 7), ((16,), 3))):
        index = i % _scalar_count(drill)
        inputs = draw(drill, rng, batch, classes, scalar_index=index)
        cases.append(_case(drill, f"a random batch of {batch[0]} rows, {classes} classes"
                           + _scalars(drill, inputs), inputs))
    return cases


def _scalars(drill: Drill, inputs: dict[str, Any]) -> str:
    parts = [f"{a.name} = {inputs[a.name]:g}" for a in drill.args if a.kind == "scalar"]
    return f" ({', '.join(parts)})" if parts else ""


def _describe_shape(batch: tuple[int, ...], classes: int) -> str:
    if not batch:
        return f"one row on its own, shape ({classes},)"
    shape = ", ".join(str(n) for n in (*batch, classes))
    if batch == (1,):
        return f"a batch of one row, shape ({shape})"
    return f"a batch of shape ({shape})"


def shape_cases(drill: Drill, rng: np.random.Generator) -> list[Case]:
    cases = []
    for batch, classes in zip(drill.shapes, (4, 3, 4, 5, 3, 4), strict=False):
        inputs = draw(drill, rng, batch, classes)
        cases.append(_case(drill, _describe_shape(batch, classes), inputs))
    return cases


def float32_cases(drill: Drill, rng: np.random.Generator) -> list[Case]:
    inputs = draw(drill, rng, (6,), 4, scale=20.0)
    for arg in drill.args:
        value = inputs[arg.name]
        if arg.kind == "logits":
            value[0, :2] = (100.0, -100.0)  # exp(100) is inf in float32 (it tops at 3.4e38)
        if arg.kind in ("logits", "probs", "target", "binary"):
            value = value.astype(np.float32)
            if arg.kind in ("probs", "target"):  # rows that sum to 1 in float32 too
                value = (value / value.sum(axis=-1, keepdims=True)).astype(np.float32)
            inputs[arg.name] = value
    return [_case(drill, "float32 inputs (logits up to about ±100)", inputs,
                  rtol=1e-4, atol=1e-6)]


def big_case(drill: Drill, rng: np.random.Generator) -> Case:
    inputs = draw(drill, rng, (BIG_ROWS,), _BIG_CLASSES)
    return Case(f"a batch of {BIG_ROWS} rows, {_BIG_CLASSES} classes", inputs)
