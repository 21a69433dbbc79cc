"""The rescue version, walked by a learner in Chromium from the choice to the last station, with clicks and typing.

By hand, for z = x*y + y at x = 2, y = 3: z = 9, dz/dx = y = 3, dz/dy = x + 1 = 3 (1 from z, 2 from a = x*y).
Screenshots of each station at 1280x720 are left in test-results/ to look at.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from lab.lesson import rescue
from lab.lesson.stations import LESSON_PROGRAM
from lab.views import parsons
from lab.work.share import Work, work_to_params

from .conftest import SCREENSHOTS, assert_no_traceback, open_app, wait_idle

pytestmark = pytest.mark.browser

BLANKS = [
    ("`__add__`: `self.grad += ___`", "out.grad"),
    ("`__add__`: `other.grad += ___`", "out.grad"),
    ("`__mul__`: `self.grad += ___`", "other.data * out.grad"),
    ("`__mul__`: `other.grad += ___`", "self.data * out.grad"),
]


def main(page: Page):
    return page.get_by_test_id("stMain")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"rescue-{name}.png"))


def progress_text(page: Page) -> str:
    return main(page).get_by_test_id("stProgress").inner_text()


def type_into(page: Page, label: str, text: str) -> None:
    box = main(page).get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def next_station(page: Page) -> None:
    main(page).get_by_role("button", name="Next station:").click()
    wait_idle(page)


def puzzle_clicks() -> list[tuple[str, str]]:
    """The clicks (line, arrow) that take the puzzle as given to the lesson's backward(): each line up into its
    place, then indented."""
    lines, clicks = list(parsons.start()), []
    for k, wanted in enumerate(parsons.solution()):
        j = next(i for i, placed in enumerate(lines) if placed.id == wanted.id)
        clicks += [(wanted.id, parsons.UP)] * (j - k)
        lines.insert(k, lines.pop(j))
    for wanted in parsons.solution():
        clicks += [(wanted.id, parsons.IN)] * (wanted.level - 1)
    return clicks


# The puzzle's moves made with its arrows here: one line up, three indented (any order of moves that ends in the
# solution is the same arrangement). The moves before them come in the link the walk opens, as a learner's
# half-done puzzle would: each move's effect is test_parsons.py's, the puzzle marked done test_page_rescue.py's.
BROWSER_MOVES = [("loop", parsons.UP), ("recurse", parsons.IN), ("append", parsons.IN), ("fire", parsons.IN)]


def half_done_puzzle_link() -> str:
    """The lesson's example with the puzzle moved all the way but for BROWSER_MOVES."""
    arranged = parsons.start()
    remaining = list(BROWSER_MOVES)
    for line, how in puzzle_clicks():
        if (line, how) in remaining:
            remaining.remove((line, how))
            continue
        arranged = parsons.move(arranged, next(i for i, placed in enumerate(arranged) if placed.id == line), how)
    assert not remaining, remaining
    return urlencode(work_to_params(Work(LESSON_PROGRAM, answers={rescue.PUZZLE: parsons.to_text(arranged)})))


def test_a_learner_walks_the_rescue_version_from_the_choice_to_done(page: Page, app_url: str):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, app_url, half_done_puzzle_link())
    main(page).get_by_role("radiogroup", name="Which lesson").get_by_role(
        "radio", name="The rescue version (15 min)"
    ).click()
    wait_idle(page)
    expect(main(page).get_by_text("0 of 5 stations done · about 15 min")).to_be_visible()
    assert "lesson=rescue" in page.url

    # 1. the graph: z's value and the gradients wait for station 4
    svg = main(page).get_by_test_id("stGraphVizChart").inner_text()
    assert "data 9" not in svg and "grad ?" in svg
    shoot(page, "1-graph")
    main(page).get_by_text("(a, y)", exact=True).click()
    wait_idle(page)
    expect(main(page).get_by_text("1 of 5 stations done")).to_be_visible()
    next_station(page)

    # 2. the blanks: a wrong one first, told in the example's numbers
    type_into(page, BLANKS[2][0], "self.data * out.grad")
    expect(main(page).get_by_text("a moves by 0.003: 3 per unit")).to_be_visible()
    for label, text in BLANKS:
        type_into(page, label, text)
    expect(main(page).get_by_text("2 of 5 stations done")).to_be_visible()
    shoot(page, "2-rules")
    next_station(page)

    # 3. the puzzle, its last moves made line by line with its arrows
    expect(main(page).get_by_text("Right: depth-first search")).to_have_count(0)
    for line, how in BROWSER_MOVES:
        main(page).locator(f".st-key-rescue_move_{line}_{how} button:visible").first.click()
        wait_idle(page)
    expect(main(page).get_by_text("Right: depth-first search")).to_be_visible()
    expect(main(page).get_by_text("3 of 5 stations done")).to_be_visible()
    shoot(page, "3-puzzle")
    next_station(page)

    # 4. by hand first, then the assembled class in the sandbox
    expect(main(page).get_by_role("button", name="Run it in the sandbox")).to_have_count(0)
    type_into(page, "z =", "9")
    type_into(page, "dz/dx =", "y")
    type_into(page, "dz/dy =", "x + 1")
    main(page).get_by_role("button", name="Run it in the sandbox on the lesson's test").click()
    wait_idle(page, timeout=60)
    expect(main(page).get_by_text("z.data is 9, x.grad is 3 and y.grad is 3")).to_be_visible()
    expect(main(page).get_by_text("4 of 5 stations done")).to_be_visible()
    shoot(page, "4-by-hand")
    next_station(page)

    # 5. one sentence
    box = main(page).get_by_label("Your sentence: what is backpropagation, now that you have done it?")
    box.fill("Backpropagation is the chain rule, applied node by node from the output back.")
    box.press("Control+Enter")
    wait_idle(page)
    expect(main(page).get_by_text("5 of 5 stations done")).to_be_visible()
    shoot(page, "5-takeaway")
    assert_no_traceback(page)

    # a reload comes back to the same: the link carries the version and the work
    page.reload()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stProgress\"]') !== null")
    wait_idle(page)
    expect(main(page).get_by_text("5 of 5 stations done")).to_be_visible(timeout=30_000)
