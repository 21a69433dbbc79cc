"""lab/views/bugs.py: each mistake of the lesson run on an expression beside the correct engine.

Hand calculations for the lesson's example z = x*y + y at x = 2, y = 3 (nodes x, y, a = x*y, z), correct
grads x 3, y 3, a 1, z 1; backward fires z then a:
- `=`: z sets a.grad = 1 and y.grad = 1, then a sets x.grad = 3 and y.grad = 2 (overwriting the 1): only y wrong.
- no seed: z.grad stays 0, so everything is 0.
- twice: second pass adds a 1 (a = 2), y 1 + 2*2 (y = 3 + 5 = 8), x 3*2 (x = 3 + 6 = 9), z is set to 1 again.
- wrong order (breadth first from z: z, a, y, x): a fires after z, with all its gradient: nothing changes.
micrograd's README example: dg/da = 138.8338, dg/db = 645.5773 (published).
"""

import pytest

from engine.trace import Mistake
from lab.model.analysis import analyse
from lab.views import bugs
from tests.examples import MICROGRAD_PROGRAM

LESSON = "x = 2\ny = 3\nz = x*y + y"
MICROGRAD = MICROGRAD_PROGRAM
DEAD_RELU = "x = -2\nw = 3\nb = 1\nn = w*x + b\no = relu(n)"


def wrong_names(report: bugs.BugReport) -> set[str]:
    return {report.analysis.names[i] for i in report.wrong}


def grads_by_name(report: bugs.BugReport, which: str) -> dict[str, float]:
    return dict(zip(report.analysis.names, getattr(report, which), strict=True))


def test_overwrite_on_the_lesson_makes_only_y_wrong_2_instead_of_3():
    r = bugs.compare_mistake(analyse(LESSON), Mistake.OVERWRITE)
    assert wrong_names(r) == {"y"}
    assert grads_by_name(r, "buggy") == {"x": 3, "y": 2, "a": 1, "z": 1}
    sentence = bugs.explain_mistake(r)
    assert "y.grad becomes 2 instead of 3" in sentence and "used twice" in sentence and "+=" in sentence


def test_no_seed_on_the_lesson_leaves_every_gradient_at_zero():
    r = bugs.compare_mistake(analyse(LESSON), Mistake.NO_SEED)
    assert wrong_names(r) == {"x", "y", "a", "z"}
    assert set(r.buggy) == {0.0}
    assert "never set to 1" in bugs.explain_mistake(r)


def test_twice_on_the_lesson_gives_x_9_y_8_a_2_and_leaves_z_right():
    r = bugs.compare_mistake(analyse(LESSON), Mistake.TWICE)
    assert wrong_names(r) == {"x", "y", "a"}
    assert grads_by_name(r, "buggy") == {"x": 9, "y": 8, "a": 2, "z": 1}
    sentence = bugs.explain_mistake(r)
    assert "x.grad becomes 9 instead of 3" in sentence and "a.grad becomes 2 instead of 1" in sentence


def test_wrong_order_changes_nothing_on_the_lesson_and_suggests_micrograds_example():
    r = bugs.compare_mistake(analyse(LESSON), Mistake.WRONG_ORDER)
    assert r.changes_nothing and r.wrong == ()
    assert "changes nothing" in bugs.explain_mistake(r)
    name, _title, program = bugs.suggest_preset(Mistake.WRONG_ORDER, LESSON)
    assert name == "micrograd" and "relu" in program


@pytest.mark.parametrize("mistake", list(Mistake))
def test_the_shared_graph_keeps_its_correct_gradients_afterwards(mistake):
    a = analyse(LESSON)
    bugs.compare_mistake(a, mistake)
    assert a.grads == [3.0, 3.0, 1.0, 1.0]


@pytest.mark.parametrize("mistake", list(Mistake))
def test_every_mistake_makes_a_and_b_wrong_in_micrograds_readme_example(mistake):
    r = bugs.compare_mistake(analyse(MICROGRAD), mistake)
    assert {"a", "b"} <= wrong_names(r)
    correct = grads_by_name(r, "correct")
    assert correct["a"] == pytest.approx(138.8338, abs=1e-4)
    assert correct["b"] == pytest.approx(645.5773, abs=1e-4)
    assert not bugs.explain_mistake(r).startswith("This mistake changes nothing")


