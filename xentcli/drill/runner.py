"""Running a user's file in a child process, with a time limit on every request.

:class:`Worker` starts :mod:`xentcli.drill.worker` with the same interpreter
(so the user's numpy is xent's), sends it requests and waits for each reply at
most a given number of seconds. A reply that does not come in time means the
user's function did not return: the child is killed and :class:`TimedOut`
raised. A child that dies (a crash in C code, ``os._exit``) raises
:class:`ChildDied` with the end of what it wrote on stderr.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

__all__ = ["ChildDied", "TimedOut", "Worker"]


class TimedOut(Exception):
    """The child did not answer within the time limit (it has been killed)."""


class ChildDied(Exception):
    """The child ended without answering; the message is the end of its stderr."""


class Worker:
    """One child process running one user file (use as a context manager)."""

    def __init__(self, path: Path, function: str, folder: Path) -> None:
        self._stderr = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        # The child finds this very xentcli (also when it is run from a source
        # folder, not installed), and starts in ``folder``, not the user's: a
        # json.py or queue.py of theirs must not stand in for the standard one.
        here = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(
            [here, *filter(None, [os.environ.get("PYTHONPATH")])])
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"  # one core is enough here; the machine may be shared
        self._process = subprocess.Popen(
            [sys.executable, "-m", "xentcli.drill.worker", str(path.resolve()), function],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=folder, env=env, text=True, encoding="utf-8",
        )
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self._process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,),
                                        daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._replies.put(None)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def receive(self, timeout: float) -> dict[str, Any]:
        """The next reply, waiting at most ``timeout`` seconds."""
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise TimedOut() from None
        if reply is None:
            self._process.wait()
            raise ChildDied(self.stderr_tail())
        return reply

    def send(self, request: dict[str, Any]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child is gone; receive() reports it

    def stderr_tail(self, lines: int = 12) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def close(self) -> None:
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(timeout=2)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()
