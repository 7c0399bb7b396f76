"""Drills as data: one YAML file per drill in ``questions/drills/``.

A drill file says what to write and how to grade it, so adding a drill needs
no code (the format is in ``questions/drills/README.md``):

- ``name`` (the function's name, also the file's stem), ``title``, ``summary``,
  ``level``, ``task`` (the statement), ``returns`` (shape and meaning);
- ``args``: the parameters in order, each ``{name, kind}`` where ``kind`` is one
  of :data:`ARG_KINDS` (it decides how random inputs are drawn), a ``scalar``
  with its ``values``;
- ``reference``: which function of :mod:`xentcli.core` gives the right answer,
  with which arguments and keyword options (a string naming an argument
  stands for that argument's value);
- ``example`` (one worked example), ``stability`` (named hard inputs),
  ``shapes`` (the batch shapes of the shape test);
- ``solution`` and ``reasoning`` (the reference solution and why it works);
- ``hints`` (a line per failure kind) and ``mistakes``: classic wrong
  implementations, each with the test it fails, a one-line hint, and its
  code. The checker runs them on the input that failed: when the user's
  output matches one, that mistake's hint is shown.

This module reads and validates the files; it never runs their code.

>>> drill = load_drill("softmax")
>>> drill.signature
'softmax(z)'
>>> sorted(d.name for d in list_drills())[:3]
['binary_cross_entropy_with_logits', 'cross_entropy', 'cross_entropy_grad']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from xentcli.errors import DrillError

__all__ = [
    "ARG_KINDS",
    "HINT_KINDS",
    "RUNGS",
    "Arg",
    "Drill",
    "Mistake",
    "Reference",
    "drills_dir",
    "list_drills",
    "load_drill",
    "read_drill",
]

#: How an argument's random values are drawn (see :mod:`xentcli.drill.cases`).
ARG_KINDS = ("logits", "probs", "target", "labels", "binary", "scalar")

#: The test ladder, in the order it is climbed.
RUNGS = ("examples", "random", "shapes", "stability", "no-warnings", "float32", "vectorised")

#: The failure kinds a drill may give its own hint for (others get a general one).
HINT_KINDS = ("overflow", "log-zero", "nan", "shape", "value", "warning", "float32", "slow")

_REQUIRED = ("name", "title", "summary", "level", "task", "returns", "args", "reference",
             "example", "stability", "solution", "reasoning", "mistakes")
_OPTIONAL = ("shapes", "hints")


@dataclass(frozen=True)
class Arg:
    """One parameter of the function to write."""

    name: str
    kind: str
    #: For scalars: the values the random test uses (the last one everywhere else).
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class Reference:
    """The core function that gives the right answer, and how to call it."""

    function: str
    args: tuple[str, ...]
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Mistake:
    """A classic wrong implementation: the rung it fails and the hint it earns."""

    id: str
    fails_at: str
    hint: str
    code: str


@dataclass(frozen=True)
class Drill:
    """One drill, as read from its file."""

    name: str
    title: str
    summary: str
    level: int
    task: str
    returns: str
    args: tuple[Arg, ...]
    reference: Reference
    example: tuple[tuple[str, Any], ...]
    stability: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    shapes: tuple[tuple[int, ...], ...]
    solution: str
    reasoning: str
    hints: tuple[tuple[str, str], ...]
    mistakes: tuple[Mistake, ...]
    path: Path

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(a.name for a in self.args)})"

    def hint(self, kind: str) -> str | None:
        return dict(self.hints).get(kind)

    def starter(self) -> str:
        """The file ``xent drill start`` writes: imports, signature, docstring, no body."""
        doc = _docstring_lines(self.task)
        returns = _docstring_lines(self.returns, indent=8, width=68)
        return (
            f'"""Drill: {self.title}.\n\nCheck it with: xent drill check {self.name}.py\n"""\n\n'
            "import numpy as np\n\n\n"
            f"def {self.signature}:\n"
            f'    """{self.summary}\n\n{doc}\n\n    Returns:\n{returns}\n    """\n'
            f'    raise NotImplementedError("write {self.name} here")\n'
        )


def _docstring_lines(text: str, indent: int = 4, width: int = 72) -> str:
    """Text for a docstring at four spaces: paragraphs re-wrapped, indented
    lines (formulas) kept as written."""
    import textwrap

    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend(textwrap.wrap(" ".join(paragraph), width, break_on_hyphens=False))
            paragraph.clear()

    for line in text.strip().splitlines():
        if not line.strip():
            flush()
            out.append("")
        elif line.startswith(" "):
            flush()
            out.append(line)
        else:
            paragraph.append(line.strip())
    flush()
    return "\n".join((" " * indent + line if line else "") for line in out)


def drills_dir() -> Path:
    """The folder of the shipped drills (beside the shipped banks)."""
    from xentcli.quiz.bank import shipped_bank_dir

    return shipped_bank_dir() / "drills"


@cache
def _shipped() -> tuple[Drill, ...]:
    folder = drills_dir()
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise DrillError(f"the shipped drills are missing (looked in {folder})")
    return tuple(read_drill(path) for path in files)


def list_drills() -> tuple[Drill, ...]:
    """Every shipped drill, by name."""
    return tuple(sorted(_shipped(), key=lambda d: d.name))


def load_drill(name: str) -> Drill:
    """The shipped drill called ``name``.

    Raises:
        DrillError: no such drill (the message suggests the closest name).
    """
    drills = {d.name: d for d in _shipped()}
    wanted = name.strip().replace("-", "_")
    if wanted in drills:
        return drills[wanted]
    close = difflib.get_close_matches(wanted.lower(), list(drills), n=1, cutoff=0.6)
    maybe = f"; did you mean {close[0]}?" if close else ""
    raise DrillError(f"no drill named {name!r}{maybe} (xent drill list shows them all)")


# ------------------------------------------------------------------- reading


def read_drill(path: Path) -> Drill:
    """Read and check one drill file.

    Raises:
        DrillError: the file is not valid YAML or not a valid drill (file and reason).
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DrillError(f"{path.name}: cannot read this drill: {_one_line(str(exc))}") from None
    return _Reader(path).drill(data)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, reason: str) -> DrillError:
        return DrillError(f"{self.path.name}: {reason}")

    def text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be non-empty text")
        return value

    def drill(self, data: Any) -> Drill:
        if not isinstance(data, dict):
            raise self.fail("a drill must be a mapping")
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise self.fail(f"missing {', '.join(missing)}")
        unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}")
        name = self.text(data, "name")
        if not name.isidentifier() or name != self.path.stem:
            raise self.fail(f"the name {name!r} must be a Python name equal to the file's stem")
        level = data["level"]
        if level not in (1, 2, 3):
            raise self.fail("level must be 1, 2 or 3")
        args = self.args(data["args"])
        names = {a.name for a in args}
        return Drill(
            name=name,
            title=self.text(data, "title"),
            summary=self.summary(data),
            level=int(level),
            task=self.text(data, "task"),
            returns=self.text(data, "returns"),
            args=args,
            reference=self.reference(data["reference"], names),
            example=self.values(data["example"], args, "example"),
            stability=self.stability(data["stability"], args),
            shapes=self.shapes(data.get("shapes", [[], [1], [6], [2, 3]])),
            solution=self.code(data, "solution", name),
            reasoning=self.text(data, "reasoning"),
            hints=self.hints(data.get("hints", {})),
            mistakes=self.mistakes(data["mistakes"], name),
            path=self.path,
        )

    def summary(self, data: dict[str, Any]) -> str:
        text = " ".join(self.text(data, "summary").split())
        if len(text) > 72:  # the first line of the starter's docstring
            raise self.fail(f"the summary is {len(text)} characters long; keep it to 72")
        return text

    def args(self, raw: Any) -> tuple[Arg, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("args must be a non-empty list")
        out = []
        for item in raw:
            if not isinstance(item, dict) or set(item) - {"name", "kind", "values"}:
                raise self.fail("each arg is {name, kind} (and values for a scalar)")
            name, kind = item.get("name"), item.get("kind")
            if not isinstance(name, str) or not name.isidentifier():
                raise self.fail(f"arg name {name!r} is not a Python name")
            if kind not in ARG_KINDS:
                raise self.fail(f"arg {name}: kind must be one of {', '.join(ARG_KINDS)}")
            values = item.get("values", [])
            if kind == "scalar" and (
                not isinstance(values, list) or not values
                or not all(isinstance(v, (int, float)) for v in values)
            ):
                raise self.fail(f"arg {name}: a scalar needs a list of numeric values")
            out.append(Arg(name, kind, tuple(float(v) for v in values)))
        if len({a.name for a in out}) != len(out):
            raise self.fail("two args share a name")
        return tuple(out)

    def reference(self, raw: Any, names: set[str]) -> Reference:
        import xentcli.core as core

        if not isinstance(raw, dict) or set(raw) - {"function", "args", "options"}:
            raise self.fail("reference is {function, args, options}")
        function = raw.get("function")
        if function not in core.__all__ or not callable(getattr(core, str(function), None)):
            raise self.fail(f"reference function {function!r} is not in xentcli.core")
        args = raw.get("args")
        if not isinstance(args, list) or not all(a in names for a in args):
            raise self.fail("reference args must name the drill's args")
        options = raw.get("options", {})
        if not isinstance(options, dict):
            raise self.fail("reference options must be a mapping")
        return Reference(str(function), tuple(args), tuple(options.items()))

    def values(self, raw: Any, args: tuple[Arg, ...], where: str) -> tuple[tuple[str, Any], ...]:
        if not isinstance(raw, dict) or set(raw) != {a.name for a in args}:
            raise self.fail(f"{where} must give a value for each arg: "
                            f"{', '.join(a.name for a in args)}")
        return tuple((a.name, raw[a.name]) for a in args)

    def stability(self, raw: Any, args: tuple[Arg, ...]) -> tuple[
            tuple[str, tuple[tuple[str, Any], ...]], ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("stability must be a non-empty list of cases")
        out = []
        for case in raw:
            if not isinstance(case, dict) or not isinstance(case.get("name"), str):
                raise self.fail("each stability case needs a name")
            rest = {k: v for k, v in case.items() if k != "name"}
            out.append((case["name"], self.values(rest, args, f"stability case {case['name']!r}")))
        return tuple(out)

    def shapes(self, raw: Any) -> tuple[tuple[int, ...], ...]:
        if not isinstance(raw, list) or not raw or not all(
            isinstance(s, list) and all(isinstance(n, int) and n > 0 for n in s) for s in raw
        ):
            raise self.fail("shapes must be a list of batch shapes like [] or [6] or [2, 3]")
        return tuple(tuple(s) for s in raw)

    def code(self, data: dict[str, Any], key: str, name: str) -> str:
        text = self.text(data, key)
        try:
            compile(text, f"{self.path.name}:{key}", "exec")
        except SyntaxError as exc:
            raise self.fail(f"{key} is not valid Python (line {exc.lineno}: {exc.msg})") from None
        if f"def {name}(" not in text:
            raise self.fail(f"{key} does not define {name}")
        return text

    def hints(self, raw: Any) -> tuple[tuple[str, str], ...]:
        if not isinstance(raw, dict) or not all(
            k in HINT_KINDS and isinstance(v, str) for k, v in raw.items()
        ):
            raise self.fail(f"hints maps a kind ({', '.join(HINT_KINDS)}) to one line")
        return tuple(raw.items())

    def mistakes(self, raw: Any, name: str) -> tuple[Mistake, ...]:
        if not isinstance(raw, list) or len(raw) < 2:
            raise self.fail("mistakes must list at least two classic wrong implementations")
        out = []
        for item in raw:
            if not isinstance(item, dict) or set(item) != {"id", "fails_at", "hint", "code"}:
                raise self.fail("each mistake is {id, fails_at, hint, code}")
            if item["fails_at"] not in RUNGS:
                raise self.fail(f"mistake {item['id']}: fails_at must be one of "
                                f"{', '.join(RUNGS)}")
            code = self.code(item, "code", name)
            out.append(Mistake(str(item["id"]), item["fails_at"], str(item["hint"]).strip(),
                               code))
        if len({m.id for m in out}) != len(out):
            raise self.fail("two mistakes share an id")
        return tuple(out)
