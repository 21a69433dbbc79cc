"""Text typed into any box, then a click on a top-bar page link without leaving the box first.

A Streamlit text box sends its text when it loses focus (or on Enter). A click on a link moves the focus, so
the box's text and the link's page change both go to the server, in an order the browser picks: when the page
change went first, the text's rerun of the old page undid it (the page did not change) and the box came back
empty while the work had the text. Here, for every box a learner types into: the page the link names opens,
and the text is in the work (the address bar) and back in its box on return.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import (
    HEADER_HEIGHT,
    ROW_HEIGHT,
    assert_no_traceback,
    glide_rows,
    go_to_page,
    open_app,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRIES = 2  # the order of the two messages varies from try to try: each box is tried twice (ten tries in all)


def main(page: Page):
    return page.get_by_test_id("stMain")


def open_station(page: Page, label: str) -> None:
    station = page.get_by_role("radiogroup", name="Station").get_by_role("radio", name=re.compile(label))
    if station.get_attribute("aria-checked") != "true":  # a click on the open station would close it
        station.click()
        wait_idle(page)


def url_param(page: Page, name: str) -> str:
    values = parse_qs(urlparse(page.url).query).get(name)
    return values[0] if values else ""


@dataclass(frozen=True)
class Box:
    name: str
    page: str  # the page's heading (go_to_page takes it), where the box is
    heading: str
    reach: Callable[[Page], None]  # from that page's top: make the box visible
    box: Callable[[Page], Locator]
    text: str
    kept: Callable[[Page], str]  # where the work keeps it (the address bar), read back
    other: str = "Your rules"  # the top-bar link clicked right after typing
    other_heading: str = "Write the rules yourself"


def _takeaway(page: Page) -> Locator:
    return main(page).get_by_role("textbox", name=re.compile("Your takeaway"))


def _answer(page: Page) -> Locator:
    return main(page).get_by_role("textbox", name=re.compile("what would y.grad be"))


def _predict_on(page: Page) -> None:
    switch = main(page).get_by_role("switch", name="Predict first")
    if not switch.is_checked():
        main(page).get_by_text("Predict first", exact=True).click()
        wait_idle(page)


BOXES = [
    Box(
        "takeaway",
        "Lesson",
        "The lesson",
        lambda page: open_station(page, "Takeaway"),
        _takeaway,
        "It surprised me that y collects gradient twice.",
        lambda page: url_param(page, "take"),
    ),
    Box(
        "checkpoint answer",
        "Lesson",
        "The lesson",
        lambda page: open_station(page, "Explain"),
        lambda page: _answer(page).first,
        "2",
        lambda page: url_param(page, "ans"),
    ),
    Box(
        "program box",
        "Build and see",
        "Build and see",
        lambda page: None,
        lambda page: main(page).get_by_role("textbox", name="Your program, one step a line"),
        "x = 2\ny = 3\nz = x*y + y*y",
        lambda page: "",  # a program typed and not built is kept in the session, not in the link
    ),
    Box(
        "own rule",
        "Write the rules yourself",
        "Write the rules yourself",
        lambda page: None,
        lambda page: main(page).get_by_role("textbox", name=re.compile("Your backward rule")),
        "self.grad += other.data * out.grad",
        lambda page: url_param(page, "rules"),
        other="Bug lab",
        other_heading="Bug lab",
    ),
    Box(
        "prediction",
        "Watch gradients flow",
        "Watch gradients flow",
        _predict_on,
        lambda page: main(page).get_by_label("z.grad = ?", exact=True),
        "2",
        lambda page: "",  # a prediction is kept in the work once checked; before that, in the session
    ),
]


@pytest.mark.parametrize("box", BOXES, ids=[b.name for b in BOXES])
def test_text_typed_then_a_top_bar_click_opens_that_page_and_keeps_the_text(page: Page, app_url: str, box: Box):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, app_url)
    for attempt in range(TRIES):  # (each try ends back on the box's page)
        if box.page != "Lesson" and not attempt:
            go_to_page(page, box.page)
        box.reach(page)
        field = box.box(page)
        text = f"{box.text}" if attempt == 0 else box.text.replace("2", str(2 + attempt), 1)
        field.click()
        field.fill(text)  # typed, and the box still has the focus: nothing sent yet
        expect(field).to_be_focused()
        page.get_by_test_id("stTopNavLink").filter(has_text=re.compile(rf"^{re.escape(box.other)}$")).click()
        wait_idle(page, started_within=1.0)
        expect(main(page).locator("h1").first, f"try {attempt + 1}: the link's page opens").to_have_text(
            box.other_heading, timeout=10_000
        )
        kept = box.kept(page)
        if kept or box.name in ("takeaway", "checkpoint answer", "own rule"):
            assert text in kept or text.split()[0] in kept, f"try {attempt + 1}: the work keeps {text!r}: {kept!r}"
        go_to_page(page, box.page)
        box.reach(page)
        expect(box.box(page), f"try {attempt + 1}: the box has the text again").to_have_value(text)
        assert_no_traceback(page)


def test_a_hand_entry_typed_then_a_top_bar_click_opens_that_page_and_keeps_the_entry(page: Page, app_url: str):
    """The hand check's table: a cell's editor open with a number typed, then a top-bar click (a fresh page each
    try: the table's canvas takes clicks reliably when it is drawn for the first time)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    for attempt, text in enumerate(["9", "10", "11"][:TRIES]):
        open_app(page, app_url, path="by-hand")
        grid = main(page).locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        bounds = grid.bounding_box()
        assert bounds is not None
        page.mouse.click(bounds["x"] + 12, bounds["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
        expect(grid.locator("#glide-cell-0-0"), f"try {attempt + 1}").to_have_attribute("aria-selected", "true")
        page.keyboard.press("ArrowRight")
        expect(grid.locator("#glide-cell-1-0"), f"try {attempt + 1}").to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")
        editor = page.locator(".gdg-input").first
        expect(editor).to_be_focused(timeout=5_000)
        editor.fill(text)  # not Enter: the next thing the learner does is click the top bar
        page.get_by_test_id("stTopNavLink").filter(has_text=re.compile(r"^Your rules$")).click()
        wait_idle(page, started_within=1.0)
        expect(main(page).locator("h1").first, f"try {attempt + 1}: the link's page opens").to_have_text(
            "Write the rules yourself", timeout=10_000
        )
        assert text in url_param(page, "hand"), f"try {attempt + 1}: the work keeps {text!r}"
        go_to_page(page, "By hand")
        assert glide_rows(page)[0][1] == text
        assert_no_traceback(page)
