"""What "Watch gradients flow" shows at each step, checked against the lesson's hand calculation."""

import math

import pytest

from lab.model.analysis import analyse
from lab.model.diagram import FAST_LAYOUT_FROM, layout_work
from lab.model.presets import PRESETS
from lab.model.steps import BACKWARD, CURRENT, DONE, FORWARD, LEAF, WAITING, OrderItem, last_step
from lab.views.flow import (
    flow_view,
    order_html,
    signed,
    step_table,
    styled_table,
)

LESSON = "x = 2\ny = 3\nz = x*y + y"
X, Y, A, Z = 0, 1, 2, 3  # the lesson's nodes in topological order: x, y, a = x*y, z = a + y


@pytest.fixture(scope="module")
def lesson():
    a = analyse(LESSON)
    assert a.names == ("x", "y", "a", "z")
    return a


def test_backward_has_the_seed_and_one_step_per_operation(lesson):
    # z = a + y fires first, then a = x * y; the leaves x and y have no _backward
    assert last_step(lesson, BACKWARD) == 2
    assert [flow_view(lesson, BACKWARD, k).node for k in range(3)] == [Z, Z, A]


def test_step_zero_seeds_the_output_with_one_because_dz_dz_is_one(lesson):
    view = flow_view(lesson, BACKWARD, 0)
    assert view.grads == [0, 0, 0, 1]
    assert view.highlight.current == Z
    assert not view.highlight.flowing
    assert "z.grad = 1" in view.sentence and "dz/dz = 1" in view.sentence
    assert "seed" in view.highlight.notes[Z]
    assert view.position == "Start (step 0 of 2)"


def test_step_one_sends_z_grad_to_both_inputs_of_the_sum(lesson):
    view = flow_view(lesson, BACKWARD, 1)
    # by hand: z.grad = 1 and + passes it on unchanged: a.grad = 1, y.grad = 1, x not reached yet
    assert view.grads == [0, 1, 1, 1]
    assert set(view.highlight.flowing) == {(A, Z, 0), (Y, Z, 1)}
    assert view.highlight.edge_labels == {(A, Z, 0): "+1", (Y, Z, 1): "+1"}
    assert view.changed == {A, Y}


def test_step_two_fires_a_and_sends_three_to_x_and_two_to_y(lesson):
    view = flow_view(lesson, BACKWARD, 2)
    assert view.highlight.current == A
    assert set(view.highlight.flowing) == {(X, A, 0), (Y, A, 1)}
    # x.grad += y.data * a.grad = 3 * 1; y.grad += x.data * a.grad = 2 * 1
    assert view.highlight.edge_labels == {(X, A, 0): "+3", (Y, A, 1): "+2"}
    assert "x.grad += y.data * a.grad = 3 * 1 = 3" in view.sentence
    assert "y.grad += x.data * a.grad = 2 * 1 = 2" in view.sentence
    assert "y.grad is now 3" in view.sentence  # 1 from z = a + y, plus 2 from a = x * y
    assert view.grads == [3, 3, 1, 1]  # dz/dx = y = 3, dz/dy = x + 1 = 3
    assert view.position == "Step 2 of 2"


def test_diagram_gets_the_gradients_of_the_step_not_the_final_ones(lesson):
    from lab.model.diagram import to_dot

    dot = to_dot(lesson, flow_view(lesson, BACKWARD, 1).highlight)
    x_line = next(line for line in dot.splitlines() if line.strip().startswith("v0 "))
    assert "grad 0" in x_line  # x gets its 3 only at step 2
    assert "class=variable " in x_line
    assert 'class="output current"' in dot


def test_topological_order_marks_current_fired_and_leaves(lesson):
    view = flow_view(lesson, BACKWARD, 2)
    assert [(o.name, o.state) for o in view.order] == [("x", LEAF), ("y", LEAF), ("a", CURRENT), ("z", DONE)]
    before = flow_view(lesson, BACKWARD, 0)
    assert [o.state for o in before.order] == [LEAF, LEAF, WAITING, CURRENT]
    assert "position 3 of 4" in view.where


