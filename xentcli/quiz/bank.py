"""Question banks: finding, loading and strictly checking them.

A bank is a YAML file per topic (the format is in ``questions/README.md``).
Loading checks every rule it can without drawing numbers (structure, kinds,
keys, ids, params, and that each formula and template parses and mentions only
known names); :func:`check_banks` also draws each question for several seeds,
as ``xent bank check`` does. A quiz knows a file that this code already read
without a problem by its index in the bank cache, and reads it in full, with
the same checks, when one of its questions is first needed
(:mod:`xentcli.quiz.bankindex`). Every problem is a
:class:`~xentcli.quiz.question.Problem` that prints as
``<file>:<line>: question '<id>': <reason>``.

The question model (:class:`Question`, :class:`Instance`, drawing) lives in
:mod:`xentcli.quiz.question` and is re-exported here.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xentcli.errors import BankError
from xentcli.quiz.question import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    KINDS,
    LETTERS,
    LEVELS,
    Instance,
    Mistake,
    MistakeValue,
    Problem,
    Question,
)
from xentcli.quiz.reader import ID_PATTERN, QuestionReader
from xentcli.quiz.shipped import _find_shipped as _find_shipped  # re-exported for tests
from xentcli.quiz.shipped import shipped_bank_dir

if TYPE_CHECKING:
    from xentcli.quiz.bankindex import IndexedTopic

__all__ = [
    "CHECK_SEEDS",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "KINDS",
    "LETTERS",
    "LEVELS",
    "Bank",
    "Instance",
    "Mistake",
    "MistakeValue",
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

_TOPIC_KEYS = ("topic", "title", "summary", "questions")


def _display(path: Path) -> str:
    """A path as messages show it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a link that loops
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


def bank_files(paths: Sequence[Path] | None = None) -> tuple[list[Path], list[Problem]]:
    """The YAML files to read: each file as given, each folder's ``*.yaml``/``*.yml``.

    A file reached twice (a folder and a file in it, or a path given twice) is
    read once, not reported as its own duplicate.
    """
    files: dict[Path, Path] = {}  # resolved -> as given
    problems: list[Problem] = []

    def add(file: Path) -> None:
        try:
            files.setdefault(file.resolve(), file)
        except (OSError, RuntimeError):  # Python < 3.13 raises RuntimeError for a loop
            problems.append(Problem(_display(file), None, None,
                                    "a symbolic link that loops back on itself"))

    for path in paths if paths else [shipped_bank_dir()]:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                problems.append(
                    Problem(_display(path), None, None, "no .yaml files in this folder")
                )
            for file in found:
                add(file)
        elif path.is_file():
            add(path)
        elif path.exists():
            problems.append(Problem(_display(path), None, None, "not a file or folder"))
        elif path.is_symlink():
            problems.append(Problem(_display(path), None, None,
                                    "a symbolic link to nothing, or one that loops"))
        else:
            problems.append(Problem(_display(path), None, None, "no such file or folder"))
    return list(files.values()), problems


class _Unreadable(Exception):
    """A bank path that is not a regular file of a sensible size; the reason."""


