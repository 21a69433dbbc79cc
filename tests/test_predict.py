"""Predict, then reveal: what each step asks, how an entry is judged, the score, and the keys.

By hand, for the lesson's x = 2, y = 3, z = x*y + y (a = x*y): step 0 seeds z.grad = 1; step 1 is
z = a + y, whose + passes z.grad = 1 on unchanged to a and to y; step 2 is a = x * y, sending
y.data * a.grad = 3 * 1 = 3 to x and x.data * a.grad = 2 * 1 = 2 to y (so y.grad is then 1 + 2 = 3).
Forward: a = 2 * 3 = 6, z = 6 + 3 = 9.
"""

import pytest

from lab.model.analysis import analyse
from lab.model.identity import program_id
from lab.model.steps import BACKWARD, FORWARD
from lab.views.predict import (
    EMPTY,
    RIGHT,
    UNREADABLE,
    WRONG,
    blanks,
    first_unrevealed,
    how_it_is_made,
    judge,
    pass_keys,
    revealed,
    score,
    unreadable,
)

LESSON = "x = 2\ny = 3\nz = x*y + y"
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def lesson():
    return analyse(LESSON)


def ask(a, step, mode=BACKWARD):
    return blanks(a, mode, step)


def test_the_seed_asks_for_the_outputs_grad_which_is_one(lesson):
    (seed,) = ask(lesson, 0)
    assert seed.label == "z.grad = ?"
    assert seed.answer == 1
    assert "dz/dz = 1" in how_it_is_made(lesson, seed)


def test_the_sum_step_asks_what_it_adds_to_a_and_to_y(lesson):
    to_a, to_y = ask(lesson, 1)
    assert (to_a.label, to_a.answer) == ("a.grad += ?", 1)
    assert (to_y.label, to_y.answer) == ("y.grad += ?", 1)


def test_the_product_step_sends_three_to_x_and_two_to_y(lesson):
    to_x, to_y = ask(lesson, 2)
    assert (to_x.label, to_x.answer) == ("x.grad += ?", 3)
    assert (to_y.label, to_y.answer) == ("y.grad += ?", 2)


def test_a_number_within_the_tolerance_is_right_and_another_is_wrong(lesson):
    to_x, to_y = ask(lesson, 2)
    assert judge(lesson, to_x, "3", TOLERANCE).status == RIGHT
    assert judge(lesson, to_x, "3.0004", TOLERANCE).status == RIGHT  # |diff| 0.0004 <= 0.001 * 3
    assert judge(lesson, to_x, "3.01", TOLERANCE).status == WRONG
    wrong = judge(lesson, to_y, "3", TOLERANCE)  # y's total after this step, not what this edge adds
    assert wrong.status == WRONG
    assert "it is 2" in wrong.message


def test_a_formula_in_the_variables_is_computed_at_their_values(lesson):
    to_x, to_y = ask(lesson, 2)
    right = judge(lesson, to_x, "y", TOLERANCE)  # y.data * a.grad = y * 1
    assert right.status == RIGHT and right.number == 3
    assert "`y`, which is 3 here" in right.message  # shown as code on the page
    assert judge(lesson, to_y, "x * 1", TOLERANCE).status == RIGHT
    assert judge(lesson, to_y, "x + 1", TOLERANCE).status == WRONG  # 3: the sum of both uses, not this edge


def test_an_unreadable_or_empty_entry_is_neither_right_nor_wrong(lesson):
    to_x, _ = ask(lesson, 2)
    for entry in ("3 +", "a", "w * 2", "x.grad = 3", "__import__('os')"):
        judged = judge(lesson, to_x, entry, TOLERANCE)
        assert judged.status == UNREADABLE, entry
        assert judged.message
    assert "`a` is a node" in judge(lesson, to_x, "a", TOLERANCE).message
    assert judge(lesson, to_x, "   ", TOLERANCE).status == EMPTY
    entries = {b.key: "3" for b in ask(lesson, 2)}
    assert unreadable(lesson, ask(lesson, 2), entries) == []
    entries[to_x.key] = "3 +"
    assert [j.blank for j in unreadable(lesson, ask(lesson, 2), entries)] == [to_x]


