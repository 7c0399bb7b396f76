"""Batch throughput and memory of xentcli.core against numpy, torch, scipy, sklearn.

Run:  python benchmarks/batch.py [--rows 1000000] [--classes 10] [--repeat 7]

Every contender runs on the same arrays, alternating, in one process; the table
shows median times and the ratio xent / anchor (below 1 means xent is faster),
whether the values agree to 1e-12 relative, and the extra memory xent allocates
(tracemalloc peak) as a fraction of the input's size. Anchors that are not
installed are skipped (torch: `pip install torch==2.13.0`, CPU build).

`--e2e` adds the end-to-end command line (`xent calc ce @labels.npy @logits.npy
--logits -q`) against a python one-liner that loads the same files and calls
the core, and a CSV of the same data against numpy.loadtxt (time and peak RSS).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from xentcli import core


def _optional(name: str) -> Any:
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


torch = _optional("torch")
scipy_special = _optional("scipy.special")
scipy_stats = _optional("scipy.stats")
sk_metrics = _optional("sklearn.metrics")


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alternate(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median seconds per contender, interleaving them so drift hits all alike."""
    for fn in contenders.values():  # warm-up (thread pools, caches)
        fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            samples[name].append(median_time(fn, 1))
    return {name: statistics.median(ts) for name, ts in samples.items()}


def extra_memory(fn: Callable[[], Any], input_bytes: int) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / input_bytes


def as_float(value: Any) -> float:
    return float(value.item() if hasattr(value, "item") else value)


def report(
    title: str,
    ours: Callable[[], Any],
    anchors: dict[str, Callable[[], Any]],
    input_bytes: int,
    repeat: int,
) -> None:
    times = alternate({"xent": ours, **anchors}, repeat)
    value = as_float(ours())
    memory = extra_memory(ours, input_bytes)
    print(f"\n{title}")
    print(f"  xent        {times['xent'] * 1e3:8.1f} ms   extra memory {memory:.3f}x input")
    for name, fn in anchors.items():
        other = as_float(fn())
        agree = abs(other - value) <= 1e-12 * abs(value)
        print(
            f"  {name:<11} {times[name] * 1e3:8.1f} ms   xent/{name} = "
            f"{times['xent'] / times[name]:.2f}   same value to 1e-12: {agree}"
        )


def core_benchmarks(n: int, k: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, k)) * 3
    labels = rng.integers(0, k, n)
    probs = core.softmax(logits)
    soft = core.softmax(rng.standard_normal((n, k)))
    multi = (rng.random((n, k)) < 0.3).astype(np.float64)
    ids = np.arange(n)

    def numpy_ce_logits() -> float:
        m = logits.max(axis=1, keepdims=True)
        shifted = logits - m
        lse = np.log(np.exp(shifted).sum(axis=1))
        return float((lse - shifted[ids, labels]).mean())

    anchors: dict[str, Callable[[], Any]] = {"numpy naive": numpy_ce_logits}
    if scipy_special is not None:
        anchors["scipy"] = lambda: -scipy_special.log_softmax(logits, axis=1)[ids, labels].mean()
    if torch is not None:
        t_logits, t_labels = torch.from_numpy(logits), torch.from_numpy(labels)
        anchors["torch"] = lambda: torch.nn.functional.cross_entropy(t_logits, t_labels)
    report(
        f"cross-entropy from logits, class indices, {n:,} x {k} float64",
        lambda: core.cross_entropy(labels, logits, from_logits=True),
        anchors,
        logits.nbytes,
        repeat,
    )

    def numpy_soft_logits() -> float:
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-(soft * log_q).sum(axis=1).mean())

    anchors = {"numpy naive": numpy_soft_logits}
    if torch is not None:
        t_soft = torch.from_numpy(soft)
        anchors["torch"] = lambda: torch.nn.functional.cross_entropy(t_logits, t_soft)
    report(
        f"cross-entropy from logits, soft targets, {n:,} x {k} float64",
        lambda: core.cross_entropy(soft, logits, from_logits=True),
        anchors,
        logits.nbytes + soft.nbytes,
        repeat,
    )

    anchors = {"numpy naive": lambda: -np.log(probs[ids, labels]).mean()}
    if sk_metrics is not None:
        anchors["sklearn"] = lambda: sk_metrics.log_loss(labels, probs, labels=np.arange(k))
    if torch is not None:
        t_probs = torch.from_numpy(probs)
        anchors["torch"] = lambda: torch.nn.functional.nll_loss(torch.log(t_probs), t_labels)
    report(
        f"cross-entropy from probabilities, class indices, {n:,} x {k} float64",
        lambda: core.cross_entropy(labels, probs),
        anchors,
        probs.nbytes,
        repeat,
    )

    def numpy_bce() -> float:
        return float(
            (np.maximum(logits, 0) - logits * multi + np.log1p(np.exp(-np.abs(logits)))).mean()
        )

    anchors = {"numpy naive": numpy_bce}
    if torch is not None:
        t_multi = torch.from_numpy(multi)
        anchors["torch"] = lambda: torch.nn.functional.binary_cross_entropy_with_logits(
            t_logits, t_multi
        )
    report(
        f"binary cross-entropy from logits (multi-label), {n:,} x {k} float64",
        lambda: core.binary_cross_entropy(multi, logits, from_logits=True),
        anchors,
        logits.nbytes + multi.nbytes,
        repeat,
    )

    anchors = {"numpy naive": lambda: (soft * (np.log(soft) - np.log(probs))).sum(axis=1).mean()}
    if scipy_stats is not None:
        anchors["scipy"] = lambda: scipy_stats.entropy(soft, probs, axis=1).mean()
    if torch is not None:
        anchors["torch"] = lambda: torch.nn.functional.kl_div(
            torch.log(t_probs), t_soft, reduction="batchmean"
        )
    report(
        f"KL divergence over rows, {n:,} x {k} float64",
        lambda: core.kl_divergence(soft, probs),
        anchors,
        soft.nbytes + probs.nbytes,
        repeat,
    )

    anchors = {"numpy naive": lambda: -(soft * np.log(soft)).sum(axis=1).mean()}
    if scipy_stats is not None:
        anchors["scipy"] = lambda: scipy_stats.entropy(soft, axis=1).mean()
    if torch is not None:
        anchors["torch"] = lambda: torch.special.entr(t_soft).sum(dim=1).mean()
    report(
        f"entropy over rows, {n:,} x {k} float64",
        lambda: core.entropy(soft),
        anchors,
        soft.nbytes,
        repeat,
    )

    logits32, soft32 = logits.astype(np.float32), soft.astype(np.float32)
    result = core.cross_entropy(labels, logits32, from_logits=True)
    print(f"\nfloat32 input stays float32: {result.dtype == np.float32} ({result.dtype})")
    if torch is not None:
        t32, t_soft32 = torch.from_numpy(logits32), torch.from_numpy(soft32)
        for what, target, t_target in (("class indices", labels, t_labels),
                                       ("soft targets", soft32, t_soft32)):
            times = alternate({
                "xent": lambda target=target: core.cross_entropy(target, logits32,
                                                                 from_logits=True),
                "torch": lambda t_target=t_target: torch.nn.functional.cross_entropy(
                    t32, t_target),
            }, repeat)
            print(f"  float32 cross-entropy from logits, {what}: xent "
                  f"{times['xent'] * 1e3:.1f} ms, torch {times['torch'] * 1e3:.1f} ms, "
                  f"xent/torch = {times['xent'] / times['torch']:.2f}")


