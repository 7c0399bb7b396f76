"""Reading ``@path`` and ``-`` (standard input): once, in blocks of rows.

A source is opened exactly once, so a FIFO, a process substitution
(``@<(zcat x.gz)``) or ``/dev/stdin`` works like a file. :func:`open_rows`
returns a :class:`Rows`, from which the caller takes blocks of rows
(:meth:`Rows.take`, for a computation that runs chunk by chunk in flat memory)
or everything (:meth:`Rows.read_all`).

- Text (CSV, TSV, whitespace; ``#`` comments, blank lines and a header line
  of names skipped) is converted by numpy's C parser a block of lines at a
  time; only a block numpy refuses is parsed token by token, to name the bad
  token and its line.
- A ``.npy`` array in a regular file is memory-mapped; where a map is not
  possible (a pipe, or an address-space limit) it is read block by block from
  the stream.

Each block reports how far the source has been read to
:mod:`xentcli.cli.progress`, which shows a bar on stderr when reading is slow.

numpy is imported inside the functions: importing this module is free.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from xentcli.cli import progress
from xentcli.cli.calc.tokens import MINUS, SPECIAL, count_values, parse_row, row_tokens
from xentcli.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = ["CHUNK_LINES", "Rows", "open_rows"]

#: Most lines converted at once (a block also stops at CHUNK_CHARS characters).
CHUNK_LINES = 1 << 16
#: Most characters of text converted at once: bounded memory whatever the width.
CHUNK_CHARS = 1 << 22
_HEADER_WORD = re.compile(r"[A-Za-z_\"'][\w\"' .()-]*")


def _file_error(name: str, source: str, exc: OSError) -> InputError:
    reasons = {
        FileNotFoundError: "no such file",
        IsADirectoryError: "is a directory, not a file",
        PermissionError: "permission denied",
    }
    reason = next((text for kind, text in reasons.items() if isinstance(exc, kind)), None)
    return InputError(f"{name}: {source}: {reason or exc.strerror or 'cannot be read'}")


def _is_header(line: str) -> bool:
    """A first line of column names (``p0,p1,p2``): every field is a word."""
    fields = [f.strip() for f in re.split(r"[,\t]|\s{2,}", line.strip()) if f.strip()]
    if not fields:
        return False
    for field in fields:
        if not _HEADER_WORD.fullmatch(field) or SPECIAL.fullmatch(field):
            return False
    return True


def _content(line: str) -> str:
    """A line without its comment; brackets around rows are ignored."""
    line = line.split("#", 1)[0]
    if "[" in line or "]" in line:
        line = line.replace("[", " ").replace("]", " ")
    return line.strip()


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
        # numpy reads a written-out -1e999 as -inf, a masked class: only a literal
        # -inf may mean that, so a block with an infinity is read token by token.
        if not np.isinf(block).any():
            return block
    return _convert_slowly(chunk, name, source, offset, width)


def _convert_slowly(
    chunk: list[str], name: str, source: str, offset: int, width: int | None
) -> FloatArray:
    """Token by token, for fractions, brackets, mixed separators, and exact errors."""
    import numpy as np

    rows: list[list[float]] = []
    for number, raw in enumerate(chunk, offset + 1):
        line = _content(raw.translate(MINUS))
        if not line:
            continue
        where = f"{source} line {number}, "
        values = parse_row(row_tokens(line), name, where)
        if width is not None and len(values) != width:
            raise InputError(
                f"{name}: {source} line {number} has {count_values(len(values))} "
                f"but the lines before have {width}"
            )
        width = len(values)
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


#: The longest line read (characters). A row of numbers is far shorter; a line
#: past this (a 500 MB file without a newline, /dev/zero) is refused while it is
#: read instead of being held whole.
MAX_LINE = 1 << 20


def _lines(stream: TextIO, name: str, source: str) -> Iterator[str]:
    number = 0
    try:
        while True:
            line = stream.readline(MAX_LINE + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE:
                raise InputError(f"{name}: {source} line {number} is longer than "
                                 f"{MAX_LINE // (1 << 20)} MB of text: one row per line")
            yield line
    except UnicodeDecodeError:
        raise InputError(f"{name}: {source} is not a text file (nor a .npy array)") from None


class Rows:
    """The rows of one source, handed out in blocks; each row is read once.

    Attributes:
        name: the argument (PRED, TARGET).
        source: as typed (``@data.csv``, ``-``).
        ndim: the array's own number of axes where known before reading (a
            ``.npy``); 2 for text.
        taken: rows handed out so far.
    """

    ndim = 2

    def __init__(self, name: str, source: str, size: int | None = None, *,
                 shown: bool = True) -> None:
        self.name, self.source = name, source
        self.taken = 0
        # The progress of reading, for a bar on stderr when it is slow; none for
        # rows typed at a terminal (the time is the typist's).
        self._progress = progress.track(progress.label(name, source), size, shown=shown)

    @property
    def total(self) -> int | None:
        """The number of rows, where known without reading them (a ``.npy``)."""
        return None

    def take(self, n: int) -> FloatArray:
        """The next ``n`` rows (2-D, float64): fewer only at the end, 0 after it."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        raise NotImplementedError

    def width(self) -> int:
        """Numbers per row (1 for a 1-D array); text reads its first block to know."""
        raise NotImplementedError

    def read_all(self) -> FloatArray:
        """Every row, in the array's own shape (a 1-D ``.npy`` stays 1-D)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (the caller owns the source until then)."""
        self._progress.finish()