def _read_bounded(path: Path) -> bytes:
    """The bytes of a bank file, read once from the opened file.

    What the open file *is* decides, not its name or ``st_size``: a named pipe
    would block every command that reads banks, and a link to /dev/zero reports
    size 0 and never ends. At most ``MAX_FILE_BYTES`` are read.
    """
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)  # non-blocking: opening a FIFO must not wait for a writer
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a named pipe" if stat.S_ISFIFO(mode) else
                    "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                    "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise _Unreadable(f"{kind}, not a bank file")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _Unreadable(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    finally:
        os.close(fd)
    return b"".join(chunks)


class _Parsed:
    """What the YAML parser made of a bank file, from the bank cache when it holds it."""

    def __init__(self, content: bytes, fresh: bool = False) -> None:
        """Parse ``content``, or take it from the cache (unless ``fresh``).

        Raises:
            UnicodeDecodeError: the file is not UTF-8.
            YamlProblem: as :func:`~xentcli.quiz.yamlload.load_yaml`.
        """
        from xentcli.quiz import bankcache

        self.key = bankcache.entry_key(content)
        data = None if fresh else bankcache.load_entry(self.key)
        self.cached = data is not None
        if data is None:
            from xentcli.quiz.yamlload import load_yaml

            data = load_yaml(content.decode("utf-8"))
        self.data: object = data

    def remember(self, topic: Topic | None, clean: bool) -> None:
        """Cache the data (if it came from the parser) and, when reading it found no
        problem, the index of its questions (see :mod:`xentcli.quiz.bankindex`)."""
        from xentcli.quiz import bankcache

        if not self.cached:
            bankcache.store_entry(self.key, self.data)
        if clean and topic is not None:
            from xentcli.quiz.bankindex import encode_index

            bankcache.store_index(self.key, encode_index(
                topic.id, topic.title, topic.summary,
                [(q, q.lines.get("id", q.line)) for q in topic.questions]))


# ------------------------------------------------------------------------- reading


def _read_file(path: Path, problems: list[Problem], ids: dict[str, str],
               write_cache: bool = True, use_index: bool = False,
               fresh: bool = False) -> Topic | None:
    file = _display(path)

    def report(line: int | None, reason: str) -> None:
        problems.append(Problem(file, line, None, reason))

    from xentcli.quiz.linedata import YamlProblem

    try:
        content = _read_bounded(path)
    except _Unreadable as exc:
        report(None, str(exc))
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # Python >= 3.13 resolves a loop without complaint
            report(None, "a symbolic link that loops back on itself")
        else:
            report(None, f"cannot read the file: {exc.strerror or exc}")
        return None
    if use_index:
        indexed = _indexed_topic(path, content, ids)
        if indexed is not None:
            return indexed
    try:
        parsed = _Parsed(content, fresh)
    except UnicodeDecodeError:
        report(None, "the file is not UTF-8 text")
        return None
    except YamlProblem as exc:
        report(exc.line, exc.reason)
        return None
    before = len(problems)
    topic = _read_data(path, parsed.data, problems, ids)
    if write_cache:
        parsed.remember(topic, clean=len(problems) == before)
    return topic


def _indexed_topic(path: Path, content: bytes, ids: dict[str, str]) -> Topic | None:
    """The topic of a file read cleanly before, from its index in the bank cache
    (see :mod:`xentcli.quiz.bankindex`), or None to read the file in full: no
    sound index, or an id that another file has (reading it reports that)."""
    from xentcli.quiz import bankcache
    from xentcli.quiz.bankindex import DeferredQuestion, decode_index

    index = decode_index(bankcache.load_index(bankcache.entry_key(content)))
    if index is None or index.topic != path.stem:
        return None
    own = [q.id for q in index.questions]
    if len(set(own)) != len(own) or any(qid in ids for qid in own):
        return None
    file = _display(path)
    build = _Builder(path, content, index).question
    for meta in index.questions:
        ids[meta.id] = f"{file}:{meta.id_line}"
    return Topic(id=index.topic, title=index.title, summary=index.summary, file=file,
                 questions=tuple(DeferredQuestion(meta, index.topic, file, build)
                                 for meta in index.questions))


class _Builder:
    """Reads one indexed file in full, with every check, when one of its questions
    is first needed, and holds it to its index."""

    def __init__(self, path: Path, content: bytes, index: IndexedTopic) -> None:
        self.path = path
        self.content = content
        self.index = index
        self.built: dict[str, Question] | None = None

    def question(self, question_id: str) -> Question:
        """The question ``question_id`` of the file, read and checked.

        Raises:
            BankError: the file's first problem, or it does not match its index.
        """
        from xentcli.quiz.linedata import YamlProblem

        if self.built is None:
            file = _display(self.path)
            problems: list[Problem] = []
            topic: Topic | None = None
            try:
                parsed = _Parsed(self.content)
            except (UnicodeDecodeError, YamlProblem):
                problems.append(Problem(file, None, None, "the file does not read as its "
                                        "bank cache says"))
            else:
                topic = _read_data(self.path, parsed.data, problems, {})
            if problems:
                raise BankError(str(problems[0]))
            assert topic is not None
            if ((topic.id, topic.title, topic.summary, [q.id for q in topic.questions])
                    != (self.index.topic, self.index.title, self.index.summary,
                        [q.id for q in self.index.questions])):
                raise BankError(f"{file}: the bank cache does not match the file; "
                                f"'xent bank check' reads the file again and mends it")
            self.built = {q.id: q for q in topic.questions}
        return self.built[question_id]


def _read_data(path: Path, data: object, problems: list[Problem],
               ids: dict[str, str]) -> Topic | None:
    """Check one bank file's parsed data, every rule that needs no drawing."""
    file = _display(path)

    def report(line: int | None, reason: str) -> None:
        problems.append(Problem(file, line, None, reason))

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
        if not isinstance(topic, str) or not ID_PATTERN.fullmatch(topic):
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
        reader = QuestionReader(raw, file, str(topic or path.stem), number, problems, ids)
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


def read_banks(
    paths: Sequence[Path] | None = None, *, write_cache: bool = True, use_index: bool = False,
    fresh: bool = False,
) -> tuple[Bank, list[Problem]]:
    """Read and check banks without drawing: every problem found, and what loaded.

    ``paths`` are files or folders; None means the shipped banks. The parsed
    files come from the bank cache (:mod:`xentcli.quiz.bankcache`) when it holds
    them; ``write_cache=False`` leaves the cache as it is (``--no-save`` writes
    nothing at all). ``use_index``: a file read without a problem before is
    known by its index in the cache, and read in full only when one of its
    questions is first needed (:mod:`xentcli.quiz.bankindex`): what a quiz does.
    ``fresh``: every file is parsed, not taken from the cache, and its entry
    written anew: what ``bank check`` does.
    """
    files, problems = bank_files(paths)
    topics: dict[str, Topic] = {}
    ids: dict[str, str] = {}  # question id -> "file:line" where it first appeared
    for path in files:
        topic = _read_file(path, problems, ids, write_cache, use_index, fresh)
        if topic is None:
            continue
        if topic.id in topics:
            problems.append(Problem(topic.file, 1, None, f"topic '{topic.id}' is also "
                                    f"defined in {topics[topic.id].file}"))
            continue
        topics[topic.id] = topic
    return Bank(topics), problems


def load_banks(paths: Sequence[Path] | None = None, *, write_cache: bool = True,
               use_index: bool = True) -> Bank:
    """Load banks for a quiz, refusing them if anything is wrong.

    ``write_cache`` and ``use_index`` as for :func:`read_banks`: a file read
    without a problem before is read in full, with every check, when one of its
    questions is first needed.

    Raises:
        BankError: the first problem, and how many more there are.
    """
    bank, problems = read_banks(paths, write_cache=write_cache, use_index=use_index)
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

    The files are parsed afresh (not taken from the bank cache), and their cache
    entries written anew: a damaged or forged entry is mended here.

    Each valid question is drawn for ``seeds`` seeds (0, 1, ...); a formula or
    template that fails, an answer that is not a finite number, or two choices
    that read the same is reported once per question with the failing seed.
    """
    bank, problems = read_banks(paths, fresh=True)
    for question in bank.questions:
        problem = question.first_problem(range(seeds))
        if problem is not None:
            problems.append(problem)
    # File by file, top to bottom (the sort is stable: same line keeps its order).
    order = {file: i for i, file in enumerate(dict.fromkeys(p.file for p in problems))}
    problems.sort(key=lambda p: (order[p.file], p.line or 0))
    return bank, problems
