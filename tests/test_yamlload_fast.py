"""Banks read through libyaml's C parser give exactly what the Python parser gives:
the same data, the same line of every key and item, the same refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from xentcli.quiz import yamlload
from xentcli.quiz.yamlload import LineDict, LineList, YamlProblem, load_yaml

ROOT = Path(__file__).resolve().parents[1]
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")


def _lines(value: Any) -> Any:
    """The value with the line numbers it carries, for comparison."""
    if isinstance(value, LineDict):
        return ("map", value.line, {k: (value.line_of(k), _lines(v)) for k, v in value.items()})
    if isinstance(value, LineList):
        return ("seq", value.line, [(value.line_of(i), _lines(v)) for i, v in enumerate(value)])
    return value


@needs_libyaml
def test_the_c_parser_is_used_where_pyyaml_has_it() -> None:
    assert yamlload._LOADER is not yamlload._BankLoader


@needs_libyaml
@pytest.mark.parametrize("path", sorted((ROOT / "questions").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_bank_reads_the_same_on_both_parsers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = yamlload._read(yamlload._LOADER, text)
    slow = yamlload._read(yamlload._BankLoader, text)
    assert _lines(fast) == _lines(slow)


@needs_libyaml
@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",                     # an alias
    "a: 1\na: 2\n",                          # a duplicate key
    "a: !!python/object:os.system x\n",      # a tag that would run code
    "a: " + "[" * 60 + "]" * 60 + "\n",      # deeper than 50 (libyaml allows 1000)
    "a: [\n",                                # a syntax error
])
def test_refusals_are_worded_the_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(YamlProblem) as fast:
        load_yaml(text)
    monkeypatch.setattr(yamlload, "_LOADER", yamlload._BankLoader)
    with pytest.raises(YamlProblem) as slow:
        load_yaml(text)
    assert (fast.value.line, fast.value.reason) == (slow.value.line, slow.value.reason)
