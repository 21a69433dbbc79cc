"""The "By hand" page in AppTest, on the lesson's example (z = x*y + y at x = 2, y = 3:
z = 9, dz/dx = 3, dz/dy = 3). Rows of the table: value of z, d z / d x, d z / d y, d z / d a."""

import re
from pathlib import Path

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from lab.model.analysis import analyse
from lab.views.by_hand import entries_of

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
PAGE = "app_pages/by_hand.py"
EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
VALUE, DX, DY, DA = 0, 1, 2, 3  # row positions in the table


def open_page(hand_first: bool = False) -> AppTest:
    """The page; most tests look at the engine's numbers, so they open it as a link with `first=0`."""
    return open_dashboard(PAGE, **({} if hand_first else {"first": "0"}))


def type_answers(at: AppTest, answers: dict[int, str], key: str = "by_hand:table") -> None:
    """What the data editor sends when the learner types into the 'your answer' column."""
    edited = {row: {"your answer": text} for row, text in answers.items()}
    at.session_state[key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def node_line(at: AppTest, name: str) -> str:
    return next(line for line in dot(at).splitlines() if re.search(rf'label="\{{ {name} \|', line))


def test_the_page_opens_with_an_empty_table_and_says_what_to_type():
    at = open_page()
    assert at.title[0].value == "By hand"
    assert "Type your hand calculation" in at.info[0].value
    assert list(at.dataframe[0].value["row"]) == ["value of z", "d z / d x", "d z / d y", "d z / d a  (x * y)"]
    assert 'class="mismatch' not in dot(at) and "mismatch" not in dot(at)


def test_the_right_answers_get_the_matching_verdict_and_no_red_nodes():
    at = open_page()
    type_answers(at, {VALUE: "9", DX: "y", DY: "x + 1"})
    assert at.success[0].value == "Your gradients match the engine."
    assert not at.error
    assert "mismatch" not in dot(at)


def test_a_wrong_gradient_fails_is_explained_edge_by_edge_and_turns_its_node_red():
    at = open_page()
    type_answers(at, {VALUE: "9", DX: "3", DY: "x"})
    assert "d z / d y" in at.error[0].value
    explanations = [c.value for c in at.code]
    assert any("1 * 1 + 2 * 1 = 3" in text for text in explanations)
    y_line = node_line(at, "y")
    assert "mismatch" in y_line and "#fee2e2" in y_line
    assert "mismatch" not in node_line(at, "x")


def test_y_for_dz_dy_is_flagged_as_right_only_at_this_point():
    at = open_page()
    type_answers(at, {DX: "3", DY: "y"})
    assert "right only at this point" in at.error[0].value
    assert "mismatch" in node_line(at, "y")


def test_a_bad_entry_shows_a_message_and_no_traceback():
    at = open_page()
    type_answers(at, {DX: "q + 1", DY: "3 +"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "d z / d x" in warnings and "q" in warnings
    assert "d z / d y" in warnings
    assert "mismatch" not in dot(at)


def test_a_bad_entry_is_quoted_as_typed_in_the_message():
    at = open_page()
    type_answers(at, {DX: "__x__ + 1", DY: "`y`"})
    sources = [w.proto.body for w in at.warning]  # the markdown the page sends
    assert any("(`__x__ + 1`): line 1, column 1: `__x__` starts with `__`" in body for body in sources), sources
    assert any("(`` `y` ``)" in body for body in sources), sources


def test_by_hand_first_hides_the_engines_numbers_until_the_variables_gradients_are_entered():
    at = open_page(hand_first=True)  # a fresh session works by hand first
    assert not at.exception
    assert "By hand first" in at.info[0].value
    assert "grad ?" in dot(at)
    assert set(at.dataframe[0].value["engine"]) == {"?"}  # not even sent to the browser
    assert not at.success and not at.error
    type_answers(at, {DX: "3"})
    assert "grad ?" in dot(at)  # d z / d y still missing
    assert "1 of 2 entered" in at.info[0].value
    type_answers(at, {DX: "3", DY: "2"})
    assert "grad ?" not in dot(at)
    assert "d z / d y" in at.error[0].value  # now the comparison shows: 2 is wrong
    assert "mismatch" in node_line(at, "y")


def test_entries_survive_switching_to_another_page_and_back():
    at = open_page()
    type_answers(at, {VALUE: "9", DX: "3", DY: "x"})
    at.switch_page("app_pages/build.py")
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert entries_of(at.session_state["hand"], analyse(EXAMPLE)) == {"value": "9", "grad:x": "3", "grad:y": "x"}
    assert list(at.dataframe[0].value["your answer"]) == ["9", "3", "x", ""]  # the table shows them again
    assert "d z / d y" in at.error[0].value  # the comparison is back, from the kept entries
    assert "mismatch" in node_line(at, "y")


def test_clearing_an_entry_takes_it_out_of_the_check():
    at = open_page()
    type_answers(at, {DY: "x"})
    assert at.error
    type_answers(at, {DY: None})
    assert not at.error
    assert "grad:y" not in entries_of(at.session_state["hand"], analyse(EXAMPLE))


def test_the_tolerance_decides_whether_a_rounded_answer_passes():
    at = open_page()
    type_answers(at, {VALUE: "9", DX: "3.01", DY: "3"})  # 0.01 off: more than 1e-3 * 3
    assert "d z / d x" in at.error[0].value
    at.number_input(key="by_hand:tolerance").set_value(0.01).run()  # now 0.01 * 3 = 0.03 is allowed
    assert not at.exception
    assert at.success[0].value == "Your gradients match the engine."
    assert at.session_state["settings"]["tolerance"] == 0.01


def test_a_strange_tolerance_in_the_link_does_not_break_the_page():
    at = AppTest.from_file(DASHBOARD, default_timeout=30)
    at.query_params["tol"] = "1e9"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.number_input(key="by_hand:tolerance").value == 1.0
