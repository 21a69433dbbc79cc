"""Predict, then reveal on "Watch gradients flow", in Chromium.

By hand, for the lesson's x = 2, y = 3, z = x*y + y (a = x*y): step 0 seeds z.grad = 1; step 1 is
z = a + y, sending 1 to a and 1 to y; step 2 is a = x * y, sending y.data * a.grad = 3 * 1 = 3 to x
and x.data * a.grad = 2 * 1 = 2 to y, so y.grad is then 1 + 2 = 3. A learner who types 3 for what
step 2 adds to y.grad has given y's total, not what this edge adds: wrong.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_traceback, go_to_page, open_app, wait_for_record, wait_idle

pytestmark = pytest.mark.browser

FLOWING_EDGES = '[data-testid="stGraphVizChart"] svg g.edge.flowing'


def main(page: Page):
    return page.get_by_test_id("stMain")


def click_button(page: Page, name: str) -> None:
    main(page).get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def switch_predict_on(page: Page) -> None:
    main(page).get_by_text("Predict first", exact=True).click()
    wait_idle(page)
    expect(main(page).get_by_role("switch", name="Predict first")).to_be_checked()


def predict(page: Page, **entries: str) -> None:
    """Type into the boxes labelled `<name>.grad += ?` / `<name>.grad = ?` (given as name="3"), then Check."""
    for name, text in entries.items():
        box = main(page).get_by_label(f"{name}.grad += ?", exact=True)
        if not box.count():
            box = main(page).get_by_label(f"{name}.grad = ?", exact=True)
        box.fill(text)
    click_button(page, "Check")


def results(page: Page):
    return page.get_by_test_id("flow-predictions")


def score(page: Page):
    return page.get_by_test_id("flow-score")


def test_a_learner_predicts_a_step_right_and_one_wrong_and_a_reload_keeps_the_predictions(page: Page, app_url: str):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, app_url)
    go_to_page(page, "Watch gradients flow")
    switch_predict_on(page)
    expect(page.get_by_test_id("flow-sentence")).to_have_text(
        "backward() starts at the output z: what is z.grad set to?"
    )
    expect(main(page).get_by_role("button", name="Play", exact=True)).to_be_disabled()
    expect(main(page).get_by_role("button", name="Step", exact=True)).to_be_disabled()

    predict(page, z="1")
    expect(results(page)).to_contain_text("✔ z.grad = 1")
    expect(score(page)).to_have_text("1 of 1 right so far")

    click_button(page, "Step")  # step 1: z = a + y
    predict(page, a="1", y="1")
    expect(score(page)).to_have_text("3 of 3 right so far")

    click_button(page, "Step")  # step 2: a = x * y, not revealed yet
    expect(page.get_by_test_id("flow-position")).to_have_text("Step 2 of 2: your prediction first")
    expect(page.locator(FLOWING_EDGES)).to_have_count(2)  # the edges that will carry gradient ...
    expect(page.locator(f"{FLOWING_EDGES} text")).to_have_count(0)  # ... with no numbers on them
    wait_for_record(page, "x", "grad 0")  # x gets its gradient only at this step
    expect(page.get_by_test_id("flow-sentence")).not_to_contain_text("3 * 1")
    page.screenshot(path="test-results/predict-before-check.png")

    predict(page, x="y", y="3")  # x: `y` is 3 here (right); y: 3 is y's total, this edge adds 2 (wrong)
    expect(results(page)).to_contain_text("✔ x.grad += 3")
    expect(results(page)).to_contain_text("✘ y.grad += 2")
    expect(results(page)).to_contain_text("y.grad += x.data * a.grad = 2 * 1 = 2")
    expect(results(page)).to_contain_text("upstream gradient a.grad = 1 times the local derivative da/dy = x.data = 2")
    expect(score(page)).to_have_text("4 of 5 right so far")
    expect(page.get_by_test_id("flow-sentence")).to_contain_text("y.grad is now 3")
    wait_for_record(page, "x", "grad 3")
    wait_for_record(page, "y", "grad 3")
    page.screenshot(path="test-results/predict-after-check.png")
    assert_no_traceback(page)

    # a reload: the predictions and the switch come back from the address bar
    assert "pred=" in page.url and "predict=1" in page.url
    page.reload()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]') !== null")
    wait_idle(page, started_within=1.0)
    expect(main(page).get_by_role("switch", name="Predict first")).to_be_checked()
    # back at the step it left (issue 16, item 12: it went back to step 0)
    expect(page.get_by_test_id("flow-position")).to_have_text("Step 2 of 2")
    expect(results(page)).to_contain_text("✘ y.grad += 2")
    expect(score(page)).to_have_text("4 of 5 right so far")
    click_button(page, "Reset")
    expect(results(page)).to_contain_text("✔ z.grad = 1")  # step 0, checked before the reload
    assert_no_traceback(page)


def test_an_unreadable_prediction_reveals_nothing_and_says_why(page: Page, app_url: str):
    open_app(page, app_url)
    go_to_page(page, "Watch gradients flow")
    switch_predict_on(page)
    predict(page, z="a +")
    expect(main(page).get_by_test_id("stAlert")).to_contain_text("Nothing revealed yet")
    expect(main(page).get_by_label("z.grad = ?", exact=True)).to_have_value("a +")
    expect(page.get_by_test_id("flow-position")).to_contain_text("your prediction first")
    assert_no_traceback(page)