class _TextRows(Rows):
    def __init__(self, name: str, source: str, stream: TextIO, owned: bool) -> None:
        # A regular file (also `- < file`) has a size, and its position is the
        # bytes read; a pipe has neither, and counts the characters taken.
        binary = getattr(stream, "buffer", None)
        size = _regular_size(binary)
        super().__init__(name, source, size, shown=not _is_terminal(stream))
        self._binary = binary if size is not None else None
        self._chars = 0
        self._stream, self._owned = stream, owned
        self._lines = _lines(stream, name, source)
        self._line = 0  # lines consumed so far (1-based number of the last one)
        self._width: int | None = None
        self._buffer: list[FloatArray] = []
        self._buffered = 0
        self._eof = False
        self._first = True

    def _block(self) -> FloatArray | None:
        """The next block of lines as rows; None at the end of the text."""
        chunk: list[str] = []
        chars = 0
        for line in itertools.islice(self._lines, CHUNK_LINES):
            chunk.append(line)
            chars += len(line)
            if chars >= CHUNK_CHARS:
                break
        self._chars += chars
        self._progress.update(self._position())
        if not chunk:
            self._eof = True
            return None
        if self._first:
            self._first = False
            head = next((i for i, line in enumerate(chunk) if _content(line)), None)
            if head is not None and _is_header(_content(chunk[head])):
                # Keep line numbers right: blank the header instead of removing it.
                chunk[head] = ""
        block = _convert_chunk(chunk, self.name, self.source, self._line, self._width)
        self._line += len(chunk)
        if block.size:
            self._width = block.shape[1]
        return block

    def take(self, n: int) -> FloatArray:
        import numpy as np

        while self._buffered < n and not self._eof:
            block = self._block()
            if block is not None and len(block):
                self._buffer.append(block)
                self._buffered += len(block)
        if not self._buffer:
            return np.empty((0, self._width or 0))
        joined = self._buffer[0] if len(self._buffer) == 1 else np.concatenate(self._buffer)
        out, rest = joined[:n], joined[n:]
        self._buffer = [rest] if len(rest) else []
        self._buffered = len(rest)
        self.taken += len(out)
        return out

    @property
    def done(self) -> bool:
        if not self._buffered and not self._eof:
            block = self._block()
            if block is not None and len(block):
                self._buffer, self._buffered = [block], len(block)
        return self._eof and not self._buffered

    def width(self) -> int:
        self.done  # noqa: B018 - reads the first block if none is in hand
        return self._width or 0

    def read_all(self) -> FloatArray:
        import numpy as np

        blocks = []
        while not self.done:
            block = self.take(1 << 62)
            if len(block):
                blocks.append(block)
        if not blocks:
            raise InputError(f"{self.name}: {self.source} holds no numbers")
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def _position(self) -> int:
        if self._binary is not None:
            try:
                return int(self._binary.tell())
            except (OSError, ValueError):
                self._binary = None
        return self._chars

    def close(self) -> None:
        super().close()
        if self._owned:
            self._stream.close()


