"""Vector parsing (inline, files, stdin) and the argument reordering for negative numbers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xentcli.cli.calc import reader
from xentcli.cli.calc.format import json_numbers
from xentcli.cli.calc.group import looks_numeric, reorder
from xentcli.cli.calc.inputs import parse_number, parse_vector, target_for
from xentcli.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.2,0.3,0.5", [0.2, 0.3, 0.5]),
        ("0.2 0.3 0.5", [0.2, 0.3, 0.5]),
        ("0.2, 0.3, 0.5", [0.2, 0.3, 0.5]),
        ("[0.2, 0.3, 0.5]", [0.2, 0.3, 0.5]),
        ("(0.2, 0.3, 0.5)", [0.2, 0.3, 0.5]),
        ('"0.2 0.3 0.5"', [0.2, 0.3, 0.5]),
        ("  0.2\t0.3   0.5 ", [0.2, 0.3, 0.5]),
        ("1/6,5/6", [1 / 6, 5 / 6]),
        ("1 / 4, 3/4", [0.25, 0.75]),
        ("1e-3,2.5E+2,.5,5.", [0.001, 250.0, 0.5, 5.0]),
        ("-1,0,2", [-1.0, 0.0, 2.0]),
        ("+1,-0.5", [1.0, -0.5]),
        ("\u22121,0,2", [-1.0, 0.0, 2.0]),
        ("-inf,0,1", [-np.inf, 0.0, 1.0]),
        ("-Infinity,0", [-np.inf, 0.0]),
        ("0.2,0.8,", [0.2, 0.8]),
        ("-1/2,1/2", [-0.5, 0.5]),
    ],
)
def test_inline_vectors(text: str, expected: list[float]) -> None:
    vector = parse_vector(text, "P")
    assert vector.values.tolist() == expected
    assert vector.values.dtype == np.float64
    assert not vector.lone


@pytest.mark.parametrize(
    "text",
    ["0.2,0.8;0.5,0.5", "[[0.2, 0.8], [0.5, 0.5]]", "[0.2, 0.8], [0.5, 0.5]", "0.2 0.8\n0.5 0.5"],
)
def test_inline_rows(text: str) -> None:
    assert parse_vector(text, "P").values.tolist() == [[0.2, 0.8], [0.5, 0.5]]


def test_a_lone_number_is_marked_lone() -> None:
    vector = parse_vector("2", "TARGET")
    assert vector.lone
    assert vector.values.tolist() == [2.0]


def test_blank_lines_and_outer_semicolons_are_layout() -> None:
    for text in ("0.2,0.8;0.5,0.5;", ";0.2,0.8;0.5,0.5", "0.2,0.8\n\n0.5,0.5\n"):
        assert parse_vector(text, "P").values.tolist() == [[0.2, 0.8], [0.5, 0.5]], text


def test_nan_is_parsed_and_left_for_the_core_to_refuse() -> None:
    assert np.isnan(parse_vector("nan,1", "P").values[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "PRED is empty: give numbers like 0.2,0.3,0.5"),
        ("   ", "PRED is empty: give numbers like 0.2,0.3,0.5"),
        ("[]", "PRED is empty: give numbers like 0.2,0.3,0.5"),
        (",,", "PRED: empty value (index 0): two commas in a row?"),
        ("0.1,,0.9", "PRED: empty value (index 1): two commas in a row?"),
        ("0.5,abc", "PRED: 'abc' is not a number (index 1)"),
        ("1/0", "PRED: '1/0' divides by zero (index 0)"),
        ("1/x", "PRED: '1/x' is not a number (index 0)"),
        ("0x10", "PRED: '0x10' is not a number (index 0)"),
        ("1_000", "PRED: '1_000' is not a number (index 0)"),
        ("1,2;3", "PRED: row 1 has 1 value but row 0 has 2"),
        ("1,2;3,x", "PRED: 'x' is not a number (row 1, index 1)"),
        ("1,0;;0,1", "PRED: empty row in '1,0;;0,1': two semicolons in a row?"),
        ("@", "PRED: '@' must be followed by a file name"),
        ("@a\x00b", "PRED: '@a\\x00b' is not a valid file name"),
        ("0.5," + "9" * 60 + "z", "PRED: '" + "9" * 37 + "...' is not a number (index 1)"),
    ],
)
def test_inline_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_vector(text, "PRED")
    assert str(caught.value) == message


def test_parse_number_forms() -> None:
    assert parse_number("1/3", "P") == 1 / 3
    assert parse_number(" -2e-3 ", "P") == -0.002
    assert parse_number("inf", "P") == np.inf
    with pytest.raises(InputError, match=r"^P: '1/0' divides by zero$"):
        parse_number("1/0", "P")


# ------------------------------------------------------------------------ files


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return f"@{path}"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.csv", "0.2,0.3,0.5\n0.1,0.2,0.7\n"),
        ("p.tsv", "0.2\t0.3\t0.5\n0.1\t0.2\t0.7\n"),
        ("p.txt", "0.2 0.3 0.5\n0.1  0.2 0.7"),
        ("h.csv", "p0,p1,p2\n0.2,0.3,0.5\n0.1,0.2,0.7\n"),
        ("c.csv", "# predictions\n0.2, 0.3, 0.5\n\n0.1, 0.2, 0.7  # last\n"),
        ("b.txt", "[0.2, 0.3, 0.5],\n[0.1, 0.2, 0.7]\n"),
        ("f.txt", "1/5 3/10 1/2\n0.1 0.2 0.7\n"),
        ("crlf.csv", "0.2,0.3,0.5\r\n0.1,0.2,0.7\r\n"),
        ("bom.csv", "\ufeff0.2,0.3,0.5\n0.1,0.2,0.7\n"),
    ],
)
def test_text_files(tmp_path: Path, name: str, text: str) -> None:
    vector = parse_vector(_write(tmp_path, name, text), "PRED")
    assert vector.values.tolist() == [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7]]
    assert not vector.from_text


def test_one_row_file_is_one_vector(tmp_path: Path) -> None:
    assert parse_vector(_write(tmp_path, "p.csv", "0.2,0.8\n"), "P").values.tolist() == [0.2, 0.8]


def test_npy_file(tmp_path: Path) -> None:
    path = tmp_path / "z.npy"
    np.save(path, np.array([[1, 2], [3, 4]], dtype=np.int32))
    vector = parse_vector(f"@{path}", "Z")
    assert vector.values.dtype == np.float64
    assert vector.values.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_npy_content_under_another_name(tmp_path: Path) -> None:
    path = tmp_path / "z.bin"
    with path.open("wb") as stream:
        np.save(stream, np.array([0.5, 0.5]))
    assert parse_vector(f"@{path}", "P").values.tolist() == [0.5, 0.5]


def test_object_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "o.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError) as caught:
        parse_vector(f"@{path}", "P")
    assert str(caught.value) == f"P: @{path} is not a numeric .npy array"


def test_file_errors(tmp_path: Path) -> None:
    cases = {
        "@missing.csv": "PRED: @missing.csv: no such file",
        f"@{tmp_path}": f"PRED: @{tmp_path}: is a directory, not a file",
    }
    binary = tmp_path / "garbage.dat"
    binary.write_bytes(bytes(range(256)))
    cases[f"@{binary}"] = f"PRED: @{binary} is not a text file (nor a .npy array)"
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"0.5 0.5\n\xff\xfe\n")
    cases[f"@{latin}"] = f"PRED: @{latin} is not a text file (nor a .npy array)"
    bad = _write(tmp_path, "bad.csv", "0.2,0.8\n0.5,abc\n")
    cases[bad] = f"PRED: 'abc' is not a number ({bad} line 2, index 1)"
    ragged = _write(tmp_path, "ragged.csv", "0.2,0.8\n\n0.1,0.2,0.7\n")
    cases[ragged] = f"PRED: {ragged} line 3 has 3 values but the lines before have 2"
    empty = _write(tmp_path, "empty.csv", "# nothing here\n\n")
    cases[empty] = f"PRED: {empty} holds no numbers"
    for source, message in cases.items():
        with pytest.raises(InputError) as caught:
            parse_vector(source, "PRED")
        assert str(caught.value) == message, source


def test_chunks_keep_line_numbers_and_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "CHUNK_LINES", 4)
    lines = [f"{i},{1 - i / 10}" for i in range(10)]
    ok = _write(tmp_path, "ok.csv", "\n".join(lines) + "\n")
    assert parse_vector(ok, "P").values.shape == (10, 2)
    lines[9] = "1/2,1/2"  # a fraction, only in the last chunk
    frac = _write(tmp_path, "frac.csv", "\n".join(lines) + "\n")
    assert parse_vector(frac, "P").values[9].tolist() == [0.5, 0.5]
    lines[6] = "0.5,zz"
    bad = _write(tmp_path, "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"\(@.*bad\.csv line 7, index 1\)$"):
        parse_vector(bad, "P")
    lines[6] = "0.5,0.5,0"  # a row of another width, alone in its chunk
    wide = _write(tmp_path, "wide.csv", "\n".join(lines[:4]) + "\n" + lines[6] + "\n")
    with pytest.raises(InputError, match="line 5 has 3 values but the lines before have 2$"):
        parse_vector(wide, "P")


def test_chunked_file_equals_the_inline_rows_with_comments_header_and_no_final_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "CHUNK_LINES", 3)
    rows = [[i / 10, 1 - i / 10] for i in range(11)]
    text = ["p0,p1", "# a comment", ""] + [f"{a},{b}" for a, b in rows]
    path = _write(tmp_path, "rows.csv", "\n".join(text))  # last line without newline
    got = parse_vector(path, "P").values
    np.testing.assert_array_equal(got, np.array(rows))
    assert got.shape == (11, 2)


def test_large_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = rng.dirichlet(np.ones(4), size=150_000)
    path = tmp_path / "big.csv"
    np.savetxt(path, data, delimiter=",", fmt="%.17g")
    vector = parse_vector(f"@{path}", "P")
    np.testing.assert_array_equal(vector.values, data)
    assert vector.echo() == {"source": f"@{path}", "shape": [150_000, 4]}


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("0.2 0.8\n0.5 0.5\n"))
    assert parse_vector("-", "P").values.tolist() == [[0.2, 0.8], [0.5, 0.5]]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(InputError, match="^P: standard input holds no numbers$"):
        parse_vector("-", "P")


# ---------------------------------------------------------------------- targets


def test_target_for_class_indices() -> None:
    pred = parse_vector("0.1,0.2,0.7", "PRED")
    assert target_for(parse_vector("2", "TARGET"), pred).shape == ()
    batch = parse_vector("0.1,0.9;0.8,0.2;0.5,0.5", "PRED")
    assert target_for(parse_vector("1;0;1", "TARGET"), batch).tolist() == [1.0, 0.0, 1.0]
    one = parse_vector("1", "PRED")
    assert target_for(parse_vector("1", "TARGET"), one).shape == (1,)  # a distribution
    dense = parse_vector("0,0,1", "TARGET")
    assert target_for(dense, pred).tolist() == [0.0, 0.0, 1.0]


def test_json_numbers_are_strict() -> None:
    assert json_numbers(np.array([[1.0, -np.inf]])) == [[1.0, "-Infinity"]]
    assert json_numbers(np.float64(np.inf)) == "Infinity"


# -------------------------------------------------------------- negative numbers


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-1,0,2"], ["--", "-1,0,2"]),
        (["-1"], ["--", "-1"]),
        (["-0.5,0.5", "-q"], ["-q", "--", "-0.5,0.5"]),
        (["2", "-1,0,1", "--logits", "--base", "2"], ["--logits", "--base", "2", "--", "2", "-1,0,1"]),
        (["--alpha", "-0.5", "1,0", "0.5,0.5"], ["--alpha", "-0.5", "--", "1,0", "0.5,0.5"]),
        (["--base=2", "-inf,0"], ["--base=2", "--", "-inf,0"]),
        (["-q", "--", "-x"], ["-q", "--", "-x"]),
        (["--help"], ["--help"]),
        (["-", "--json"], ["--json", "--", "-"]),
        (["--bogus", "0.5"], ["--bogus", "--", "0.5"]),
        (["--base"], ["--base"]),
    ],
)
def test_reorder(args: list[str], expected: list[str]) -> None:
    assert reorder(args, {"--base", "--alpha"}) == expected


def test_looks_numeric() -> None:
    assert all(looks_numeric(w) for w in ("-1", "-.5", "-0.5,0.5", "-inf", "-NaN", "\u22121"))
    assert not any(looks_numeric(w) for w in ("-q", "--log", "-", "--", "-h", "-x1"))


# ------------------------------------------------------- sources read only once


def _fifo(tmp_path: Path, name: str, data: bytes) -> tuple[str, Any]:
    """A named pipe fed by a thread: it can be read once, like @<(...)."""
    import os
    import threading

    path = tmp_path / name
    os.mkfifo(path)

    def feed() -> None:
        with path.open("wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return f"@{path}", writer


def test_a_fifo_is_read_once(tmp_path: Path) -> None:
    source, writer = _fifo(tmp_path, "rows", b"p0,p1\n0.2,0.8\n# note\n0.5,0.5\n")
    assert parse_vector(source, "P").values.tolist() == [[0.2, 0.8], [0.5, 0.5]]
    writer.join(5)


def test_a_npy_array_through_a_fifo(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[0.25, 0.75], [1.0, 0.0]], dtype=np.float32))
    source, writer = _fifo(tmp_path, "arr", buffer.getvalue())
    got = parse_vector(source, "P").values
    writer.join(5)
    assert got.dtype == np.float64
    assert got.tolist() == [[0.25, 0.75], [1.0, 0.0]]


def test_a_npy_file_is_mapped_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    np.save(path, np.arange(12.0).reshape(6, 2))
    rows = reader.open_rows(f"@{path}", "P")
    try:
        assert rows.total == 6
        assert rows.take(4).tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
        assert rows.take(4).tolist() == [[8, 9], [10, 11]]
        assert rows.done
    finally:
        rows.close()


def test_text_rows_come_in_blocks_with_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "CHUNK_LINES", 2)
    path = _write(tmp_path, "r.csv", "a,b\n1,2\n3,4\n\n5,6\n7,x\n")
    rows = reader.open_rows(path, "P")
    try:
        assert rows.take(2).tolist() == [[1, 2], [3, 4]]
        with pytest.raises(InputError, match=r"^P: 'x' is not a number \(.*r\.csv line 6, index 1\)$"):
            rows.take(3)
    finally:
        rows.close()


def test_mapped_pages_already_read_are_handed_back(tmp_path: Path) -> None:
    path = tmp_path / "big.npy"
    data = np.random.default_rng(5).normal(size=(10_000, 4))
    np.save(path, data)
    rows = reader.open_rows(f"@{path}", "Z")
    try:
        got = [rows.take(1000) for _ in range(10)]
        assert rows._released == 9000  # all but the block in hand
        np.testing.assert_array_equal(np.concatenate(got), data)  # the data is intact
    finally:
        rows.close()
