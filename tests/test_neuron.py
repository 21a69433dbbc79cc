"""The next lesson's neuron: a dead ReLU passes exactly 0, a saturated tanh nearly 0.

By hand, with x = 2, w = 1.5 and n = w*x + b: relu'(n) is 1 above 0 and 0 below, so w.grad = x * relu'(n) = 2
or 0; tanh'(n) = 1 - tanh(n)**2, which at n = 3.5 is 1 - 0.99818**2 = 0.00364, so w.grad = 2 * 0.00364 = 0.0073.
"""

import math

import pytest

from lab.lesson.questions import next_feedback
from lab.views.neuron import curve, local_derivative, neuron, program, reaching, verdict


def test_a_dead_relu_passes_exactly_zero_to_w_x_and_b():
    a = neuron("relu", -1.0)
    assert reaching(a) == {"w": 0.0, "x": 0.0, "b": 0.0}
    kind, sentence = verdict("relu", a)
    assert kind == "error" and "dead" in sentence


def test_a_live_relu_passes_the_gradient_on():
    grads = reaching(neuron("relu", 1.0))
    assert grads["w"] == pytest.approx(2.0) and grads["x"] == pytest.approx(1.5) and grads["b"] == pytest.approx(1.0)


def test_a_saturated_tanh_passes_close_to_zero_but_not_zero():
    a = neuron("tanh", 3.5)
    local = 1 - math.tanh(3.5) ** 2
    assert reaching(a)["w"] == pytest.approx(2 * local) and 0 < reaching(a)["w"] < 0.01
    assert verdict("tanh", a)[0] == "warning"
    assert verdict("tanh", neuron("tanh", 0.2))[0] == "success"


def test_the_slider_sets_the_pre_activation_with_x_and_w_fixed():
    a = neuron("relu", -1.3)
    assert a.graph.nodes[a.variables["x"]].data == 2.0 and a.graph.nodes[a.variables["w"]].data == 1.5
    assert a.graph.nodes[a.graph.inputs[a.output][0]].data == pytest.approx(-1.3)
    assert program("tanh", 0.0).endswith("o = tanh(n)")


def test_the_plot_is_the_local_derivative_from_the_engine():
    relu = curve("relu")
    assert set(relu.loc[relu["pre-activation"] < 0, "local derivative"]) == {0.0}
    assert set(relu.loc[relu["pre-activation"] > 0, "local derivative"]) == {1.0}
    assert local_derivative("tanh", 0.0) == pytest.approx(1.0)
    assert local_derivative("tanh", 2.0) == pytest.approx(1 - math.tanh(2.0) ** 2)


def test_the_next_lessons_question_is_right_at_zero():
    assert next_feedback("0").right
    wrong = next_feedback("2")
    assert not wrong.right and "w.grad = x.data * n.grad = 2 * 0 = 0" in wrong.explanation


def test_at_exactly_zero_a_relu_is_dead_not_above_zero():
    a = neuron("relu", 0.0)
    assert reaching(a)["w"] == 0.0  # relu's rule: (o.data > 0) * o.grad, and o.data = 0
    kind, sentence = verdict("relu", a)
    assert kind == "error" and "above 0" not in sentence and "passes the gradient on" not in sentence
