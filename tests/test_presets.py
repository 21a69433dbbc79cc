"""Every preset builds, and gives the published numbers where there are some."""

import math

import pytest

from lab.model.analysis import analyse
from lab.model.presets import PRESETS


def grad_of(a, name):
    return a.graph.nodes[a.variables[name]].grad


def output_of(a):
    return a.graph.output.data


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_builds_and_says_in_one_line_what_it_teaches(key):
    preset = PRESETS[key]
    a = analyse(preset.program)
    assert len(a.graph) > 1
    assert preset.title and "\n" not in preset.teaches and len(preset.teaches) < 170


def test_the_lesson_example_gives_z_9_and_both_gradients_3():
    a = analyse(PRESETS["lesson"].program)
    assert output_of(a) == 9
    assert grad_of(a, "x") == 3  # dz/dx = y
    assert grad_of(a, "y") == 3  # dz/dy = x + 1


def test_the_lecture_neuron_gives_the_lecture_numbers():
    a = analyse(PRESETS["neuron"].program)
    assert output_of(a) == pytest.approx(0.7071, abs=1e-4)  # tanh(0.8814) = 1/sqrt(2)
    assert grad_of(a, "x1") == pytest.approx(-1.5)
    assert grad_of(a, "w1") == pytest.approx(1.0)
    assert grad_of(a, "x2") == pytest.approx(0.5)
    assert grad_of(a, "w2") == 0.0
    assert grad_of(a, "b") == pytest.approx(0.5)


def test_the_dead_relu_passes_exactly_zero_gradient_to_its_inputs():
    a = analyse(PRESETS["dead_relu"].program)
    assert output_of(a) == 0.0
    assert a.variables  # there are inputs, and every one of them gets nothing
    for name in a.variables:
        assert grad_of(a, name) == 0.0


def test_micrograds_readme_example_gives_its_published_numbers():
    a = analyse(PRESETS["micrograd"].program)
    assert round(output_of(a), 4) == 24.7041
    assert round(grad_of(a, "a"), 4) == 138.8338
    assert round(grad_of(a, "b"), 4) == 645.5773


def test_the_bigger_mixed_expression_uses_every_operator_and_matches_finite_differences():
    a = analyse(PRESETS["mixed"].program)
    ops = {node._op for node in a.graph.nodes if node._prev}
    assert ops == {"+", "-", "*", "/", "**", "neg", "tanh", "relu", "exp", "log"}
    assert len(a.graph) >= 20
    for name, i in a.variables.items():
        assert math.isclose(a.graph.nodes[i].grad, a.finite[i], rel_tol=1e-4, abs_tol=1e-6), name


def test_the_micrograd_preset_says_its_repeated_numbers_are_one_node_each():
    # micrograd's README writes 1 twice (c + 1, 1 + c) and 2 twice (d * 2, f / 2.0): micrograd makes a Value per
    # literal, this parser one node per distinct number (issue 16, item 12): the page says so under the diagram
    from lab.model.presets import note_for

    a = analyse(PRESETS["micrograd"].program)
    constants = [name for name, kind in zip(a.names, a.kinds, strict=True) if kind == "constant"]
    assert constants.count("1") == 1 and constants.count("2") == 1
    assert "a Value per literal" in note_for(a)
    assert "a Value per literal" in note_for(analyse(PRESETS["micrograd"].program, {"a": 1.0, "b": 5.0}))
    assert note_for(analyse(PRESETS["lesson"].program)) == ""
