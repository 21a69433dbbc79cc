"""engine/operators.py: one record per operator, and a new record is all it takes.

The test adds an operator the engine does not have, the logistic sigmoid, the way the module's docstring
says: two methods on `Value` (the forward value, and right under it its backward rule) and one record.
Every table that lists operators must then know it, and forget it again when the record is removed.
The expected numbers are worked out with math (1 / (1 + e^-x)) and a central difference, never taken
from the engine.
"""

import math
from contextlib import contextmanager

import pytest

from engine import operators
from engine import rule_reader as rr
from engine.derivatives import DERIVATIVES
from engine.errors import ExpressionError
from engine.operators import OPERATORS, Operator
from engine.parser import FUNCTIONS, parse, parse_program
from engine.trace import _FORWARD, finite_difference, graph_of
from engine.value import BACKWARD_RULES, Value
from lab.model import builder, mistakes
from lab.model.analysis import OP_SYMBOLS, analyse
from lab.model.python_code import python_code
from lab.views import own_rules, why_rules


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def central_difference(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _value_sigmoid(self):
    return Value(1 / (1 + math.exp(-self.data)), (self,), "sigmoid")


def _sigmoid_backward(out):
    (self,) = out._prev
    self.grad += out.data * (1 - out.data) * out.grad


SIGMOID = Operator(
    op="sigmoid",
    symbol="sigmoid",
    label="sigmoid",
    builder_label="sigmoid",
    name="logistic sigmoid",
    inputs=("self",),
    forward="1 / (1 + exp(-self.data))",
    local=("out.data * (1 - out.data)",),
    method="sigmoid",
    rule="_sigmoid_backward",
    syntax=None,
    number=sigmoid,
    words="sigmoid squashes a into (0, 1); its slope is {d0}, from the output it already has.",
    default_point=(0.5,),
)

EVERY_TABLE = {
    "operators.OPERATORS": lambda: OPERATORS,
    "BACKWARD_RULES": lambda: BACKWARD_RULES,
    "DERIVATIVES": lambda: DERIVATIVES,
    "trace's forward table": lambda: _FORWARD,
    "parser.FUNCTIONS": lambda: FUNCTIONS,
    "rule_reader.FUNCTIONS": lambda: rr.FUNCTIONS,
    "analysis.OP_SYMBOLS": lambda: OP_SYMBOLS,
    "builder.OPERATORS": lambda: builder.OPERATORS,
    "builder.UNARY": lambda: builder.UNARY,
    "builder.OPERATOR_NAMES": lambda: builder.OPERATOR_NAMES,
    "own_rules.OPERATORS": lambda: own_rules.OPERATORS,
    "why_rules.RULES": lambda: why_rules.RULES,
}


@contextmanager
def new_operator():
    """Value.sigmoid and Value._sigmoid_backward, and the record: removed again afterwards."""
    Value.sigmoid = _value_sigmoid
    Value._sigmoid_backward = staticmethod(_sigmoid_backward)
    try:
        operators.register(SIGMOID)
        yield
    finally:
        operators.unregister("sigmoid")
        del Value.sigmoid
        del Value._sigmoid_backward


@pytest.fixture
def with_sigmoid():
    with new_operator():
        yield


def test_every_operator_has_one_record_and_every_table_lists_exactly_the_records():
    assert list(OPERATORS) == ["+", "*", "-", "/", "**", "neg", "tanh", "relu", "exp", "log"]
    for name, table in EVERY_TABLE.items():
        assert set(table()) <= set(OPERATORS), name
    for name in ("BACKWARD_RULES", "DERIVATIVES", "analysis.OP_SYMBOLS", "own_rules.OPERATORS", "why_rules.RULES"):
        assert set(EVERY_TABLE[name]()) == set(OPERATORS), name


def test_each_record_points_at_the_engines_own_methods():
    for op, record in OPERATORS.items():
        assert BACKWARD_RULES[op] is getattr(Value, record.rule)
        assert why_rules.RULES[op].forward is getattr(Value, record.method)
        assert record.rule.startswith("_") and record.rule.endswith("_backward")


@pytest.mark.usefixtures("with_sigmoid")
def test_a_new_record_is_in_every_table():
    for name, table in EVERY_TABLE.items():
        assert "sigmoid" in table(), name
    assert "sigmoid" not in builder.BINARY
    assert BACKWARD_RULES["sigmoid"] is Value._sigmoid_backward


@pytest.mark.usefixtures("with_sigmoid")
def test_a_new_record_is_read_by_the_parser_as_a_function_and_a_method():
    s = sigmoid(0.3)
    z = parse("z = sigmoid(x) * 2", {"x": 0.3})
    assert z.data == pytest.approx(2 * s, rel=1e-12)
    z.backward()
    x = z._prev[0]._prev[0]
    assert x.grad == pytest.approx(central_difference(lambda t: 2 * sigmoid(t), 0.3), rel=1e-7)
    assert parse("x.sigmoid()", {"x": -1.0}).data == pytest.approx(sigmoid(-1.0), rel=1e-12)
    built = parse_program("x = 0.3\nz = sigmoid(x) * 2").build()
    assert built.formulas[id(built.output._prev[0])] == "sigmoid(x)"
    graph = graph_of(built.output)
    estimate = finite_difference(graph, [graph.index_of(built.variables["x"])])
    assert estimate[graph.index_of(built.variables["x"])] == pytest.approx(2 * s * (1 - s), rel=1e-6)


@pytest.mark.usefixtures("with_sigmoid")
def test_a_new_record_is_read_by_the_rule_reader_with_its_derivative():
    right = rr.read_rule("sigmoid", "self.grad += out.data * (1 - out.data) * out.grad")
    assert [v.kind for v in rr.recognise(right)] == [rr.RIGHT]
    called = rr.read_rule("sigmoid", "self.grad += sigmoid(self.data) * (1 - sigmoid(self.data)) * out.grad")
    assert [v.kind for v in rr.recognise(called)] == [rr.RIGHT]
    alone = rr.read_rule("sigmoid", "self.grad += out.data * (1 - out.data)")
    assert [v.kind for v in mistakes.recognise(alone)] == [mistakes.NO_OUT_GRAD.id]
    local = rr.evaluate(rr.local_formula("sigmoid", 0), {"self.data": 0.7, "out.data": sigmoid(0.7)})
    assert local == pytest.approx(central_difference(sigmoid, 0.7), rel=1e-7)


@pytest.mark.usefixtures("with_sigmoid")
def test_a_new_record_is_in_the_builder_the_tables_and_the_pages_logic():
    assert builder.operation_line("s", "sigmoid", ["x"], ["x"]) == "s = sigmoid(x)"
    step = builder.steps("x = 1\ns = x.sigmoid()")[1]
    assert (step.operator, step.operands) == ("sigmoid", ("x",))
    a = analyse("x = 0.5\ns = sigmoid(x)")
    assert a.grads[a.names.index("x")] == pytest.approx(central_difference(sigmoid, 0.5), rel=1e-7)
    assert "s = x.sigmoid()" in python_code(a)
    rule = why_rules.RULES["sigmoid"]
    assert rule.expression == "out = 1 / (1 + exp(-a))"
    assert "out * (1 - out)" in rule.derivatives[0] and r"\mathrm{sigmoid}" not in rule.latex[0]
    check = why_rules.check_rule("sigmoid", 0.5)
    assert check.ok
    read = own_rules.read_rules({"sigmoid": "self.grad += out.data * (1 - out.data) * out.grad"})
    assert read.right("sigmoid")


def test_a_removed_record_is_gone_from_every_table_and_the_readers():
    with new_operator():
        assert parse("sigmoid(x)", {"x": 0.0}).data == 0.5
    for name, table in EVERY_TABLE.items():
        assert "sigmoid" not in table(), name
    with pytest.raises(ExpressionError, match="unknown function `sigmoid`"):
        parse("sigmoid(x)", {"x": 0.0})
    with pytest.raises(ExpressionError, match="only tanh, relu, exp and log can be called"):
        rr.read_rule("tanh", "self.grad += sigmoid(self.data)")
    assert list(OPERATORS) == ["+", "*", "-", "/", "**", "neg", "tanh", "relu", "exp", "log"]