def test_a_wrong_edge_is_explained_as_upstream_grad_times_local_derivative(lesson):
    to_x, to_y = ask(lesson, 2)
    text = how_it_is_made(lesson, to_x)
    assert text.startswith("x.grad += y.data * a.grad = 3 * 1 = 3")
    assert "upstream gradient a.grad = 1" in text and "local derivative da/dx = y.data = 3" in text
    # y is used twice: after this step its grad holds both uses
    assert "y.grad = 1 * z.grad + x.data * a.grad = 1 * 1 + 2 * 1 = 3" in how_it_is_made(lesson, to_y)


def test_the_sum_so_far_does_not_give_away_a_later_step(lesson):
    _, to_y = ask(lesson, 1)
    text = how_it_is_made(lesson, to_y)
    assert text == "y.grad += z.grad = 1: the upstream gradient z.grad = 1 times the local derivative dz/dy = 1"
    assert "x.data" not in text  # a = x * y only sends its 2 to y at step 2


def test_a_used_twice_asks_once_per_slot():
    a = analyse("a = 3\nb = a + a")
    first, second = blanks(a, BACKWARD, 1)
    assert first.label == "a.grad += ?  (input 1 of b)"
    assert second.label == "a.grad += ?  (input 2 of b)"
    assert first.key != second.key
    assert first.answer == second.answer == 1


def test_forward_asks_for_computed_values_and_nothing_for_inputs(lesson):
    assert ask(lesson, 0, FORWARD) == [] and ask(lesson, 1, FORWARD) == []  # x and y are given
    (a_value,) = ask(lesson, 2, FORWARD)
    assert (a_value.label, a_value.answer) == ("a.data = ?", 6)
    assert how_it_is_made(lesson, a_value) == "a = x * y = 2 * 3 = 6"
    assert judge(lesson, a_value, "x*y", TOLERANCE).status == RIGHT
    (z_value,) = ask(lesson, 3, FORWARD)
    assert z_value.answer == 9


def test_keys_name_the_program_the_pass_the_step_and_the_edge(lesson):
    keys = [b.key for step in range(3) for b in ask(lesson, step)]
    keys += [b.key for step in range(4) for b in ask(lesson, step, FORWARD)]
    assert len(set(keys)) == len(keys) == 7
    pid = program_id(lesson, at_values=True)
    assert f"{pid}|backward|2|x.grad#0" in keys
    assert f"{pid}|forward|2|a.data" in keys
    other = ask(analyse("x = 4\ny = 3\nz = x*y + y"), 2)  # another value: another pass
    assert not {b.key for b in other} & set(keys)
    spelled = ask(analyse("x = Value(2.0)\ny = Value(3.0)\nz = x*y + y"), 2)  # the lesson's own spelling
    assert {b.key for b in spelled} <= set(keys)  # the same program at the same values: the same pass


def test_a_step_is_revealed_once_each_of_its_predictions_is_kept(lesson):
    to_x, to_y = ask(lesson, 2)
    assert not revealed([to_x, to_y], {to_x.key: "3"})
    assert revealed([to_x, to_y], {to_x.key: "3", to_y.key: "2"})
    assert revealed([], {})  # an input in the forward pass: nothing to predict


def test_the_first_step_not_checked_moves_on_as_steps_are_checked(lesson):
    predictions: dict[str, str] = {}
    assert first_unrevealed(lesson, BACKWARD, predictions) == 0
    predictions[ask(lesson, 0)[0].key] = "1"
    assert first_unrevealed(lesson, BACKWARD, predictions) == 1
    predictions.update({b.key: "1" for b in ask(lesson, 1)})
    predictions.update({b.key: "0" for b in ask(lesson, 2)})
    assert first_unrevealed(lesson, BACKWARD, predictions) is None
    assert first_unrevealed(lesson, FORWARD, {}) == 2  # x and y have nothing to predict


