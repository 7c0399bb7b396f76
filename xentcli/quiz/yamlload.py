"""Reading bank files: YAML's safe loader, with line numbers and fewer surprises.

The loader builds only plain data (no tag ever runs code or makes an object),
remembers the line of every mapping key and list item for error messages,
and refuses what would make a bank ambiguous or explosive: duplicate keys and
anchors/aliases (``&a`` / ``*a``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode

__all__ = ["MAX_DEPTH", "LineDict", "LineList", "YamlProblem", "load_yaml"]


class YamlProblem(Exception):
    """A file that is not valid YAML for a bank: a line (if known) and a reason."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list that knows its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


#: Deepest nesting of lists and mappings (a bank needs about five levels).
MAX_DEPTH = 50


class _BankLoader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            raise YamlProblem(
                event.start_mark.line + 1,
                "YAML aliases (*name) are not supported in banks; write the value out",
            )
        # PyYAML composes and constructs recursively: without a limit, a file of
        # a few thousand '[' ends in a RecursionError.
        if self.depth >= MAX_DEPTH:
            raise YamlProblem(event.start_mark.line + 1,
                              f"lists and mappings nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: _BankLoader, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            # Keys are names; `1:` or `yes:` as a key is a typo or a YAML surprise.
            raise YamlProblem(line, f"a key must be text, not {key!r}")
        if key in result:
            first = result.key_lines[key]
            raise YamlProblem(line, f"duplicate key '{key}' (first on line {first})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _BankLoader, node: SequenceNode) -> LineList:
    result = LineList(
        loader.construct_object(child, deep=True)
        for child in node.value
    )
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_int(loader: _BankLoader, node: yaml.ScalarNode) -> int:
    try:
        return int(loader.construct_yaml_int(node))
    except ValueError:  # Python refuses to read an int of more than 4300 digits
        raise YamlProblem(node.start_mark.line + 1,
                          f"the number {node.value[:20]}... is too long") from None


def _construct_timestamp(loader: _BankLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:  # 2024-02-30 looks like a date to YAML
        raise YamlProblem(node.start_mark.line + 1,
                          f"'{node.value}' is not a valid date ({exc})") from None


# C0 controls but tab, newline and carriage return; DEL; C1 controls. A YAML escape
# such as "\e[2J" makes them, and shown as is they would drive the terminal
# (clear it, retitle it, recolour everything after).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _construct_str(loader: _BankLoader, node: yaml.ScalarNode) -> str:
    text: str = loader.construct_yaml_str(node)
    found = _CONTROL.search(text)
    if found:
        code = ord(found.group())
        what = " (an escape code)" if code == 0x1B else ""
        raise YamlProblem(node.start_mark.line + 1,
                          f"text may not contain control characters: found U+{code:04X}{what}")
    return text


# YAML 1.1 (PyYAML) reads 1e9 or 1.5e3 as text: its exponent needs a dot and a
# sign. YAML 1.2 and every bank author read them as numbers, so they are here.
_BankLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_BankLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_BankLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_BankLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_BankLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_BankLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _fast_loader() -> type[_BankLoader] | None:
    """The same loader on libyaml's C parser, where PyYAML was built with it.

    Scanning and parsing are most of the time a bank takes to read (in pure Python
    about 15 times slower); the C parser only produces events. Composing them into
    nodes stays in Python, in :class:`_BankLoader`'s ``compose_node``, so the alias
    and depth checks and every line number are the same on both paths.
    """
    try:
        from yaml.composer import Composer
        from yaml.constructor import SafeConstructor
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
        from yaml.resolver import Resolver
    except ImportError:  # PyYAML without libyaml
        return None

    class _CBankLoader(CParser, _BankLoader):
        # CParser would compose in C; take the Python composer back.
        get_node = Composer.get_node
        check_node = Composer.check_node
        get_single_node = Composer.get_single_node

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    return _CBankLoader


_LOADER: type[_BankLoader] = _fast_loader() or _BankLoader


def _read(loader_class: type[_BankLoader], text: str) -> Any:
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely.

    Raises:
        YamlProblem: a syntax error, a tag that is not plain data (such as
            ``!!python/object``), a duplicate key or an alias, with its line.
    """
    if _LOADER is not _BankLoader:
        try:
            return _read(_LOADER, text)
        except yaml.YAMLError:
            # libyaml words syntax errors its own way: the Python parser below says
            # the same thing in the words the docs and tests use. Errors are rare.
            pass
    try:
        return _read(_BankLoader, text)
    except YamlProblem:
        raise
    except ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor for the tag" in problem:
            tag = problem.split("tag", 1)[1].strip(" '")
            problem = f"the YAML tag '{tag}' is not allowed (banks are plain data)"
        raise YamlProblem(line, problem) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(filter(None, [exc.context, exc.problem]))
        raise YamlProblem(line, f"YAML syntax error: {reason}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML error: {exc}") from None
