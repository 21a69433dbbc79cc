"""The engine's Value: forward values and backward rules, checked by hand and by finite differences."""

import math
import sys

import pytest

from engine import Value
from tests.examples import MICROGRAD_A_GRAD, MICROGRAD_B_GRAD, MICROGRAD_G, micrograd_example


def numeric_grad(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def test_lesson_example_matches_hand_calculation():
    # z = x*y + y at x = 2, y = 3: z = 9, dz/dx = y = 3, dz/dy = x + 1 = 3
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    z = x * y + y
    z.backward()
    assert z.data == 9.0
    assert x.grad == 3.0
    assert y.grad == 3.0
    assert z.grad == 1.0


def test_data_and_grad_are_floats_and_grad_starts_at_zero():
    x = Value(2)
    assert isinstance(x.data, float)
    assert isinstance(x.grad, float) and x.grad == 0.0


def test_reused_node_collects_gradient_from_both_uses():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    assert b._prev == (a, a)  # two edges, in order


def test_square_by_multiplication_collects_both_edges():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0  # d(a^2)/da = 2a


def test_children_keep_their_order():
    x, y = Value(1.0), Value(2.0)
    assert (x * y)._prev == (x, y)
    assert (y * x)._prev == (y, x)


@pytest.mark.parametrize(
    ("build", "x0"),
    [
        (lambda x: x + 2.5, 1.3),
        (lambda x: 2.5 + x, 1.3),
        (lambda x: x * 2.5, 1.3),
        (lambda x: 2.5 * x, 1.3),
        (lambda x: x - 4.0, 1.3),
        (lambda x: 4.0 - x, 1.3),
        (lambda x: x / 4.0, 1.3),
        (lambda x: 4.0 / x, 1.3),
        (lambda x: x**3, 1.3),
        (lambda x: x**-2, 1.3),
        (lambda x: x**0.5, 1.3),
        (lambda x: -x, 1.3),
        (lambda x: x.tanh(), 0.4),
        (lambda x: x.relu(), 0.4),
        (lambda x: x.relu(), -0.4),
        (lambda x: x.exp(), 0.4),
        (lambda x: x.log(), 0.4),
        (lambda x: (x * x + 1).log() / x, 0.7),
    ],
)
def test_every_operator_rule_agrees_with_finite_difference(build, x0):
    x = Value(x0)
    out = build(x)
    out.backward()
    expected = numeric_grad(lambda t: build(Value(t)).data, x0)
    assert x.grad == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize(
    ("build", "a0", "b0"),
    [
        (lambda a, b: a + b, 1.5, -2.0),
        (lambda a, b: a * b, 1.5, -2.0),
        (lambda a, b: a - b, 1.5, -2.0),
        (lambda a, b: a / b, 1.5, -2.0),
    ],
)
def test_binary_rules_agree_with_finite_difference_for_both_inputs(build, a0, b0):
    a, b = Value(a0), Value(b0)
    build(a, b).backward()
    assert a.grad == pytest.approx(numeric_grad(lambda t: build(Value(t), Value(b0)).data, a0), rel=1e-6)
    assert b.grad == pytest.approx(numeric_grad(lambda t: build(Value(a0), Value(t)).data, b0), rel=1e-6)


def test_numbers_on_the_left_become_the_first_child():
    x = Value(3.0)
    for out, expected in ((2 * x, 6.0), (1 - x, -2.0), (1 / x, 1 / 3), (1 + x, 4.0)):
        assert out._prev[0].data == float(out._prev[0].data)
        assert out._prev[1] is x
        assert out.data == pytest.approx(expected)


def test_micrograd_readme_example():
    a, b, g = micrograd_example(Value)
    assert f"{g.data:.4f}" == MICROGRAD_G
    assert f"{a.grad:.4f}" == MICROGRAD_A_GRAD
    assert f"{b.grad:.4f}" == MICROGRAD_B_GRAD


def test_lecture_neuron():
    # Karpathy's lecture: o = tanh(x1*w1 + x2*w2 + b) = 0.7071; x1.grad -1.5, w1.grad 1, x2.grad 0.5, w2.grad 0
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-4)
    assert x1.grad == pytest.approx(-1.5, abs=1e-4)
    assert w1.grad == pytest.approx(1.0, abs=1e-4)
    assert x2.grad == pytest.approx(0.5, abs=1e-4)
    assert w2.grad == pytest.approx(0.0, abs=1e-4)


def test_relu_gradient_is_exactly_zero_below_zero():
    x = Value(-2.0)
    y = (x * 3).relu()
    y.backward()
    assert y.data == 0.0
    assert x.grad == 0.0


def test_backward_twice_accumulates_and_zero_grad_resets():
    x, y = Value(2.0), Value(3.0)
    z = x * y + y
    z.backward()
    z.backward()
    # by hand: pass 1 gives a.grad 1, x.grad 3, y.grad 3. Pass 2 seeds z.grad = 1 again, then
    # a.grad 1 + 1 = 2, y.grad 3 + 1 = 4; a fires: x.grad 3 + y*2 = 9, y.grad 4 + x*2 = 8
    assert (x.grad, y.grad) == (9.0, 8.0)
    z.zero_grad()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    z.backward()
    assert (x.grad, y.grad) == (3.0, 3.0)


def test_a_chain_ten_times_deeper_than_the_recursion_limit_backpropagates():
    # a recursive topological sort or backward would fail a thousand levels down; 100,000 levels need no recursion
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    out = x
    for _ in range(100_000):
        out = out * 1.0  # each step adds a constant leaf and a * node
    out.backward()
    assert x.grad == 1.0


def test_topological_order_is_deterministic_and_children_first():
    def build():
        x, y = Value(2.0, label="x"), Value(3.0, label="y")
        a = x * y
        a.label = "a"
        z = a + y
        z.label = "z"
        return z

    orders = [[n.label for n in build().topological_order()] for _ in range(5)]
    assert orders[0] == ["x", "y", "a", "z"]
    assert all(order == orders[0] for order in orders)


def test_errors_of_the_operators():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ValueError):
        Value(0.0).log()
    with pytest.raises(ValueError):
        Value(-8.0) ** 0.5
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)
    with pytest.raises(OverflowError):
        Value(1000.0).exp()


def test_a_power_of_zero_is_the_constant_1_with_slope_0_even_where_the_base_is_0():
    # (x - 2) ** 0 = 1 for every x, so d/dx = 0; at x = 2 the rule n * x**(n-1) would be 0 * 0**-1
    x = Value(2.0)
    y = (x - 2) ** 0
    y.backward()
    assert y.data == 1.0
    assert x.grad == 0.0


def test_a_huge_whole_exponent_keeps_the_sign_of_the_power_rule():
    # d/dx (x - 3)**n at x = 2 is n * (-1)**(n-1); n = 2**53 - 2 is even, so n - 1 is odd: the slope is -n
    n = 2.0**53 - 2
    x = Value(2.0)
    y = (x - 3) ** n
    y.backward()
    assert y.data == 1.0
    assert x.grad == -n


def test_an_exponent_where_n_minus_1_equals_n_in_floats_is_refused():
    # 1e16 - 1 == 1e16 in floats: the power rule would give (x - 3)**1e16 at x = 2 a slope of +1e16, not -1e16
    assert 1e16 - 1 == 1e16
    for n in (1e16, -1e16, 2.0**53):
        with pytest.raises(ValueError, match="too large"):
            Value(-1.0) ** n
