"""Templates: {expr}, {expr:fmt}, literal braces, and errors naming the placeholder."""

from __future__ import annotations

import pytest

from xentcli.errors import ExpressionError
from xentcli.quiz.template import compile_template, render

NAMES = {"p": [0.2, 0.3, 0.5], "k": 3, "y": 1, "unit": "bits", "answer": 1.4854752972273344}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no placeholders", "no placeholders"),
        ("p = {p}", "p = [0.2, 0.3, 0.5]"),
        ("{answer:.4f} {unit}", "1.4855 bits"),
        ("{answer}", "1.48548"),
        ("class {y + 1} of {k}", "class 2 of 3"),
        ("{p:.2f}", "[0.20, 0.30, 0.50]"),
        ("{p[y]:.1%}", "30.0%"),
        ("{onehot(k, y)}", "[0, 1, 0]"),
        ("set {{a, b}} and {k}", "set {a, b} and 3"),
        ("{{{k}}}", "{3}"),
        ("{'a:b'}", "a:b"),
        ("{unit:>6}|", "  bits|"),
        ("{k:0>100}", "0" * 99 + "3"),
        ("Σ, ·, −, ε, γ: {k}", "Σ, ·, −, ε, γ: 3"),
        ("", ""),
    ],
)
def test_render(text: str, expected: str) -> None:
    assert render(text, NAMES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope}", "in {nope}: unknown name 'nope'"),
        ("total {p[5]:.2f}", "in {p[5]:.2f}: index 5 is out of range for a list of 3 items"),
        ("{k:q}", "in {k:q}: the format ':q' does not fit 3"),
        ("{}", "in {}: the placeholder is empty"),
        ("{1 +}", "in {1 +}: '1 +' is not a formula"),
        ("a } b", "a single '}' at character 3 (write '}}' for a literal brace)"),
        ("open {k", "the '{' of '{k' is never closed (write '{{' for a brace)"),
        ("{a {k}}", "the '{' of '{a {k}}' is never closed (write '{{' for a brace)"),
        ("{k / 0}", "in {k / 0}: division by zero"),
        ("{k:.300000000f}", "in {k:.300000000f}: a format's width and precision may be at "
         "most 100"),
        ("{unit:>101}", "in {unit:>101}: a format's width and precision may be at most 100"),
    ],
)
def test_errors_name_the_placeholder(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        render(text, NAMES)
    assert str(info.value) == message


def test_names_lists_what_placeholders_mention() -> None:
    template = compile_template("{cross_entropy(y, q, base=base):.3f} {unit} and {k}")
    assert template.names == {"cross_entropy", "y", "q", "base", "unit", "k"}
    assert [p.source for p in template.placeholders] == [
        "{cross_entropy(y, q, base=base):.3f}",
        "{unit}",
        "{k}",
    ]
