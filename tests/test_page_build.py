"""The "Build and see" page: build by widgets, by typing, by preset; see table, diagram, code; bad input."""

import pytest
from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from app.state import LESSON_PROGRAM

NUMBER = "a number …"


@pytest.fixture
def at() -> AppTest:
    return open_dashboard("app_pages/build.py")


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def rows(at: AppTest) -> dict[str, dict]:
    """The values table, by node name."""
    return {row["node"]: row for row in at.dataframe[0].value.to_dict("records")}


def program(at: AppTest) -> str:
    return at.session_state["program"]


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def open_tab(at: AppTest, name: str) -> None:
    """Switch the input tabs (only the open tab is drawn), as a click on the tab does."""
    at.session_state["build:tab"] = name
    at.run()
    assert not at.exception


def type_and_build(at: AppTest, text: str) -> None:
    at.text_area(key="build:text").input(text)
    at.button(key="build:build").click()
    at.run()
    assert not at.exception


def add_variable(at: AppTest, name: str, value: float, start_over: bool = False) -> None:
    open_tab(at, "Widgets")
    at.text_input(key="build:var_name").input(name)
    at.number_input(key="build:var_value").set_value(value)
    at.checkbox(key="build:var_new").set_value(start_over)
    at.button(key="build:add_var").click()
    at.run()
    assert not at.exception


def pick(at: AppTest, key: str, operand: str) -> None:
    """Pick a node, or pick "a number" and type it."""
    if operand in at.selectbox(key=key).options:
        at.selectbox(key=key).set_value(operand)
        return
    at.selectbox(key=key).set_value(NUMBER)
    at.run()
    at.number_input(key=f"{key}:number").set_value(float(operand))


def add_operation(at: AppTest, result: str, op: str, first: str, second: str | None = None) -> None:
    open_tab(at, "Widgets")
    at.text_input(key="build:op_name").input(result)
    at.selectbox(key="build:op").set_value(op)
    at.run()  # a unary operator has no second operand
    pick(at, "build:op_a", first)
    if second is not None:
        pick(at, "build:op_b", second)
    at.button(key="build:add_op").click()
    at.run()
    assert not at.exception


def test_the_page_opens_on_the_lesson_example_with_table_diagram_and_code(at):
    assert at.title[0].value == "Build and see"
    table = rows(at)
    assert table["z"]["data"] == 9 and table["x"]["grad"] == 3 and table["y"]["grad"] == 3
    assert "{ z | data 9 | grad 1 }" in dot(at)
    code = "\n".join(h.proto.body for h in at.main.get("html"))
    assert "x = Value(2.0, label='x')" in code and "z.backward()" in code


def test_building_the_lesson_example_with_widgets_from_another_program(at):
    open_tab(at, "Presets")
    at.button(key="build:preset:neuron").click()
    at.run()
    assert "x1" in rows(at)
    add_variable(at, "x", 2, start_over=True)
    add_variable(at, "y", 3)
    add_operation(at, "a", "*", "x", "y")
    add_operation(at, "z", "+", "a", "y")
    assert not at.error
    assert program(at) == "x = 2\ny = 3\na = x * y\nz = a + y"
    table = rows(at)
    assert list(table) == ["x", "y", "a", "z"]
    assert table["z"]["data"] == 9  # 2*3 + 3
    assert table["x"]["grad"] == 3  # dz/dx = y
    assert table["y"]["grad"] == 3  # dz/dy = x + 1
    assert "{ z | data 9 | grad 1 }" in dot(at)
    assert "{ x | data 2 | grad 3 }" in dot(at)
    assert "{ y | data 3 | grad 3 }" in dot(at)


def test_an_operation_can_take_a_typed_number(at):
    add_operation(at, "q", "*", "z", "0.5")
    assert program(at).endswith("\nq = z * 0.5")
    assert rows(at)["q"]["data"] == 4.5
    assert rows(at)["x"]["grad"] == 1.5  # 0.5 * dz/dx


def test_a_unary_operation_has_one_operand(at):
    open_tab(at, "Widgets")
    at.selectbox(key="build:op").set_value("tanh")
    at.run()
    assert not [s for s in at.selectbox if s.key == "build:op_b"]
    add_operation(at, "o", "tanh", "z")
    assert program(at).endswith("\no = tanh(z)")


