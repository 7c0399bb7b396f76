"""Reading one question of a bank: every rule that can be checked without drawing.

:class:`QuestionReader` checks a question mapping key by key (structure, kind,
ids, params, formulas and templates, levels, hints, units, declared mistakes,
reasons for wrong choices), reports each problem with its line, and builds the
:class:`~xentcli.quiz.question.Question` when nothing is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from xentcli.errors import ExpressionError
from xentcli.quiz.expr import Formula, compile_formula, format_value, formula_namespace
from xentcli.quiz.params import check_name, parse_params
from xentcli.quiz.question import (
    DEFAULT_ATOL,
    DEFAULT_LEVEL,
    DEFAULT_RTOL,
    KINDS,
    LEVELS,
    Mistake,
    Problem,
    Question,
)
from xentcli.quiz.template import Template, compile_template

__all__ = ["ID_PATTERN", "MAX_ENTRIES", "QuestionReader"]

#: Most entries a question's let, require, hint or mistakes may have: each one
#: is within its own limits, but thirty thousand of them take seconds to read.
MAX_ENTRIES = 100

ID_PATTERN = _ID = re.compile(r"[a-z0-9-]+")
_BASES: dict[str, tuple[float, str]] = {
    "e": (math.e, "nats"),
    "2": (2, "bits"),
    "10": (10, "bans"),
}
_COMMON_KEYS = frozenset({"id", "kind", "prompt", "tags", "params", "let", "require", "base",
                          "level", "hint", "par_seconds"})
_KIND_KEYS: dict[str, frozenset[str]] = {
    "numeric": frozenset({"answer", "tolerance", "explanation", "unit", "mistakes"}),
    "choice": frozenset({"choices", "answer", "explanation"}),
    "open": frozenset({"answer", "key_points"}),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "numeric": ("id", "kind", "prompt", "answer", "explanation"),
    "choice": ("id", "kind", "prompt", "choices", "answer", "explanation"),
    "open": ("id", "kind", "prompt", "answer", "key_points"),
}



@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    return frozenset(formula_namespace())


class QuestionReader:
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

    def too_many(self, key: str, entries: Any) -> bool:
        """Report a let, require, hint or mistakes longer than :data:`MAX_ENTRIES`."""
        if len(entries) <= MAX_ENTRIES:
            return False
        self.report(key, f"{key} may have at most {MAX_ENTRIES} entries, not {len(entries):,}")
        return True

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
        if kind == "numeric" and "unit" in raw:
            unit = self.unit(unit)
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
        whys: tuple[Template | None, ...] = ()
        if kind == "choice":
            choices, whys = self.choices(known)
            written = raw.get("choices")
            answer = self.choice_answer(len(written) if isinstance(written, list)
                                        and 2 <= len(written) <= 6 else 0)
        if kind == "open":
            if "answer" in raw:
                answer = self.template("answer", raw["answer"], "answer")
                if answer:
                    self.known("answer", answer.names, known, "answer")
            key_points = self.templates("key_points", known)
        tags = self.tags()
        level = self.level()
        par_seconds = self.par_seconds()
        hints = self.hints(known)
        mistakes: tuple[Mistake, ...] = ()
        if kind == "numeric":
            mistakes = self.mistakes(known)
        if not self.ok or prompt is None or answer is None:
            return None
        lines = dict(getattr(raw, "key_lines", {}))
        return Question(
            id=qid, topic=self.topic, kind=kind, file=self.file,
            line=int(getattr(raw, "line", 0)), prompt=prompt, answer=answer,
            explanation=explanation, choices=choices, key_points=key_points, params=params,
            lets=lets, requires=requires, base=base, unit=unit, rtol=rtol, atol=atol,
            tags=tags, lines=lines, level=level, par_seconds=par_seconds, hints=hints,
            mistakes=mistakes, whys=whys,
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
        if self.too_many("let", raw):
            known.update(name for name in raw if isinstance(name, str))  # no echo problems
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
        if self.too_many("require", raw):
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

    def unit(self, default: str) -> str:
        value = self.raw.get("unit")
        if (not isinstance(value, str) or not value.strip() or len(value) > 20
                or "\n" in value or "{" in value or "}" in value):
            self.report("unit", f"unit must be a short word such as nats, bits, bans or none, "
                                f"not {value!r}")
            return default
        word = value.strip()
        return "" if word.lower() == "none" else word

    def level(self) -> int:
        value = self.raw.get("level", DEFAULT_LEVEL)
        if isinstance(value, bool) or value not in LEVELS:
            self.report("level", f"level must be 1 (recall), 2 (apply) or 3 (interview), "
                                 f"not {value!r}")
            return DEFAULT_LEVEL
        return int(value)

    def par_seconds(self) -> int:
        value = self.raw.get("par_seconds")
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.report("par_seconds", f"par_seconds must be a whole number of seconds > 0, "
                                       f"not {value!r}")
            return 0
        return value

    def hints(self, known: set[str]) -> tuple[Template, ...]:
        raw = self.raw.get("hint")
        if raw is None:
            return ()
        entries = raw if isinstance(raw, list) else [raw]
        if not entries:
            self.report("hint", "hint must be text or a list of texts, not an empty list")
            return ()
        if self.too_many("hint", entries):
            return ()
        found: list[Template] = []
        for i, text in enumerate(entries, 1):
            line = self.sub_line("hint", i - 1) if isinstance(raw, list) else None
            what = f"hint {i}" if isinstance(raw, list) else "hint"
            template = self.template(what, text, "hint", line)
            if template:
                self.known(what, template.names, known, "hint", line)
                found.append(template)
        return tuple(found)

    def choices(self, known: set[str]) -> tuple[tuple[Template, ...], tuple[Template | None, ...]]:
        raw = self.raw.get("choices")
        if raw is None:
            return (), ()
        if not isinstance(raw, list) or not 2 <= len(raw) <= 6:
            self.report("choices", "choices must be a list of 2 to 6 entries")
            return (), ()
        texts: list[Template] = []
        whys: list[Template | None] = []
        for i, entry in enumerate(raw, 1):
            line = self.sub_line("choices", i - 1)
            text, why = entry, None
            if isinstance(entry, Mapping):
                for key in entry:
                    if key not in ("text", "why"):
                        self.report("choices", f"choices {i}: unknown key '{key}' "
                                               f"(a choice has text and why)", line)
                if "text" not in entry:
                    self.report("choices", f"choices {i}: missing 'text'", line)
                    continue
                text, why = entry["text"], entry.get("why")
            template = self.template(f"choices {i}", text, "choices", line)
            if template:
                self.known(f"choices {i}", template.names, known, "choices", line)
                texts.append(template)
            why_template = None
            if isinstance(entry, Mapping) and "why" in entry:
                why_template = self.template(f"choices {i} why", why, "choices", line)
                if why_template:
                    self.known(f"choices {i} why", why_template.names, known, "choices", line)
                    self.one_line(f"choices {i} why", why_template, "choices", line)
            whys.append(why_template)
        return tuple(texts), tuple(whys)

    def mistakes(self, known: set[str]) -> tuple[Mistake, ...]:
        raw = self.raw.get("mistakes")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.report("mistakes", "mistakes must be a list of {id, formula, message}")
            return ()
        if self.too_many("mistakes", raw):
            return ()
        found: list[Mistake] = []
        seen: set[str] = set()
        for i, entry in enumerate(raw, 1):
            line = self.sub_line("mistakes", i - 1)
            if not isinstance(entry, Mapping):
                self.report("mistakes", f"mistakes {i} must be a mapping with id, formula and "
                                        f"message", line)
                continue
            for key in entry:
                if key not in ("id", "formula", "message"):
                    self.report("mistakes", f"mistakes {i}: unknown key '{key}' "
                                            f"(a mistake has id, formula and message)", line)
            missing = [k for k in ("id", "formula", "message") if k not in entry]
            if missing:
                self.report("mistakes", f"mistakes {i}: missing "
                                        f"{', '.join(repr(k) for k in missing)}", line)
                continue
            mid = entry["id"]
            if not isinstance(mid, str) or not _ID.fullmatch(mid):
                self.report("mistakes", f"mistakes {i}: id {mid!r} may only use a-z, 0-9 "
                                        f"and '-'", line)
                continue
            if mid in seen:
                self.report("mistakes", f"mistakes {i}: duplicate id '{mid}'", line)
            seen.add(mid)
            what = f"mistakes {mid}"
            formula = self.formula(f"{what} formula", entry["formula"], "mistakes", line)
            if formula:
                self.known(f"{what} formula", formula.names, known, "mistakes", line)
                if " ".join(formula.text.split()) == " ".join(
                    str(self.raw.get("answer", "")).split()
                ):
                    self.report("mistakes", f"{what}: the formula is the answer's own", line)
            message = self.template(f"{what} message", entry["message"], "mistakes", line)
            if message:
                self.known(f"{what} message", message.names, known | {"answer"}, "mistakes",
                           line)
                self.one_line(f"{what} message", message, "mistakes", line)
            if formula and message:
                found.append(Mistake(mid, formula, message))
        return tuple(found)

    def one_line(self, what: str, template: Template, key: str, line: int | None) -> None:
        if "\n" in template.text.strip():
            self.report(key, f"{what} must be one line", line)

    def tags(self) -> tuple[str, ...]:
        raw = self.raw.get("tags")
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            self.report("tags", "tags must be a list of words")
            return ()
        return tuple(raw)
