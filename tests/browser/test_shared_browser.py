"""What every page shares, as a learner sees it in Chromium: the sidebar, the link, the work file.

Every page at its address with the sidebar is test_accessibility_browser.py's walk; reloads and page switches
keeping the work are test_work_kept_browser.py's; a refused program is said there too, and its message and the
last good graph are test_page_build.py's.

Numbers are worked out by hand: x = 2, y = 3, z = x*y + y gives z = 9, dz/dx = y = 3, dz/dy = x + 1 = 3;
with x = 4: z = 4*3 + 3 = 15, dz/dx = 3, dz/dy = 5.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import (
    assert_no_traceback,
    go_to_page,
    open_app,
    open_share_box,
    set_sidebar_number,
    sidebar_number_input,
    type_in_editor_cell,
    url_expr,
    wait_for_cell,
    wait_for_record,
    wait_idle,
)

pytestmark = pytest.mark.browser

ANSWER_COLUMN = 1  # "your answer" in the hand-check table
RESULT_COLUMN = 5


def test_the_old_address_compare_opens_by_hand_with_the_links_work(page: Page, app_url: str):
    program = "a = 1.5\nb = -2\nc = a*b + a"
    open_app(page, app_url, "expr=" + quote(program), path="compare")
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text("By hand")
    expect(sidebar_number_input(page, "a")).to_have_value("1.5")
    assert page.url.split("?")[0].removeprefix(app_url) == "/by-hand", page.url
    assert "expr=" in page.url, page.url
    assert_no_traceback(page)


def test_a_link_opens_with_its_program(page: Page, app_url: str):
    program = "a = 1.5\nb = -2\nc = a*b + a"
    open_app(page, app_url, "expr=" + quote(program), path="build")
    # c = 1.5 * -2 + 1.5 = -1.5; dc/da = b + 1 = -1; dc/db = a = 1.5
    wait_for_record(page, "c", "data -1.5", "grad 1")
    wait_for_record(page, "a", "data 1.5", "grad -1")
    wait_for_record(page, "b", "data -2", "grad 1.5")
    expect(sidebar_number_input(page, "a")).to_have_value("1.5")
    expect(sidebar_number_input(page, "b")).to_have_value("-2")
    assert_no_traceback(page)


def test_changing_a_variable_redraws_and_puts_the_program_in_the_address_bar(page: Page, app_url: str):
    open_app(page, app_url, path="build")
    before = url_expr(page)
    set_sidebar_number(page, "x", 4)
    wait_for_record(page, "z", "data 15")
    wait_for_record(page, "y", "grad 5")
    after = url_expr(page)
    assert after != before
    assert after is not None and "x = 4" in after.splitlines()
    assert_no_traceback(page)


def download_work(page: Page, button, folder: Path, tries: int = 2) -> Path:
    """Click the download button and save its file in `folder`; the file's path. The file is made when the
    button is clicked: a click that meets a rerun of the page can be lost (seen once, in a whole suite's run on a
    loaded machine), and a learner would click again: so a second click is given after 15 s without a file."""
    for attempt in range(tries):
        try:
            with page.expect_download(timeout=15_000) as download_info:
                button.click()
            break
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
    saved = folder / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    return saved


def test_the_downloaded_work_file_loads_back_into_a_fresh_page(page: Page, app_url: str, tmp_path):
    # p = 3, q = p * p: q = 9, dq/dp = 2p = 6 (by hand)
    open_app(page, app_url, "expr=" + quote("p = 3\nq = p * p"), path="build")
    wait_for_record(page, "q", "data 9", "grad 1")
    go_to_page(page, "By hand")
    type_in_editor_cell(page, ANSWER_COLUMN, 1, "6")  # d q / d p
    wait_for_cell(page, RESULT_COLUMN, 1, "matches")
    sidebar = page.get_by_test_id("stSidebar")
    open_share_box(page)
    wait_idle(page, started_within=0.5)  # the table sends its edit once more after its rerun: that one too
    saved = download_work(page, sidebar.get_by_role("button", name="Download my work"), tmp_path)
    content = saved.read_text()
    # hand entries belong to their program: the key is "<program id>|grad:p"
    assert "p = 3\\nq = p * p" in content and '|grad:p": "6"' in content, content

    open_app(page, app_url, path="build")  # a fresh page: the lesson's example
    wait_for_record(page, "z", "data 9")
    open_share_box(page)
    page.get_by_test_id("stSidebar").locator('input[type="file"]').set_input_files(str(saved))
    wait_idle(page, started_within=2.0)
    wait_for_record(page, "q", "data 9", "grad 1")
    wait_for_record(page, "p", "data 3", "grad 6")
    expect(sidebar_number_input(page, "p")).to_have_value("3")
    go_to_page(page, "By hand")
    row = wait_for_cell(page, ANSWER_COLUMN, 1, "6")
    assert "matches" in row[RESULT_COLUMN], row
    assert_no_traceback(page)