def test_steps_outside_the_pass_are_clamped(lesson):
    assert flow_view(lesson, BACKWARD, 99).step == 2
    assert flow_view(lesson, BACKWARD, -5).step == 0
    assert flow_view(lesson, FORWARD, 99).step == 3


def test_unknown_mode_is_refused(lesson):
    with pytest.raises(ValueError):
        flow_view(lesson, "sideways", 0)


def test_forward_computes_one_node_at_a_time_in_topological_order(lesson):
    assert last_step(lesson, FORWARD) == 3
    assert [flow_view(lesson, FORWARD, k).node for k in range(4)] == [X, Y, A, Z]
    view = flow_view(lesson, FORWARD, 2)
    assert view.sentence == "a = x * y = 2 * 3 = 6"
    assert set(view.highlight.flowing) == {(X, A, 0), (Y, A, 1)}
    assert view.highlight.edge_labels == {(X, A, 0): "2", (Y, A, 1): "3"}  # the data that flows forward
    assert list(view.highlight.unknown_data) == [Z]
    assert view.grads == [0, 0, 0, 0]  # nothing has run backward yet
    assert [o.state for o in view.order] == [DONE, DONE, CURRENT, WAITING]
    assert view.position == "Node 3 of 4"
    assert flow_view(lesson, FORWARD, 3).sentence == "z = a + y = 6 + 3 = 9"
    assert "variable" in flow_view(lesson, FORWARD, 0).sentence


def test_forward_table_leaves_values_not_computed_yet_empty(lesson):
    df = step_table(lesson, flow_view(lesson, FORWARD, 2))
    assert list(df["data"][:3]) == [2, 3, 6]
    assert math.isnan(df["data"][3])
    assert list(step_table(lesson, flow_view(lesson, BACKWARD, 1))["grad"]) == [0, 1, 1, 1]


def test_styled_table_marks_the_current_row(lesson):
    view = flow_view(lesson, BACKWARD, 2)
    shown = styled_table(step_table(lesson, view), view).to_html()
    assert "background-color: #ffedd5" in shown
    forward = flow_view(lesson, FORWARD, 1)
    assert ">?<" in styled_table(step_table(lesson, forward), forward).to_html()


def test_order_html_escapes_names_and_marks_the_current_node(lesson):
    text = order_html(flow_view(lesson, BACKWARD, 2).order)
    assert text.count("<span") == 4
    assert 'title="current"' in text
    # a name with HTML's characters (the order takes any text) is shown as text, never as markup
    text = order_html([OrderItem("<b>x</b>&y", CURRENT), OrderItem('"z"', DONE)])
    assert "&lt;b&gt;x&lt;/b&gt;&amp;y" in text and "<b>" not in text and "&quot;z&quot;" in text


def test_signed_shows_what_an_edge_adds():
    assert signed(3.0) == "+3"
    assert signed(-0.5) == "-0.5"
    assert signed(0.0) == "+0"


