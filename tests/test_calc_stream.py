"""Large files are reduced block by block: the same value as the whole, row
numbers in errors counted from the file's start, sources read once.

Blocks are made tiny (a few rows) so that small files take the block path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from xentcli.cli.app import app
from xentcli.cli.calc import stream

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, ["calc", *args])


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "CHUNK_VALUES", 12)  # 4 rows of 3 classes per block


def _data(tmp_path: Path, rows: int = 23, k: int = 3) -> dict[str, str]:
    rng = np.random.default_rng(7)
    z = rng.normal(size=(rows, k)) * 3
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p = rng.dirichlet(np.ones(k), size=rows)
    y = rng.integers(0, k, size=rows)
    y_ignored = np.where(rng.random(rows) < 0.3, -100, y)
    files = {"yi": tmp_path / "yi.txt", "s": tmp_path / "s.csv", "z": tmp_path / "z.npy", "y": tmp_path / "y.npy", "q": tmp_path / "q.csv",
             "p": tmp_path / "p.csv", "yt": tmp_path / "y.txt",
             "labels": tmp_path / "labels.csv"}
    np.savetxt(files["yi"], y_ignored, fmt="%d")
    np.savetxt(files["s"], rng.random(rows) * 3, fmt="%.17g")
    np.save(files["z"], z)
    np.save(files["y"], y)
    np.savetxt(files["q"], q, delimiter=",", fmt="%.17g", header="q0,q1,q2", comments="")
    np.savetxt(files["p"], p, delimiter=",", fmt="%.17g")
    np.savetxt(files["yt"], y, fmt="%d")
    np.savetxt(files["labels"], (rng.random((rows, k)) < 0.5).astype(float), delimiter=",")
    return {key: f"@{path}" for key, path in files.items()}


CASES = [
    ["ce", "{y}", "{z}", "--logits"],
    ["ce", "{yt}", "{q}", "--weights", "1,2,0.5", "--label-smoothing", "0.1"],
    ["ce", "{p}", "{q}", "-r", "sum"],
    ["focal", "{y}", "{z}", "--logits", "--gamma", "2", "--alpha", "0.2,0.3,0.5"],
    ["kl", "{p}", "{q}"],
    ["entropy", "{p}", "-b", "2"],
    ["bce", "{labels}", "{q}"],
    ["bce", "{labels}", "{q}", "--label-smoothing", "0.1", "--sample-weights", "{s}"],
    ["ce", "{yi}", "{z}", "--logits", "--ignore-index", "-100", "--sample-weights", "{s}"],
    ["focal", "{yi}", "{q}", "--ignore-index", "-100"],
    ["kl", "{p}", "{q}", "--sample-weights", "{s}"],
    ["js", "{p}", "{q}", "-b", "2"],
    ["js", "{p}", "{q}", "--distance", "-r", "sum"],
    ["perplexity", "{yi}", "{z}", "--logits", "--ignore-index", "-100"],
    ["sigmoid-focal", "{labels}", "{z}", "--logits", "--alpha", "0.25"],
    ["ece", "{y}", "{z}", "--logits", "--bins", "4"],
    ["brier", "{yi}", "{q}", "--ignore-index", "-100", "--sample-weights", "{s}"],
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(c[:1] + c[3:]))
def test_blocks_give_the_value_of_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: list[str]
) -> None:
    files = _data(tmp_path)
    args = [word.format(**files) for word in case]
    whole = run(*args, "--json")
    assert whole.exit_code == 0, whole.stderr
    monkeypatch.setattr(stream, "CHUNK_VALUES", 12)
    blocks = run(*args, "--json")
    assert blocks.exit_code == 0, blocks.stderr
    a, b = json.loads(whole.stdout), json.loads(blocks.stdout)
    assert b["value"] == pytest.approx(a["value"], rel=1e-13)
    assert ("bits_per_token" in a) == ("bits_per_token" in b)
    if "bits_per_token" in a:
        assert b["bits_per_token"] == pytest.approx(a["bits_per_token"], rel=1e-13)
    assert ("bins" in a) == ("bins" in b)
    for bin_a, bin_b in zip(a.get("bins", []), b.get("bins", []), strict=True):
        assert bin_b["rows"] == bin_a["rows"]
        if bin_a["rows"]:
            assert bin_b["confidence"] == pytest.approx(bin_a["confidence"], rel=1e-13)
            assert bin_b["accuracy"] == pytest.approx(bin_a["accuracy"], rel=1e-13)
    assert sum(bin_b["rows"] for bin_b in b.get("bins", [])) in (0, 23)
    # Inputs read in blocks are echoed by source and shape (the whole file's).
    assert {echo["shape"][0] for echo in b["inputs"].values()} == {23}
    weights = b["options"].pop("sample_weights", None)
    assert weights in (None, {"source": files["s"], "shape": [23]})
    a["options"].pop("sample_weights", None)
    assert b["options"] == a["options"]
    assert blocks.stderr == whole.stderr == ""
    # The block path really ran: the value differs when a block is lost.
    monkeypatch.setattr(stream, "_blocks", lambda s, f, n: iter([f]))
    lost = run(*args, "-q")
    assert float(lost.stdout) != pytest.approx(a["value"], rel=1e-13)


@pytest.mark.usefixtures("tiny_blocks")
def test_human_view_counts_every_row(tmp_path: Path) -> None:
    files = _data(tmp_path)
    result = run("ce", files["y"], files["z"], "--logits")
    assert result.exit_code == 0
    assert "(mean over 23 rows)" in result.stdout


@pytest.mark.usefixtures("tiny_blocks")
def test_errors_name_the_row_of_the_file(tmp_path: Path) -> None:
    rows = [[0.2, 0.3, 0.5]] * 10
    rows[9] = [0.2, 0.3, 0.6]
    p = tmp_path / "p.csv"
    np.savetxt(p, np.array(rows), delimiter=",")
    result = run("ce", f"@{p}", f"@{p}")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: PRED row 9 sums to 1.1, not 1 (use --normalize to rescale it)\n"
    rows[9] = [2.0, -1.0, 0.0]
    np.savetxt(p, np.array(rows), delimiter=",")
    good = tmp_path / "good.csv"
    np.savetxt(good, np.array([[0.2, 0.3, 0.5]] * 10), delimiter=",")
    result = run("ce", f"@{good}", f"@{p}")
    assert result.stderr == "Error: PRED looks like logits (row 9, index 0 is 2): add --logits\n"


@pytest.mark.usefixtures("tiny_blocks")
def test_rows_that_do_not_match(tmp_path: Path) -> None:
    files = _data(tmp_path)
    short = tmp_path / "short.txt"
    short.write_text("0\n1\n2\n" * 3)
    result = run("ce", f"@{short}", files["z"], "--logits")
    assert result.exit_code == 2
    assert result.stderr == "Error: TARGET has 9 rows but PRED has more\n"


@pytest.mark.usefixtures("tiny_blocks")
def test_an_infinite_block_gives_an_infinite_mean_with_the_note(tmp_path: Path) -> None:
    q = np.full((10, 2), 0.5)
    q[7] = [1.0, 0.0]
    pred = tmp_path / "q.csv"
    np.savetxt(pred, q, delimiter=",")
    target = tmp_path / "y.txt"
    target.write_text("1\n" * 10)
    result = run("ce", f"@{target}", f"@{pred}", "-q")
    assert result.exit_code == 0
    assert result.stdout == "inf\n"
    assert result.stderr.startswith("Note: the result is infinite: PRED gives probability 0")


def test_explain_reads_whole_and_none_streams_every_row(
    tmp_path: Path, tiny_blocks: None
) -> None:
    files = _data(tmp_path)
    result = run("ce", files["y"], files["z"], "--logits", "-r", "none", "-q")
    assert result.exit_code == 0
    assert len(result.stdout.split()) == 23
    result = run("ce", files["y"], files["z"], "--logits", "--explain")
    assert result.exit_code == 0
    assert "23 rows" in result.stdout


NONE_CASES = [case for case in CASES if case[0] not in ("perplexity", "ece")
              and "-r" not in case]


@pytest.mark.parametrize("case", NONE_CASES, ids=lambda c: " ".join(c[:1] + c[3:]))
def test_reduction_none_streams_the_same_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: list[str]
) -> None:
    files = _data(tmp_path)
    args = [word.format(**files) for word in case] + ["-r", "none", "-q"]
    whole = run(*args)
    assert whole.exit_code == 0, whole.stderr
    monkeypatch.setattr(stream, "CHUNK_VALUES", 12)
    written: list[bool] = []
    real = stream._write_blocks

    def spy(*a: Any, **k: Any) -> Any:
        written.append(True)
        return real(*a, **k)

    monkeypatch.setattr(stream, "_write_blocks", spy)
    blocks = run(*args)
    assert blocks.exit_code == 0, blocks.stderr
    assert written == [True]
    assert blocks.stdout == whole.stdout
    assert blocks.stderr == whole.stderr


@pytest.mark.usefixtures("tiny_blocks")
def test_per_class_options_are_read_once_for_all_blocks(tmp_path: Path) -> None:
    files = _data(tmp_path)
    args = ["ce", files["y"], files["z"], "--logits", "-q", "--weights"]
    inline = run(*args, "1,2,0.5")
    assert inline.exit_code == 0, inline.stderr
    piped = runner.invoke(app, ["calc", *args, "-"], input="1 2 0.5\n")
    assert piped.exit_code == 0, piped.stderr  # standard input is read once, not per block
    assert float(piped.stdout) == pytest.approx(float(inline.stdout), rel=1e-15)
