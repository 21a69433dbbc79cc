"""The "Why each rule is right" page in AppTest, on the lesson's example (z = x*y + y at x = 2, y = 3)."""

import pytest
from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from engine.value import BACKWARD_RULES

PAGE = "app_pages/why_rules.py"


def open_page() -> AppTest:
    return open_dashboard(PAGE)


def pick(at: AppTest, op: str) -> None:
    at.segmented_control(key="why_rules:operator").set_value(op).run()
    assert not at.exception


def test_the_page_opens_on_multiplication_with_the_engines_code_and_a_passing_check():
    at = open_page()
    assert at.title[0].value == "Why each rule is right"
    code = "\n".join(c.value for c in at.code)
    assert "self.grad += other.data * out.grad" in code
    assert "def __mul__" in code
    table = at.dataframe[0].value
    # the lesson's a = x * y at x = 2, y = 3: d(x*y)/dx = y = 3, d(x*y)/dy = x = 2
    assert list(table["engine's rule (out.grad = 1)"]) == ["3", "2"]
    assert [float(x) for x in table["finite difference"]] == pytest.approx([3.0, 2.0], rel=1e-6)
    assert all(mark.startswith("✓") for mark in table["agrees?"])
    assert at.success and "agrees" in at.success[0].value


def test_the_page_says_where_the_operator_is_used_in_the_expression():
    at = open_page()
    assert any("a = x * y = 2 * 3 = 6" in info.value for info in at.info)
    pick(at, "log")
    assert any("Not used in your expression" in caption.value for caption in at.caption)


@pytest.mark.parametrize("op", list(BACKWARD_RULES))
def test_every_operator_shows_its_derivative_its_code_and_a_passing_check(op):
    at = open_page()
    pick(at, op)
    assert at.latex
    assert any("_backward" in c.value and ".grad +=" in c.value for c in at.code)
    assert at.success and not at.error


def test_an_invalid_point_shows_a_message_instead_of_a_check():
    at = open_page()
    pick(at, "log")
    at.number_input(key="why_rules:log:a").set_value(0.0).run()
    assert not at.exception
    assert at.error and "positive" in at.error[0].value
    assert not at.dataframe


def test_division_by_zero_shows_a_message():
    at = open_page()
    pick(at, "/")
    at.number_input(key="why_rules:/:b").set_value(0.0).run()
    assert not at.exception
    assert "Division by zero" in at.error[0].value


def test_relus_corner_is_explained_not_failed():
    at = open_page()
    pick(at, "relu")
    at.number_input(key="why_rules:relu:a").set_value(0.0).run()
    assert not at.exception and not at.error
    assert any("corner" in info.value for info in at.info)
