"""Write the rules yourself, in Chromium, on the lesson's example x = 2, y = 3, z = x*y + y.

By hand: the engine's gradients are x 3, y 3, a 1, z 1. With `=` in the `*` rule, z fires first
(y.grad = 1) and a = x*y then overwrites y.grad with x.data * a.grad = 2: y.grad is 2, only y is wrong.
Two learners on one server: one writes that wrong rule, the other still gets the engine's gradients
(the learner's rule is swapped in for that learner's run only, never into the engine's shared table).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    assert_no_traceback,
    marked_nodes,
    open_app,
    wait_for_cell,
    wait_for_record,
    wait_idle,
)

pytestmark = pytest.mark.browser

MUL = "self.grad += other.data * out.grad\nother.grad += self.data * out.grad"
MUL_OVERWRITE = "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"
RIGHT_COLUMN = 5  # node, formula, its rule, your grad, engine's grad, right?


def open_own_rules(page: Page, app_url: str) -> None:
    open_app(page, app_url, query="first=0", path="own_rules")  # the rules at work, their numbers shown
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text("Write the rules yourself")


def write_rule(page: Page, text: str) -> None:
    """Type the rule into the box of the chosen operator and run it (Ctrl+Enter), as a learner does."""
    box = page.get_by_test_id("stMain").locator("textarea").first
    box.fill(text)
    box.press("Control+Enter")
    wait_idle(page)
    expect(box).to_have_value(text)


def wait_for_marked(page: Page, expected: list[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    shown: list[str] = []
    while time.monotonic() < deadline:
        shown = marked_nodes(page, "mismatch")
        if shown == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the diagram's marked nodes should be {expected}, but they are {shown}")


def test_the_right_mul_rule_passes_on_the_lessons_example(page: Page, app_url: str):
    open_own_rules(page, app_url)
    main = page.get_by_test_id("stMain")
    expect(main.locator("textarea").first).to_have_value("")  # never pre-filled with the answer
    write_rule(page, MUL)
    expect(main.get_by_test_id("stAlert").filter(has_text="matches the engine's")).to_be_visible()
    for row in range(4):
        wait_for_cell(page, RIGHT_COLUMN, row, "✓")
    wait_for_marked(page, [])
    wait_for_record(page, "y", "grad 3")
    assert_no_traceback(page)


def test_equals_instead_of_plus_equals_is_named_and_y_is_marked(page: Page, app_url: str):
    open_own_rules(page, app_url)
    write_rule(page, MUL_OVERWRITE)
    named = page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="instead of")
    expect(named).to_contain_text("engine's y.grad is 3, yours 2")
    expect(named).to_contain_text("+=")
    wait_for_marked(page, ["y"])
    wait_for_record(page, "y", "grad 2", "engine: 3")
    row = wait_for_cell(page, RIGHT_COLUMN, 1, "✗")
    assert row[0] == "y", row
    assert_no_traceback(page)


def test_bad_rule_text_gets_a_message_in_place_without_a_traceback(page: Page, app_url: str):
    open_own_rules(page, app_url)
    write_rule(page, "import os")
    message = page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="imports nothing")
    expect(message).to_be_visible()
    expect(message.locator("code").filter(has_text="import os")).to_have_text(["import os"])  # as typed, as code
    wait_for_marked(page, [])
    assert_no_traceback(page)
