"""Rewriting a variable's value in the program text (what the sidebar's number inputs do)."""

import pytest

from lab.model.program_edit import number_text, set_variable_value


@pytest.mark.parametrize(
    ("x", "text"), [(2.0, "2"), (-3.0, "-3"), (0.5, "0.5"), (6.8813735870195432, "6.881373587019543")]
)
def test_number_text_is_short_and_exact(x, text):
    assert number_text(x) == text
    assert float(text) == x


def test_number_text_refuses_nan_and_infinity():
    with pytest.raises(ValueError):
        number_text(float("nan"))
    with pytest.raises(ValueError):
        number_text(float("inf"))


def test_plain_definition_is_rewritten_in_place():
    assert set_variable_value("x = 2\ny = 3\nz = x*y + y", "y", 4.5) == "x = 2\ny = 4.5\nz = x*y + y"


def test_value_constructor_definition_keeps_its_spelling():
    text = "x = Value(2.0, label='x')\nz = x * 2"
    assert set_variable_value(text, "x", -1) == "x = Value(-1, label='x')\nz = x * 2"


def test_only_the_named_variable_changes():
    text = "x1 = 2\nx = 3\nz = x1 * x"
    assert set_variable_value(text, "x", 7) == "x1 = 2\nx = 7\nz = x1 * x"


def test_free_variable_gets_a_definition_line_first():
    assert set_variable_value("x*y + y", "x", 2) == "x = 2\nx*y + y"


def test_a_computed_assignment_is_not_mistaken_for_a_definition():
    text = "x = 2\na = x * 3\n"
    assert set_variable_value(text, "a", 5) == "a = 5\n" + text
