"""A cache of parsed bank files, so that a quiz starts without the YAML parser,
and of rendered concept cards, so that ``xent learn`` starts without numpy.

What is cached is the parser's output only: the plain data of one bank file
with the line of every mapping key and list item (:class:`LineDict` /
:class:`LineList`), as JSON. Every check of the bank still runs on it, exactly
as on freshly parsed data, so an entry that was tampered with can do no more
than an edited bank file could: no code, objects or compiled formulas are ever
read back (which is why the questions themselves are not cached).
``xent bank check`` parses the files themselves and writes their entries anew.

An entry is named and keyed by a SHA-256 of the file's bytes, xent's version,
the source of the code that reads a bank (the parser whose output it holds, and
the reader whose verdict an index records) and :data:`FORMAT`. It is used only
when the key inside matches; an entry that is unreadable, damaged or of another
shape is ignored and written again.

A file read without a problem also gets an index entry (``index-*.json``, same
key): what a quiz needs to choose its questions, see
:mod:`xentcli.quiz.bankindex`.

A card's entry is its Markdown with the numbers filled in (plain text), keyed
by the card's text, xent's version and the source of everything that computes
those numbers (the template and formula modules and the numeric core); text
with control characters in it is not used. A second entry (``drawn-*.json``)
holds the card as ``xent learn`` drew it for one width and colour setting,
keyed by those and the code that draws it; only colour codes may be in it.

The folder is ``$XENT_HOME/cache`` when ``XENT_HOME`` is set, else the user
cache folder (platformdirs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xentcli import __version__
from xentcli.quiz.linedata import LineDict, LineList

__all__ = [
    "FORMAT",
    "MAX_ENTRIES",
    "READING_MODULES",
    "cache_dir",
    "card_key",
    "entry_key",
    "load_card_text",
    "load_drawn_card",
    "load_entry",
    "load_index",
    "store_card_text",
    "store_drawn_card",
    "store_entry",
    "store_index",
]

#: Bumped whenever the encoding below changes.
FORMAT = 3
#: Entries kept; the oldest go first when there are more.
MAX_ENTRIES = 200
_DEPTH = 60  # the parser stops at 50 levels; deeper data is not from it


def cache_dir() -> Path:
    """Where entries live: ``$XENT_HOME/cache``, else the user cache folder."""
    home = os.environ.get("XENT_HOME", "").strip()
    if home:
        return Path(home).expanduser() / "cache"
    import platformdirs

    return platformdirs.user_cache_path("xent", appauthor=False)


_PARSER_SOURCE: bytes | None = None
#: The modules whose output or verdict an entry holds: the parser, and the code
#: that reads and checks a question (its formulas, templates, params, units).
READING_MODULES = ("yamlload", "linedata", "reader", "question", "params", "expr",
                   "template", "functions", "units", "bank", "bankindex")


def _parser_source() -> bytes:
    global _PARSER_SOURCE
    if _PARSER_SOURCE is None:
        folder = Path(__file__).parent
        try:
            # Hashed once here, not into every file's key: 200 KB of source.
            _PARSER_SOURCE = hashlib.sha256(b"".join(
                (folder / f"{name}.py").read_bytes() for name in READING_MODULES)).digest()
        except OSError:  # no source next to us: entries are then keyed by version only
            _PARSER_SOURCE = b""
    return _PARSER_SOURCE


def entry_key(content: bytes) -> str:
    """The key of one bank file's entry: a SHA-256 of everything its data depends on."""
    digest = hashlib.sha256()
    for part in (f"xent-bank-cache {FORMAT} {__version__}".encode(), _parser_source(), content):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _entry_path(key: str, kind: str = "bank") -> Path:
    return cache_dir() / f"{kind}-{key[:32]}.json"


_RENDER_SOURCE: bytes | None = None


def _render_source() -> bytes:
    global _RENDER_SOURCE
    if _RENDER_SOURCE is None:
        package = Path(__file__).resolve().parent.parent
        files = [package / "quiz" / name for name in ("template.py", "expr.py", "functions.py")]
        files += sorted((package / "core").glob("*.py"))
        try:
            _RENDER_SOURCE = b"".join(path.read_bytes() for path in files)
        except OSError:
            _RENDER_SOURCE = b""
    return _RENDER_SOURCE


def card_key(text: str) -> str:
    """The key of a card's rendered text: a SHA-256 of what the numbers depend on."""
    digest = hashlib.sha256()
    for part in (f"xent-card-cache {FORMAT} {__version__}".encode(), _render_source(),
                 text.encode("utf-8")):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _load_text(key: str, kind: str, sound: Callable[[str], bool]) -> str | None:
    """The text of a ``{"key", "text"}`` entry of ``kind`` for ``key`` when it is
    ``sound``, else None."""
    try:
        with open(_entry_path(key, kind), "rb") as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.keys() == {"key", "text"}
            and entry["key"] == key and isinstance(entry["text"], str)):
        return None
    text: str = entry["text"]
    return text if sound(text) else None


def _store_text(key: str, kind: str, text: str) -> None:
    _write(_entry_path(key, kind), json.dumps({"key": key, "text": text}, ensure_ascii=False))