def test_the_score_counts_right_predictions_of_this_pass_only(lesson):
    (seed,) = ask(lesson, 0)
    to_a, to_y1 = ask(lesson, 1)
    to_x, to_y2 = ask(lesson, 2)
    predictions = {seed.key: "1", to_a.key: "1", to_y1.key: "1", to_x.key: "y", to_y2.key: "3"}
    predictions["deadbeef|backward|0|z.grad"] = "1"  # another program's pass
    predictions[ask(lesson, 2, FORWARD)[0].key] = "6"  # the forward pass
    result = score(lesson, BACKWARD, predictions, TOLERANCE)
    assert (result.right, result.predicted) == (4, 5)
    assert str(result) == "4 of 5 right so far"
    assert str(score(lesson, BACKWARD, {}, TOLERANCE)).startswith("No predictions")
    assert sorted(pass_keys(lesson, FORWARD, predictions)) == [ask(lesson, 2, FORWARD)[0].key]
    assert len(pass_keys(lesson, BACKWARD, predictions)) == 5


# -- slips a learner would see (issue 17): each of these turned red with the slip planted --------


def test_a_prediction_with_the_right_size_but_the_wrong_sign_is_wrong(lesson):
    to_x, _ = ask(lesson, 2)  # this edge adds +3
    assert judge(lesson, to_x, "-3", TOLERANCE).status == WRONG


def test_a_prediction_is_judged_against_what_the_edge_adds_not_the_local_derivative():
    # a = x*y, z = a*4: z sends 4 to a.grad; a sends y.data * a.grad = 3 * 4 = 12 to x (local derivative 3)
    program = "x = 2\ny = 3\nz = (x*y)*4"
    a = analyse(program)
    (to_x,) = [b for b in blanks(a, BACKWARD, 2) if b.label.startswith("x.grad")]
    assert to_x.answer == 12
    assert judge(a, to_x, "12", TOLERANCE).status == RIGHT
    assert judge(a, to_x, "3", TOLERANCE).status == WRONG  # forgot `* out.grad`


def test_the_last_step_is_not_revealed_until_it_is_predicted(lesson):
    predictions = {ask(lesson, 0)[0].key: "1", **{b.key: "1" for b in ask(lesson, 1)}}
    assert first_unrevealed(lesson, BACKWARD, predictions) == 2  # the last step, still to predict
    assert not revealed(ask(lesson, 2), predictions)


def test_the_score_judges_each_edge_on_its_own_even_with_the_same_text(lesson):
    to_x, to_y = ask(lesson, 2)  # they add 3 and 2
    result = score(lesson, BACKWARD, {to_x.key: "3", to_y.key: "3"}, TOLERANCE)
    assert (result.right, result.predicted) == (1, 2)


def test_a_looser_tolerance_makes_a_near_prediction_right(lesson):
    to_x, _ = ask(lesson, 2)
    assert judge(lesson, to_x, "3.02", TOLERANCE).status == WRONG
    assert judge(lesson, to_x, "3.02", 0.01).status == RIGHT  # |0.02| <= 0.01 * 3
    assert score(lesson, BACKWARD, {to_x.key: "3.02"}, 0.01).right == 1


def test_a_prediction_in_the_lessons_notation_is_read_with_the_firing_nodes_grad(lesson):
    """`y.data * a.grad` is the lesson's own rule for what a = x * y sends to x: 3 * 1 = 3 (and 2 * 1 = 2 to y)."""
    to_x, to_y = ask(lesson, 2)
    assert judge(lesson, to_x, "y.data * a.grad", TOLERANCE).status == RIGHT
    assert judge(lesson, to_y, "x.data * a.grad", TOLERANCE).status == RIGHT
    assert judge(lesson, to_y, "y.data * a.grad", TOLERANCE).status == WRONG  # 3, not the 2 it sends


def test_a_prediction_cannot_read_the_grad_it_is_asked_to_predict(lesson):
    """x.grad ends at 3, the number the x box asks for: typing `x.grad` must not be a way to be right."""
    to_x, _ = ask(lesson, 2)
    judged = judge(lesson, to_x, "x.grad", TOLERANCE)
    assert judged.status == UNREADABLE
