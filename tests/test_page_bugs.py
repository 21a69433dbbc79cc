"""The "Bug lab" page in AppTest: each mistake marks the right nodes in the table and the diagram.

Lesson's example z = x*y + y at x = 2, y = 3 (nodes x, y, a = x*y, z; correct grads 3, 3, 1, 1), by hand:
`=` leaves y.grad = 2 (the second use overwrote the first); no seed leaves all four at 0; backward twice gives
x 9, y 8, a 2 and z 1; breadth-first order from z (z, a, y, x) changes nothing.
"""

import re

import pytest
from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from lab.model.presets import PRESETS
from lab.views import bugs

PAGE = "app_pages/bugs.py"
MICROGRAD = PRESETS["micrograd"].program
LESSON_WRONG = {
    "overwrite": {"y"},
    "no_seed": {"x", "y", "a", "z"},
    "twice": {"x", "y", "a"},
    "wrong_order": set(),
}


def open_page(program: str | None = None) -> AppTest:
    return open_dashboard(PAGE, **({} if program is None else {"expr": program}))


def switch(at: AppTest, mistake: str) -> None:
    at.segmented_control(key="bugs:mistake").set_value(mistake).run()
    assert not at.exception


def marked_in_table(at: AppTest) -> set[str]:
    table = at.dataframe[0].value
    return {node for node, mark in zip(table["node"], table[bugs.MATCH_COLUMN], strict=True) if mark != bugs.RIGHT}


def marked_in_diagram(at: AppTest) -> set[str]:
    dot = at.get("graphviz_chart")[0].proto.spec
    marked = set()
    for line in dot.splitlines():
        found = re.search(r'label="\{ ([^ |]+) \|.*class="[^"]*mismatch', line)
        if found:
            marked.add(found.group(1))
    return marked


def test_without_a_mistake_the_page_shows_the_correct_gradients_and_no_marks():
    at = open_page()
    assert at.title[0].value == "Bug lab"
    assert not at.error
    assert marked_in_diagram(at) == set()


@pytest.mark.parametrize("mistake", ["overwrite", "no_seed", "twice", "wrong_order"])
def test_each_mistake_marks_exactly_the_right_nodes_of_the_lessons_example(mistake):
    at = open_page()
    switch(at, mistake)
    assert marked_in_table(at) == LESSON_WRONG[mistake]
    assert marked_in_diagram(at) == LESSON_WRONG[mistake]


def test_overwrite_says_y_becomes_2_instead_of_3_and_shows_the_buggy_line():
    at = open_page()
    switch(at, "overwrite")
    assert "y.grad becomes 2 instead of 3" in at.error[0].value
    code = [c.value for c in at.code]
    assert any("self.grad = other.data * out.grad" in c for c in code)
    assert any("self.grad += other.data * out.grad" in c for c in code)
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "grad 2 | should be 3" in dot


def test_twice_shows_the_doubled_gradients_in_the_diagram():
    at = open_page()
    switch(at, "twice")
    dot = at.get("graphviz_chart")[0].proto.spec
    for name, grad in {"x": "9", "y": "8", "a": "2", "z": "1"}.items():
        assert re.search(rf"\{{ {name} \| data [^|]+ \| grad {grad} ", dot), name


def test_wrong_order_on_the_lesson_says_it_changes_nothing_and_loads_micrograds_example():
    at = open_page()
    switch(at, "wrong_order")
    assert "changes nothing" in at.success[0].value
    at.button(key="bugs:load_preset").click().run()
    assert not at.exception
    assert {"a", "b"} <= marked_in_table(at)
    assert "fired" in at.error[0].value


@pytest.mark.parametrize("mistake", ["overwrite", "no_seed", "twice", "wrong_order"])
def test_each_mistake_marks_a_and_b_in_micrograds_readme_example(mistake):
    at = open_page(MICROGRAD)
    switch(at, mistake)
    assert {"a", "b"} <= marked_in_table(at)
    assert {"a", "b"} <= marked_in_diagram(at)
    assert at.error  # the sentence on what went wrong


def test_the_other_pages_still_see_the_correct_gradients_after_a_mistake():
    at = open_page()
    switch(at, "twice")
    switch(at, "none")
    dot = at.get("graphviz_chart")[0].proto.spec
    for name, grad in {"x": "3", "y": "3", "a": "1", "z": "1"}.items():
        assert re.search(rf"\{{ {name} \| data [^|]+ \| grad {grad} ", dot), name