# Runs the command and reports its peak RSS. A child forked from this (large)
# benchmark process would count our pages as its own until it execs, so the
# measured command is started from this small wrapper instead.
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True, check=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(peak, done.stdout.strip())\n"
)


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds (the command and the wrapper's start), peak RSS in MiB, and stdout."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *cmd], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    peak, _, out = done.stdout.strip().partition(" ")
    return wall, int(peak) / 1024, out


def e2e_benchmarks(n: int, k: int, repeat: int) -> None:
    xent = shutil.which("xent", path=str(Path(sys.executable).parent)) or shutil.which("xent")
    if xent is None:
        print("\nend to end: no `xent` on PATH; pip install -e . first")
        return
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((n, k)) * 3
    labels = rng.integers(0, k, n)
    with tempfile.TemporaryDirectory() as tmp:
        lab, log = Path(tmp, "labels.npy"), Path(tmp, "logits.npy")
        np.save(lab, labels)
        np.save(log, logits)
        cli = [xent, "calc", "ce", f"@{lab}", f"@{log}", "--logits", "-q"]
        ref = [sys.executable, "-c",
               "import numpy as np; from xentcli.core import cross_entropy; "
               f"print(cross_entropy(np.load({str(lab)!r}), np.load({str(log)!r}), "
               "from_logits=True))"]
        walls: dict[str, list[float]] = {"cli": [], "ref": []}
        outputs = {}
        for _ in range(repeat):
            for name, cmd in (("cli", cli), ("ref", ref)):
                wall, _, out = _run(cmd)
                walls[name].append(wall)
                outputs[name] = out
        # Both timings include the same small wrapper start, so the ratio stays fair.
        cli_t, ref_t = statistics.median(walls["cli"]), statistics.median(walls["ref"])
        print(f"\nend to end, .npy files, {n:,} x {k}:")
        print(f"  xent calc ce @labels.npy @logits.npy --logits -q   {cli_t * 1e3:.0f} ms")
        print(f"  python: np.load x2 + core.cross_entropy            {ref_t * 1e3:.0f} ms")
        print(f"  ratio {cli_t / ref_t:.2f}   same output: {outputs['cli'] == outputs['ref']}")

        lab_csv, log_csv = Path(tmp, "labels.csv"), Path(tmp, "logits.csv")
        np.savetxt(lab_csv, labels, fmt="%d")
        np.savetxt(log_csv, logits, delimiter=",", fmt="%.17g")
        cli = [xent, "calc", "ce", f"@{lab_csv}", f"@{log_csv}", "--logits", "-q"]
        ref = [sys.executable, "-c",
               "import numpy as np; from xentcli.core import cross_entropy; "
               f"y = np.loadtxt({str(lab_csv)!r}, dtype=np.int64); "
               f"z = np.loadtxt({str(log_csv)!r}, delimiter=','); "
               "print(cross_entropy(y, z, from_logits=True))"]
        results = {}
        for name, cmd in (("cli", cli), ("numpy.loadtxt", ref)):
            results[name] = _run(cmd)
        size = (lab_csv.stat().st_size + log_csv.stat().st_size) / 2**20
        print(f"\nCSV of the same data ({size:.0f} MiB of text):")
        for name, (wall, rss, out) in results.items():
            print(f"  {name:<14} {wall * 1e3:7.0f} ms   peak RSS <= {rss:.0f} MiB   value {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--e2e", action="store_true", help="also time the command line")
    args = parser.parse_args()
    threads = torch.get_num_threads() if torch is not None else "-"
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, cores {os.cpu_count()}, "
          f"torch {torch.__version__ if torch is not None else 'not installed'} "
          f"(threads {threads})")
    core_benchmarks(args.rows, args.classes, args.repeat)
    if args.e2e:
        e2e_benchmarks(args.rows, args.classes, max(5, args.repeat // 2))


if __name__ == "__main__":
    main()