def test_changing_a_step_rebuilds_the_graph(at):
    open_tab(at, "Widgets")
    at.selectbox(key="build:step").select_index(2)
    at.run()
    assert at.text_input(key="build:step_text").value == "z = x*y + y"
    at.text_input(key="build:step_text").input("z = x*y - y")
    at.button(key="build:change").click()
    at.run()
    assert not at.exception and not at.error
    assert rows(at)["z"]["data"] == 3  # 2*3 - 3
    assert rows(at)["y"]["grad"] == 1  # x - 1


def test_removing_an_unused_step_removes_it(at):
    add_variable(at, "w", 5)
    at.selectbox(key="build:step").select_index(2)
    at.run()
    at.button(key="build:remove").click()
    at.run()
    assert not at.exception and not at.error
    assert program(at) == LESSON_PROGRAM


def test_removing_a_step_others_use_is_refused_and_nothing_is_removed(at):
    open_tab(at, "Widgets")
    at.selectbox(key="build:step").select_index(1)
    at.run()
    at.button(key="build:remove").click()
    at.run()
    assert not at.exception
    assert "y = 3 is used by z; remove or change z first" in errors(at)
    assert program(at) == LESSON_PROGRAM


def test_a_picked_step_survives_the_program_getting_shorter_or_longer(at):
    open_tab(at, "Presets")
    at.button(key="build:preset:micrograd").click()
    at.run()
    open_tab(at, "Widgets")
    at.selectbox(key="build:step").select_index(11)
    at.run()
    assert at.text_input(key="build:step_text").value == "g += 10.0 / f"
    open_tab(at, "Presets")
    at.button(key="build:preset:lesson").click()  # 3 steps: step 12 is gone, so the first step shows
    at.run()
    assert not at.exception
    open_tab(at, "Widgets")
    assert at.selectbox(key="build:step").options == ["1: x = 2", "2: y = 3", "3: z = x*y + y"]
    assert at.selectbox(key="build:step").value == "1: x = 2"
    assert at.text_input(key="build:step_text").value == "x = 2"
    at.selectbox(key="build:step").select_index(2)
    at.run()
    assert at.text_input(key="build:step_text").value == "z = x*y + y"
    open_tab(at, "Presets")
    at.button(key="build:preset:mixed").click()  # 8 steps: the picked step and its text agree
    at.run()
    assert not at.exception
    open_tab(at, "Widgets")
    picked = at.selectbox(key="build:step").value
    assert picked in at.selectbox(key="build:step").options
    assert picked.split(": ", 1)[1] == at.text_input(key="build:step_text").value


def test_typing_a_program_builds_it(at):
    type_and_build(at, "a = 3\nb = 4\nc = a*a + b*b")
    assert not at.error
    assert rows(at)["c"]["data"] == 25
    assert rows(at)["a"]["grad"] == 6  # 2a
    assert rows(at)["b"]["grad"] == 8  # 2b
    assert "{ c | data 25 | grad 1 }" in dot(at)


def test_typing_an_expression_keeps_the_variables_numbers_and_starts_new_ones_at_1(at):
    type_and_build(at, "q = x*y + w")
    assert not at.error
    assert program(at) == "x = 2\ny = 3\nw = 1\nq = x*y + w"
    assert rows(at)["q"]["data"] == 7
    assert "w had no number" in at.info[0].value


def test_pasting_the_lessons_python_builds_the_same_graph(at):
    type_and_build(at, "x = Value(2.0)\ny = Value(3.0)\na = x * y\nz = a + y\nz.backward()\nprint(x.grad)")
    assert not at.error
    table = rows(at)
    assert table["z"]["data"] == 9 and table["x"]["grad"] == 3 and table["y"]["grad"] == 3


@pytest.mark.parametrize(
    ("key", "node", "data"),
    [("lesson", "z", "data 9"), ("neuron", "o", "data 0.7071"), ("micrograd", "g", "data 24.7041")],
)
def test_a_preset_loads_with_its_numbers(at, key, node, data):
    open_tab(at, "Presets")
    at.button(key=f"build:preset:{key}").click()
    at.run()
    assert not at.exception and not at.error
    assert f"{{ {node} | {data} | grad 1 }}" in dot(at)