class _NpyRows(Rows):
    """A ``.npy`` array: memory-mapped, or read from the stream block by block."""

    def __init__(self, name: str, source: str, array: Any = None, *,
                 stream: BinaryIO | None = None, shape: tuple[int, ...] = (),
                 dtype: Any = None) -> None:
        shape = tuple(array.shape) if array is not None else shape
        dtype = array.dtype if array is not None else dtype
        # Progress counts the array's bytes (its header aside), mapped or streamed.
        self._row_bytes = _prod(shape[1:]) * dtype.itemsize
        super().__init__(name, source, _prod(shape) * dtype.itemsize)
        self._array, self._stream = array, stream
        self._shape, self._dtype = shape, dtype
        self.ndim = len(self._shape)
        self._released = 0  # rows whose mapped pages were handed back

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def total(self) -> int | None:
        return self._shape[0] if self._shape else 1

    def width(self) -> int:
        import math

        return math.prod(self._shape[1:]) if len(self._shape) > 1 else 1

    def take(self, n: int) -> FloatArray:
        import numpy as np

        total, width = self.total or 0, self.width()
        n = max(0, min(n, total - self.taken))
        if self._array is not None:
            self._release()
            block = self._array[self.taken : self.taken + n]
        else:
            assert self._stream is not None
            count = n * width
            data = self._stream.read(count * self._dtype.itemsize)
            if len(data) != count * self._dtype.itemsize:
                raise InputError(f"{self.name}: {self.source} ends before its last row")
            block = np.frombuffer(data, dtype=self._dtype)
        out = np.asarray(block, dtype=np.float64).reshape(n, width)
        self.taken += n
        self._progress.update(self.taken * self._row_bytes)
        return out

    def _release(self) -> None:
        """Hand back the mapped pages of the rows already taken (the caller is done
        with them), so that resident memory stays one block whatever the file size.

        The pages are clean copies of the file: the kernel reads them again if
        they are touched, so this changes memory use, never the data.
        """
        import mmap

        mapped = getattr(self._array, "_mmap", None)
        if mapped is None or not hasattr(mapped, "madvise") or self.taken <= self._released:
            return
        row_bytes = self.width() * self._dtype.itemsize
        # Where the array starts inside the map (numpy maps from a page boundary).
        start = int(self._array.offset) % mmap.ALLOCATIONGRANULARITY
        lo = start + self._released * row_bytes
        hi = start + self.taken * row_bytes
        page = mmap.PAGESIZE
        lo, hi = -(-lo // page) * page, hi // page * page
        if hi > lo:
            try:
                mapped.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
            except (OSError, ValueError, AttributeError):  # not on this platform
                return
        self._released = self.taken

    @property
    def done(self) -> bool:
        return self.taken >= (self.total or 0)

    def read_all(self) -> FloatArray:
        import numpy as np

        rest = self.take((self.total or 0) - self.taken)
        return np.asarray(rest.reshape(self._shape) if self._shape else rest.reshape(()))

    def close(self) -> None:
        super().close()
        if self._stream is not None:
            self._stream.close()
        self._array = None


def _prod(shape: tuple[int, ...]) -> int:
    import math

    return math.prod(int(n) for n in shape)


def _regular_size(binary: Any) -> int | None:
    """The size of a regular file behind ``binary``; None for a pipe, a terminal..."""
    try:
        status = os.fstat(binary.fileno())
    except (AttributeError, OSError, ValueError):  # no descriptor (a test's stdin)
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


def _not_npy(name: str, source: str) -> InputError:
    return InputError(f"{name}: {source} is not a numeric .npy array")


def _open_npy(name: str, source: str, path: Path, raw: BinaryIO, regular: bool) -> Rows:
    import numpy as np
    from numpy.lib import format as npy_format

    try:
        version = npy_format.read_magic(raw)
        shape, fortran, dtype = (
            npy_format.read_array_header_1_0(raw) if version == (1, 0)
            else npy_format.read_array_header_2_0(raw)
        )
    except Exception:  # noqa: BLE001 - a damaged header fails in many ways inside numpy
        raw.close()
        raise _not_npy(name, source) from None
    # Object arrays need pickle, which could run code: they are refused too.
    if dtype.kind not in "biuf" or dtype.hasobject:
        raw.close()
        raise _not_npy(name, source)
    if 0 in shape:
        raw.close()
        raise InputError(f"{name}: {source} holds no numbers")
    if regular:
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, MemoryError):
            array = None  # no address space for the map: read it as a stream
        if array is not None:
            raw.close()
            return _NpyRows(name, source, array)
    if fortran and len(shape) > 1:
        # Column-major data cannot be cut into rows as it streams: read it whole.
        data = raw.read()
        raw.close()
        count = int(np.prod(shape))
        if len(data) < count * dtype.itemsize:
            raise _not_npy(name, source)
        arr = np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order="F")
        return _NpyRows(name, source, arr)
    return _NpyRows(name, source, stream=raw, shape=tuple(shape), dtype=dtype)


def open_rows(source: str, name: str) -> Rows:
    """Open ``@path`` or ``-`` once; the caller takes rows, then closes it."""
    if source == "-":
        return _TextRows(name, "standard input", sys.stdin, owned=False)
    if not source[1:]:
        raise InputError(f"{name}: '@' must be followed by a file name")
    if "\x00" in source:
        raise InputError(f"{name}: {source!r} is not a valid file name")
    path = Path(source[1:]).expanduser()
    try:
        raw = path.open("rb")
        regular = stat.S_ISREG(os.fstat(raw.fileno()).st_mode)
        head = raw.peek(4096)[:4096]
    except OSError as exc:
        raise _file_error(name, source, exc) from None
    if head.startswith(b"\x93NUMPY") or path.suffix.lower() == ".npy":
        return _open_npy(name, source, path, raw, regular)
    if b"\x00" in head:
        raw.close()
        raise InputError(f"{name}: {source} is not a text file (nor a .npy array)")
    # utf-8-sig: spreadsheet exports often start with a byte-order mark.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig")
    return _TextRows(name, source, text, owned=True)


def read_source(source: str, name: str) -> FloatArray:
    """Every row of ``@path`` or ``-``, read once."""
    rows = open_rows(source, name)
    try:
        return rows.read_all()
    except OSError as exc:
        raise _file_error(name, source, exc) from None
    finally:
        rows.close()
