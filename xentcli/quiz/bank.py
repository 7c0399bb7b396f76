"""Question banks: finding, loading and strictly checking them.

A bank is a YAML file per topic (the format is in ``questions/README.md``).
Loading checks every rule it can without drawing numbers (structure, kinds,
keys, ids, params, and that each formula and template parses and mentions only
known names); :func:`check_banks` also draws each question for several seeds,
as ``xent bank check`` does. Every problem is a
:class:`~xentcli.quiz.question.Problem` that prints as
``<file>:<line>: question '<id>': <reason>``.

The question model (:class:`Question`, :class:`Instance`, drawing) lives in
:mod:`xentcli.quiz.question` and is re-exported here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from xentcli.errors import BankError, ExpressionError
from xentcli.quiz.expr import Formula, compile_formula, format_value, formula_namespace
from xentcli.quiz.params import check_name, parse_params
from xentcli.quiz.question import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    KINDS,
    LETTERS,
    Instance,
    Problem,
    Question,
)
from xentcli.quiz.template import Template, compile_template
from xentcli.quiz.yamlload import YamlProblem, load_yaml

__all__ = [
    "CHECK_SEEDS",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "KINDS",
    "LETTERS",
    "Bank",
    "Instance",
    "Problem",
    "Question",
    "Topic",
    "bank_files",
    "check_banks",
    "load_banks",
    "read_banks",
    "shipped_bank_dir",
]

#: Draws per question in ``xent bank check``.
CHECK_SEEDS = 20
MAX_FILE_BYTES = 1_000_000

_ID = re.compile(r"[a-z0-9-]+")
_BASES: dict[str, tuple[float, str]] = {
    "e": (math.e, "nats"),
    "2": (2, "bits"),
    "10": (10, "bans"),
}
_TOPIC_KEYS = ("topic", "title", "summary", "questions")
_COMMON_KEYS = frozenset({"id", "kind", "prompt", "tags", "params", "let", "require", "base"})
_KIND_KEYS: dict[str, frozenset[str]] = {
    "numeric": frozenset({"answer", "tolerance", "explanation"}),
    "choice": frozenset({"choices", "answer", "explanation"}),
    "open": frozenset({"answer", "key_points"}),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "numeric": ("id", "kind", "prompt", "answer", "explanation"),
    "choice": ("id", "kind", "prompt", "choices", "answer", "explanation"),
    "open": ("id", "kind", "prompt", "answer", "key_points"),
}


def _display(path: Path) -> str:
    """A path as messages show it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)



@dataclass(frozen=True)
class Topic:
    """One bank file: a topic and its questions."""

    id: str
    title: str
    summary: str
    file: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Bank:
    """All loaded topics, in the order their files were read."""

    topics: dict[str, Topic]

    @property
    def questions(self) -> list[Question]:
        return [q for t in self.topics.values() for q in t.questions]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


# ------------------------------------------------------------------------- finding


def shipped_bank_dir() -> Path:
    """The folder of the banks shipped with xent.

    In an installed wheel it is ``xentcli/questions`` (the build copies the
    repository's top-level ``questions/`` there); in a source checkout or an
    editable install it is ``<repo>/questions``.
    """
    return _find_shipped(Path(__file__).resolve().parent.parent)


def _find_shipped(package: Path) -> Path:
    for candidate in (package / "questions", package.parent / "questions"):
        if candidate.is_dir():
            return candidate
    raise BankError(f"the shipped question banks are missing (looked in {package / 'questions'})")


def bank_files(paths: Sequence[Path] | None = None) -> tuple[list[Path], list[Problem]]:
    """The YAML files to read: each file as given, each folder's ``*.yaml``/``*.yml``.

    A file reached twice (a folder and a file in it, or a path given twice) is
    read once, not reported as its own duplicate.
    """
    files: dict[Path, Path] = {}  # resolved -> as given
    problems: list[Problem] = []
    for path in paths if paths else [shipped_bank_dir()]:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                problems.append(
                    Problem(_display(path), None, None, "no .yaml files in this folder")
                )
            for file in found:
                files.setdefault(file.resolve(), file)
        elif path.is_file():
            files.setdefault(path.resolve(), path)
        elif path.exists():
            problems.append(Problem(_display(path), None, None, "not a file or folder"))
        else:
            problems.append(Problem(_display(path), None, None, "no such file or folder"))
    return list(files.values()), problems


# ------------------------------------------------------------------------- reading


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    return frozenset(formula_namespace())


