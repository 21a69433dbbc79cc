"""Properties of the parser: gradients agree with finite differences, and any text at all
either parses or raises ExpressionError, quickly."""

import contextlib
import math
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Value
from engine.errors import ExpressionError
from engine.parser import parse_program

# Python's parser warns about junk such as `1if` ("invalid decimal literal"); that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")

VARIABLES = ("x", "y", "z")
# a guard against runaway work (9**9**9**9 as integers never ends), not a benchmark:
# generous, because up to 7 test runs share 2 cores
FAST = 30.0

# -- random expressions in the language, each with the same computation written with Value --

leaves = st.one_of(
    st.sampled_from(VARIABLES).map(lambda name: (name, lambda env, name=name: env[name])),
    st.sampled_from([1, 2, 3, 0.5, 2.5]).map(lambda number: (repr(number), lambda env, c=number: Value(c))),
)


def combine(children):
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children).map(_binary)
    power = st.tuples(children, st.sampled_from([2, 3, -1])).map(
        lambda p: (f"({p[0][0]}) ** {p[1]}", lambda env, f=p[0][1], n=p[1]: f(env) ** n)
    )
    # log and fractional powers only of positive numbers, so most examples can be computed
    positive_root = children.map(
        lambda c: (f"(({c[0]})**2 + 1) ** 0.5", lambda env, f=c[1]: (f(env) ** 2 + Value(1)) ** 0.5)
    )
    positive_log = children.map(lambda c: (f"log(({c[0]})**2 + 1)", lambda env, f=c[1]: (f(env) ** 2 + Value(1)).log()))
    function = st.tuples(st.sampled_from(["tanh", "relu", "exp"]), st.booleans(), children).map(_function)
    negation = children.map(lambda c: (f"-({c[0]})", lambda env, f=c[1]: -f(env)))
    return st.one_of(binary, power, positive_root, positive_log, function, negation)


def _binary(parts):
    symbol, (left_text, left), (right_text, right) = parts
    operations = {"+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__}
    operation = operations[symbol]
    return f"({left_text}) {symbol} ({right_text})", lambda env: operation(left(env), right(env))


def _function(parts):
    name, as_method, (text, inner) = parts
    written = f"({text}).{name}()" if as_method else f"{name}({text})"
    return written, lambda env: getattr(inner(env), name)()


expressions = st.recursive(leaves, combine, max_leaves=8)


def _with_a_variable(parts):
    """The expression as drawn if it has a variable; else the expression and a variable, joined by + or *."""
    (text, direct), name, symbol = parts
    if any(variable in parse_program(text).variables for variable in VARIABLES):
        return text, direct
    operation = Value.__add__ if symbol == "+" else Value.__mul__
    return f"({text}) {symbol} {name}", lambda env: operation(direct(env), env[name])


# for the gradient test: a gradient is only checked for a variable, so every example has one
expressions_with_a_variable = st.tuples(expressions, st.sampled_from(VARIABLES), st.sampled_from(["+", "*"])).map(
    _with_a_variable
)
points = st.fixed_dictionaries({name: st.floats(-2.0, 2.0) for name in VARIABLES})


def build_or_reject(program, values):
    try:
        return program.build(values)
    except ExpressionError:
        assume(False)  # division by zero, overflow: not a smooth point


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(expressions, points)
def test_random_expressions_compute_what_the_engine_computes(expression, point):
    text, direct = expression
    program = parse_program(text)
    built = build_or_reject(program, point)
    try:
        expected = direct({name: Value(value) for name, value in point.items()})
    except (ArithmeticError, ValueError):
        assume(False)
    assert built.output.data == expected.data or math.isclose(built.output.data, expected.data, rel_tol=1e-12)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(expressions_with_a_variable, points)
def test_random_expressions_gradients_agree_with_central_differences(expression, point):
    text, _ = expression
    program = parse_program(text)
    assert program.variables, f"{text}: no variable, so no gradient would be checked"
    built = build_or_reject(program, point)
    assume(abs(built.output.data) < 1e4)
    try:
        built.output.backward()
    except ArithmeticError:  # the engine's backward at a pole, e.g. x**0.5 at x = 0
        assume(False)

    def f(name, delta):
        return build_or_reject(program, {**point, name: point[name] + delta}).output.data

    for name, node in built.variables.items():
        h = 1e-5
        forward = (f(name, h) - built.output.data) / h
        backward = (built.output.data - f(name, -h)) / h
        estimate = (forward + backward) / 2  # the central difference
        scale = max(1.0, abs(estimate))
        assume(abs(forward - backward) < 1e-3 * scale)  # smooth here: no kink of relu, no pole nearby
        assert abs(node.grad - estimate) < 1e-4 * scale, (text, name, node.grad, estimate)


# -- any text at all ------------------------------------------------------------------------------

FRAGMENTS = [
    "x",
    "y",
    "z1",
    "a",
    "c",
    "_",
    "é",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "**=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    ";",
    "\n",
    " ",
    "\t",
    "#",
    "'",
    '"',
    "\\",
    "\0",
    "0",
    "1",
    "2.5",
    "-3",
    "1e308",
    "1e-320",
    "9" * 30,
    "0x1F",
    "2j",
    "True",
    "None",
    "nan",
    "inf",
    "tanh(",
    "relu(",
    "exp(",
    "log(",
    ".tanh()",
    ".relu()",
    ".exp()",
    ".log()",
    ".data",
    ".grad",
    ".label = 'o'",
    ".backward()",
    ".zero_grad()",
    "Value(",
    "Value(2.0)",
    "label='x'",
    "data=",
    "print(",
    "draw_dot(",
    "import ",
    "from ",
    "lambda",
    "if",
    "for",
    "def",
    "in",
    "not",
    "and",
    "__import__",
    "eval",
    "exec",
    "open",
    "sum",
    "len",
    "x = 2\n",
    "z = x*y + y",
    "c += c + 1\n",
    "1 / (x - 2)",
    "(-1) ** 0.5",
    "9**9**9**9",
    "exp(1000)",
    "log(0)",
    "f'{x}'",
    "[0]",
    "@",
    "//",
]
junk_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=40).map("".join)


