"""Watch gradients flow, in Chromium: stepping and playing move the highlighted node of the real SVG.

By hand, for x = 2, y = 3, z = x*y + y (a = x*y is the unnamed product): the topological order is x, y, a, z.
backward() seeds z.grad = 1 (step 0), then calls z._backward() (step 1: z = a + y sends 1 to a and to y), then
a._backward() (step 2: a = x * y sends y.data * a.grad = 3 * 1 = 3 to x and x.data * a.grad = 2 * 1 = 2 to y,
so y.grad is now 1 + 2 = 3). x and y are leaves: they have no _backward. So the backward pass has steps 0..2
and its highlighted nodes are z, z, a; the forward pass computes x, y, a, z, one node a step.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    DIAGRAM_NODES,
    assert_no_traceback,
    go_to_page,
    marked_nodes,
    open_app,
    pick_option,
    wait_idle,
)

pytestmark = pytest.mark.browser

FLOWING_EDGES = '[data-testid="stGraphVizChart"] svg g.edge.flowing'
BACKWARD_MODE = "Backward pass: one _backward() a step"
FORWARD_MODE = "Forward pass: one node a step"
FASTEST = "Play: 0.25 s a step"
# the name of the diagram's node with the class "current" (the first text of its record), or null
CURRENT_NAME_JS = f"""() => {{
  const node = document.querySelector('{DIAGRAM_NODES}.current');
  if (!node) return null;
  const text = node.querySelector('text');
  return text ? text.textContent.trim() : null;
}}"""


# -- helpers -----------------------------------------------------------------------------------


def current_node(page: Page) -> str | None:
    """The name of the value the diagram highlights now (None while nothing is highlighted)."""
    return page.evaluate(CURRENT_NAME_JS)


def wait_for_current(page: Page, name: str, timeout: float = 15.0) -> None:
    """Wait until exactly one drawn value is highlighted, and it is `name`."""
    deadline = time.monotonic() + timeout
    shown: list[str] = []
    while time.monotonic() < deadline:
        shown = marked_nodes(page, "current")
        if shown == [name]:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the highlighted node should be {name!r}, but the diagram highlights {shown}")


def position(page: Page):
    return page.get_by_test_id("flow-position")


def sentence(page: Page):
    return page.get_by_test_id("flow-sentence")


def click_button(page: Page, name: str) -> None:
    page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def open_flow(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    go_to_page(page, "Watch gradients flow")
    expect(position(page)).to_have_text("Start (step 0 of 2)")
    wait_for_current(page, "z")


def choose_mode(page: Page, label: str) -> None:
    page.get_by_role("radiogroup", name="Pass").get_by_role("radio", name=label).click()
    wait_idle(page)
    expect(page.get_by_role("radiogroup", name="Pass").get_by_role("radio", name=label)).to_be_checked()


# -- the tests ---------------------------------------------------------------------------------


def test_stepping_backward_moves_the_highlight_from_z_to_a_and_says_what_each_rule_added(page: Page, app_url: str):
    open_flow(page, app_url)
    expect(page.get_by_role("radio", name=BACKWARD_MODE)).to_be_checked()
    expect(sentence(page)).to_contain_text("z.grad = 1")
    # the seed moves no gradient along any edge
    expect(page.locator(FLOWING_EDGES)).to_have_count(0)

    click_button(page, "Step")  # step 1: z = a + y fires
    expect(position(page)).to_have_text("Step 1 of 2")
    wait_for_current(page, "z")
    expect(page.locator(FLOWING_EDGES)).to_have_count(2)  # z's + sends its grad to a and to y

    click_button(page, "Step")  # step 2: a = x * y fires
    expect(position(page)).to_have_text("Step 2 of 2")
    wait_for_current(page, "a")
    expect(sentence(page)).to_contain_text("x.grad += y.data * a.grad = 3 * 1 = 3")
    expect(sentence(page)).to_contain_text("y.grad is now 3")
    expect(page.locator(FLOWING_EDGES)).to_have_count(2)  # from x and from y into a's *
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_disabled()  # the last step

    click_button(page, "Back")
    expect(position(page)).to_have_text("Step 1 of 2")
    wait_for_current(page, "z")

    click_button(page, "Step")
    wait_for_current(page, "a")
    click_button(page, "Reset")
    expect(position(page)).to_have_text("Start (step 0 of 2)")
    wait_for_current(page, "z")
    expect(page.locator(FLOWING_EDGES)).to_have_count(0)
    expect(page.get_by_role("button", name="Reset", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Back", exact=True)).to_be_disabled()
    assert_no_traceback(page)


def test_play_moves_the_highlight_by_itself_and_stops_at_the_last_step(page: Page, app_url: str):
    open_flow(page, app_url)
    pick_option(page, "Play speed", FASTEST)
    expect(page.get_by_label("Play speed", exact=True)).to_have_value(FASTEST)

    page.get_by_role("button", name="Play", exact=True).click()
    # the first step comes right away (0 -> 1, still z); step 2 (a) comes from the timer, with no click
    seen: list[tuple[str, str | None]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = (position(page).inner_text(), current_node(page))
        if not seen or seen[-1] != now:
            seen.append(now)
        if now == ("Step 2 of 2", "a"):
            break
        page.wait_for_timeout(40)
    assert seen and seen[-1] == ("Step 2 of 2", "a"), f"play did not reach the last step: {seen}"
    # the step only goes forward while playing (0 -> 1 on the click, 1 -> 2 on the timer's tick)
    steps = [int(text.split()[1]) if text.startswith("Step") else 0 for text, _ in seen]
    assert steps == sorted(steps), f"play went backwards: {seen}"

    # it stops there: Play comes back, and the step stays the last one
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Pause", exact=True)).to_have_count(0)
    page.wait_for_timeout(1000)  # four ticks of 0.25 s: nothing may move any more
    expect(position(page)).to_have_text("Step 2 of 2")
    assert current_node(page) == "a"
    expect(sentence(page)).to_contain_text("y.grad is now 3")
    assert_no_traceback(page)


def test_the_forward_pass_highlights_x_y_a_z_in_topological_order(page: Page, app_url: str):
    open_flow(page, app_url)
    choose_mode(page, FORWARD_MODE)
    expect(position(page)).to_have_text("Node 1 of 4")
    wait_for_current(page, "x")
    for number, name in enumerate(["y", "a", "z"], start=2):
        click_button(page, "Step")
        expect(position(page)).to_have_text(f"Node {number} of 4")
        wait_for_current(page, name)
    expect(sentence(page)).to_contain_text("z = a + y = 6 + 3 = 9")
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_disabled()
    # back to the backward pass: it starts again at its seed
    choose_mode(page, BACKWARD_MODE)
    expect(position(page)).to_have_text("Start (step 0 of 2)")
    wait_for_current(page, "z")
    assert_no_traceback(page)