def test_wrong_order_in_micrograd_names_a_node_that_fired_before_all_its_gradient_arrived():
    r = bugs.compare_mistake(analyse(MICROGRAD), Mistake.WRONG_ORDER)
    early = bugs.early_firings(r)
    assert early
    first = early[0]
    assert first.late_from  # some gradient reached it after it had fired
    assert first.grad_then != pytest.approx(r.correct[first.node])
    assert "fired" in bugs.explain_mistake(r) and r.analysis.names[first.node] in bugs.explain_mistake(r)
    assert "fired too early" in bugs.notes(r)[first.node]


def test_a_node_added_to_itself_loses_one_use_with_overwrite():
    r = bugs.compare_mistake(analyse("x = 3\nz = x + x"), Mistake.OVERWRITE)
    assert grads_by_name(r, "buggy")["x"] == 1  # should be 2: one use per edge of x + x
    assert "x.grad becomes 1 instead of 2" in bugs.explain_mistake(r)


def test_twice_changes_nothing_on_a_dead_relu_and_suggests_another_preset():
    r = bugs.compare_mistake(analyse(DEAD_RELU), Mistake.TWICE)
    assert r.changes_nothing
    assert "0 + 0" in bugs.explain_mistake(r)
    suggestion = bugs.suggest_preset(Mistake.TWICE, DEAD_RELU)
    assert suggestion is not None and suggestion[2].strip() != DEAD_RELU


def test_overwrite_changes_nothing_when_no_node_is_used_twice():
    r = bugs.compare_mistake(analyse("x = 2\nw = 3\nz = tanh(x*w)"), Mistake.OVERWRITE)
    assert r.changes_nothing and "more than one use" in bugs.explain_mistake(r)


def test_the_table_and_the_notes_mark_the_wrong_nodes_with_what_they_should_be():
    r = bugs.compare_mistake(analyse(LESSON), Mistake.OVERWRITE)
    table = bugs.bug_table(r)
    assert list(table.columns) == ["node", "formula", "correct grad", "with the mistake", bugs.MATCH_COLUMN]
    marks = dict(zip(table["node"], table[bugs.MATCH_COLUMN], strict=True))
    assert marks == {"x": bugs.RIGHT, "y": bugs.WRONG, "a": bugs.RIGHT, "z": bugs.RIGHT}
    assert bugs.notes(r) == {1: "should be 3"}


def test_the_buggy_code_sits_beside_the_engines_right_code():
    a = analyse(LESSON)
    buggy, right = bugs.code_pair(bugs.compare_mistake(a, Mistake.OVERWRITE))
    assert "self.grad = other.data * out.grad" in buggy and "self.grad += other.data * out.grad" in right
    buggy, right = bugs.code_pair(bugs.compare_mistake(a, Mistake.NO_SEED))
    assert "    self.grad = 1.0" in right and "    self.grad = 1.0" not in buggy
    buggy, right = bugs.code_pair(bugs.compare_mistake(a, Mistake.WRONG_ORDER))
    assert "topological_order" in right and "topological_order" not in buggy
    buggy, right = bugs.code_pair(bugs.compare_mistake(a, Mistake.TWICE))
    assert buggy.count("z.backward()") == 2 and "z.zero_grad()" in right


def test_the_tables_marks_say_what_they_mean_in_words_not_a_bare_tick_under_wrong():
    """A ✓ under a column called "wrong?" reads "yes, wrong": the column names what a mark means, and every
    mark carries a word, so it reads the same without its colour or symbol."""
    r = bugs.compare_mistake(analyse(LESSON), Mistake.OVERWRITE)
    table = bugs.bug_table(r)
    column = table.columns[-1]
    assert "wrong" not in column and "match" in column
    marks = dict(zip(table["node"], table[column], strict=True))
    assert "matches" in marks["x"] and marks["x"].startswith("✓")
    assert "differs" in marks["y"] and marks["y"].startswith("✘")
