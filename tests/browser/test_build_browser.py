"""Build and see, in Chromium: the lesson's example built with the widgets (not by typing).

By hand: x = 2, y = 3, a = x * y = 6, z = a + y = 9; dz/dx = y = 3 and dz/dy = x + 1 = 3 (y is used twice).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    assert_no_traceback,
    diagram_nodes,
    open_app,
    pick_option,
    sidebar_number_input,
    url_expr,
    wait_for_record,
    wait_idle,
)

pytestmark = pytest.mark.browser


def add_variable(page: Page, name: str, value: float, start_over: bool = False) -> None:
    main = page.get_by_test_id("stMain")
    main.get_by_label("Name", exact=True).fill(name)
    main.get_by_label("Name", exact=True).press("Enter")
    wait_idle(page)
    main.get_by_label("Value", exact=True).fill(str(value))
    main.get_by_label("Value", exact=True).press("Enter")
    wait_idle(page)
    start_over_box = main.get_by_role("checkbox", name="Start over with it")
    if start_over_box.is_checked() != start_over:
        main.get_by_text("Start over with it").click()
        wait_idle(page)
    main.get_by_role("button", name="Add variable").click()
    wait_idle(page)


def add_operation(page: Page, result: str, operator: str, first: str, second: str) -> None:
    main = page.get_by_test_id("stMain")
    main.get_by_label("Result name", exact=True).fill(result)
    main.get_by_label("Result name", exact=True).press("Enter")
    wait_idle(page)
    pick_option(page, "Operator", operator)
    pick_option(page, "First operand", first)
    pick_option(page, "Second operand", second)
    main.get_by_role("button", name="Add operation").click()
    wait_idle(page)


def test_the_lesson_example_built_with_the_widgets_shows_z_9_and_both_gradients_3(page: Page, app_url: str):
    open_app(page, app_url, "expr=q%20%3D%201", path="build")
    wait_for_record(page, "q", "data 1")
    page.get_by_test_id("stMain").get_by_role("tab", name="Widgets").click()

    add_variable(page, "x", 2, start_over=True)
    add_variable(page, "y", 3)
    add_operation(page, "a", "multiply", "x", "y")
    add_operation(page, "z", "add", "a", "y")

    wait_for_record(page, "z", "data 9", "grad 1")
    wait_for_record(page, "a", "data 6", "grad 1")
    wait_for_record(page, "x", "data 2", "grad 3")
    wait_for_record(page, "y", "data 3", "grad 3")
    assert not any(text.split()[:1] == ["q"] for text in diagram_nodes(page)), "the old program is still drawn"
    # every variable gets a number input, and the link carries the new program
    expect(sidebar_number_input(page, "x")).to_have_value("2")
    expect(sidebar_number_input(page, "y")).to_have_value("3")
    program = url_expr(page)
    assert program is not None and "z = " in program and not program.startswith("q"), program
    assert_no_traceback(page)
