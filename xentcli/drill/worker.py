"""The child process that runs a user's drill file (``python -m xentcli.drill.worker``).

It never grades: it loads the file, calls the function on the inputs it is
sent and sends back what happened, as data. Requests come one JSON object per
line on stdin; replies go one per line to the original stdout, while anything
the user's code prints goes to stderr. Arrays travel in ``.npz`` files (no
pickles) in a folder the parent owns.

Requests:
``{"op": "run", "inputs": NPZ, "outputs": NPZ, "cases": [[ARG, ...], ...],
"mistake": CODE or null, "time_core": CALL or null}``, where ARG is
``{"array": KEY}`` or ``{"value": NUMBER}``. Each case's reply says
``status`` (``ok``, ``none``, ``type``, ``exception``), the ``warnings`` it
raised, the ``seconds`` it took, and for an exception the user's own
traceback. With ``time_core``, the core's time on the same inputs is sent
first as ``{"event": "core", "seconds": S}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, TextIO

MEMORY_LIMIT = 2 * 1024**3
_MODULE = "__xent_drill__"
_HERE = str(Path(__file__).resolve().parent)


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        pass


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the user's frames on: xent's own frames are left out."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_HERE) and "importlib" not in f.filename]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip("\n")


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _load(path: Path, name: str) -> tuple[dict[str, Any], Any]:
    import importlib.util

    sys.path.insert(0, str(path.parent))
    os.chdir(path.parent)  # their file may read files beside it
    spec = importlib.util.spec_from_file_location(_MODULE, path)
    if spec is None or spec.loader is None:
        return {"status": "unreadable"}, None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        return {"status": "syntax", "line": exc.lineno, "offset": exc.offset,
                "message": exc.msg, "text": (exc.text or "").rstrip("\n")}, None
    except BaseException as exc:  # the user's code failed on import: their traceback
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"status": "exception", "error": _error(exc),
                "traceback": _user_traceback(exc)}, None
    function = getattr(module, name, None)
    if not callable(function):
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and getattr(v, "__module__", None) == _MODULE)
        return {"status": "missing", "defined": defined}, None
    return {"status": "ok"}, function


def _error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _call(function: Any, args: list[Any]) -> tuple[dict[str, Any], Any]:
    import numpy as np

    with warnings.catch_warnings(record=True) as caught, np.errstate(
        over="warn", divide="warn", invalid="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            result = function(*args)
        except MemoryError:
            seconds = time.perf_counter() - start
            return {"status": "memory", "seconds": seconds, "warnings": []}, None
        except Exception as exc:
            seconds = time.perf_counter() - start
            return {"status": "exception", "seconds": seconds, "error": _error(exc),
                    "exception": type(exc).__name__, "traceback": _user_traceback(exc),
                    "warnings": _warnings(caught)}, None
        seconds = time.perf_counter() - start
    reply: dict[str, Any] = {"seconds": seconds, "warnings": _warnings(caught)}
    if result is None:
        reply["status"] = "none"
        return reply, None
    try:
        array = np.asarray(result)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biuf":
        reply["status"] = "type"
        reply["given"] = f"{type(result).__name__}: {repr(result)[:60]}"
        return reply, None
    reply["status"] = "ok"
    return reply, array


def _warnings(caught: list[warnings.WarningMessage]) -> list[dict[str, Any]]:
    seen = []
    for w in caught:
        item = {"category": w.category.__name__, "message": str(w.message),
                "file": w.filename, "line": w.lineno}
        if item not in seen:
            seen.append(item)
    return seen[:5]


def _time_core(call: dict[str, Any], args: list[Any]) -> float:
    import xentcli.core as core

    function = getattr(core, call["function"])
    names = call["args"]
    values = dict(zip(call["names"], args, strict=True))
    options = {k: (values[v] if isinstance(v, str) and v in values else v)
               for k, v in call["options"].items()}
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        function(*[values[n] for n in names], **options)
        best = min(best, time.perf_counter() - start)
    return best


def _warm_up(function: Any, args: list[Any]) -> None:
    """Call the function once on a tenth of the batch, untimed: the first call of
    any code pays for imports, caches and fresh memory, which is not its speed."""
    import numpy as np

    part = [a[: max(1, len(a) // 10)] if isinstance(a, np.ndarray) and a.ndim else a
            for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            function(*part)
        except Exception:
            pass


def _run(request: dict[str, Any], function: Any, channel: TextIO) -> dict[str, Any]:
    import numpy as np

    if request.get("mistake"):
        namespace: dict[str, Any] = {"__name__": "__xent_mistake__"}
        exec(compile(request["mistake"], "<classic mistake>", "exec"), namespace)
        function = namespace[request["name"]]
    with np.load(request["inputs"]) as stored:
        arrays = {k: stored[k] for k in stored.files}
    replies, outputs = [], {}
    for i, case in enumerate(request["cases"]):
        args = [arrays[a["array"]].copy() if "array" in a else a["value"] for a in case]
        if request.get("time_core"):
            _warm_up(function, args)
            seconds = _time_core(request["time_core"], args)
            _send(channel, {"event": "core", "seconds": seconds})
        reply, array = _call(function, args)
        replies.append(reply)
        if array is not None and not request.get("time_core"):
            outputs[f"out{i}"] = array
    np.savez(request["outputs"], **outputs)
    return {"event": "done", "results": replies}


def main(argv: list[str]) -> int:
    path, name = Path(argv[1]), argv[2]
    sys.dont_write_bytecode = True  # no __pycache__ in the user's folder
    # Replies get their own copy of stdout; the user's prints go to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Everything this process needs is imported before the user's folder joins
    # sys.path, and before the memory limit (numpy's start-up maps a lot).
    from concurrent.futures import ThreadPoolExecutor  # noqa: F401  (the core uses it)

    import numpy  # noqa: F401

    import xentcli.core  # noqa: F401  (the vectorised test times it)

    _limit_memory(MEMORY_LIMIT)
    _send(channel, {"status": "started"})  # the user's time limits start now
    status, function = _load(path, name)
    _send(channel, status)
    if function is None:
        return 0
    for line in sys.stdin:
        request = json.loads(line)
        _send(channel, _run(request, function, channel))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