def test_micrograd_readme_example_ends_with_its_published_gradients():
    a = analyse(PRESETS["micrograd"].program)
    last = last_step(a, BACKWARD)
    view = flow_view(a, BACKWARD, last)
    grads = dict(zip(a.names, view.grads, strict=True))
    # micrograd's README: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773
    assert math.isclose(a.graph.output.data, 24.7041, abs_tol=1e-4)
    assert math.isclose(grads["a"], 138.8338, abs_tol=1e-4)
    assert math.isclose(grads["b"], 645.5773, abs_tol=1e-4)
    # before the last steps have run, a's gradient is not complete yet
    assert not math.isclose(flow_view(a, BACKWARD, last // 2).grads[a.names.index("a")], 138.8338, abs_tol=1e-4)


def test_neuron_gradients_arrive_through_tanh_and_the_sum():
    a = analyse(PRESETS["neuron"].program)
    first = flow_view(a, BACKWARD, 1)
    assert a.names[first.node] == "o"
    # tanh's rule: n.grad += (1 - o.data**2) * o.grad, and o = tanh(0.8814) = 0.7071, so 1 - 0.5 = 0.5
    assert "(1 - o.data**2) * o.grad" in first.sentence
    assert math.isclose(first.grads[a.names.index("n")], 0.5, abs_tol=1e-4)
    end = flow_view(a, BACKWARD, last_step(a, BACKWARD)).grads
    # the lecture: x1.grad = w1 * 0.5 = -1.5, w1.grad = x1 * 0.5 = 1, x2.grad = 0.5, w2.grad = 0
    assert math.isclose(end[a.names.index("x1")], -1.5, abs_tol=1e-4)
    assert math.isclose(end[a.names.index("w1")], 1.0, abs_tol=1e-4)
    assert math.isclose(end[a.names.index("x2")], 0.5, abs_tol=1e-4)
    assert end[a.names.index("w2")] == 0


def test_a_single_number_has_one_step_in_each_pass():
    a = analyse("x = 5")
    assert last_step(a, BACKWARD) == 0
    assert last_step(a, FORWARD) == 0
    assert flow_view(a, BACKWARD, 0).grads == [1]


def test_layout_work_counts_the_ranks_long_edges_jump_over(lesson):
    # ranks: x, y | a's circle | a | z's circle | z. Only y -> z's circle is long: it jumps over 2 ranks.
    assert layout_work(lesson) == 2
    assert layout_work(lesson) < FAST_LAYOUT_FROM


def test_a_chain_that_reuses_its_inputs_everywhere_is_quick_to_lay_out():
    # x and w are drawn again beside each far use (lab.model.diagram.sources), so no edge is long
    lines = ["x = 0.5", "w = -0.9", "s0 = x * w + 1"] + [f"s{k} = s{k - 1} * w + x" for k in range(1, 48)]
    assert layout_work(analyse("\n".join(lines))) < FAST_LAYOUT_FROM
    for preset in PRESETS.values():
        assert layout_work(analyse(preset.program)) < FAST_LAYOUT_FROM


def test_an_unrevealed_step_shows_the_gradients_before_it_and_no_numbers_on_its_edges(lesson):
    view = flow_view(lesson, BACKWARD, 2, revealed=False)
    # before a._backward(): z = a + y has sent 1 to a and to y; x has nothing yet
    assert view.grads == [0, 1, 1, 1]
    assert view.highlight.current == A
    assert set(view.highlight.flowing) == {(X, A, 0), (Y, A, 1)}  # the edges that will carry gradient
    assert view.highlight.edge_labels == {}
    assert view.changed == frozenset()
    for answer in ("3 * 1", "2 * 1", "is now"):
        assert answer not in view.sentence
    assert "What will it add to x.grad and y.grad?" in view.sentence
    assert list(step_table(lesson, view)["grad"]) == [0, 1, 1, 1]


def test_an_unrevealed_seed_shows_every_gradient_at_zero(lesson):
    view = flow_view(lesson, BACKWARD, 0, revealed=False)
    assert view.grads == [0, 0, 0, 0]
    assert "1" not in view.highlight.notes[Z]
    assert "what is z.grad set to?" in view.sentence


def test_an_unrevealed_forward_step_has_not_computed_its_node_yet(lesson):
    from lab.model.diagram import to_dot

    view = flow_view(lesson, FORWARD, 2, revealed=False)
    assert view.sentence == "a = x * y: what is a.data?"
    assert list(view.highlight.unknown_data) == [A, Z]
    assert view.highlight.edge_labels == {}
    df = step_table(lesson, view)
    assert list(df["data"][:2]) == [2, 3] and math.isnan(df["data"][2])
    a_line = next(line for line in to_dot(lesson, view.highlight).splitlines() if line.strip().startswith("v2 "))
    assert "data ?" in a_line and "data 6" not in a_line


def test_the_pass_shown_can_be_another_list_of_steps(lesson):
    # the learner's own rules will give their own steps: the view shows whichever list it is given
    view = flow_view(lesson, BACKWARD, 5, steps=lesson.steps[:2])
    assert view.step == 1 and view.last == 1
    assert last_step(lesson, BACKWARD, lesson.steps[:2]) == 1
