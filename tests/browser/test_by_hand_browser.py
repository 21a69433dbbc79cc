"""By hand, in Chromium: hand entries typed into the editable table turn a row from fail to pass.

By hand, for x = 2, y = 3, z = x*y + y: dz/dx = y = 3 and dz/dy = x + 1 = 3. A wrong formula can give the
right number by luck: dz/dy = y is also 3 here, but not at other points.
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
    type_in_editor_cell,
    wait_for_cell,
    wait_for_record,
)

pytestmark = pytest.mark.browser

ANSWER, RESULT = 1, 5  # columns of the hand-check table: row, your answer, engine, finite difference, ...
DZ_DX, DZ_DY = 1, 2  # its rows: value of z, d z / d x, d z / d y, d z / d a


def test_a_wrong_gradient_fails_and_the_right_one_passes(page: Page, app_url: str):
    open_app(page, app_url, "first=0")  # the engine's numbers shown from the start (a link can turn by-hand-first off)
    go_to_page(page, "By hand")
    wait_for_cell(page, 0, DZ_DX, "d z / d x")

    type_in_editor_cell(page, ANSWER, DZ_DX, "2")
    row = wait_for_cell(page, RESULT, DZ_DX, "differs")
    assert row[ANSWER] == "2"
    expect(page.get_by_test_id("stAlert").filter(has_text="d z / d x").first).to_be_visible()
    # the diagram marks the node whose gradient differs, and shows what was typed
    deadline = time.monotonic() + 15
    while "x" not in marked_nodes(page, "mismatch") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert marked_nodes(page, "mismatch") == ["x"], marked_nodes(page, "mismatch")
    record = wait_for_record(page, "x", "grad 3")
    assert "2" in record.split("grad 3", 1)[1], f"the learner's 2 is not beside the engine's 3: {record}"
    assert_no_traceback(page)

    type_in_editor_cell(page, ANSWER, DZ_DX, "y")
    row = wait_for_cell(page, RESULT, DZ_DX, "matches")
    assert row[ANSWER] == "y"
    assert_no_traceback(page)


def test_a_formula_right_only_here_is_caught_and_the_right_formula_passes(page: Page, app_url: str):
    open_app(page, app_url, "first=0")  # the engine's numbers shown from the start (a link can turn by-hand-first off)
    go_to_page(page, "By hand")
    wait_for_cell(page, 0, DZ_DY, "d z / d y")

    type_in_editor_cell(page, ANSWER, DZ_DY, "y")
    row = wait_for_cell(page, RESULT, DZ_DY, "only at this point")  # dz/dy = y is 3 only where y = 3
    assert row[ANSWER] == "y"

    type_in_editor_cell(page, ANSWER, DZ_DY, "x + 1")
    wait_for_cell(page, RESULT, DZ_DY, "matches")
    assert_no_traceback(page)