def _plain(text: str) -> bool:
    return not _CONTROL.search(text)


def load_card_text(key: str) -> str | None:
    """A card's rendered text for ``key``, or None when there is no sound entry."""
    return _load_text(key, "card", _plain)


def store_card_text(key: str, text: str) -> None:
    """Cache a card's rendered text under ``key``; best effort."""
    _store_text(key, "card", text)


# Text as Rich prints it: printable characters, newlines and colour (SGR) codes,
# nothing that moves the cursor, retitles the window or makes a link.
_DRAWN = re.compile(r"(?:[^\x00-\x1f\x7f-\x9f]|\n|\x1b\[[0-9;]*m)*")


def _drawable(text: str) -> bool:
    return _DRAWN.fullmatch(text) is not None


def load_drawn_card(key: str) -> str | None:
    """A card as the terminal showed it for ``key`` (see :func:`store_drawn_card`),
    or None when there is no sound entry."""
    return _load_text(key, "drawn", _drawable)


def store_drawn_card(key: str, text: str) -> None:
    """Cache a card as drawn for one terminal (its width and colours are in ``key``,
    so that ``xent learn`` need not load the Markdown renderer); best effort.
    Text with any control code but colours is not cached."""
    if _drawable(text):
        _store_text(key, "drawn", text)


# ------------------------------------------------------------------------ encoding


class _NotPlain(Exception):
    """Data the encoding does not hold (a date, bytes, a set): not cached."""


def _encode(value: Any) -> Any:
    if isinstance(value, LineDict):
        return {"m": value.line,
                "k": [[key, value.key_lines[key], _encode(item)] for key, item in value.items()]}
    if isinstance(value, LineList):
        return {"s": value.line, "i": value.item_lines, "v": [_encode(item) for item in value]}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise _NotPlain(type(value).__name__)


class _Damaged(Exception):
    """An entry that is not what :func:`_encode` writes."""


# As in yamlload: the parser refuses these in text, so data that holds them is damaged.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _is_line(value: Any) -> bool:
    return type(value) is int and value >= 0


def _decode(value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict):
        if depth > _DEPTH:
            raise _Damaged("too deep")
        if value.keys() == {"m", "k"} and _is_line(value["m"]) and isinstance(value["k"], list):
            mapping = LineDict()
            mapping.line = value["m"]
            mapping.key_lines = {}
            for entry in value["k"]:
                if not (isinstance(entry, list) and len(entry) == 3
                        and isinstance(entry[0], str) and _is_line(entry[1])
                        and entry[0] not in mapping and not _CONTROL.search(entry[0])):
                    raise _Damaged("a mapping entry")
                mapping[entry[0]] = _decode(entry[2], depth + 1)
                mapping.key_lines[entry[0]] = entry[1]
            return mapping
        if (value.keys() == {"s", "i", "v"} and _is_line(value["s"])
                and isinstance(value["i"], list) and isinstance(value["v"], list)
                and len(value["i"]) == len(value["v"]) and all(map(_is_line, value["i"]))):
            sequence = LineList(_decode(item, depth + 1) for item in value["v"])
            sequence.line = value["s"]
            sequence.item_lines = value["i"]
            return sequence
        raise _Damaged("a container")
    if isinstance(value, str) and _CONTROL.search(value):
        raise _Damaged("a control character")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise _Damaged("a list outside a container")


# ------------------------------------------------------------------------ entries


def load_entry(key: str) -> Any:
    """The cached data for ``key``, or None when there is no sound entry."""
    try:
        with open(_entry_path(key), "rb") as handle:
            raw = handle.read()
        entry = json.loads(raw)
        if not (isinstance(entry, dict) and entry.keys() == {"key", "data"}
                and entry["key"] == key):
            return None
        return _decode(entry["data"])
    except (OSError, ValueError, RecursionError, _Damaged):
        return None


def store_entry(key: str, data: Any) -> None:
    """Cache ``data`` (what the parser made of a file) under ``key``; best effort."""
    try:
        text = json.dumps({"key": key, "data": _encode(data)}, ensure_ascii=False,
                          separators=(",", ":"))
    except (_NotPlain, ValueError, RecursionError):
        return
    _write(_entry_path(key), text)


def load_index(key: str) -> Any:
    """The index stored for ``key`` (plain data, for
    :func:`~xentcli.quiz.bankindex.decode_index` to check), or None."""
    try:
        with open(_entry_path(key, "index"), "rb") as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.keys() == {"key", "index"}
            and entry["key"] == key):
        return None
    return entry["index"]


def store_index(key: str, index: Any) -> None:
    """Cache the index of a file read without a problem under ``key``; best effort."""
    try:
        text = json.dumps({"key": key, "index": index}, ensure_ascii=False,
                          separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return
    _write(_entry_path(key, "index"), text)


def _write(target: Path, text: str) -> None:
    """Write an entry atomically (a temporary file, then a rename); never raise."""
    import tempfile

    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = [path for path in folder.glob("*-*.json") if path.is_file()]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda path: path.stat().st_mtime)
    for path in entries[:len(entries) - MAX_ENTRIES]:
        path.unlink(missing_ok=True)
