"""Whether the progress file needs its integrity check at this start.

A damaged file must be noticed and never written into, so every open used to
run ``PRAGMA quick_check``: about 50 ms with 100,000 answers, most of what a
long history added to a start. The check is now skipped when the file is
exactly the one last found sound, and runs on anything else:

- After a clean check, and after each of xent's own writes, a *seal* is kept
  beside the file (``progress.db-checked``): the file's device, inode, size,
  mtime and ctime in nanoseconds, its 100-byte SQLite header, and when the
  last full check ran. A start whose file matches it exactly skips the check.
  A damaged, truncated or replaced file, a restored backup, an edit by any
  other program does not match: every write, rename or change of rights
  moves the ctime on, and no program can set it back (``cp -p`` and
  ``touch -d`` set the mtime only; on Windows, where st_ctime is the creation
  time, size, mtime and header still have to match). A seal that is missing, unreadable or a
  day old runs the check too, so damage no file metadata shows (a failing
  disk) is still found within a day.
- Beside the file, not inside it: a record written into the database would
  change the very file it describes, and a copied or restored database would
  carry along a record vouching for itself.
- A write-ahead log or rollback journal with content at the start (another
  program is writing, or a writer was killed mid-write) is part of what will
  be read but was never checked: the check runs.
- xent's own writes: after one of its connections closes, the seal is renewed
  only when the file was still, just before, what this process last checked
  or sealed (so what changed it since went through sqlite's log, whose frames
  are checksummed: this write, or another xent's), no log is left
  (the last connection closed and copied the log into the file), the write
  succeeded, and no sqlite call in this process reported damage (that also
  withdraws a seal that still matches). So a quiz that saves answers leaves a
  seal behind, and the next start costs nothing; a change by anything else
  while xent runs breaks the chain, and the next start checks.
- Two xent at once: while one has the file open its log is there, so the
  other's start checks; each renews the seal only over states it saw itself,
  and a seal written over a newer one describes an older file: one check more.
- A change in the same clock tick as the seal's stat would keep the ctime: a
  seal is written only once the filesystem's clock (a probe file's timestamp)
  has moved past the file's mtime and ctime, as git treats racy entries;
  that waits at most one tick after a write.

What is left: a write by another program within the milliseconds of xent's own
write (between the stat before it and the one after), or a clock set back
between two runs; the daily full check bounds both. A seal that cannot be
written (a read-only folder) only means the check runs every time, as before.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "RECHECK_SECONDS",
    "SUFFIX",
    "Fingerprint",
    "Seal",
    "Trust",
    "created",
    "distrust",
    "examine",
    "fingerprint",
    "read_seal",
    "seal_path",
    "settled",
]

#: The seal's name is the progress file's with this added.
SUFFIX = "-checked"
#: The full check runs at least this often, however unchanged the file looks.
RECHECK_SECONDS = 24 * 3600.0
_HEADER = 100  # SQLite's file header: page size, change counter, page count, schema...
_SEAL_LIMIT = 4096
#: How long a seal waits for the filesystem's clock to pass the file's ctime.
_RACY_WAIT = 0.05
#: Files in which sqlite reported damage during this process: never sealed again here.
_DISTRUSTED: set[str] = set()


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one state of the file without reading it all."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    header: str  # hex


@dataclass(frozen=True)
class Seal:
    """The fingerprint of the file as last found sound, and when it was last checked."""

    file: Fingerprint
    checked_at: float  # seconds since the epoch


def seal_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def _read_regular(path: Path, limit: int) -> tuple[os.stat_result, bytes] | None:
    """Up to ``limit`` bytes of a regular file (never waiting on a pipe), with its stat."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        return info, os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def fingerprint(path: Path) -> Fingerprint | None:
    """The file's fingerprint now (None: not a regular file one can read)."""
    found = _read_regular(path, _HEADER)
    if found is None:
        return None
    info, header = found
    return Fingerprint(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                       info.st_ctime_ns, header.hex())


def read_seal(path: Path) -> Seal | None:
    """The seal beside ``path`` (None when missing or not exactly as written)."""
    found = _read_regular(seal_path(path), _SEAL_LIMIT)
    if found is None:
        return None
    try:
        data = json.loads(found[1].decode("utf-8"))
        file = data["file"]
        numbers = [file[k] for k in ("device", "inode", "size", "mtime_ns", "ctime_ns")]
        checked_at = data["checked_at"]
        if (not all(type(n) is int for n in numbers) or type(file["header"]) is not str
                or type(checked_at) is not float or len(file) != 6):
            return None
        device, inode, size, mtime_ns, ctime_ns = numbers
        return Seal(Fingerprint(device, inode, size, mtime_ns, ctime_ns, file["header"]),
                    checked_at)
    except (ValueError, KeyError, TypeError):
        return None