def test_the_dead_relu_preset_shows_zero_gradients(at):
    open_tab(at, "Presets")
    at.button(key="build:preset:dead_relu").click()
    at.run()
    table = rows(at)
    assert table["o"]["data"] == 0
    assert table["w"]["grad"] == 0 and table["x"]["grad"] == 0 and table["b"]["grad"] == 0


def test_the_same_program_draws_the_same_diagram_on_every_rerun(at):
    first = dot(at)
    at.run()
    assert dot(at) == first


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("z = x*", "line 1"),  # a syntax error says where
        ("z = a + 1\na = 2", "used before it is assigned"),
        ("for = 2\nz = for * 2", "keyword"),
        ("tanh = 2\nz = tanh * 2", "function name"),
        ("x = 2\nx = 3\nz = x * 2", "already has a value"),
        ("x = 0\nz = 1 / x", "zero"),
        ("x = -1\nz = log(x)", "log"),
        ("x = 1000\nz = exp(x)", "overflow"),
        ("z = " + "x + " * 60_000 + "x", "too long"),
        ("z = " + "(" * 300 + "x" + ")" * 300, "deep"),
    ],
)
def test_bad_typed_input_says_what_is_wrong_and_keeps_the_last_good_graph(at, text, words):
    before = dot(at)
    type_and_build(at, text)
    assert words in errors(at).lower() or words in errors(at)
    assert "Traceback" not in errors(at)
    assert program(at) == LESSON_PROGRAM
    assert dot(at) == before
    assert at.text_area(key="build:text").value == text  # what was typed is not lost


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("z = __import__('os')", "`__import__`"),
        ("x = 2\nz = x.__class__", "`.__class__`"),
        ("z = " + "q" * 190_000 + "(2)", "unknown function `" + "q" * 40 + "…`"),
        ("z = Value(2.0, label='ｘ') * ｘ", "the name `ｘ` has letters outside a-z, A-Z"),
    ],
)
def test_the_message_shows_what_was_typed_as_code(at, text, code):
    type_and_build(at, text)
    assert len(at.error) == 1
    assert code in at.error[0].proto.body  # the markdown the page sends: the name intact, inside backticks
    assert len(at.error[0].proto.body) < 300
    assert program(at) == LESSON_PROGRAM


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("x", 1.0, "already a node called `x`"),
        ("if", 1.0, "keyword"),
        ("relu", 1.0, "name of a function"),
        ("2x", 1.0, "can't be a name"),
        ("", 1.0, "give the new node a name"),
    ],
)
def test_bad_widget_variables_are_refused_with_a_message(at, name, value, words):
    add_variable(at, name, value)
    assert words in errors(at)
    assert program(at) == LESSON_PROGRAM


@pytest.mark.parametrize(
    ("result", "op", "first", "second", "words"),
    [
        ("q", "/", "z", "0", "zero"),
        ("q", "log", "-3", None, "log"),
        ("y", "+", "z", "1", "already a node called `y`"),
        ("q", "exp", "z", None, None),  # fine: exp(9)
    ],
)
def test_bad_widget_operations_are_refused_with_a_message(at, result, op, first, second, words):
    add_operation(at, result, op, first, second)
    if words is None:
        assert not at.error
        return
    assert words in errors(at).lower() or words in errors(at)
    assert program(at) == LESSON_PROGRAM


def test_the_diagram_and_table_download_buttons_are_offered(at):
    downloads = {d.proto.label: d for d in at.get("download_button")}
    assert {"Diagram (DOT)", "Table (CSV)", "Diagram (Python, graphviz)"} <= set(downloads)


def test_only_the_open_input_tab_is_drawn(at):
    assert at.text_area(key="build:text")  # "Type it" is open
    assert not [b for b in at.button if b.key.startswith("build:preset:")]
    assert not [t for t in at.text_input if t.key == "build:var_name"]
    open_tab(at, "Presets")
    assert [b for b in at.button if b.key.startswith("build:preset:")]
    open_tab(at, "Widgets")
    assert [t for t in at.text_input if t.key == "build:var_name"]
