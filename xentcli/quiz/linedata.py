"""The containers a bank file is read into (plain data that knows its lines),
and the error a file that cannot be read into them raises.

Kept apart from :mod:`xentcli.quiz.yamlload` so that data read back from the
bank cache (:mod:`xentcli.quiz.bankcache`) needs no YAML parser.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LineDict", "LineList", "YamlProblem"]


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
