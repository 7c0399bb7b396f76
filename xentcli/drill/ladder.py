"""The test ladder: climb it in order, stop at the first rung that fails.

1. ``examples`` — the task's worked example;
2. ``random`` — random batches against the core, to 1e-9 relative;
3. ``shapes`` — one row on its own, a batch of one, bigger batches (classes
   on the last axis);
4. ``stability`` — the drill's hard inputs (logits of ±1000 and ±1e4, a true
   class with a very low logit, probabilities 0, 1 and 1e-300);
5. ``no-warnings`` — no RuntimeWarning (overflow, log 0, 0/0) on any input so far;
6. ``float32`` — float32 inputs give finite answers to float32 precision;
7. ``vectorised`` — a batch of 100000 rows within :data:`RATIO` times the core's
   time (a Python loop over rows fails here, and says so).

The user's function runs in a child process (:mod:`xentcli.drill.runner`);
grading happens here. On a failure the drill's classic mistakes are run on the
same input: when the user's output (or exception, or warning) is the one a
mistake gives, that mistake's hint is shown; otherwise a hint for the kind of
failure (overflow, log 0, shape, ...).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from xentcli.drill import cases as C
from xentcli.drill.results import CheckReport, TestResult, short
from xentcli.drill.runner import ChildDied, TimedOut, Worker
from xentcli.drill.tasks import RUNGS, Drill, Mistake
from xentcli.errors import DrillError

__all__ = ["DEFAULT_TIMEOUT", "FLOOR", "RATIO", "check"]

#: Seconds each group of tests may take before the function counts as hanging.
DEFAULT_TIMEOUT = 10.0
#: Seconds the child may take to start Python and import numpy.
STARTUP_TIMEOUT = 60.0
#: The big batch may take this many times the core's time...
RATIO = 20.0
#: ...but never less than this many seconds (the core is very fast).
FLOOR = 0.3

GENERAL_HINTS = {
    "overflow": "a value overflowed (exp(x) is inf above x = 709 in float64): shift "
                "each row by its maximum before exp, or work in log space.",
    "log-zero": "log(0) = -inf was taken: compute logs in log space (z - logsumexp(z)) "
                "or only where the probability is positive.",
    "nan": "a NaN comes from inf - inf, 0 * inf or 0/0: look for an exp that "
           "overflowed or a 0 * log 0 that was not set to 0.",
    "shape": "classes are on the last axis: reduce with axis=-1 (keepdims=True to "
             "broadcast back) and keep the batch's shape.",
    "value": "compare your formula with the task's, term by term, on its example.",
    "warning": "the values are right, but numpy warned on the way: something overflowed "
               "or took log 0 before being masked (np.where computes both branches).",
    "float32": "float32 overflows at exp(89) and has nothing below about 1e-45: "
               "a constant like 1e-300 becomes 0 there; shift by the maximum instead.",
    "slow": "a Python loop over rows is slow: let numpy work on the whole array at "
            "once (axis=-1).",
    "none": "the function returned None: it needs a return statement.",
    "scalar": "the answer is one number (a mean over the rows): return a scalar, not an "
              "array; a mean or sum without axis= gives one.",
    "axis": "one row on its own has a single axis: use axis=-1 (the last axis, the "
            "classes), which works for one row and for a batch alike.",
    "starter": "this is still the starter: replace the raise NotImplementedError line "
               "with your code.",
    "type": "return a numpy array (or a float for a single value).",
    "memory": "the function ran out of memory: work row by row along axis=-1, not on "
              "an N x N matrix.",
}


class _Failure:
    """Why one case failed: a kind (for the hint) and the lines to show."""

    def __init__(self, kind: str, details: list[tuple[str, str]],
                 traceback: str | None = None) -> None:
        self.kind = kind
        self.details = details
        self.traceback = traceback


def check(drill: Drill, path: Path, *, shown: str | None = None,
          timeout: float = DEFAULT_TIMEOUT, seed: int = 0) -> CheckReport:
    """Run the ladder on the file at ``path``.

    Raises:
        DrillError: the file cannot be read, or does not define the drill's function.
    """
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise DrillError(f"{shown or path}: {what}")
    with tempfile.TemporaryDirectory() as tmp, Worker(path, drill.name, Path(tmp)) as worker:
        ladder = _Ladder(drill, path, shown or str(path), worker, Path(tmp), timeout, seed)
        return ladder.climb()


class _Ladder:
    def __init__(self, drill: Drill, path: Path, shown: str, worker: Worker, tmp: Path,
                 timeout: float, seed: int) -> None:
        self.drill = drill
        self.path = path
        self.shown = shown
        self.worker = worker
        self.tmp = tmp
        self.timeout = timeout
        self.rng = np.random.default_rng(seed)
        self.requests = 0
        #: (case, warnings) of every call so far, for the no-warnings rung.
        self.warned: list[tuple[C.Case, list[dict[str, Any]]]] = []

    def climb(self) -> CheckReport:
        report = CheckReport(self.drill.name, self.shown, [], total=len(RUNGS) + 1)
        loaded = self.load()
        report.tests.append(loaded)
        if not loaded.passed:
            return report
        rungs: dict[str, Callable[[], TestResult]] = {
            "examples": lambda: self.values("examples", C.example_cases(self.drill)),
            "random": lambda: self.values("random", C.random_cases(self.drill, self.rng)),
            "shapes": lambda: self.values("shapes", C.shape_cases(self.drill, self.rng)),
            "stability": lambda: self.values("stability", C.stability_cases(self.drill)),
            "no-warnings": self.no_warnings,
            "float32": lambda: self.values("float32", C.float32_cases(self.drill, self.rng),
                                           warnings_fail=True),
            "vectorised": self.vectorised,
        }
        for name in RUNGS:
            try:
                result = rungs[name]()
            except TimedOut:
                result = TestResult(
                    name, False, "",
                    [("error", f"your function did not return within {self.timeout:g} s")],
                    None, "look for a loop whose condition never changes.")
            except ChildDied as died:
                result = TestResult(name, False, "", [("error", "the Python process running "
                                                       "your file ended abruptly")],
                                    died.args[0] or None, None)
            report.tests.append(result)
            if not result.passed:
                break
        return report

    # ------------------------------------------------------------- loading

    def load(self) -> TestResult:
        try:
            # Python and numpy starting up is not the user's time (and a busy machine
            # can take seconds for it); then their file has the usual limit.
            self.worker.receive(STARTUP_TIMEOUT)
            status = self.worker.receive(self.timeout)
        except TimedOut:
            return TestResult("load", False, "", [("error", "loading your file did not finish "
                                                   f"within {self.timeout:g} s")], None,
                              "code at the top level of the file runs on import; keep it "
                              "to imports and definitions.")
        except ChildDied as died:
            return TestResult("load", False, "", [("error", "Python could not start on it")],
                              died.args[0] or None, None)
        kind = status["status"]
        if kind == "ok":
            return TestResult("load", True)
        if kind == "missing":
            defined = status["defined"]
            also = f" (it defines {', '.join(defined)})" if defined else ""
            raise DrillError(f"{self.shown} defines no function named {self.drill.name}{also}")
        if kind == "syntax":
            where = f"{self.shown}, line {status['line']}"
            text = status["text"].strip()
            details = [("error", f"syntax error in {where}: {status['message']}")]
            if text:
                details.append(("line", text))
            return TestResult("load", False, "", details, None,
                              "Python could not read the file: fix that line first.")
        if kind == "exception":
            return TestResult("load", False, "", [("error", "your file raised an error "
                                                   "while it was imported")],
                              self._paths(status["traceback"]), None)
        raise DrillError(f"{self.shown}: cannot be read as Python")

    def _paths(self, text: str) -> str:
        return text.replace(str(self.path.resolve()), self.shown)

    # ------------------------------------------------------------- running

    def run(self, cases: list[C.Case], mistake: Mistake | None = None,
            time_core: bool = False, timeout: float | None = None,
            ) -> list[tuple[dict[str, Any], Any]]:
        self.requests += 1
        stem = self.tmp / f"r{self.requests}"
        arrays: dict[str, Any] = {}
        calls = []
        for i, case in enumerate(cases):
            call = []
            for arg in self.drill.args:
                value = case.inputs[arg.name]
                if isinstance(value, np.ndarray):
                    key = f"c{i}_{arg.name}"
                    arrays[key] = value
                    call.append({"array": key})
                else:
                    call.append({"value": value})
            calls.append(call)
        np.savez(f"{stem}-in.npz", **arrays)
        request: dict[str, Any] = {
            "op": "run", "inputs": f"{stem}-in.npz", "outputs": f"{stem}-out.npz",
            "cases": calls, "mistake": mistake.code if mistake else None,
            "name": self.drill.name, "time_core": None,
        }
        if time_core:
            request["time_core"] = {**C.reference_call(self.drill),
                                    "names": [a.name for a in self.drill.args]}
        self.worker.send(request)
        if time_core:
            return [(self.worker.receive(self.timeout), None)]
        reply = self.worker.receive(self.timeout if timeout is None else timeout)
        with np.load(f"{stem}-out.npz") as stored:
            outputs = {k: stored[k] for k in stored.files}
        return [(r, outputs.get(f"out{i}")) for i, r in enumerate(reply["results"])]

    # ------------------------------------------------------------- the rungs

    def values(self, name: str, cases: list[C.Case], warnings_fail: bool = False) -> TestResult:
        results = self.run(cases)
        for case, (reply, output) in zip(cases, results, strict=True):
            failure = self.verdict(case, reply, output, float32=name == "float32")
            if failure is None and warnings_fail and reply["warnings"]:
                failure = _Failure("warning", [("warning", self.warning(reply["warnings"][0]))])
            if failure is not None:
                return self.failed(name, case, reply, output, failure)
            if reply["warnings"]:
                self.warned.append((case, reply["warnings"]))
        return TestResult(name, True, note=f"{len(cases)} input{'s' * (len(cases) > 1)}")

    def no_warnings(self) -> TestResult:
        if not self.warned:
            return TestResult("no-warnings", True)
        case, warned = self.warned[0]
        failure = _Failure("warning", [("warning", self.warning(warned[0]))])
        reply = {"status": "ok", "warnings": warned}
        (_, output), = self.run([case])
        return self.failed("no-warnings", case, reply, output, failure)

    def vectorised(self) -> TestResult:
        case = C.big_case(self.drill, self.rng)
        (event, _), = self.run([case], time_core=True)
        core = float(event["seconds"])
        budget = max(RATIO * core, FLOOR)
        rows = f"{C.BIG_ROWS} rows"
        try:
            reply = self.worker.receive(budget + 0.5)
        except TimedOut:
            reply = None
        if reply is None or reply["results"][0]["seconds"] > budget:
            took = (f"was still running after {budget + 0.5:.2f} s" if reply is None
                    else f"took {reply['results'][0]['seconds']:.2f} s")
            rule = (f"{RATIO:g} x the core's {core:.3f} s" if budget > FLOOR
                    else f"the core took {core:.3f} s")
            return TestResult("vectorised", False, case.name,
                              [("time", f"{took} on {rows}; the budget is {budget:.2f} s "
                                        f"({rule})")], None, self.slow_hint())
        result = reply["results"][0]
        if result["status"] != "ok":
            failure = self.verdict(case, result, None)
            assert failure is not None
            return self.failed("vectorised", case, result, None, failure)
        note = f"{result['seconds']:.3f} s for {rows}; the core took {core:.3f} s"
        return TestResult("vectorised", True, note=note)

    def slow_hint(self) -> str:
        loop = next((m for m in self.drill.mistakes if m.fails_at == "vectorised"), None)
        return loop.hint if loop else self.drill.hint("slow") or GENERAL_HINTS["slow"]

    # ------------------------------------------------------------- grading

    def verdict(self, case: C.Case, reply: dict[str, Any], output: Any,
                float32: bool = False) -> _Failure | None:
        status = reply["status"]
        if status == "exception":
            kind = "starter" if reply["exception"] == "NotImplementedError" else "exception"
            # The traceback ends with the error itself: it is not repeated above it.
            return _Failure(kind, [], self._paths(reply["traceback"]))
        if status == "none":
            return _Failure("none", [("given", "None")])
        if status == "type":
            return _Failure("type", [("given", reply["given"])])
        if status == "memory":
            return _Failure("memory", [("error", "MemoryError")])
        if case.expected is None:
            return None
        expected = case.expected
        given = np.asarray(output)
        lines = [("expected", short(expected)), ("given", short(given))]
        if given.shape != expected.shape:
            lines = [("expected", f"shape {expected.shape}"), ("given", f"shape {given.shape}")]
            return _Failure("scalar" if expected.ndim == 0 else "shape", lines)
        given64 = given.astype(np.float64)
        good = np.isclose(given64, expected, rtol=case.rtol, atol=case.atol) | (
            np.isinf(expected) & (given64 == expected))
        if good.all():
            return None
        lines = self._shown(expected, given64, lines)
        if np.isnan(given64).any():
            kind = "nan"
        elif (np.isinf(given64) & ~np.isinf(expected)).any():
            kind = "overflow"
        else:
            kind = "value"
        if float32 and kind != "value":
            kind = "float32"
        if reply["warnings"]:
            lines.append(("warning", self.warning(reply["warnings"][0])))
        return _Failure(kind, lines)

    @staticmethod
    def _shown(expected: Any, given: Any, lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if lines[0][1] != lines[1][1]:
            return lines
        # Close enough to print the same at 6 digits: show all of them and the gap.
        worst = np.nanmax(np.abs(given - expected) / np.maximum(np.abs(expected), 1e-300))
        return [("expected", short(expected, precision=17)),
                ("given", short(given, precision=17)),
                ("difference", f"{worst:.1e} relative (the test allows 1e-9)")]

    def warning(self, item: dict[str, Any]) -> str:
        where = ""
        if Path(item["file"]).resolve() == self.path.resolve():
            where = f" ({self.shown}, line {item['line']})"
        return f"{item['category']}: {item['message']}{where}"

    def failed(self, name: str, case: C.Case, reply: dict[str, Any], output: Any,
               failure: _Failure) -> TestResult:
        inputs = [("input", f"{k} = {short(v)}") for k, v in case.inputs.items()]
        hint = self.diagnose(name, case, reply, output, failure)
        return TestResult(name, False, case.name, inputs + failure.details, failure.traceback,
                          hint)

    def diagnose(self, name: str, case: C.Case, reply: dict[str, Any], output: Any,
                 failure: _Failure) -> str | None:
        if failure.kind in ("starter", "none", "type", "memory"):
            return GENERAL_HINTS[failure.kind]
        mistake = self.matching_mistake(name, case, reply, output)
        if mistake is not None:
            return mistake.hint
        messages = " ".join(w["message"] for w in reply["warnings"])
        kind = failure.kind
        if kind in ("nan", "overflow", "value", "warning"):
            if "overflow" in messages:
                kind = "overflow"
            elif "divide by zero encountered in log" in messages:
                kind = "log-zero"
            elif "invalid value" in messages and kind != "warning":
                kind = "nan"
        if kind == "scalar":
            return GENERAL_HINTS["scalar"]
        if kind == "exception":
            if "is out of bounds for array of dimension" in reply.get("error", ""):
                return GENERAL_HINTS["axis"]
            return None  # their traceback says it best
        return self.drill.hint(kind) or GENERAL_HINTS.get(kind)

    def matching_mistake(self, name: str, case: C.Case, reply: dict[str, Any],
                         output: Any) -> Mistake | None:
        # The mistakes known to fail at this rung are tried first: on a given
        # input two mistakes can agree (naive exp and clipped logits in float32).
        ordered = sorted(self.drill.mistakes, key=lambda m: m.fails_at != name)
        for mistake in ordered:
            if mistake.fails_at == "vectorised":
                continue
            try:
                (theirs, their_output), = self.run([case], mistake=mistake, timeout=self.timeout)
            except (TimedOut, ChildDied):
                return None
            if _same(reply, output, theirs, their_output, warnings=name == "no-warnings"):
                return mistake
        return None


def _same(mine: dict[str, Any], output: Any, theirs: dict[str, Any], their_output: Any,
          warnings: bool) -> bool:
    if mine["status"] != theirs["status"]:
        return False
    if mine["status"] == "exception":
        return bool(mine["error"] == theirs["error"])
    if mine["status"] != "ok":
        return True
    if warnings:
        their_messages = {w["message"] for w in theirs["warnings"]}
        if not {w["message"] for w in mine["warnings"]} <= their_messages:
            return False
    a, b = np.asarray(output, dtype=np.float64), np.asarray(their_output, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
