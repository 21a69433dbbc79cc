"""The derivation sheet in Chromium: exactly one printed page on A4 and on Letter, in its own handwriting font,
with nothing fetched from anywhere but the dashboard's own server; and the downloaded file the same, offline.

Only a browser lays a page out for print and loads fonts, so this is where those are checked: Chromium prints
to PDF (the print CSS) and the pages of the PDF are counted.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from lab.views import sheet

from .conftest import assert_no_traceback, open_app, wait_idle
from .test_accessibility_browser import blocking_violations

pytestmark = pytest.mark.browser

LOOPBACK = re.compile(r"^((https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/|file:///)")
DENSEST_FITTING = "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nd = c*a\nz = d*b + x"  # 8 nodes, 12 edges
# 8 nodes, 7 operators: the most words (each operator's record says why its rule is right, once)
MOST_WORDS = "x = 1.5\nn = tanh(x)\nr = relu(n)\ne = exp(r)\nl = log(e)\nq = l**2\nm = -q\nz = m/x"
FONT_LOADED = f"""async () => {{
  await document.fonts.ready;
  return [...document.fonts].filter(f => f.family.replace(/["']/g, '') === '{sheet.FONT_FAMILY}')
    .map(f => f.weight + ' ' + f.status);
}}"""


def pages_printed(page: Page, paper: str) -> int:
    """How many pages Chromium prints the page on, on this paper (its print CSS applies)."""
    return len(re.findall(rb"/Type\s*/Page\b", page.pdf(format=paper, print_background=True)))


def keep_on_the_server(page: Page) -> list[str]:
    """Every request that would leave the dashboard's own server fails, and is listed."""
    outside: list[str] = []

    def guard(route) -> None:
        if LOOPBACK.match(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", guard)
    return outside


@pytest.mark.own_context
def test_the_sheet_prints_on_one_page_in_its_own_font_with_nothing_from_outside(page: Page, app_url: str):
    page.set_viewport_size({"width": 1280, "height": 720})
    outside = keep_on_the_server(page)
    open_app(page, app_url, "first=0", path="sheet")
    page.locator(".sheet").wait_for(state="visible")
    assert_no_traceback(page)
    assert "∂z/∂x = y · ∂z/∂a = 3 · 1 = 3" in page.locator(".sheet").inner_text()
    assert page.evaluate(FONT_LOADED) == ["400 loaded", "700 loaded"]
    assert page.evaluate(f"document.fonts.check('16px {sheet.FONT_FAMILY}')")
    assert page.locator(".sheet img.graph").evaluate("img => img.complete && img.naturalWidth > 0")
    assert pages_printed(page, "A4") == 1
    assert pages_printed(page, "Letter") == 1
    assert blocking_violations(page) == []
    assert outside == []


@pytest.mark.parametrize("program", [DENSEST_FITTING, MOST_WORDS], ids=["most edges", "most words"])
def test_the_biggest_programs_offered_still_print_on_one_page(page: Page, app_url: str, program: str):
    outside = keep_on_the_server(page)
    open_app(page, app_url, f"first=0&expr={quote(program)}", path="sheet")
    page.get_by_test_id("stMain").get_by_text("Your program", exact=True).click()
    wait_idle(page)
    page.locator(".sheet").filter(has_text=program.splitlines()[-1]).wait_for(state="visible")
    assert page.evaluate(FONT_LOADED) == ["400 loaded", "700 loaded"]
    assert pages_printed(page, "A4") == 1
    assert pages_printed(page, "Letter") == 1
    assert outside == []


@pytest.mark.own_context
def test_the_downloaded_file_prints_on_one_page_offline_in_its_font(page: Page, app_url: str, tmp_path):
    open_app(page, app_url, "first=0", path="sheet")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the sheet")).click()
    saved = tmp_path / "sheet.html"
    download.value.save_as(saved)
    page.context.set_offline(True)
    outside = keep_on_the_server(page)
    page.goto(saved.as_uri())
    assert "∂z/∂y = (via z) 1 + (via a) 2 = 3" in page.locator(".sheet").inner_text()
    assert page.evaluate(FONT_LOADED) == ["400 loaded", "700 loaded"]
    assert pages_printed(page, "A4") == 1
    assert pages_printed(page, "Letter") == 1
    assert outside == []
