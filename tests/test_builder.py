"""The widget builder edits the program text: add, change and remove steps, with learner messages."""

import pytest

from lab.model import builder
from lab.model.builder import OTHER, VARIABLE

LESSON = "x = 2\ny = 3\nz = x*y + y"


def test_steps_of_the_lesson_example_are_two_variables_and_one_operation():
    found = builder.steps(LESSON)
    assert [(s.name, s.kind) for s in found] == [("x", "variable"), ("y", "variable"), ("z", "operation")]
    assert found[0].value == 2.0
    assert found[2].expression == "x*y + y"
    assert found[2].uses == ("x", "y")
    assert not found[2].structured  # two operators in one line: edited as text


def test_single_operations_are_taken_apart_for_the_widgets():
    text = "x = 2\na = x * 3\nb = tanh(a)\nc = a.relu()\nd = -c\ne = x ** 2\nf = x - (-1.5)"
    found = {s.name: (s.operator, s.operands) for s in builder.steps(text)}
    assert found["a"] == ("*", ("x", "3"))
    assert found["b"] == ("tanh", ("a",))
    assert found["c"] == ("relu", ("a",))
    assert found["d"] == ("neg", ("c",))
    assert found["e"] == ("**", ("x", "2"))
    assert found["f"] == ("-", ("x", "-1.5"))


def test_pasted_python_lines_are_steps_with_the_names_they_read():
    text = (
        "from engine import Value\na = Value(-4.0, label='a')\nb = Value(data=2.0)\n"
        "c += c + 1\nd = (b + a).relu() + a.tanh()\ng.backward()"
    )
    found = builder.steps(text)
    assert found[0].kind == OTHER
    assert (found[1].name, found[1].kind, found[1].value) == ("a", VARIABLE, -4.0)
    assert found[1].uses == ()  # label='a' is a string, not a use of a
    assert found[2].value == 2.0
    assert found[3].uses == ("c",) and found[3].assign == "+="
    assert found[4].uses == ("b", "a")  # relu and tanh are methods, not nodes
    assert found[5].kind == OTHER


def test_blank_lines_and_comments_are_not_steps_but_keep_their_place():
    text = "# my example\nx = 2\n\ny = 3"
    found = builder.steps(text)
    assert [s.line for s in found] == [1, 3]
    assert builder.remove_step(text, 1) == "# my example\nx = 2\n"


def test_building_the_lesson_example_step_by_step_gives_the_typed_program():
    text = builder.new_program("x", 2)
    text = builder.add_variable(text, "y", 3)
    text = builder.add_operation(text, "a", "*", ["x", "y"])
    text = builder.add_operation(text, "z", "+", ["a", "y"])
    assert text == "x = 2\ny = 3\na = x * y\nz = a + y"


def test_a_new_variable_goes_before_the_first_operation_so_the_output_stays_last():
    assert builder.add_variable(LESSON, "w", -1.5) == "x = 2\ny = 3\nw = -1.5\nz = x*y + y"


def test_a_new_operation_becomes_the_last_step():
    assert builder.add_operation(LESSON, "o", "tanh", ["z"]).endswith("\no = tanh(z)")
    assert builder.add_operation(LESSON, "n", "neg", ["z"]).endswith("\nn = -z")
    assert builder.add_operation(LESSON, "p", "**", ["z", "2"]).endswith("\np = z ** 2")


def test_typed_numbers_are_operands_and_negative_ones_get_brackets():
    assert builder.add_operation(LESSON, "q", "-", ["z", "-2"]).endswith("\nq = z - (-2)")
    assert builder.add_operation(LESSON, "q", "*", [" 0.5 ", "z"]).endswith("\nq = 0.5 * z")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "give the new node a name"),
        ("2x", "can't be a name"),
        ("x y", "can't be a name"),
        ("for", "keyword"),
        ("lambda", "keyword"),
        ("tanh", "name of a function"),
        ("Value", "name of a function"),
        ("x", "already a node called `x`"),
        ("__x__", "`__x__` is a name Python already uses"),  # as code: markdown would make __x__ bold
        ("xｙ", "`xｙ` can't be a name"),  # full-width: Python would read it as xy
    ],
)
def test_bad_names_are_refused_with_a_reason(name, words):
    with pytest.raises(ValueError, match=words):
        builder.add_variable(LESSON, name, 1)
    with pytest.raises(ValueError, match=words):
        builder.add_operation(LESSON, name, "+", ["x", "y"])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_variable_needs_a_finite_number(value):
    with pytest.raises(ValueError, match="finite number"):
        builder.add_variable(LESSON, "w", value)


