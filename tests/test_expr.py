"""The safe expression evaluator: what it accepts, what it refuses, and fuzzing."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentcli.errors import ExpressionError
from xentcli.quiz.expr import (
    MAX_LENGTH,
    Function,
    evaluate_answer,
    evaluate_formula,
    format_value,
    formula_namespace,
)

# ------------------------------------------------------------------ user answers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("1/6", 1 / 6),
        ("2.5e-3", 0.0025),
        ("1E2", 100.0),
        ("-ln(0.7)", -math.log(0.7)),
        ("log(0.7)", math.log(0.7)),
        ("log2(8)/3", 1.0),
        ("log10(1000)", 3.0),
        ("1 - 0.3^2", 0.91),
        ("1 - 0.3**2", 0.91),
        ("2^-3", 0.125),
        ("2^3^2", 512.0),  # right-associative, as in maths
        ("-2^2", -4.0),
        ("(1 + 2) * 3", 9.0),
        ("exp(0)", 1.0),
        ("sqrt(16)", 4.0),
        ("e", math.e),
        ("pi", math.pi),
        ("abs(-0.25)", 0.25),
        ("  0.25  ", 0.25),
        ("\u22120.5", -0.5),  # a typographic minus
        ("2 \u00d7 3", 6.0),
        ("0.5 nats", 0.5),
        ("1 bit", 1.0),
        ("-(0.2*ln(0.2) + 0.3*ln(0.3) + 0.5*ln(0.5))", 1.0296530140645737),
        ("log(8, 2)", 3.0),
        ("sigmoid(0)", 0.5),
        ("max(1, 2)", 2.0),
    ],
)
def test_answers_are_evaluated(text: str, expected: float) -> None:
    assert evaluate_answer(text) == pytest.approx(expected, rel=1e-12)


def test_answers_are_floats() -> None:
    value = evaluate_answer("3")
    assert type(value) is float


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("9**9**9", "9 ** 387420489 is too large"),
        ("0.36 (approx)", "a number cannot be followed by '(' (write * to multiply)"),
        ("2(3)", "a number cannot be followed by '(' (write * to multiply)"),
        ("9^9^9", "9 ** 387420489 is too large"),
        ("10**10**10", "10 ** 10000000000 is too large"),
        ("2.0**10000", "2 ** 10000 is too large"),
        ("1/0", "division by zero"),
        ("1/(1-1)", "division by zero"),
        ("0^-1", "division by zero (0 to a negative power)"),
        ("ln(-1)", "the log of a negative number (-1) is undefined"),
        ("ln(0)", "the log of 0 is minus infinity"),
        ("log2(-8)", "the log of a negative number (-8) is undefined"),
        ("sqrt(-4)", "the square root of a negative number (-4) is not real"),
        ("exp(1000)", "exp(1000) is too large"),
        ("1e308 * 10", "the result of 1e+308 * 10 is too large"),
        ("1e999", "a number in the expression is too large"),
        ("(-8)^(1/3)", "(-8) ** 0.333333 is not a real number "
         "(a negative number to a fractional power)"),
        ("0,5", "a comma is not allowed here (write decimals with a point: 0.5)"),
        ("x", "unknown name 'x' (answers may use numbers, + - * / ^, parentheses, ln, log, "
         "log2, log10, exp, sqrt, e and pi)"),
        ("2 x", "'2 x' is not a number or an arithmetic expression"),
        ("ln 2", "'ln 2' is not a number or an arithmetic expression"),
        ("__import__('os')", "text in quotes cannot be used in an answer"),
        ("().__class__", "attribute access ('.') cannot be used in an answer"),
        ("(1).real", "attribute access ('.') cannot be used in an answer"),
        ("[1, 2]", "lists cannot be used in an answer"),
        ("1 < 2", "comparisons cannot be used in an answer"),
        ("7 // 2", "'//' (floor division) cannot be used in an answer"),
        ("7 % 2", "'%' cannot be used in an answer"),
        ("lambda: 1", "lambda cannot be used in an answer"),
        ("True", "'True' cannot be used in an answer"),
        ("1j", "complex numbers are not allowed"),
        ("ln(2)(3)", "only named functions can be called, like ln(2)"),
        ("e(2)", "'e' is not a function"),
        ("ln(2, 3, 4)", "ln(): takes from 1 to 2 positional arguments but 3 were given"),
        ("exp(base=2)", "keyword arguments cannot be used in an answer"),
        ("-" * 150 + "1", "the expression is nested too deeply (more than 100 levels)"),
        ("1" + "+1" * 150, "the expression is nested too deeply (more than 100 levels)"),
        ("1" * (MAX_LENGTH + 1), "the expression is too long (501 characters; the limit is 500)"),
        ("9" * 400, "a number in the expression is too large"),
        # The limit counts what was typed, a unit included; and the unit is taken off
        # only after the check, so a pasted line of 100,000 spaces cannot stall it.
        ("1" + " " * MAX_LENGTH + "bits",
         "the expression is too long (505 characters; the limit is 500)"),
        (" " * 100_000 + "x", "the expression is too long (100001 characters; the limit is 500)"),
    ],
)
def test_bad_answers_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_answer(text)
    assert str(info.value) == message


def test_formula_names_are_not_available_to_answers() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'onehot'"):
        evaluate_answer("onehot(3, 1)")


# ---------------------------------------------------------------------- formulas


def test_formulas_use_names_lists_indexing_and_logic() -> None:
    names = {"p": [0.2, 0.3, 0.5], "y": 2, "k": 3, "label": "dog"}
    assert evaluate_formula("p[y]", names) == 0.5
    assert evaluate_formula("p[-1]", names) == 0.5
    assert evaluate_formula("[p[0], 1 - p[0]]", names) == [0.2, 0.8]
    assert evaluate_formula("onehot(k, y)", names) == [0, 0, 1]
    assert evaluate_formula("len(p) == k and p[0] < p[1] < p[2]", names) is True
    assert evaluate_formula("not (label == 'cat')", names) is True
    assert evaluate_formula("sum(p)", names) == 1.0
    assert evaluate_formula("min(p) + max(1, 2)", names) == pytest.approx(2.2)
    assert evaluate_formula("round(0.123456, 3)", names) == 0.123
    assert evaluate_formula("sigmoid([0, 0])", names) == [0.5, 0.5]
    assert evaluate_formula("1 / inf", names) == 0.0


def test_and_short_circuits_so_guards_work() -> None:
    assert evaluate_formula("y < len(p) and p[y] > 0", {"p": [0.5, 0.5], "y": 5}) is False


def test_names_shadow_built_ins() -> None:
    assert evaluate_formula("e", {"e": 2}) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p[3]", "index 3 is out of range for a list of 3 items"),
        ("p[0.5]", "an index must be a whole number, not 0.5"),
        ("p[0:2]", "slices cannot be used in a formula"),
        ("y[0]", "only lists can be indexed, not a number"),
        ("p + 1", "'+' needs numbers, not a list"),
        ("p * 10**9", "'*' needs numbers, not a list"),
        ("'ab' * 10**9", "'*' needs numbers, not text"),
        ("onehot(10**9, 0)", "onehot(): the size must be between 1 and 1000, not 1000000000"),
        ("onehot(3, 3)", "onehot(): index 3 is out of range for size 3"),
        ("nope + 1", "unknown name 'nope'"),
        ("p(1)", "'p' is not a function"),
        ("p < 1", "cannot order a list and a number"),
        ("f(**d)", "'**' unpacking is not allowed"),
        ("x if y else 1", "'if ... else' cannot be used in a formula"),
        ("[x for x in p]", "comprehensions cannot be used in a formula"),
        ("p.count", "attribute access ('.') cannot be used in a formula"),
        ("p.count(1)", "only named functions can be called, like ln(2)"),
        ("exp(base=2)", "exp() takes no keyword arguments"),
        ("1 in p", "'in' cannot be used in a formula"),
        ("{1: 2}", "dictionaries cannot be used in a formula"),
        ("inf - inf", "the expression does not give a number (NaN)"),
        ("ln(p)", "ln() needs a number, not a list"),
    ],
)
def test_bad_formulas_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_formula(text, {"p": [0.2, 0.3, 0.5], "y": 1})
    assert str(info.value) == message


def test_plain_python_callables_in_names_cannot_be_called() -> None:
    with pytest.raises(ExpressionError, match="'f' has a value the expression cannot use"):
        evaluate_formula("f()", {"f": print})


def test_namespace_lists_the_spec_functions() -> None:
    names = formula_namespace()
    for name in ("ln", "log", "log2", "log10", "exp", "sqrt", "abs", "min", "max", "sum",
                 "len", "round", "sigmoid", "onehot", "cross_entropy", "entropy", "surprisal",
                 "binary_cross_entropy", "kl_divergence", "focal_loss", "softmax",
                 "log_softmax", "logsumexp", "cross_entropy_grad"):
        assert isinstance(names[name], Function), name
    assert names["e"] == math.e and names["pi"] == math.pi and names["inf"] == math.inf


def test_core_functions_are_callable_from_formulas() -> None:
    # Hand-computed: the dog example, -ln 0.7.
    names = {"q": [0.1, 0.2, 0.7], "base": 2}
    assert evaluate_formula("cross_entropy(2, q)", names) == pytest.approx(0.35667494393873245)
    assert evaluate_formula("cross_entropy(2, q, base=base)", names) == pytest.approx(
        0.35667494393873245 / math.log(2)
    )
    assert evaluate_formula("entropy([0.5, 0.5], base=2)", names) == pytest.approx(1.0)
    assert evaluate_formula("softmax([0, 0])", names) == pytest.approx([0.5, 0.5])
    assert evaluate_formula("surprisal(q)[2]", names) == pytest.approx(0.35667494393873245)


def test_core_errors_become_expression_errors() -> None:
    with pytest.raises(ExpressionError, match=r"^cross_entropy\(\): "):
        evaluate_formula("cross_entropy(5, [0.1, 0.9])", {})
    with pytest.raises(ExpressionError, match=r"^entropy\(\): "):
        evaluate_formula("entropy([0.5, 0.5], bse=2)", {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entropy([0.5, 0.5]) * 1e308 * 1e308", "the result of 6.93147e+307 * 1e+308 is too large"),
        ("entropy([0.5, 0.5]) * inf - inf", "the expression does not give a number (NaN)"),
    ],
)
def test_core_results_are_plain_floats(text: str, message: str) -> None:
    # A numpy float would overflow with a RuntimeWarning instead of this error.
    assert type(evaluate_formula("entropy([0.5, 0.5])", {})) is float
    with pytest.raises(ExpressionError) as info:
        evaluate_formula(text, {})
    assert str(info.value) == message


# ------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.35667494393873245, "0.356675"),
        (0.2, "0.2"),
        (1e-07, "1e-07"),
        (3.0, "3"),
        (2, "2"),
        ([0.2, 0.3, 0.5], "[0.2, 0.3, 0.5]"),
        ([0, 1, 0], "[0, 1, 0]"),
        ("nats", "nats"),
        (True, "true"),
    ],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


# ---------------------------------------------------------------------- fuzzing

# Inputs are bounded (at most a few hundred characters), so each example is quick;
# a hang (9**9**9 evaluated naively runs for hours) would stop the suite, not pass.
_FUZZ = settings(max_examples=max(200, settings.default.max_examples))

_TOKENS = st.sampled_from(
    [
        "0", "1", "2", "9", "0.5", "1e308", "1e-308", "10", "99999999", ".", "e", "pi",
        "+", "-", "*", "/", "**", "^", "(", ")", "(", ")", "[", "]", ",", " ",
        "ln(", "log(", "log2(", "exp(", "sqrt(", "abs(", "sigmoid(", "max(", "min(",
        "p", "y", "k", "onehot(", "sum(", "len(", "round(", "<", "==", " and ", " not ",
        "'a'", "inf", "=", "base=", "x.", "lambda", "__", "%", "//",
    ]
)
_EXPRESSIONS = st.lists(_TOKENS, max_size=160).map("".join)
_NAMES = {"p": [0.2, 0.3, 0.5], "y": 1, "k": 3}


@_FUZZ
@given(st.one_of(st.text(max_size=MAX_LENGTH + 20), _EXPRESSIONS))
def test_fuzz_answers_give_a_finite_float_or_an_expression_error(text: str) -> None:
    try:
        value = evaluate_answer(text)
    except ExpressionError as exc:
        assert str(exc)
    else:
        assert isinstance(value, float) and math.isfinite(value)


@_FUZZ
@given(_EXPRESSIONS)
def test_fuzz_formulas_give_a_value_or_an_expression_error(text: str) -> None:
    try:
        evaluate_formula(text, _NAMES)
    except ExpressionError as exc:
        assert str(exc)


@_FUZZ
@given(
    st.recursive(
        st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=False).map(repr)),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(
                lambda t: f"({t[0]}){t[1]}({t[2]})"
            ),
            inner.map(lambda s: f"-({s})"),
            st.tuples(st.sampled_from(["ln", "exp", "sqrt", "log2", "abs"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
        ),
        max_leaves=30,
    )
)
def test_fuzz_well_formed_arithmetic(text: str) -> None:
    try:
        value = evaluate_answer(text)
    except ExpressionError as exc:
        assert str(exc)
    else:
        assert math.isfinite(value)


def test_new_core_measures_are_callable_from_formulas() -> None:
    # Worked by hand: JS of disjoint distributions is 1 bit; a uniform guess over
    # 4 classes has perplexity 4; Brier of [0.7, 0.2, 0.1] for class 0 is
    # 0.09 + 0.04 + 0.01; torchvision's focal of p = 0.8, y = 1 is 0.2^2 * -ln 0.8;
    # both rows in the (0.8, 0.8667] bin of 15, one right: |1 - 1.7| / 2.
    names = {"q": [0.7, 0.2, 0.1]}
    assert evaluate_formula("js_divergence([1, 0], [0, 1], base=2)", names) == pytest.approx(1.0)
    assert evaluate_formula(
        "js_divergence([1, 0], [0, 1], base=2, distance=True)", names
    ) == pytest.approx(1.0)
    u = "[0.25, 0.25, 0.25, 0.25]"
    assert evaluate_formula(f"perplexity([0, 3], [{u}, {u}])", names) == pytest.approx(4.0)
    assert evaluate_formula("brier_score(0, q)", names) == pytest.approx(0.14)
    assert evaluate_formula("sigmoid_focal_loss(1, 0.8)", names) == pytest.approx(
        0.04 * -math.log(0.8)
    )
    assert evaluate_formula(
        "expected_calibration_error([0, 1], [[0.85, 0.15], [0.85, 0.15]])", names
    ) == pytest.approx(0.35)
    assert evaluate_formula(
        "cross_entropy([2, -100], [q, q], ignore_index=-100)", names
    ) == pytest.approx(-math.log(0.1))
    with pytest.raises(ExpressionError, match=r"^js_divergence\(\): P has 2 values but Q has 3$"):
        evaluate_formula("js_divergence([0.5, 0.5], q)", names)
