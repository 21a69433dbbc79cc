"""Lesson 2 walked in Chromium: the learner's tanh with a slip named at its line on Implement it, then every
station done from the work, each reached by a click, the loss plots drawn, and a reload keeps it all.

Only what a browser shows is checked here (the page draws, clicks switch stations, charts render); what each
station judges is tested below the browser (tests/test_page_lesson2.py, tests/test_lesson_walk.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from lab.lesson import lesson2
from lab.lesson.solution import LESSON2_SOLUTION
from lab.work.share import Work, work_to_params
from tests.browser.conftest import SCREENSHOTS, SETTLED, assert_no_traceback, go_to_page, open_app, wait_idle

pytestmark = pytest.mark.browser


def link(work: Work) -> str:
    return urlencode(work_to_params(work))


def test_lesson_2_from_a_slip_in_tanh_to_every_station_done(page: Page, app_url: str):
    page.set_viewport_size({"width": 1280, "height": 720})
    slip = LESSON2_SOLUTION.replace("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - self.data**2) * out.grad")
    line = next(i for i, text in enumerate(slip.splitlines(), 1) if "1 - self.data**2" in text)
    open_app(page, app_url, link(Work(lesson2.NEURON, code=slip)), path="lesson2")
    expect(page.get_by_role("heading", name="Lesson 2: when gradients die")).to_be_visible()
    expect(page.get_by_text("tanh() and relu(): 4 of 6 checks pass")).to_be_visible()
    go_to_page(page, "Implement it")
    fix = page.get_by_test_id("stAlertContentError").filter(has_text="Fix this first")
    expect(fix.filter(has_text=f"(line {line})")).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "lesson2-implement-slip.png", full_page=True)
    assert_no_traceback(page)

    work = Work(lesson2.NEURON)
    for station in lesson2.LESSON.stations:
        fields = station.work_that_does_it()
        for name, value in fields.items():
            if isinstance(value, dict):
                getattr(work, name).update(value)
            else:
                setattr(work, name, value)
    open_app(page, app_url, link(work), path="lesson2")
    total = len(lesson2.LESSON.stations)
    expect(page.get_by_test_id("stProgress").filter(has_text=f"{total} of {total} stations done")).to_be_visible()
    train = lesson2.LESSON.station("l2:train")
    row = page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").locator("button")  # the row of stations
    row.filter(has_text=re.compile(rf"^✔\s*{re.escape(train.short)}$")).click()
    wait_idle(page, timeout=60)
    expect(page.get_by_role("heading", name=f"{train.number}. Train a neuron")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=15_000)  # charts load their code
    page.screenshot(path=SCREENSHOTS / "lesson2-train.png", full_page=True)
    page.reload()
    # a reload is a new session, whose first run checks the code in the sandbox again: as slow as open_app's
    page.wait_for_function("() => !!document.querySelector('[data-testid=\"stProgress\"]')", timeout=60_000)
    page.wait_for_function(SETTLED, timeout=60_000)
    expect(page.get_by_test_id("stProgress").filter(has_text=f"{total} of {total} stations done")).to_be_visible()
    assert_no_traceback(page)