@pytest.mark.parametrize(
    ("op", "operands", "words"),
    [
        ("+", ["x", "q"], "no node called `q`"),
        ("+", ["x", "2 + 3"], "neither a node nor a number"),
        ("+", ["x", ""], "pick an operand"),
        ("+", ["x"], "needs 2 operands"),
        ("**", ["x", "y"], "exponent of \\*\\* must be a number"),
        ("**", ["2", "3"], "base of \\*\\* must be a node"),
        ("%", ["x", "y"], "not an operator"),
        ("*", ["x", "nan"], "finite number"),
    ],
)
def test_bad_operations_are_refused_with_a_reason(op, operands, words):
    with pytest.raises(ValueError, match=words):
        builder.add_operation(LESSON, "q", op, operands)


def test_removing_a_step_others_use_is_refused_and_says_who_uses_it():
    text = "x = 2\ny = 3\na = x * y\nz = a + y"
    with pytest.raises(ValueError, match=r"^a = x \* y is used by z; remove or change z first$"):
        builder.remove_step(text, 2)
    with pytest.raises(ValueError, match="y = 3 is used by a and z"):
        builder.remove_step(text, 1)


def test_removing_an_unused_step_removes_only_that_line():
    text = "x = 2\ny = 3\nw = 5\nz = x*y + y"
    assert builder.remove_step(text, 2) == LESSON
    assert builder.remove_step(LESSON + "\nq = z * 2", 3) == LESSON


def test_a_name_defined_again_is_used_by_the_steps_before_the_new_definition_only():
    text = "c = 1\nd = c + 1\nc = 5\ne = c * 2"
    assert [s.name for s in builder.users(text, 0)] == ["d"]
    assert builder.remove_step("c = 1\nc = 5\ne = c * 2", 0) == "c = 5\ne = c * 2"


def test_augmented_assignment_uses_the_node_before_it():
    text = "c = 1\nc += c + 1\nz = c * 2"
    with pytest.raises(ValueError, match="is used by c"):
        builder.remove_step(text, 0)


def test_changing_a_step_rewrites_only_its_line():
    text = "x = 2\ny = 3\na = x * y\nz = a + y"
    assert builder.replace_step(text, 2, " a = x + y ") == "x = 2\ny = 3\na = x + y\nz = a + y"


def test_renaming_a_step_others_use_is_refused():
    text = "x = 2\ny = 3\na = x * y\nz = a + y"
    with pytest.raises(ValueError, match="a is used by z, so it can't be renamed"):
        builder.replace_step(text, 2, "b = x * y")


def test_changing_a_step_to_a_taken_or_bad_name_is_refused():
    with pytest.raises(ValueError, match="already a node called `x`"):
        builder.replace_step(LESSON, 2, "x = x*y")
    with pytest.raises(ValueError, match="keyword"):
        builder.replace_step(LESSON, 2, "if = x*y")
    with pytest.raises(ValueError, match="step is empty"):
        builder.replace_step(LESSON, 2, "   ")
    with pytest.raises(ValueError, match="no step 9"):
        builder.replace_step(LESSON, 8, "q = 1")


def test_node_names_are_what_a_new_operation_can_use():
    assert builder.node_names("a = Value(1.0)\nc = a + 1\nc += 2") == ["a", "c"]


def test_a_builtin_name_is_refused_like_the_parser_refuses_it():
    with pytest.raises(ValueError, match="Python already uses"):
        builder.add_variable(LESSON, "print", 1)


def test_a_typed_expression_keeps_the_numbers_its_variables_had():
    text, defaulted = builder.give_values("z = x*y + y", {"x": 2.0, "y": 3.0})
    assert text == "x = 2\ny = 3\nz = x*y + y"
    assert defaulted == []


def test_a_new_name_without_a_number_starts_at_1_and_is_reported():
    text, defaulted = builder.give_values("o = tanh(x*w + b)", {"x": 2.0})
    assert text == "x = 2\nw = 1\nb = 1\no = tanh(x*w + b)"
    assert defaulted == ["w", "b"]


def test_a_program_with_all_its_numbers_or_with_a_mistake_is_left_as_typed():
    assert builder.give_values(LESSON, {}) == (LESSON, [])
    assert builder.give_values("z = x*", {}) == ("z = x*", [])
