"""Implement it, in Chromium: the learner types their `Value` into the Ace editor (an iframe) and runs it.

The lesson's solution and its buggy variants come from tests/implement_solutions.py (each variant is the
solution with one change, and the line of that change): the page must name each mistake's check and line.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from implement_solutions import BUGS, SOLUTION
from playwright.sync_api import Browser, Page, expect

from lab.implement.checks import TITLES
from lab.views.implement_view import MARK_CLASS

from .conftest import (
    assert_no_traceback,
    go_to_page,
    new_browser_context,
    open_app,
    wait_for_record,
    wait_idle,
)

pytestmark = pytest.mark.browser

EDITOR = 'iframe[title="code_editor.code_editor"]'
CHECKS_PASS = re.compile(r"All \d+ checks pass")


def open_implement(page: Page, app_url: str, query: str = "") -> None:
    open_app(page, app_url, query=query, path="implement")
    expect(page.get_by_test_id("stMain").locator("h1").first).to_contain_text("Implement it")
    editor_text(page)  # the editor has loaded


def editor_text(page: Page) -> str:
    """What the Ace editor shows, line by line (Ace draws only the lines on screen: the code here is short)."""
    frame = page.frame_locator(EDITOR)
    frame.locator(".ace_content").wait_for(timeout=20_000)
    return frame.locator(".ace_editor").evaluate("e => e.env.editor.getValue()")


def type_code(page: Page, code: str) -> None:
    """Click into the editor, select everything and type `code` over it, as a learner pastes their class."""
    frame = page.frame_locator(EDITOR)
    frame.locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    # the editor sends what it holds after a pause in typing: the address bar then carries it
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and url_code(page) != code:
        page.wait_for_timeout(100)
    assert url_code(page) == code, "the typed code did not reach the address bar"
    wait_idle(page, started_within=0.0)


def url_code(page: Page) -> str | None:
    values = parse_qs(urlparse(page.url).query).get("code")
    return values[0] if values else None


def run(page: Page) -> None:
    page.get_by_test_id("stMain").get_by_role("button", name="Run", exact=True).click()
    wait_idle(page, started_within=1.0)


def alerts(page: Page) -> list[str]:
    return page.get_by_test_id("stMain").get_by_test_id("stAlert").all_inner_texts()


def check_title(key: str) -> str:
    return re.sub(r"`", "", TITLES[key])


def test_the_lessons_solution_passes_every_check(page: Page, app_url: str):
    open_implement(page, app_url, urlencode({"hand": json.dumps({"grad:x": "3", "grad:y": "3"})}))  # by hand
    assert "self.grad +=" not in editor_text(page)  # the skeleton, never the answer
    type_code(page, SOLUTION)
    run(page)
    expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text=CHECKS_PASS)).to_be_visible()
    assert not [a for a in alerts(page) if "checks pass" not in a and "✔" not in a], alerts(page)
    wait_for_record(page, "y", "grad 3")  # the learner's own graph, drawn from their objects
    # the Lesson's station is done, from the work
    go_to_page(page, "Lesson")
    page.get_by_role("radiogroup", name="Station").get_by_role("radio", name=re.compile("Implement")).click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="3. Implement it: your own Value and backward()")).to_be_visible()
    expect(main.get_by_text(re.compile(r"^✔ done · all \d+ checks pass"))).to_be_visible()
    assert_no_traceback(page)


def test_the_line_to_fix_first_is_marked_in_the_editor_itself(page: Page, app_url: str):
    """Ctrl+Enter runs; the gutter's error mark and the full-line marker sit on the slip's own line."""
    code, key, line = BUGS["no_visited_set"]
    open_implement(page, app_url)
    type_code(page, code)
    page.frame_locator(EDITOR).locator(".ace_content").click()
    page.keyboard.press("Control+Enter")  # the editor's shortcut runs
    wait_idle(page, started_within=1.0)
    box = page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="Fix this first")
    expect(box).to_have_count(1)
    expect(box).to_contain_text(check_title(key))
    frame = page.frame_locator(EDITOR)
    expect(frame.locator(".ace_gutter-cell.ace_error")).to_have_count(1)
    expect(frame.locator(".ace_gutter-cell.ace_error")).to_have_text(str(line))
    marker = frame.locator(f".ace_marker-layer .{MARK_CLASS}")
    expect(marker).to_have_count(1)
    # the marker covers the slip's own line of text (not the gutter's number, which Ace draws apart)
    text = code.splitlines()[line - 1].strip()
    row = frame.locator(".ace_text-layer .ace_line", has_text=text).first
    row_top = row.evaluate("r => r.getBoundingClientRect().top")
    marker_top = marker.evaluate("m => m.getBoundingClientRect().top")
    assert abs(marker_top - row_top) <= 2, (marker_top, row_top)
    assert_no_traceback(page)


def test_a_reload_keeps_the_code_and_its_results(page: Page, app_url: str):
    code = BUGS["no_seed"][0]
    open_implement(page, app_url)
    type_code(page, code)
    page.reload()
    wait_idle(page, started_within=0.0)
    assert editor_text(page) == code
    # a fresh session from the link runs it once, by itself
    expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text=check_title("seed"))).to_be_visible()


def test_start_again_asks_before_it_throws_the_code_away(page: Page, app_url: str):
    from lab.implement.run import SKELETON

    open_implement(page, app_url, urlencode({"code": SOLUTION}))
    assert editor_text(page) == SOLUTION
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name="Start again from the skeleton").click()
    wait_idle(page)
    assert editor_text(page) == SOLUTION  # asked first
    main.get_by_role("button", name="No, keep my code").click()
    wait_idle(page)
    assert editor_text(page) == SOLUTION and url_code(page) == SOLUTION
    main.get_by_role("button", name="Start again from the skeleton").click()
    wait_idle(page)
    main.get_by_role("button", name="Yes, start again").click()
    wait_idle(page)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and editor_text(page) != SKELETON:
        page.wait_for_timeout(100)
    assert editor_text(page) == SKELETON
    assert url_code(page) is None


def test_the_page_looks_and_works_the_same_with_no_internet(browser: Browser, app_url: str):
    """Every request that is not to this server is refused: the editor's font is this server's own copy."""
    context = new_browser_context(browser, viewport={"width": 1280, "height": 720})
    refused: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(app_url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    try:
        page = context.new_page()
        open_implement(page, app_url)
        frame = page.frame_locator(EDITOR)
        font = frame.locator(".ace_editor").evaluate("e => getComputedStyle(e).fontFamily")
        assert font.startswith('"Backprop Lab Code"'), font
        loaded = frame.locator("body").evaluate(
            "async () => { await document.fonts.ready; return [...document.fonts].map(f => f.family + ' ' + f.status) }"
        )
        assert "Backprop Lab Code loaded" in [f.replace('"', "") for f in loaded], loaded
        type_code(page, SOLUTION)
        run(page)
        expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text=CHECKS_PASS)).to_be_visible()
        assert any("fonts.googleapis.com" in url for url in refused)  # asked, refused, and nothing changed
        assert_no_traceback(page)
    finally:
        context.close()


def test_all_nine_pages_fit_the_top_bar_at_1280(browser: Browser, app_url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        open_implement(page, app_url)
        nav = page.get_by_test_id("stTopNav")
        links = page.get_by_test_id("stTopNavLink")
        expect(links).to_have_count(9)
        # Streamlit moves the titles that do not fit into a "1 more" menu, keeping them hidden in the bar
        hidden = nav.evaluate(
            "n => [...n.querySelectorAll('[data-testid=stTopNavLink]')]"
            ".filter(l => l.closest('[aria-hidden=true]')).map(l => l.textContent)"
        )
        assert not hidden, f"in the top bar's overflow menu, not on the bar: {hidden}"
        # and every title ends inside the bar as drawn (its own padding aside, which a title may not need)
        overhang = nav.evaluate(
            "n => Math.max(...[...n.querySelectorAll('[data-testid=stTopNavLink]')]"
            ".map(l => l.getBoundingClientRect().right)) - n.getBoundingClientRect().right"
        )
        assert overhang <= 0, f"the top bar's last title is cut off by {overhang:.0f} px"
        go_to_page(page, "Implement it")
    finally:
        page.close()


def test_my_value_steps_through_the_learners_own_backward(page: Page, app_url: str):
    """Without a topological order the learner's backward() fires a (found first from z) before b, which uses a."""
    code = BUGS["no_topological_order"][0]
    program = "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nz = a + c"
    open_app(page, app_url, query=urlencode({"expr": program, "code": code}), path="implement")
    expect(
        page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text=check_title("order"))
    ).to_be_visible()
    go_to_page(page, "Watch gradients flow")
    page.get_by_test_id("stMain").get_by_text("My Value", exact=True).click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert").filter(has_text="Your own backward() on your program")).to_be_visible()
    calls_row = main.get_by_test_id("stMarkdown").filter(has_text="→").first
    calls = [c.strip() for c in calls_row.inner_text().split("→")]
    assert calls.index("a") < calls.index("b"), calls  # their order, not the engine's (b, then a)
    for name in calls:
        main.get_by_role("button", name="Step").click()
        wait_idle(page)
        expect(page.get_by_test_id("flow-sentence")).to_contain_text(f"your {name}._backward()")
    assert_no_traceback(page)


def test_run_right_after_typing_runs_what_was_typed(page: Page, app_url: str):
    """No pause after typing: the click on Run (outside the editor) still runs the code just typed."""
    open_implement(page, app_url)
    frame = page.frame_locator(EDITOR)
    frame.locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(SOLUTION)
    page.get_by_test_id("stMain").get_by_role("button", name="Run", exact=True).click()
    wait_idle(page, started_within=1.0)
    expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text=CHECKS_PASS)).to_be_visible(
        timeout=15_000
    )
