"""lab/model/analysis.py: a program the engine can compute but whose gradient is infinite is refused, never shown."""

import pytest

from engine.errors import ExpressionError
from lab.model.analysis import analyse, format_number


def test_an_overflowing_gradient_is_refused_with_the_node_named():
    # z = 1 / x at x = 1e-160: z = 1e160 is a float, but dz/dx = -1 / x**2 = -1e320 is beyond the largest float
    with pytest.raises(ExpressionError) as caught:
        analyse("x = 1e-160\nz = 1 / x")
    assert "the gradient of `x` overflows" in caught.value.message


def test_an_infinite_slope_is_refused_with_a_message():
    # sqrt at 0: 0.5 * 0 ** -0.5 divides by zero
    with pytest.raises(ExpressionError, match="infinite"):
        analyse("x = 0\nz = x ** 0.5")


def test_a_power_of_zero_has_gradient_zero_where_its_base_is_zero():
    a = analyse("x = 2\nz = (x - 2) ** 0")
    assert a.graph.nodes[a.output].data == 1.0
    assert a.grads[a.variables["x"]] == 0.0


def test_a_power_whose_n_minus_1_rounds_to_n_is_refused_before_computing():
    with pytest.raises(ExpressionError, match=r"the exponent `1e16` is too large"):
        analyse("x = 2\nz = (x - 3) ** 1e16")


@pytest.mark.parametrize(
    ("number", "text"),
    [(3.0, "3"), (0.5, "0.5"), (-1.5, "-1.5"), (2**-0.5, "0.7071"), (1.2e-7, "1.200e-07"), (0.0, "0")],
)
def test_numbers_are_shown_short(number, text):
    assert format_number(number) == text