def settled(path: Path) -> bool:
    """No write-ahead log or rollback journal with content beside the file."""
    for suffix in ("-wal", "-journal"):
        try:
            if os.stat(path.with_name(path.name + suffix)).st_size:
                return False
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return True


def distrust(path: Path) -> None:
    """sqlite reported damage: withdraw a seal that still vouches for the file."""
    _DISTRUSTED.add(str(path.absolute()))
    seal = read_seal(path)
    if seal is not None and seal.file == fingerprint(path):
        try:
            seal_path(path).unlink()
        except OSError:
            pass


def _distrusted(path: Path) -> bool:
    return str(path.absolute()) in _DISTRUSTED


def _past_the_clock(path: Path, fd: int, probe: Path) -> Fingerprint | None:
    """The file's fingerprint, once the filesystem's clock (the probe's time, taken
    before the stat) is past its mtime and ctime; None if that takes too long."""
    deadline = time.monotonic() + _RACY_WAIT
    waited = False
    while True:
        clock = os.fstat(fd).st_mtime_ns
        file = fingerprint(path)
        if file is None:
            return None
        if max(file.mtime_ns, file.ctime_ns) < clock:
            return file  # any later write to the file gets a later ctime than this
        if time.monotonic() > deadline:
            return None
        if waited:  # a fine-grained clock passes at once, a coarse one within a tick
            time.sleep(0.001)
        waited = True
        os.utime(probe)


def _write_seal(path: Path, checked_at: float) -> Fingerprint | None:
    """Seal the file as it is now; its fingerprint, or None when it could not be done."""
    target = seal_path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=path.parent)
    except OSError:
        return None  # a read-only folder: the check simply runs every time
    probe = Path(name)
    try:
        file = _past_the_clock(path, fd, probe)
        if file is None:
            return None
        text = json.dumps({"file": asdict(file), "checked_at": float(checked_at)})
        os.write(fd, text.encode("utf-8"))
        os.close(fd)
        fd = -1
        os.replace(probe, target)
        return file
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)
        try:
            probe.unlink()
        except OSError:
            pass


class Trust:
    """What this process knows the file to be: the state it checked, or wrote itself.

    Passed from the open to the writers of the same session (a quiz's recorder),
    so that each write renews the seal while the chain from the check holds.
    """

    def __init__(self, path: Path, file: Fingerprint | None, checked_at: float,
                 sealed: Seal | None) -> None:
        self.path = path
        #: The file as last checked or written by this process; None: chain broken.
        self.file = file
        self.checked_at = checked_at
        self.sealed = sealed  # what the seal on disk says: an unchanged one is not rewritten

    def before(self) -> Fingerprint | None:
        """The file's fingerprint just before a write (or a close) of this process."""
        return fingerprint(self.path) if self.file is not None else None

    def renew(self, before: Fingerprint | None, *, ok: bool = True) -> None:
        """After one of this process's connections closed: seal what only xent changed."""
        if self.file is None:
            return
        if not ok or before != self.file or _distrusted(self.path):
            self.file = None  # something else may have written: the next start checks
            return
        if not settled(self.path):
            return  # another connection is open: the file is still what this one knew
        now = fingerprint(self.path)
        if now is not None and Seal(now, self.checked_at) == self.sealed:
            self.file = now
            return
        self.file = _write_seal(self.path, self.checked_at)
        self.sealed = Seal(self.file, self.checked_at) if self.file is not None else None


def created(path: Path) -> Trust:
    """The trust for a file this process has just created, checked and set up."""
    return Trust(path, fingerprint(path), time.time(), None)


def examine(path: Path) -> tuple[Trust, bool]:
    """The trust to open an existing file with, and whether its full check can be skipped."""
    quiet = settled(path)  # first: a log that goes away after the stat was copied in
    file = fingerprint(path)
    seal = read_seal(path)
    now = time.time()
    sound = (quiet and file is not None and seal is not None and seal.file == file
             and 0 <= now - seal.checked_at < RECHECK_SECONDS and not _distrusted(path))
    checked_at = seal.checked_at if sound and seal is not None else now
    return Trust(path, file, checked_at, seal), sound
