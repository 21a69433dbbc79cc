"""Messages show what the learner typed exactly, in Chromium: `__import__` is not turned bold by markdown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_traceback, open_app, wait_for_record, wait_idle

pytestmark = pytest.mark.browser


def type_program(page: Page, text: str) -> None:
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Type it").click()
    box = main.get_by_role("textbox", name="Your program, one step a line")
    box.fill(text)
    main.get_by_role("button", name="Build").click()
    wait_idle(page)


def error_alert(page: Page):
    alert = page.get_by_test_id("stAlertContentError").first
    expect(alert).to_be_visible(timeout=15_000)
    return alert


def test_a_dunder_name_shows_exactly_as_typed_not_bold(page: Page, app_url: str):
    open_app(page, app_url, path="build")
    wait_for_record(page, "z", "data 9")
    type_program(page, "x = 2\ny = 3\nz = __import__('os')")
    alert = error_alert(page)
    expect(alert).to_contain_text("unknown function __import__:")
    code = alert.locator("code", has_text="__import__")
    expect(code).to_have_text("__import__")
    assert alert.locator("strong", has_text="import").count() == 0, "markdown turned __import__ bold"
    page.screenshot(path="/tmp/messages_dunder.png")
    assert_no_traceback(page)
    wait_for_record(page, "z", "data 9")  # the last good graph stays


def test_an_attribute_and_backticks_show_exactly_as_typed(page: Page, app_url: str):
    open_app(page, app_url, path="build")
    type_program(page, "x = 2\nz = x.__class__")
    expect(error_alert(page).locator("code").first).to_have_text(".__class__")
    type_program(page, "x = 2\nz = `x`")
    expect(error_alert(page)).to_contain_text("syntax error")
    assert_no_traceback(page)