class _QuestionReader:
    """Checks one question mapping, collecting every problem, and builds it."""

    def __init__(self, raw: Any, file: str, topic: str, number: int, problems: list[Problem],
                 ids: dict[str, str]):
        self.raw = raw
        self.ids = ids
        self.file = file
        self.topic = topic
        self.label = f"#{number}"
        self.problems = problems
        self.ok = True
        self.builtins = _builtin_names()

    def line_of(self, key: str | None) -> int | None:
        line_of = getattr(self.raw, "line_of", None)
        if key and line_of:
            return int(line_of(key))
        return getattr(self.raw, "line", None)

    def report(self, key: str | None, reason: str, line: int | None = None) -> None:
        self.ok = False
        if line is None:
            line = self.line_of(key)
        self.problems.append(Problem(self.file, line, self.label, reason))

    def sub_line(self, key: str, sub: Any) -> int | None:
        """The line of an entry inside the value of ``key`` (a list item, a let name)."""
        container = self.raw.get(key)
        line_of = getattr(container, "line_of", None)
        if line_of is None:
            return None
        return int(line_of(sub))

    # -- pieces

    def template(self, what: str, text: Any, key: str, line: int | None = None) -> Template | None:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = format_value(text)
        if not isinstance(text, str) or not text.strip():
            hint = " (quote it: YAML reads yes/no/on/off as true/false)" if isinstance(
                text, bool
            ) else ""
            blank = isinstance(text, str)
            why = "must not be empty" if blank else f"must be text{hint}"
            self.report(key, f"{what} {why}", line)
            return None
        try:
            return compile_template(text)
        except ExpressionError as exc:
            self.report(key, f"{what}: {exc}", line)
            return None

    def formula(self, what: str, text: Any, key: str, line: int | None = None) -> Formula | None:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = repr(text)
        if not isinstance(text, str) or not text.strip():
            self.report(key, f"{what} must be a formula (text)", line)
            return None
        try:
            return compile_formula(text)
        except ExpressionError as exc:
            self.report(key, f"{what}: {exc}", line)
            return None

    def known(self, what: str, names: frozenset[str], known: set[str], key: str,
              line: int | None = None) -> None:
        unknown = sorted(names - known - self.builtins)
        if unknown:
            listed = ", ".join(f"'{n}'" for n in unknown)
            self.report(key, f"{what}: unknown name{'s' if len(unknown) > 1 else ''} {listed}",
                        line)

    # -- the whole question

    def read(self) -> Question | None:
        raw = self.raw
        if not isinstance(raw, Mapping):
            self.report(None, "a question must be a mapping with id, kind, prompt, ...")
            return None
        qid = raw.get("id")
        if qid is None:
            self.report(None, "missing 'id'")
        elif not isinstance(qid, str) or not _ID.fullmatch(qid):
            self.report("id", f"id {qid!r} may only use a-z, 0-9 and '-'")
        else:
            self.label = f"'{qid}'"
            # Checked even when the rest of the question is broken, so that a
            # clash is reported together with the other problems.
            if qid in self.ids:
                self.report("id", f"duplicate id (also in {self.ids[qid]})")
            else:
                self.ids[qid] = f"{self.file}:{self.line_of('id')}"
        kind = raw.get("kind")
        if kind is None:
            self.report(None, "missing 'kind' (numeric, choice or open)")
            return None
        if kind not in KINDS:
            self.report("kind", f"unknown kind {kind!r} (use numeric, choice or open)")
            return None
        allowed = _COMMON_KEYS | _KIND_KEYS[kind]
        for key in raw:
            if key in allowed:
                continue
            users = [k for k in KINDS if key in _KIND_KEYS[k]]
            if users:
                self.report(key, f"'{key}' is not used by {kind} questions "
                                 f"(only by {' and '.join(users)})")
            else:
                self.report(key, f"unknown key '{key}'")
        missing = [k for k in _REQUIRED[kind] if k not in raw]
        for key in missing:
            if key != "id":  # reported above
                self.report(None, f"missing '{key}'")
        return self.build(str(qid), kind)

    def build(self, qid: str, kind: str) -> Question | None:
        raw = self.raw
        base, unit = self.base()
        reserved = self.builtins | {"base", "unit", "answer"}
        params = parse_params(
            raw.get("params") or {},
            lambda name, msg: self.report("params", msg, self.sub_line("params", name)),
            reserved,
        )
        known = {p.name for p in params} | {"base", "unit"}
        lets = self.lets(known, reserved)
        requires = self.requires(known)
        prompt = self.template("prompt", raw.get("prompt"), "prompt") if "prompt" in raw else None
        if prompt:
            self.known("prompt", prompt.names, known, "prompt")

        answer: Formula | Template | int | None = None
        explanation: Template | None = None
        choices: tuple[Template, ...] = ()
        key_points: tuple[Template, ...] = ()
        rtol, atol = self.tolerance()
        if kind == "numeric" and "answer" in raw:
            answer = self.formula("answer", raw["answer"], "answer")
            if answer:
                self.known("answer", answer.names, known, "answer")
        if kind in ("numeric", "choice") and "explanation" in raw:
            explanation = self.template("explanation", raw["explanation"], "explanation")
            if explanation:
                extra = {"answer"} if kind == "numeric" else set()
                self.known("explanation", explanation.names, known | extra, "explanation")
        if kind == "numeric" and prompt and "answer" in prompt.names:
            self.report("prompt", "the prompt must not show {answer}")
        if kind == "choice":
            choices = self.templates("choices", known)
            answer = self.choice_answer(len(choices))
        if kind == "open":
            if "answer" in raw:
                answer = self.template("answer", raw["answer"], "answer")
                if answer:
                    self.known("answer", answer.names, known, "answer")
            key_points = self.templates("key_points", known)
        tags = self.tags()
        if not self.ok or prompt is None or answer is None:
            return None
        lines = dict(getattr(raw, "key_lines", {}))
        return Question(
            id=qid, topic=self.topic, kind=kind, file=self.file,
            line=int(getattr(raw, "line", 0)), prompt=prompt, answer=answer,
            explanation=explanation, choices=choices, key_points=key_points, params=params,
            lets=lets, requires=requires, base=base, unit=unit, rtol=rtol, atol=atol,
            tags=tags, lines=lines,
        )

    def base(self) -> tuple[float, str]:
        value = self.raw.get("base", "e")
        key = str(value) if not isinstance(value, bool) else ""
        if key not in _BASES:
            self.report("base", f"base must be e, 2 or 10, not {value!r}")
            return _BASES["e"]
        return _BASES[key]

    def lets(self, known: set[str], reserved: frozenset[str]) -> tuple[tuple[str, Formula], ...]:
        raw = self.raw.get("let")
        if raw is None:
            return ()
        if not isinstance(raw, Mapping):
            self.report("let", "let must be a mapping of name: formula")
            return ()
        lets: list[tuple[str, Formula]] = []
        for name, text in raw.items():
            line = self.sub_line("let", name)
            why = check_name(name, reserved)
            if why is None and name in known:
                why = f"'{name}' is already a param or an earlier let"
            if why:
                self.report("let", f"let {why}", line)
                continue
            formula = self.formula(f"let {name}", text, "let", line)
            if formula:
                self.known(f"let {name}", formula.names, known, "let", line)
                lets.append((name, formula))
            known.add(name)
        return tuple(lets)

    def requires(self, known: set[str]) -> tuple[Formula, ...]:
        raw = self.raw.get("require")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.report("require", "require must be a list of formulas")
            return ()
        found: list[Formula] = []
        for i, text in enumerate(raw, 1):
            line = self.sub_line("require", i - 1)
            formula = self.formula(f"require {i}", text, "require", line)
            if formula:
                self.known(f"require {i}", formula.names, known, "require", line)
                found.append(formula)
        return tuple(found)

    def templates(self, key: str, known: set[str]) -> tuple[Template, ...]:
        raw = self.raw.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, list) or not 2 <= len(raw) <= 6:
            self.report(key, f"{key} must be a list of 2 to 6 entries")
            return ()
        found: list[Template] = []
        for i, text in enumerate(raw, 1):
            line = self.sub_line(key, i - 1)
            template = self.template(f"{key} {i}", text, key, line)
            if template:
                self.known(f"{key} {i}", template.names, known, key, line)
                found.append(template)
        return tuple(found)

    def choice_answer(self, count: int) -> int | None:
        value = self.raw.get("answer")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.report("answer", f"answer must be the number of the right choice "
                                  f"(1 to {count or 'the number of choices'}), not {value!r}")
            return None
        if count and not 1 <= value <= count:
            self.report("answer", f"answer {value} is not a choice (1 to {count})")
            return None
        return value

    def tolerance(self) -> tuple[float, float]:
        raw = self.raw.get("tolerance")
        if raw is None:
            return DEFAULT_RTOL, DEFAULT_ATOL
        if not isinstance(raw, Mapping):
            self.report("tolerance", "tolerance must be a mapping like {rtol: 0.01, atol: 0.001}")
            return DEFAULT_RTOL, DEFAULT_ATOL
        values = {"rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL}
        for key, value in raw.items():
            if key not in values:
                self.report("tolerance", f"unknown key '{key}' in tolerance (rtol, atol)")
            elif (isinstance(value, bool) or not isinstance(value, (int, float))
                  or not 0 <= value < math.inf):
                self.report("tolerance", f"tolerance {key} must be a number >= 0, not {value!r}")
            else:
                values[key] = float(value)
        return values["rtol"], values["atol"]

    def tags(self) -> tuple[str, ...]:
        raw = self.raw.get("tags")
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            self.report("tags", "tags must be a list of words")
            return ()
        return tuple(raw)


def _read_file(path: Path, problems: list[Problem], ids: dict[str, str]) -> Topic | None:
    file = _display(path)

    def report(line: int | None, reason: str) -> None:
        problems.append(Problem(file, line, None, reason))

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            report(None, f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
            return None
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report(None, "the file is not UTF-8 text")
        return None
    except OSError as exc:
        report(None, f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        data = load_yaml(text)
    except YamlProblem as exc:
        report(exc.line, exc.reason)
        return None
    if not isinstance(data, Mapping):
        report(None, "a bank must be a mapping with topic, title, summary and questions")
        return None

    line_of: Callable[[str], int] = getattr(data, "line_of", lambda key: 1)
    for key in data:
        if key not in _TOPIC_KEYS:
            report(line_of(key), f"unknown key '{key}' (a bank has {', '.join(_TOPIC_KEYS)})")
    for key in _TOPIC_KEYS:
        if key not in data:
            report(1, f"missing '{key}'")
    topic = data.get("topic")
    if "topic" in data:
        if not isinstance(topic, str) or not _ID.fullmatch(topic):
            report(line_of("topic"), f"topic {topic!r} may only use a-z, 0-9 and '-'")
            topic = None
        elif topic != path.stem:
            report(line_of("topic"), f"topic '{topic}' does not match the file name "
                                     f"(expected '{path.stem}')")
    for key in ("title", "summary"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            report(line_of(key), f"'{key}' must be text")
    raw_questions = data.get("questions")
    if "questions" in data and not isinstance(raw_questions, list):
        report(line_of("questions"), "questions must be a list")
        raw_questions = None
    questions: list[Question] = []
    for number, raw in enumerate(raw_questions or [], 1):
        reader = _QuestionReader(raw, file, str(topic or path.stem), number, problems, ids)
        question = reader.read()
        if question:
            questions.append(question)
    if not isinstance(topic, str):
        return None
    # The good questions of a file with a few bad ones are kept: `bank check`
    # then still draws them and reports their problems too.
    title = data.get("title")
    summary = data.get("summary")
    return Topic(
        id=topic,
        title=title if isinstance(title, str) else topic,
        summary=summary if isinstance(summary, str) else "",
        file=file,
        questions=tuple(questions),
    )


def read_banks(paths: Sequence[Path] | None = None) -> tuple[Bank, list[Problem]]:
    """Read and check banks without drawing: every problem found, and what loaded.

    ``paths`` are files or folders; None means the shipped banks.
    """
    files, problems = bank_files(paths)
    topics: dict[str, Topic] = {}
    ids: dict[str, str] = {}  # question id -> "file:line" where it first appeared
    for path in files:
        topic = _read_file(path, problems, ids)
        if topic is None:
            continue
        if topic.id in topics:
            problems.append(Problem(topic.file, 1, None, f"topic '{topic.id}' is also "
                                    f"defined in {topics[topic.id].file}"))
            continue
        topics[topic.id] = topic
    return Bank(topics), problems


def load_banks(paths: Sequence[Path] | None = None) -> Bank:
    """Load banks for a quiz, refusing them if anything is wrong.

    Raises:
        BankError: the first problem, and how many more there are.
    """
    bank, problems = read_banks(paths)
    if problems:
        more = len(problems) - 1
        check = "xent bank check"
        if paths:  # the banks given with --bank, not the shipped ones
            import shlex

            check += " " + " ".join(shlex.quote(str(path)) for path in paths)
        tail = (f" (and {more} more problem{'s' if more > 1 else ''}; "
                f"run '{check}' for the list)") if more else ""
        raise BankError(f"{problems[0]}{tail}")
    return bank


def check_banks(
    paths: Sequence[Path] | None = None, seeds: int = CHECK_SEEDS
) -> tuple[Bank, list[Problem]]:
    """Everything ``xent bank check`` reports: read problems, then draw problems.

    Each valid question is drawn for ``seeds`` seeds (0, 1, ...); a formula or
    template that fails, an answer that is not a finite number, or two choices
    that read the same is reported once per question with the failing seed.
    """
    bank, problems = read_banks(paths)
    for question in bank.questions:
        problem = question.first_problem(range(seeds))
        if problem is not None:
            problems.append(problem)
    # File by file, top to bottom (the sort is stable: same line keeps its order).
    order = {file: i for i, file in enumerate(dict.fromkeys(p.file for p in problems))}
    problems.sort(key=lambda p: (order[p.file], p.line or 0))
    return bank, problems
