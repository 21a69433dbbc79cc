"""Implement it in Chromium: leaving the page from the editor, the editor's line numbers beside their lines, and
the learner's own graph drawn readable.

The editor is a component in an iframe: what it sends (on Ctrl+Enter, when it loses the focus, after a pause in
typing) reruns its fragment. Only a real browser shows what a late message of it does to a page change, where
Ace draws its gutter and its text, and how big the diagram's text is on screen.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
from implement_solutions import BUGS
from playwright.sync_api import Page, expect

from .conftest import assert_no_traceback, wait_idle
from .test_implement_browser import EDITOR, open_implement, url_code
from .test_projector_browser import NORMAL_MIN_PX, check_diagrams

pytestmark = pytest.mark.browser


def top_bar_link(page: Page, title: str):
    return page.get_by_test_id("stTopNavLink").filter(has_text=re.compile(rf"^{re.escape(title)}$"))


def wait_for_heading(page: Page, text: str, timeout: float = 20.0) -> None:
    """The page's title is drawn (a blank page never gets there)."""
    expect(page.get_by_test_id("stMain").locator("h1").first).to_contain_text(text, timeout=timeout * 1000)


@pytest.mark.parametrize("how", ["Ctrl+Enter", "typing"])
def test_a_top_bar_link_right_after_the_editor_draws_the_new_page(page: Page, app_url: str, how: str):
    """The editor's message comes a moment after the focus leaves it; run after the page change it reran a
    fragment the new page does not have, and the page stayed blank ("Couldn't find fragment with id")."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_implement(page, app_url)
    editor = page.frame_locator(EDITOR).locator(".ace_content")
    editor.click()
    if how == "Ctrl+Enter":
        page.keyboard.press("Control+Enter")
    elif how == "typing":
        page.keyboard.press("Control+End")
        page.keyboard.insert_text("\n# my note")
    top_bar_link(page, "Build and see").click()  # at once
    wait_for_heading(page, "Build and see")
    wait_idle(page, started_within=0.0)
    time.sleep(1.0)  # anything the editor still had to send has come by now: the page stays drawn
    wait_idle(page, started_within=0.0)
    assert "/build" in page.url
    expect(page.get_by_test_id("stMain").locator("h1").first).to_contain_text("Build and see")
    assert_no_traceback(page)
    if how == "typing":  # and what was typed last is kept with the work
        assert (url_code(page) or "").endswith("# my note"), url_code(page)


ROWS = """e => {
  const top = (el) => Math.round(el.getBoundingClientRect().top);
  const numbers = [...document.querySelectorAll('.ace_gutter-cell')];
  const lines = [...document.querySelector('.ace_text-layer').children];
  return numbers.map((cell, i) => [cell.textContent.trim(), top(cell), lines[i] ? top(lines[i]) : null]);
}"""


def test_the_line_numbers_sit_beside_their_lines_after_typing_at_the_end_and_a_run(page: Page, app_url: str):
    """Typing on the last line of a full editor made the browser scroll the text's box by itself (to show Ace's
    hidden input), and the text moved 15 px up past its line numbers: every message cites a line."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_implement(page, app_url)
    page.frame_locator(EDITOR).locator(".ace_content").click()
    page.keyboard.press("Control+End")
    for i in range(30):  # past the editor's 48 rows: it scrolls, the cursor on its last row
        page.keyboard.press("Enter")
        page.keyboard.type(f"print({i})")
    page.keyboard.press("Escape")  # the completion list, if it opened
    page.keyboard.press("Control+Enter")
    wait_idle(page, started_within=1.0)
    rows = page.frame_locator(EDITOR).locator("#REACT_ACE_EDITOR").evaluate(ROWS)
    assert len(rows) > 20, rows
    apart = [(number, gutter - text) for number, gutter, text in rows if text is not None and gutter != text]
    assert not apart, f"line numbers and their lines apart by (number, px): {apart[:5]}"


def test_the_learners_graph_reads_at_13_px_with_the_engines_numbers_beside_theirs(page: Page, app_url: str):
    """No seed: every node of their graph differs (grad 0), and each carries the engine's number and one mark: the
    widest their graph gets on the lesson's example, drawn as every other diagram, at 13 px or more."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_implement(page, app_url, urlencode({"code": BUGS["no_seed"][0], "first": "0"}))
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("grad 0, engine 3").first).to_be_attached(timeout=30_000)
    main.locator('[data-testid="stGraphVizChart"]').first.scroll_into_view_if_needed()
    check_diagrams(page, "Implement it at 1280x720", NORMAL_MIN_PX)
