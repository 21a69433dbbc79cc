"""Every page of the top bar opens at its own address with the sidebar's variables and no traceback, and is
readable for every learner and on a projector: axe-core finds nothing serious or critical on any page.

axe-core (run from Playwright by axe-playwright-python) checks each page of the dashboard at 1280x720, as the
top bar lists them (a page added later is checked too), for WCAG failures such as text whose contrast with its
background is below 4.5:1. A projector washes low contrast out first.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import assert_no_traceback, open_app, sidebar_number_input, wait_idle

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 720}
BLOCKING = ("serious", "critical")
# each page's address, by its title in the top bar (a page the top bar has and this lacks fails the walk)
ADDRESSES = {
    "Lesson": "/",
    "Build and see": "/build",
    "By hand": "/by-hand",
    "Watch it flow": "/flow",
    "Rules": "/rules",
    "Your rules": "/own_rules",
    "Implement it": "/implement",
    "Bug lab": "/bugs",
    "Next lesson": "/next",
}


def top_bar_pages(page: Page) -> list[str]:
    """Every page of the dashboard, as the top bar links them (the dashboard's own page list)."""
    links = page.get_by_test_id("stTopNavLink")
    return [links.nth(i).inner_text().strip() for i in range(links.count())]


def open_from_top_bar(page: Page, title: str) -> None:
    page.get_by_test_id("stTopNavLink").filter(has_text=title).first.click()
    wait_idle(page, started_within=1.0)
    page.get_by_test_id("stMain").get_by_role("heading", level=1).first.wait_for(state="visible")


def blocking_violations(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line each (rule, element, why)."""
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {node['target']}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def test_every_page_opens_at_its_address_with_the_sidebar_and_no_serious_or_critical_accessibility_failure(
    page: Page, app_url: str
):
    page.set_viewport_size(VIEWPORT)
    open_app(page, app_url)
    titles = top_bar_pages(page)
    assert len(titles) >= 8, titles
    failures = {}
    for title in titles:
        open_from_top_bar(page, title)
        assert urlparse(page.url).path == ADDRESSES[title], f"{title}: landed on {page.url}"
        expect(sidebar_number_input(page, "x")).to_have_value("2")  # the lesson's example, x = 2 and y = 3
        expect(sidebar_number_input(page, "y")).to_have_value("3")
        assert_no_traceback(page)
        found = blocking_violations(page)
        if found:
            failures[title] = found
    assert not failures, "\n".join(f"{title}:\n  " + "\n  ".join(found) for title, found in failures.items())


def test_the_marks_on_the_diagram_pass_too_a_mistake_switched_on_and_a_step_of_the_flow(page: Page, app_url: str):
    page.set_viewport_size(VIEWPORT)
    open_app(page, app_url)
    open_from_top_bar(page, "Bug lab")
    page.get_by_test_id("stMain").get_by_role("radiogroup", name="Mistake").get_by_role(
        "radio", name="= instead of +="
    ).click()
    wait_idle(page)
    page.locator('[data-testid="stGraphVizChart"] svg g.node.mismatch').first.wait_for(state="visible")
    assert blocking_violations(page) == []
    open_from_top_bar(page, "Watch it flow")
    page.get_by_role("button", name="Step", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stGraphVizChart"] svg g.node.current').first.wait_for(state="visible")
    assert blocking_violations(page) == []
