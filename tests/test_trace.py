"""Traces of the forward and backward passes, and the bug lab's mistakes, on hand-worked examples."""

import math

import pytest

from engine import Value
from engine.trace import (
    Mistake,
    backward_steps,
    evaluate,
    finite_difference,
    forward_steps,
    gradient_sources,
    grads_at,
    graph_of,
)
from tests.examples import MICROGRAD_A_GRAD, micrograd_example


def lesson():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    a = x * y
    a.label = "a"
    z = a + y
    z.label = "z"
    return z


def names_to_grads(graph, grads):
    return dict(zip(graph.names, grads, strict=True))


def test_graph_lists_nodes_in_topological_order_with_edge_multiplicity():
    g = graph_of(lesson())
    assert g.names == ("x", "y", "a", "z")
    assert [(g.names[e.parent], g.names[e.child], e.slot) for e in g.edges] == [
        ("x", "a", 0),
        ("y", "a", 1),
        ("a", "z", 0),
        ("y", "z", 1),
    ]
    assert g.uses == (1, 2, 1, 0)


def test_a_plus_a_has_two_edges():
    a = Value(1.0, label="a")
    g = graph_of(a + a)
    assert len(g.edges) == 2 and g.uses[0] == 2


def test_nodes_without_labels_get_unique_names():
    x = Value(1.0)
    g = graph_of(x * 2 + x)
    assert len(set(g.names)) == len(g.names)


def test_forward_steps_follow_topological_order():
    g = graph_of(lesson())
    steps = forward_steps(g)
    assert [(g.names[s.node], s.data) for s in steps] == [("x", 2.0), ("y", 3.0), ("a", 6.0), ("z", 9.0)]


def test_backward_steps_of_the_lesson_example_by_hand():
    g = graph_of(lesson())
    steps = backward_steps(g)
    # step 0 seeds z.grad = 1; then z fires (a.grad = 1, y.grad = 1); then a fires
    assert [g.names[s.node] for s in steps] == ["z", "z", "a"]
    assert steps[0].changed == {3: 1.0}
    z_step, a_step = steps[1], steps[2]
    assert [(f.local, f.incoming, f.contribution) for f in z_step.flows] == [(1.0, 1.0, 1.0), (1.0, 1.0, 1.0)]
    # a = x * y: x.grad += y.data * a.grad = 3 * 1, y.grad += x.data * a.grad = 2 * 1
    assert [(g.names[f.parent], f.local, f.contribution) for f in a_step.flows] == [
        ("x", 3.0, 3.0),
        ("y", 2.0, 2.0),
    ]
    assert names_to_grads(g, grads_at(g, steps, 0)) == {"x": 0, "y": 0, "a": 0, "z": 1}
    assert names_to_grads(g, grads_at(g, steps, 1)) == {"x": 0, "y": 1, "a": 1, "z": 1}
    assert names_to_grads(g, grads_at(g, steps, 2)) == {"x": 3, "y": 3, "a": 1, "z": 1}


def test_backward_steps_end_with_the_same_grads_as_backward():
    a, _, out = micrograd_example(Value)
    expected = [n.grad for n in out.topological_order()]
    g = graph_of(out)
    steps = backward_steps(g)
    assert grads_at(g, steps, len(steps) - 1) == pytest.approx(expected)
    assert [n.grad for n in g.nodes] == pytest.approx(expected)
    assert f"{a.grad:.4f}" == MICROGRAD_A_GRAD


def test_gradient_sources_split_a_reused_node_by_use():
    g = graph_of(lesson())
    sources = gradient_sources(g, backward_steps(g))
    y = g.names.index("y")
    # dz/dy = 1 * z.grad (from z = a + y) + x * a.grad (from a = x * y) = 1 + 2
    assert sorted((g.names[f.child], f.contribution) for f in sources[y]) == [("a", 2.0), ("z", 1.0)]


def test_overwrite_mistake_loses_the_first_use_of_y():
    g = graph_of(lesson())
    steps = backward_steps(g, Mistake.OVERWRITE)
    grads = names_to_grads(g, grads_at(g, steps, len(steps) - 1))
    # with `=`: z sets y.grad = 1, then a sets y.grad = x * a.grad = 2 (instead of 3)
    assert grads["y"] == 2.0 and grads["x"] == 3.0


def test_overwrite_mistake_on_a_plus_a_keeps_one_edge():
    a = Value(5.0, label="a")
    g = graph_of(a + a)
    steps = backward_steps(g, Mistake.OVERWRITE)
    assert grads_at(g, steps, len(steps) - 1)[0] == 1.0  # instead of 2


def test_no_seed_mistake_leaves_every_gradient_zero():
    g = graph_of(lesson())
    steps = backward_steps(g, Mistake.NO_SEED)
    assert grads_at(g, steps, len(steps) - 1) == [0.0, 0.0, 0.0, 0.0]


def test_twice_mistake_accumulates_into_intermediate_nodes():
    g = graph_of(lesson())
    steps = backward_steps(g, Mistake.TWICE)
    grads = names_to_grads(g, grads_at(g, steps, len(steps) - 1))
    assert {k: grads[k] for k in "xyaz"} == {
        "x": 9.0,
        "y": 8.0,
        "a": 2.0,
        "z": 1.0,
    }  # worked out in test_value


def test_wrong_order_fires_a_reused_node_before_all_its_gradient_arrived():
    # b = x * 2; c = b * 3; out = b + c. Breadth-first from out fires b before c has added to it.
    x = Value(1.0, label="x")
    b = x * 2
    b.label = "b"
    c = b * 3
    c.label = "c"
    out = b + c
    g = graph_of(out)
    steps = backward_steps(g, Mistake.WRONG_ORDER)
    wrong = grads_at(g, steps, len(steps) - 1)[g.names.index("x")]
    assert wrong == 2.0  # only the direct use of b: d out/dx by hand is 2 + 3*2 = 8
    right = backward_steps(g)
    assert grads_at(g, right, len(right) - 1)[g.names.index("x")] == 8.0


def test_wrong_order_is_harmless_on_a_tree():
    g = graph_of(lesson())
    steps = backward_steps(g, Mistake.WRONG_ORDER)
    assert names_to_grads(g, grads_at(g, steps, len(steps) - 1))["y"] == 3.0


def test_evaluate_recomputes_with_new_leaf_values():
    g = graph_of(lesson())
    assert evaluate(g, {}) == 9.0
    assert evaluate(g, {0: 5.0}) == 5 * 3 + 3


def test_finite_difference_matches_the_hand_gradients():
    g = graph_of(lesson())
    est = finite_difference(g, [0, 1])
    assert est[0] == pytest.approx(3.0, rel=1e-6)
    assert est[1] == pytest.approx(3.0, rel=1e-6)


def test_finite_difference_is_nan_where_the_output_cannot_be_computed():
    x = Value(0.0, label="x")
    g = graph_of(x.relu() + (x * x + 1e-12).log())
    assert math.isfinite(finite_difference(g, [0])[0])
    y = Value(1e-9, label="y")
    g2 = graph_of(y.log())
    assert math.isnan(finite_difference(g2, [0], h=1e-3)[0])


def test_finite_difference_of_a_computed_node():
    g = graph_of(lesson())
    a = g.names.index("a")
    assert evaluate(g, {a: 10.0}) == 10 + 3  # z = a + y with a set to 10
    assert finite_difference(g, [a])[a] == pytest.approx(1.0, rel=1e-6)  # dz/da = 1
