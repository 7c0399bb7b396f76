"""`xent calc`: cases found in a hands-on review (worked solutions, layouts, edges).

Expected values are hand computations with ``math``, not calls to the core.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from typer.testing import CliRunner

from xentcli.cli.app import app

runner = CliRunner()


def calc(*args: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning must never reach the user
        result = runner.invoke(app, ["calc", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def explain(*args: str) -> list[str]:
    result = calc(*args, "--explain")
    assert result.exit_code == 0, result.stderr
    lines: list[str] = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [x for x in lines if len(x) > 80]
    return lines


def test_huge_logits_explain_without_numpy_warnings() -> None:
    # exp(-1e308 - 1e308) overflows the subtraction to -inf: exp gives 0, silently.
    for args in (
        ["softmax", "1e308,-1e308"],
        ["ce", "0", "1e308,-1e308", "--logits"],
        ["grad", "0", "1e308,-1e308"],
        ["focal", "0", "1e308,-1e308", "--logits"],
    ):
        lines = explain(*args)
        assert any(line.startswith("Result") for line in lines), args
    assert "  exp(z - 1e+308) = [1, 0]" in explain("ce", "0", "1e308,-1e308", "--logits")


def test_explain_says_which_left_out_terms_are_zero() -> None:
    # 20 equally likely classes: every term is -(1/20) ln(1/20) = ln(20)/20, none is 0.
    lines = explain("entropy", ",".join(["1/20"] * 20))
    assert f"  i=11:  -0.05 · ln 0.05 = {math.log(20) / 20:.6g}" in lines
    assert "  ... 8 more classes, not shown (their terms are in the sum)" in lines
    assert not any("with a term of 0" in line for line in lines)
    # 5 impossible classes and 15 at 1/15: 12 shown, 3 non-zero and 5 zero ones left out.
    lines = explain("entropy", ",".join(["0"] * 5 + ["1/15"] * 15))
    assert "  ... 8 more classes, not shown (3 with a non-zero term, in the sum)" in lines
    assert f"H(P) = sum of the 20 terms = {math.log(15):.6g} nats" in lines
    # A one-hot target over 20 classes: 19 zero terms left out.
    pred = ",".join(["0.05"] * 20)
    lines = explain("ce", "3", pred)
    assert "  ... 19 more classes with a term of 0" in lines


def test_explain_grad_says_how_many_classes_are_left_out() -> None:
    lines = explain("grad", "0", ",".join(["0"] * 15))
    # q_i = 1/15 everywhere: q_0 - 1 for the true class, q_i for the others.
    assert f"  i=0:  {1 / 15:.6g} - 1 = {1 / 15 - 1:.6g}" in lines
    assert "  ... 3 more classes, computed the same way" in lines


def test_explain_grad_in_bits_divides_each_line_by_ln_base() -> None:
    # softmax(-1, 0, 2) = (0.0420101, 0.114195, 0.843795); in bits each part / ln 2.
    z = (-1.0, 0.0, 2.0)
    total = sum(math.exp(v) for v in z)
    q = [math.exp(v) / total for v in z]
    lines = explain("grad", "2", "-1,0,2", "--base", "2")
    assert "The loss is in bits, so each component is divided by ln 2:" in lines
    assert f"  i=0:  ({q[0]:.6g} - 0) / ln 2 = {q[0] / math.log(2):.6g}" in lines
    assert f"  i=2:  ({q[2]:.6g} - 1) / ln 2 = {(q[2] - 1) / math.log(2):.6g}" in lines
    lines = explain("grad", "2", "-1,0,2", "--base", "3", "--weights", "1,2,3")
    assert f"  i=1:  (3 · {q[1]:.6g} - 2 · 0) / ln 3 = {3 * q[1] / math.log(3):.6g}" in lines
    assert not any("ln _3" in line for line in lines)
