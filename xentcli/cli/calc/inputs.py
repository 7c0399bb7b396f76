"""Reading the calculator's vectors, in one place.

A vector argument (P, Q, TARGET, PRED, Z, and the per-class options) may be:

- typed inline: ``0.2,0.3,0.5``, ``"0.2 0.3 0.5"``, ``"[0.2, 0.3, 0.5]"``,
  with fractions (``1/6``), scientific notation (``1e-3``), signs and
  ``inf``/``-inf`` (the core decides where an infinity is allowed: only as a
  logit ``-inf``). Several rows: ``"0.2,0.8; 0.5,0.5"`` or
  ``"[[0.2, 0.8], [0.5, 0.5]]"``;
- ``@path``: a CSV, TSV or whitespace-separated text file (``#`` starts a
  comment, blank lines and a header line of names are skipped), or a ``.npy``
  array;
- ``-``: the same text format on standard input.

Rows are samples, columns are classes. A file with a single row reads as one
vector, like the same numbers typed inline. Text is read in chunks of lines,
each converted by numpy's C parser straight into an array; only a chunk that
numpy refuses is parsed token by token, to name the bad token and its line.

Every problem raises :class:`InputError` naming the argument and the culprit,
e.g. ``PRED: 'abc' is not a number (index 1)``. Rows and positions count
from 0, as in the core's messages and ``--explain``; lines of a file from 1.

numpy is imported inside the functions: importing this module is free.

>>> parse_vector("1/4, 0.75", "P").values.tolist()
[0.25, 0.75]
>>> parse_vector("[[0.2, 0.8], [0.5, 0.5]]", "P").values.shape
(2, 2)
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from xentcli.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "Vector",
    "parse_number",
    "parse_vector",
    "target_for",
]

#: Lines converted per chunk: bounded memory for the Python-side line list.
CHUNK_LINES = 1 << 16
#: Inputs up to this many numbers are echoed back in ``--json`` output.
ECHO_LIMIT = 1000

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SPECIAL = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
# Typographic minus signs, as pasted from papers and slides.
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})
_SLASH = re.compile(r"\s*/\s*")  # "1 / 6" is one fraction, not three tokens
_ROW_BREAK = re.compile(r"\]\s*,?\s*\[")
_HEADER_WORD = re.compile(r"[A-Za-z_\"'][\w\"' .()-]*")


@dataclass(frozen=True)
class Vector:
    """A parsed vector argument.

    Attributes:
        name: the argument as the user knows it (``PRED``, ``--weights``).
        source: the text as typed (``0.2,0.3,0.5``, ``@data.csv``, ``-``).
        values: float64 array: 1-D for one vector, 2-D (rows, classes) for a batch,
            0-d for a lone number.
        lone: the input was a single number (a class index candidate).
    """

    name: str
    source: str
    values: FloatArray
    lone: bool = False

    @property
    def from_text(self) -> bool:
        """True when the numbers were typed on the command line."""
        return not (self.source.startswith("@") or self.source == "-")

    def echo(self) -> Any:
        """The input for ``--json``: its numbers, or its source and shape when large."""
        from xentcli.cli.calc.format import json_numbers

        if self.from_text or self.values.size <= ECHO_LIMIT:
            return json_numbers(self.values)
        return {"source": self.source, "shape": list(self.values.shape)}


# ------------------------------------------------------------------------- tokens


def parse_number(token: str, name: str, where: str = "") -> float:
    """One number: decimal, scientific, ``inf``/``nan`` or a fraction ``a/b``.

    ``where`` says where the token sits, for the error message.

    >>> parse_number("1/6", "P")
    0.16666666666666666
    >>> parse_number("-2.5e-3", "Z")
    -0.0025
    """
    text = token.strip().translate(_MINUS)
    if _SPECIAL.fullmatch(text):
        return float(text)
    if _NUMBER.fullmatch(text):
        return _finite(float(text), token, name, where)
    numerator, slash, denominator = text.partition("/")
    if slash and _NUMBER.fullmatch(numerator.strip()) and _NUMBER.fullmatch(denominator.strip()):
        bottom = float(denominator)
        if bottom == 0:
            raise InputError(f"{name}: {_quote(token)} divides by zero{where}")
        top = _finite(float(numerator), token, name, where)
        return _finite(top / _finite(bottom, token, name, where), token, name, where)
    raise InputError(f"{name}: {_quote(token)} is not a number{where}")


def _finite(value: float, token: str, name: str, where: str) -> float:
    """``value``, unless a written-out number overflowed (1e309 reads as inf).

    >>> _finite(1e308, "1e308", "P", "")
    1e+308
    """
    if math.isinf(value):
        raise InputError(
            f"{name}: {_quote(token)} is too large for a number{where}: "
            "the largest is about 1.8e308"
        )
    return value


def _quote(token: str) -> str:
    shown = token if len(token) <= 40 else token[:37] + "..."
    return repr(shown)


def _row_tokens(row: str) -> list[str]:
    """Split one row on commas and whitespace; a trailing comma is allowed."""
    row = _SLASH.sub("/", row.strip())
    if row.endswith(","):
        row = row[:-1]
    if not row:
        return []
    tokens: list[str] = []
    for piece in row.split(","):
        parts = piece.split()
        # An empty piece between two commas is a missing value, not a separator.
        tokens.extend(parts if parts else [""])
    return tokens


def _parse_row(tokens: list[str], name: str, where: str) -> list[float]:
    """Numbers of one row; ``where`` locates the row (``row 1, `` or ``@f.csv line 3, ``)."""
    out = []
    for i, token in enumerate(tokens):
        if token == "":
            raise InputError(f"{name}: empty value ({where}index {i}): two commas in a row?")
        out.append(parse_number(token, name, f" ({where}index {i})"))
    return out


def _values(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


# ------------------------------------------------------------------------- inline


def _inline_rows(text: str, name: str) -> list[str]:
    text = text.translate(_MINUS).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]  # quotes that reached us literally (a script, another shell)
    if text.startswith("[") or text.startswith("("):
        text = _ROW_BREAK.sub(";", text)
        text = text.replace("[", " ").replace("]", " ").replace("(", " ").replace(")", " ")
    # Blank lines and a leading or trailing ';' are layout; ';;' between rows is a typo.
    rows: list[str] = []
    for line in text.split("\n"):
        pieces = line.strip().strip(";").split(";")
        if len(pieces) > 1 and not all(piece.strip() for piece in pieces):
            raise InputError(f"{name}: empty row in {line.strip()!r}: two semicolons in a row?")
        rows.extend(piece for piece in pieces if piece.strip())
    return rows


def _parse_inline(text: str, name: str) -> Vector:
    import numpy as np

    rows = _inline_rows(text, name)
    if not rows:
        raise InputError(f"{name} is empty: give numbers like 0.2,0.3,0.5")
    parsed: list[list[float]] = []
    for r, row in enumerate(rows):
        where = f"row {r}, " if len(rows) > 1 else ""
        values = _parse_row(_row_tokens(row), name, where)
        if not values:
            if len(rows) == 1:
                raise InputError(f"{name} is empty: give numbers like 0.2,0.3,0.5")
            raise InputError(f"{name}: row {r} is empty")
        if parsed and len(values) != len(parsed[0]):
            raise InputError(
                f"{name}: row {r} has {_values(len(values))} but row 0 has {len(parsed[0])}"
            )
        parsed.append(values)
    arr = np.array(parsed, dtype=np.float64)
    lone = arr.size == 1
    return Vector(name, text, arr[0] if arr.shape[0] == 1 else arr, lone)


# -------------------------------------------------------------------------- files


def _file_error(name: str, source: str, exc: OSError) -> InputError:
    reasons = {
        FileNotFoundError: "no such file",
        IsADirectoryError: "is a directory, not a file",
        PermissionError: "permission denied",
    }
    reason = next((text for kind, text in reasons.items() if isinstance(exc, kind)), None)
    return InputError(f"{name}: {source}: {reason or exc.strerror or 'cannot be read'}")


def _read_npy(path: Path, name: str, source: str) -> FloatArray:
    import numpy as np

    try:
        arr = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise _file_error(name, source, exc) from None
    except Exception:  # noqa: BLE001 - a damaged file can fail in many ways inside numpy
        # Object arrays need pickle, which could run code: they are refused too.
        raise InputError(f"{name}: {source} is not a numeric .npy array") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise InputError(f"{name}: {source} is not a numeric .npy array")
    if arr.size == 0:
        raise InputError(f"{name}: {source} holds no numbers")
    return arr.astype(np.float64, copy=False)


def _is_header(line: str) -> bool:
    """A first line of column names (``p0,p1,p2``): every field is a word."""
    fields = [f.strip() for f in re.split(r"[,\t]|\s{2,}", line.strip()) if f.strip()]
    if not fields:
        return False
    for field in fields:
        if not _HEADER_WORD.fullmatch(field) or _SPECIAL.fullmatch(field):
            return False
    return True


def _content(line: str) -> str:
    """A line without its comment; brackets around rows are ignored."""
    line = line.split("#", 1)[0]
    if "[" in line or "]" in line:
        line = line.replace("[", " ").replace("]", " ")
    return line.strip()


def _read_text(
    lines: Iterable[str], name: str, source: str, max_rows: int | None = None
) -> FloatArray:
    """Rows of numbers from text lines, converted chunk by chunk.

    With ``max_rows`` (a file's line count) the rows go straight into one array
    of that size, so the peak memory is the result plus one chunk; without it
    (standard input) the chunks are joined at the end.
    """
    import numpy as np

    chunks: list[FloatArray] = []
    out: FloatArray | None = None
    filled = 0
    width: int | None = None
    first_line = 0  # 1-based number of the first line of the next chunk, minus one
    iterator = iter(lines)
    first = True
    while True:
        chunk = list(itertools.islice(iterator, CHUNK_LINES))
        if not chunk:
            break
        if first:
            first = False
            head = next((i for i, line in enumerate(chunk) if _content(line)), None)
            if head is not None and _is_header(_content(chunk[head])):
                # Keep line numbers right: blank the header instead of removing it.
                chunk[head] = ""
        block = _convert_chunk(chunk, name, source, first_line, width)
        first_line += len(chunk)
        if not block.size:
            continue
        width = block.shape[1]
        if out is None and max_rows is not None:
            out = np.empty((max_rows, width))
        if out is not None and filled + len(block) > len(out):
            chunks, out, max_rows = [out[:filled]], None, None  # more rows than lines: join
        if out is None:
            chunks.append(block)
            continue
        out[filled : filled + len(block)] = block
        filled += len(block)
    if out is not None:
        return out[:filled]
    if not chunks:
        raise InputError(f"{name}: {source} holds no numbers")
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def _count_lines(path: Path) -> int:
    """Lines in a file (an upper bound on its rows), read in binary blocks: fast."""
    count, last = 0, b"\n"
    with path.open("rb") as raw:
        for block in iter(lambda: raw.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")  # a last line without its newline


def _convert_chunk(
    chunk: list[str], name: str, source: str, offset: int, width: int | None
) -> FloatArray:
    import numpy as np

    sample = next((_content(line) for line in chunk if _content(line)), "")
    if not sample:  # only blank lines and comments (numpy would warn)
        return np.empty((0, width or 0))
    delimiter = "," if "," in sample else None
    try:
        block = np.loadtxt(
            chunk, delimiter=delimiter, comments="#", ndmin=2, dtype=np.float64
        )
    except ValueError:
        block = None  # something numpy's parser refuses: find it, or parse it our way
    if block is not None and (width is None or block.size == 0 or block.shape[1] == width):
        return block
    return _convert_slowly(chunk, name, source, offset, width)


def _convert_slowly(
    chunk: list[str], name: str, source: str, offset: int, width: int | None
) -> FloatArray:
    """Token by token, for fractions, brackets, mixed separators, and exact errors."""
    import numpy as np

    rows: list[list[float]] = []
    for number, raw in enumerate(chunk, offset + 1):
        line = _content(raw.translate(_MINUS))
        if not line:
            continue
        where = f"{source} line {number}, "
        values = _parse_row(_row_tokens(line), name, where)
        if width is not None and len(values) != width:
            raise InputError(
                f"{name}: {source} line {number} has {_values(len(values))} "
                f"but the lines before have {width}"
            )
        width = len(values)
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


def _lines(stream: TextIO, name: str, source: str) -> Iterator[str]:
    try:
        yield from stream
    except UnicodeDecodeError:
        raise InputError(f"{name}: {source} is not a text file (nor a .npy array)") from None


def _read_source(source: str, name: str) -> FloatArray:
    if source == "-":
        return _read_text(_lines(sys.stdin, name, "standard input"), name, "standard input")
    if not source[1:]:
        raise InputError(f"{name}: '@' must be followed by a file name")
    if "\x00" in source:
        raise InputError(f"{name}: {source!r} is not a valid file name")
    path = Path(source[1:]).expanduser()
    if path.suffix.lower() == ".npy":
        return _read_npy(path, name, source)
    try:
        with path.open("rb") as raw:
            head = raw.read(4096)
    except OSError as exc:
        raise _file_error(name, source, exc) from None
    if head.startswith(b"\x93NUMPY"):  # a .npy array under another name
        return _read_npy(path, name, source)
    if b"\x00" in head:
        raise InputError(f"{name}: {source} is not a text file (nor a .npy array)")
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        rows = _count_lines(path)
        with path.open(encoding="utf-8-sig") as stream:
            return _read_text(_lines(stream, name, source), name, source, rows)
    except OSError as exc:
        raise _file_error(name, source, exc) from None


# ------------------------------------------------------------------------- public


def parse_vector(text: str, name: str) -> Vector:
    """Parse a vector argument (inline numbers, ``@path`` or ``-``) into a :class:`Vector`.

    A file or stream with a single row gives a 1-D vector; with a single number,
    a lone value. Everything else keeps its rows.

    >>> parse_vector("-1,0,2", "Z").values.tolist()
    [-1.0, 0.0, 2.0]
    >>> parse_vector("2", "TARGET").lone
    True
    """
    if text.startswith("@") or text == "-":
        arr = _read_source(text, name)
        if arr.ndim == 2 and arr.shape[0] == 1:
            arr = arr[0]
        return Vector(name, text, arr, arr.size == 1)
    return _parse_inline(text, name)


def target_for(target: Vector, pred: Vector) -> FloatArray:
    """The TARGET array to give the core, given PRED: distributions or class indices.

    A lone number with a multi-class PRED is a class index (a 0-d array); a
    one-column batch (``0;2;1`` or a file with one integer per row) with a
    multi-class PRED is one class index per row. Anything else goes as it is,
    and the core checks the shapes (and that indices are whole and in range).
    """
    values, classes = target.values, pred.values.shape[-1] if pred.values.ndim else 1
    if classes > 1:
        if target.lone and pred.values.ndim == 1:
            return values.reshape(())
        if values.ndim == 2 and values.shape[1] == 1 and pred.values.ndim == 2:
            return values[:, 0]
    return values
