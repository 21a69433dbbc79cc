"""Learner slips get messages in the learner's words (issue 16, item 11), and the lesson's own notation
`y.data * a.grad` is read where a prediction is typed.

The numbers are worked out by hand for the lesson's example x = 2, y = 3, a = x*y, z = a + y:
dz/da = 1, so the edge y -> a adds y.data * a.grad = 3 * 1 = 3 to y.grad.
"""

import pytest

from engine import rule_reader as rr
from engine.errors import ExpressionError
from engine.parser import parse_program
from lab.model.analysis import analyse
from lab.model.entries import number_at, read_entry
from lab.views.by_hand import check

LESSON = "x = 2\ny = 3\na = x*y\nz = a + y"


def message(read, *args) -> str:
    with pytest.raises(ExpressionError) as caught:
        read(*args)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x = 2,0\nz = x * 3", "use a dot for decimals: `2.0`"),
        ("z = 2,5 * x", "use a dot for decimals: `2.5`"),
        ("z = 2x + 1", "put * between a number and a name: write `2*x`"),
        ("z = 0.5w", "write `0.5*w`"),
    ],
)
def test_a_decimal_comma_and_a_missing_star_are_named_in_the_expression_language(text, words):
    said = message(parse_program, text)
    assert words in said
    assert "tuple" not in said and "literal" not in said


def test_the_same_slips_in_a_rule_and_in_a_hand_entry():
    assert "use a dot for decimals" in message(rr.read_rule, "*", "self.grad += 2,0\nother.grad += 1")
    assert "write `2*out.grad`" in message(rr.read_rule, "*", "self.grad += 2out.grad\nother.grad += 1")
    a = analyse(LESSON)
    assert "use a dot for decimals: `0.5`" in message(read_entry, "0,5", a)
    assert "write `3*x`" in message(read_entry, "3x", a)


def test_a_prediction_in_the_lessons_notation_is_read_at_the_current_graph():
    a = analyse(LESSON)
    assert number_at(read_entry("y.data * a.grad", a, notation=True), a.values) == 3.0
    assert number_at(read_entry("x.data * y.data", a, notation=True), a.values) == 6.0  # a's value, forward
    assert number_at(read_entry("a.data + y.data", a, notation=True), a.values) == 9.0
    assert number_at(read_entry("z.grad", a, notation=True), a.values) == 1.0


def test_a_variables_data_is_the_variable_itself_so_it_holds_at_every_point():
    a = analyse(LESSON)
    formula = read_entry("x.data + 1", a)
    assert set(formula.variables) == {"x"}
    assert number_at(formula, {"x": 5.0, "y": 0.0}) == 6.0
    row = check(a, {"grad:y": "x.data + 1"})
    assert [c.status for c in row.checks if c.row.key == "grad:y"] == ["pass"]  # dz/dy = x + 1, checked elsewhere too


def test_without_the_notation_a_message_says_exactly_what_to_type():
    a = analyse(LESSON)
    said = message(read_entry, "y.data * a.grad", a)
    assert "`a.grad` cannot be used here: type the number `a.grad` has" in said
    assert "1" not in said  # the hand check does not give a gradient away
    assert "write `a` for its value" in message(read_entry, "a.data", a)
    assert "`x.data`: write `x` for its value" in message(parse_program, "z = x.data * 2")