def parse_and_build_within_time(text):
    """Returns the outcome; anything but an ExpressionError (or a slow call) fails the test."""
    start = time.perf_counter()
    try:
        program = parse_program(text)
        values = {name: 1.5 for name in program.variables}
        program.build(values)
        outcome = "built"
    except ExpressionError as error:
        assert isinstance(error.message, str) and error.message
        assert error.line is None or error.line >= 1
        assert error.col is None or error.col >= 1
        outcome = "error"
    assert time.perf_counter() - start < FAST, text
    return outcome


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text())
def test_any_text_parses_or_raises_expression_error(text):
    parse_and_build_within_time(text)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(junk_text)
def test_grammar_fragments_mixed_with_junk_parse_or_raise_expression_error(text):
    parse_and_build_within_time(text)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from(["(", "-", "tanh(", "x+", "x**", "Value(", "[", "x.tanh()", "not "]), st.integers(1, 3000))
def test_deep_or_long_repetitions_are_handled_quickly(fragment, count):
    parse_and_build_within_time(fragment * count + "x" + ")" * count)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    expressions,
    st.dictionaries(st.sampled_from(VARIABLES), st.one_of(st.floats(), st.text(), st.none(), st.booleans())),
)
def test_any_values_build_or_raise_expression_error(expression, values):
    program = parse_program(expression[0])
    with contextlib.suppress(ExpressionError):
        program.build(values)


# -- numbers only (an exponent, Value(...)): the parser computes them itself, with floats --

number_leaves = st.sampled_from([1, 2, 3, 0.5, 4]).map(lambda n: (repr(n), float(n)))


def _number_combine(children):
    def binary(parts):
        symbol, (left_text, left), (right_text, right) = parts
        results = {"+": left + right, "-": left - right, "*": left * right}
        if symbol == "/":
            return f"({left_text}) / ({right_text})", left / right
        return f"({left_text}) {symbol} ({right_text})", results[symbol]

    signed = st.tuples(st.sampled_from(["-", "+"]), children).map(
        lambda p: (f"{p[0]}({p[1][0]})", -p[1][1] if p[0] == "-" else p[1][1])
    )
    pairs = st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children)
    return st.one_of(pairs.filter(lambda p: p[0] != "/" or p[2][1] != 0).map(binary), signed)


number_expressions = st.recursive(number_leaves, _number_combine, max_leaves=6)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(number_expressions)
def test_numbers_in_an_exponent_and_in_value_are_computed_with_the_right_operators(expression):
    # the expected number is computed here, operator by operator, not by the parser
    text, expected = expression
    assume(abs(expected) < 50)
    program = parse_program(f"x = Value({text})\nz = x ** ({text})")
    assert program.variables["x"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assume(expected > 0)
    built = program.build()
    assert built.output.data == pytest.approx(expected**expected, rel=1e-9)
