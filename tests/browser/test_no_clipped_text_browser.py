"""No text cut off at 1280x720: By hand's result column and the Lesson's bug checklist buttons.

A canvas table clips a cell's text at the cell's edge, with no ellipsis: a cell whose text reaches the last
pixels of its column (the cell's padding, empty when the text fits) is cut off. By hand's result column is
the table's last, so its right edge is the table's. A button's label is HTML: cut off when its text is wider
than its box (scrollWidth > clientWidth) or ends in an ellipsis.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import (
    HEADER_HEIGHT,
    ROW_HEIGHT,
    go_to_page,
    open_app,
    type_in_editor_cell,
    wait_for_cell,
    wait_idle,
)

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 720}
ANSWER, RESULT = 1, 5
DZ_DX, DZ_DY = 1, 2
PADDING_PX = 6  # of a cell's 8 px padding on the right: where no letter of a text that fits is drawn


def ink_at_the_right_edge(page: Page, row: int) -> int:
    """How many dark pixels the table's last column has in its right padding on body row `row`."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    scroller = grid.locator(".dvn-scroller").first
    inner = scroller.evaluate("s => s.clientWidth")  # the cells' width, without a vertical scrollbar
    top = box["y"] + HEADER_HEIGHT + ROW_HEIGHT * row + 6
    clip = {"x": box["x"] + inner - PADDING_PX - 1, "y": top, "width": PADDING_PX, "height": ROW_HEIGHT - 12}
    image = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L")
    return sum(1 for value in image.getdata() if value < 140)


def test_by_hands_result_column_shows_right_only_at_this_point_whole(page: Page, app_url: str):
    # dz/dy = x + 1 = 3 at x = 2; `y` is 3 here too but not at other points: "right only at this point"
    page.set_viewport_size(VIEWPORT)
    open_app(page, app_url, "first=0")
    go_to_page(page, "By hand")
    type_in_editor_cell(page, ANSWER, DZ_DX, "3")
    type_in_editor_cell(page, ANSWER, DZ_DY, "y")
    row = wait_for_cell(page, RESULT, DZ_DY, "right only")
    wait_for_cell(page, RESULT, DZ_DX, "matches")
    for body_row, text in ((DZ_DY, row[RESULT]), (DZ_DX, "matches")):
        ink = ink_at_the_right_edge(page, body_row)
        assert ink == 0, f"the result {text!r} is cut off at the column's edge ({ink} dark pixels there)"


CLIPPED = """els => els.map(e => {
  const style = getComputedStyle(e);
  return {text: e.textContent, clipped: e.scrollWidth > e.clientWidth + 1
    || (style.textOverflow === 'ellipsis' && style.overflow !== 'visible' && e.scrollWidth > e.clientWidth)};
}).filter(found => found.clipped)"""


def test_the_bug_checklists_buttons_show_their_whole_label(page: Page, app_url: str):
    page.set_viewport_size(VIEWPORT)
    open_app(page, app_url)
    # the station's number moves as stations are added: find it by its name
    page.get_by_role("radiogroup", name="Station").get_by_role("radio", name=re.compile(r"^\d+ Check$")).click()
    wait_idle(page)
    checklist = page.get_by_test_id("stExpander").filter(has_text="A common bug checklist")
    summary = checklist.locator("summary")
    if checklist.locator("details").get_attribute("open") is None:
        summary.click()
        wait_idle(page)
    buttons = checklist.get_by_role("button", name="Open it in the Bug lab")
    expect(buttons.first).to_be_visible()
    assert any("with “" in text for text in buttons.all_inner_texts()), buttons.all_inner_texts()
    clipped = checklist.locator("button, button *").evaluate_all(CLIPPED)
    assert not clipped, f"cut off: {clipped}"
