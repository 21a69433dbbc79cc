"""Why each rule is right and Bug lab, in Chromium: the engine's code, the live check, and a mistake's marks.

By hand: d(a*b)/da = b and d(a*b)/db = a at any point, so the finite difference agrees with the rule at
a = -1.5, b = 4 as well as at the default; log(a) is only defined for a > 0.
For x = 2, y = 3, z = x*y + y with `=` instead of `+=`: z._backward() sets y.grad = 1, then a._backward()
(a = x*y) overwrites it with x.data * a.grad = 2, so y.grad becomes 2 instead of 3 and only y is wrong
(x.grad = y.data * a.grad = 3 either way). Without a topological sort, going from z level by level still
reaches a and y only after all their uses: nothing changes here, but it does in micrograd's README example.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    assert_no_traceback,
    go_to_page,
    marked_nodes,
    open_app,
    sidebar_number_input,
    wait_for_cell,
    wait_idle,
)

pytestmark = pytest.mark.browser

VALUE, RULE, AGREES = 1, 2, 4  # columns of the check's table: input, value, engine's rule, finite difference, ...


# -- helpers -----------------------------------------------------------------------------------


def choose(page: Page, group: str, option: str) -> None:
    """Click `option` of the segmented control labelled `group` and wait for the rerun."""
    radio = page.get_by_test_id("stMain").get_by_role("radiogroup", name=group).get_by_role("radio", name=option)
    radio.click()
    wait_idle(page)
    expect(radio).to_be_checked()


def set_main_number(page: Page, label: str, value: float | str) -> None:
    box = page.get_by_test_id("stMain").get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)
    expect(box).to_have_value(str(value))


def wait_for_marked(page: Page, mark: str, expected: list[str] | None = None, timeout: float = 15.0) -> list[str]:
    """Wait until the diagram's values with class `mark` are `expected` (or, if None, until some are)."""
    deadline = time.monotonic() + timeout
    shown: list[str] = []
    while time.monotonic() < deadline:
        shown = marked_nodes(page, mark)
        if (expected is None and shown) or (expected is not None and shown == expected):
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"the diagram's {mark!r} nodes should be {expected or 'some'}, but they are {shown}")


# -- Why each rule is right ------------------------------------------------------------------


def test_the_rules_page_shows_the_engines_code_and_checks_the_rule_at_any_point(page: Page, app_url: str):
    open_app(page, app_url)
    go_to_page(page, "Why each rule is right")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("radio", name="*", exact=True)).to_be_checked()  # the default
    expect(main.get_by_test_id("stCode").first).to_contain_text("self.grad += other.data * out.grad")
    passed = main.get_by_test_id("stAlert").filter(has_text="agrees with the finite difference")
    expect(passed).to_be_visible()
    wait_for_cell(page, AGREES, 0, "✓ agrees")
    wait_for_cell(page, AGREES, 1, "✓ agrees")

    set_main_number(page, "a", -1.5)
    set_main_number(page, "b", 4)
    expect(passed).to_be_visible()
    expect(main.get_by_test_id("stCaptionContainer").filter(has_text="out = -6.")).to_be_visible()  # -1.5 * 4
    # d(a*b)/da = b = 4 and d(a*b)/db = a = -1.5; the finite difference estimates the same
    # (the table's hidden cells follow the canvas a moment after the run: wait for the last change, then read)
    row_a = wait_for_cell(page, RULE, 0, "4")
    row_b = wait_for_cell(page, RULE, 1, "-1.5")
    assert row_a[VALUE] == "-1.5" and row_a[RULE] == "4" and row_a[AGREES] == "✓ agrees", row_a
    assert row_b[VALUE] == "4" and row_b[RULE] == "-1.5" and row_b[AGREES] == "✓ agrees", row_b
    expect(main.get_by_test_id("stAlert").filter(has_text="disagree")).to_have_count(0)
    assert_no_traceback(page)


def test_log_at_a_point_that_is_not_positive_says_why_instead_of_a_traceback(page: Page, app_url: str):
    open_app(page, app_url)
    go_to_page(page, "Why each rule is right")
    main = page.get_by_test_id("stMain")
    choose(page, "Operator", "log")
    expect(main.get_by_test_id("stCode").first).to_contain_text("out.grad")
    expect(main.get_by_test_id("stAlert").filter(has_text="agrees with the finite difference")).to_be_visible()
    for point in ("0", "-1"):
        set_main_number(page, "a", point)
        message = main.get_by_test_id("stAlert").filter(has_text="only defined for positive numbers")
        expect(message).to_be_visible()
        expect(message).to_contain_text(point)
        expect(main.get_by_test_id("stAlert").filter(has_text="agrees with the finite difference")).to_have_count(0)
        assert_no_traceback(page)


# -- Bug lab ----------------------------------------------------------------------------------


def test_overwriting_marks_only_y_whose_gradient_becomes_2_instead_of_3(page: Page, app_url: str):
    open_app(page, app_url)
    go_to_page(page, "Bug lab")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("radio", name="no mistake")).to_be_checked()
    wait_for_marked(page, "mismatch", [])  # the correct engine: nothing marked

    choose(page, "Mistake", "= instead of +=")
    expect(main.get_by_test_id("stAlert").first).to_contain_text("y.grad becomes 2 instead of 3")
    wait_for_marked(page, "mismatch", ["y"])
    assert_no_traceback(page)


def test_wrong_order_changes_nothing_here_and_its_preset_button_loads_an_example_where_it_does(
    page: Page, app_url: str
):
    open_app(page, app_url)
    go_to_page(page, "Bug lab")
    main = page.get_by_test_id("stMain")
    choose(page, "Mistake", "wrong order")
    expect(main.get_by_test_id("stAlert").first).to_contain_text("changes nothing for this expression")
    wait_for_marked(page, "mismatch", [])

    preset = main.get_by_role("button", name="micrograd's README example")
    expect(preset).to_be_visible()
    preset.click()
    wait_idle(page, started_within=1.0)
    # micrograd's example is loaded: its variables a and b are in the sidebar, x and y are gone
    expect(sidebar_number_input(page, "a")).to_have_value("-4")
    expect(sidebar_number_input(page, "b")).to_have_value("2")
    expect(sidebar_number_input(page, "x")).to_have_count(0)
    expect(main.get_by_role("radio", name="wrong order")).to_be_checked()
    expect(main.get_by_test_id("stAlert").first).to_contain_text("Without a topological order")
    expect(preset).to_have_count(0)
    marked = wait_for_marked(page, "mismatch", timeout=30.0)
    assert {"a", "b"} <= set(marked), f"a and b should be marked wrong: {marked}"
    assert_no_traceback(page)
