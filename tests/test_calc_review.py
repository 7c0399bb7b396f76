"""`xent calc`: cases found in a hands-on review (worked solutions, layouts, edges).

Expected values are hand computations with ``math``, not calls to the core.
"""

from __future__ import annotations

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
