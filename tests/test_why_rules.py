"""lab/views/why_rules.py: each operator's rule, the engine's own source, and the live check against finite differences.

Expected numbers are worked out by hand from the derivative (d(a*b)/da = b, ...) or with math, never taken
from the engine.
"""

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.value import BACKWARD_RULES
from lab.model import source as engine_source
from lab.model.analysis import analyse
from lab.views import why_rules

ENGINE_SOURCE = Path(__file__).resolve().parents[1].joinpath("engine", "value.py").read_text()


def test_every_operator_of_the_engine_has_an_entry_and_nothing_else_does():
    assert set(why_rules.RULES) == set(BACKWARD_RULES)


@pytest.mark.parametrize("op", list(BACKWARD_RULES))
def test_every_entry_says_its_derivative_in_words_symbols_and_latex(op):
    rule = why_rules.RULES[op]
    assert rule.words and rule.expression.startswith("out = ")
    assert len(rule.derivatives) == len(rule.latex) == len(rule.inputs)


def test_the_source_of_mul_is_the_lessons_rule():
    source = engine_source.backward_source("*")
    assert "self.grad += other.data * out.grad" in source
    assert "other.grad += self.data * out.grad" in source
    assert "self.data * other.data" in engine_source.forward_source("*")


@pytest.mark.parametrize("op", list(BACKWARD_RULES))
def test_the_source_shown_is_the_engines_file_dedented(op):
    for source in (engine_source.forward_source(op), engine_source.backward_source(op)):
        assert source.startswith(("def ", "@staticmethod"))
        for line in source.splitlines():
            assert line.strip() in ENGINE_SOURCE
    assert ".grad +=" in engine_source.backward_source(op)


def test_the_dispatch_source_shows_the_lookup_in_backward_rules():
    assert "BACKWARD_RULES[self._op]" in engine_source.dispatch_source()


# -- the check at a point: hand-worked derivatives -------------------------------------------

HAND = [
    ("+", (2.0, 3.0), None, (1.0, 1.0)),
    ("*", (2.0, 3.0), None, (3.0, 2.0)),  # d(a*b)/da = b, d(a*b)/db = a
    ("-", (5.0, 3.0), None, (1.0, -1.0)),
    ("/", (3.0, 2.0), None, (0.5, -0.75)),  # 1/b, -a/b**2
    ("**", (3.0,), 2.0, (6.0,)),  # 2 * 3
    ("**", (4.0,), 0.5, (0.25,)),  # 0.5 * 4**-0.5
    ("neg", (2.0,), None, (-1.0,)),
    ("tanh", (0.5,), None, (1 - math.tanh(0.5) ** 2,)),
    ("relu", (1.5,), None, (1.0,)),
    ("relu", (-1.5,), None, (0.0,)),
    ("exp", (1.0,), None, (math.e,)),
    ("log", (2.0,), None, (0.5,)),
]


@pytest.mark.parametrize(("op", "point", "exponent", "expected"), HAND)
def test_the_rule_gives_the_hand_derivative_and_agrees_with_the_finite_difference(op, point, exponent, expected):
    check = why_rules.check_rule(op, *point, exponent=exponent)
    assert check.message is None and check.ok
    for input_check, want in zip(check.inputs, expected, strict=True):
        assert input_check.rule == pytest.approx(want)
        assert input_check.finite == pytest.approx(want, rel=1e-5, abs=1e-7)
        assert input_check.agrees is True


def test_a_number_after_the_base_is_the_exponent_of_pow():
    check = why_rules.check_rule("**", 3.0, 3.0)
    assert check.output == 27.0 and check.inputs[0].rule == pytest.approx(27.0)  # 3 * 3**2


SAFE = {
    "+": (st.floats(-50, 50), st.floats(-50, 50)),
    "*": (st.floats(-50, 50), st.floats(-50, 50)),
    "-": (st.floats(-50, 50), st.floats(-50, 50)),
    "/": (st.floats(-50, 50), st.floats(0.1, 50)),
    "neg": (st.floats(-50, 50),),
    "tanh": (st.floats(-6, 6),),
    "relu": (st.floats(0.01, 50) | st.floats(-50, -0.01),),
    "exp": (st.floats(-20, 20),),
    "log": (st.floats(1e-3, 1e3),),
}


@pytest.mark.parametrize("op", list(SAFE))
@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_rule_agrees_with_finite_differences_where_it_is_defined(op, data):
    point = [data.draw(strategy) for strategy in SAFE[op]]
    check = why_rules.check_rule(op, *point)
    assert check.message is None and check.ok, check


@settings(max_examples=60, deadline=None, derandomize=True)
@given(a=st.floats(0.05, 20), exponent=st.floats(-3, 3))
def test_the_power_rule_agrees_with_finite_differences(a, exponent):
    check = why_rules.check_rule("**", a, exponent=exponent)
    assert check.message is None and check.ok, check


# -- invalid points: a message, never an exception ------------------------------------------

INVALID = [
    ("log", (0.0,), None, "positive"),
    ("log", (-1.0,), None, "positive"),
    ("/", (1.0, 0.0), None, "zero"),
    ("**", (-2.0,), 0.5, "not a real number"),
    ("**", (0.0,), -1.0, "zero"),
    ("**", (0.0,), 0.5, "infinite"),  # the slope of sqrt at 0
    ("exp", (1000.0,), None, "too large"),
    ("*", (1e200, 1e200), None, "overflows"),
    ("tanh", (math.nan,), None, "finite"),
    ("+", (math.inf, 1.0), None, "finite"),
]


@pytest.mark.parametrize(("op", "point", "exponent", "words"), INVALID)
def test_an_invalid_point_gives_a_message_not_an_exception(op, point, exponent, words):
    check = why_rules.check_rule(op, *point, exponent=exponent)
    assert check.message is not None and words in check.message
    assert not check.ok and check.inputs == ()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(op=st.sampled_from(list(BACKWARD_RULES)), a=st.floats(), b=st.floats(), n=st.floats(-5, 5))
def test_any_point_either_checks_or_says_why_not(op, a, b, n):
    check = why_rules.check_rule(op, a, b, exponent=n)
    assert (check.message is None) == bool(check.inputs)


def test_relu_at_its_corner_is_not_called_a_failure():
    check = why_rules.check_rule("relu", 0.0)
    assert check.message is None and check.ok
    assert check.inputs[0].agrees is None and "corner" in check.note


# -- the learner's expression ---------------------------------------------------------------


def test_the_lessons_example_uses_one_multiplication_and_one_addition():
    a = analyse("x = 2\ny = 3\nz = x*y + y")
    assert why_rules.ops_used(a) == {"*": 1, "+": 1}
    assert [a.names[i] for i in why_rules.uses_in(a, "*")] == ["a"]
    assert why_rules.point_from(a, "*") == ((2.0, 3.0), None)
    assert why_rules.point_from(a, "log") is None
