"""Files that commands write (`plot --save`, `stats --export`): safely.

No existing file is replaced without ``--force``, the progress database never
(whatever name points at it), and no file is ever left half-written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from xentcli.errors import InputError

__all__ = ["check_new_file", "write_atomically"]


def check_new_file(path: Path, option: str, suffixes: Sequence[str], *, force: bool) -> None:
    """Refuse a file name that ``option`` (``--save``, ``--export``) must not write to.

    The name must end in one of ``suffixes`` (lower case, the format follows
    it). An existing file is replaced only with ``force``; the progress
    database (and its ``-wal``/``-shm`` files) never, whatever the name says.

    Raises:
        InputError: one line naming the file and what to do instead.
    """
    if not path.name:  # "" and "." both read as the current folder
        raise InputError(f"{option} needs a file name")
    if path.is_dir():
        raise InputError(f"{path} is a folder; {option} needs a file name")
    if _is_progress_file(path):
        raise InputError(f"{path} is your progress file; choose another name")
    if path.suffix.lower() not in suffixes:
        endings = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}"
        raise InputError(f"{path} must end in {endings} (the format follows the name)")
    if os.path.lexists(path) and not force:
        raise InputError(f"{path} already exists; add --force to replace it")


def _is_progress_file(path: Path) -> bool:
    from xentcli.quiz.store import default_path

    database = default_path()
    for ending in ("", "-wal", "-shm", "-journal"):
        other = database.with_name(database.name + ending)
        try:
            if path.resolve() == other.resolve() or (
                path.exists() and other.exists() and path.samefile(other)
            ):
                return True
        except (OSError, RuntimeError):  # a symlink loop: no file to lose there
            continue
    return False


def write_atomically(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write a text file whole or not at all.

    ``write`` fills a temporary file in the same folder, which then replaces
    ``path`` in one step: an error or Ctrl-C part-way leaves any earlier file
    as it was, and no half-written one.

    Raises:
        InputError: the file cannot be written (the message names it and why).
    """
    import tempfile

    temp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        temp = Path(name)
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0o022)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)  # mkstemp makes it private; a saved file is not
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)  # gone already when the replace worked
