"""The instructor's room in Chromium: what only a browser shows of it.

- The instructor's page refreshes itself (a fragment on a 2 s timer): learners arrive and work while the
  instructor touches nothing, and the counts, the stations and the common wrong prediction appear.
- Its projector view: no nicknames, no sidebar, no page of the top bar highlighted, the wrong answers as
  large as the stations.
- A learner's page is told the room closed within seconds, on whatever page it is, with nothing to send
  (a fragment on a 3 s timer on every page).

Only those pages are Chromium. The learners' side needs no browser and is tested below it: joining in the
Room box, a taken nickname, a learner's own link, predictions checked on Watch it flow and runs on Implement
it reaching the instructor are AppTests (tests/test_page_room.py); the facts a learner's work makes are
tests/test_room_events.py; counting and grouping them is tests/test_room_store.py. So here the learners join
with the room's store (as the Room box does) and open their own link, which carries their work: Ann and Bob
on the real server over Streamlit's websocket (benchmarks/ws_learner.py), Cem in Chromium, on Build and see.

The lesson's example by hand (x = 2, y = 3, z = x*y + y, a = x*y): backward step 2 (a = x*y fires) adds
y.data * a.grad = 3 to x.grad and x.data * a.grad = 2 to y.grad. Ann and Bob predicted 3 for y (y's total,
not what this edge adds): the same wrong answer twice; Cem predicted 2 (right). Ann and Bob answered station
1's question (their link's `ans`), Cem did not: Cem is at station 1, Ann and Bob past it and at station 2.
How soon the instructor sees a learner's work is benchmarks/bench_room_watch.py's figure, not a test's race.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine

from lab.model.analysis import analyse
from lab.model.presets import LESSON_PROGRAM
from lab.room.store import RoomStore, new_token
from lab.views import predict
from lab.work.share import Work, work_to_params

from .conftest import REPO, assert_no_traceback, open_app, run_async, wait_idle

sys.path.insert(0, str(REPO / "benchmarks"))
from ws_learner import Session

pytestmark = pytest.mark.browser

SHOTS = REPO / "test-results"
LIVE = 15_000  # ms: the view refreshes every 2 s; a busy two-core machine is given time (the bar is that it does)
TOLD = 15_000  # ms: a learner's page looks every 3 s
PROJECTOR = "Projector view: no nicknames, large"


def main(page: Page):
    return page.get_by_test_id("stMain")


def station_row(page: Page, key: str):
    return page.locator(f'[data-testid="room-stations"] tr[data-station="{key}"] td.n')


def font_px(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def learners_link(code: str, token: str, y_at_step_2: str, answered_station_1: bool) -> str:
    """A learner's own link: their place in the room and their work, the backward pass predicted to step 2."""
    a = analyse(LESSON_PROGRAM)
    blanks = {b.label: b.key for b in predict.blanks(a, "backward", 2)}
    work = Work(
        LESSON_PROGRAM,
        predictions={blanks["x.grad += ?"]: "3", blanks["y.grad += ?"]: y_at_step_2},
        answers={"station:graph": "my"} if answered_station_1 else {},  # station 1's right answer
    )
    return urlencode({**work_to_params(work), "room": code, "me": token})


def open_links_over_websockets(url: str, links: list[str]) -> None:
    """Each link opened by a Streamlit session of its own over the websocket: its first run sends its work's facts."""

    async def open_all() -> None:
        for link in links:
            async with Session(url, timeout=60) as s:
                run = await s.connect(link)
                assert not run.exceptions, run.exceptions
                assert "no longer in a room" not in " ".join(run.texts), run.texts

    run_async(open_all())


def check_projector(teacher: Page) -> None:
    """Projector view: no nicknames, the wrong answers as large as the stations, no sidebar, no page of the top
    bar highlighted (the Room page is not one of them); then back."""
    sidebar = teacher.get_by_test_id("stSidebar")
    live, wrong = teacher.get_by_test_id("room-live"), teacher.get_by_test_id("room-wrong")
    teacher.get_by_text(PROJECTOR).click()
    wait_idle(teacher)
    expect(teacher.locator(".room-live.projector")).to_have_count(1)
    expect(wrong).to_contain_text("2 said y.grad += 3 at step 2; it adds 2")
    expect(teacher.get_by_test_id("room-learners")).to_have_count(0)
    for name in ("Ann", "Bob", "Cem"):
        expect(live).not_to_contain_text(name)
    expect(sidebar).to_be_hidden()
    expect(teacher.locator('[data-testid="stTopNavLink"][aria-current="page"]')).to_have_count(0)
    station_px = font_px(live.locator('[data-testid="room-stations"] td').first)
    wrong_px = font_px(wrong.locator("li").first)
    assert station_px >= 22 and wrong_px == station_px, (station_px, wrong_px)
    teacher.screenshot(path=str(SHOTS / "room-projector.png"))
    teacher.get_by_text(PROJECTOR).click()
    wait_idle(teacher)
    expect(sidebar).to_be_visible()
    expect(wrong).to_contain_text("(Ann, Bob)")


def test_the_instructors_view_refreshes_itself_its_projector_is_large_and_a_learners_page_is_told_of_the_close(
    page: Page, app_server: tuple[str, str]
):
    url, database = app_server  # the worker's server; a room of its own (other tests' rooms have other codes)
    teacher = page
    teacher.set_viewport_size({"width": 1280, "height": 720})
    open_app(teacher, url, path="room")
    main(teacher).get_by_role("button", name="Open a room").click()
    wait_idle(teacher)
    code = teacher.get_by_test_id("room-code").inner_text().strip()
    assert len(code) == 6 and parse_qs(urlsplit(teacher.url).query)["key"][0]
    count = teacher.get_by_test_id("room-count")
    expect(count).to_have_text(f"0 learners in room {code}")

    # from here the instructor touches nothing: three learners join and work
    store = RoomStore(create_engine(database))
    tokens = {name: new_token() for name in ("Ann", "Bob", "Cem")}
    for name, token in tokens.items():
        store.join(code, name, token)
    expect(count).to_have_text(f"3 learners in room {code}", timeout=LIVE)
    open_links_over_websockets(url, [learners_link(code, tokens[n], "3", True) for n in ("Ann", "Bob")])
    cem = page.context.new_page()  # a page of its own: a session of its own
    cem.set_viewport_size({"width": 1280, "height": 720})
    open_app(cem, url, learners_link(code, tokens["Cem"], "2", False), path="build")

    wrong = teacher.get_by_test_id("room-wrong")
    expect(wrong).to_contain_text("2 said y.grad += 3 at step 2; it adds 2", timeout=LIVE)
    expect(wrong).to_contain_text("(Ann, Bob)")  # whom to help, on the instructor's own view
    expect(station_row(teacher, "graph")).to_have_text(["1", "2"], timeout=LIVE)  # Cem at 1; Ann and Bob past it
    expect(station_row(teacher, "rules")).to_have_text(["2", "0"])  # Ann and Bob at station 2
    for name in tokens:
        expect(teacher.get_by_test_id("room-learners")).to_contain_text(name)
    teacher.screenshot(path=str(SHOTS / "room-live.png"))

    check_projector(teacher)

    # closing is told on the learner's page within seconds, on whatever page it is, with nothing to send
    teacher.get_by_text("Yes, delete everything of this room").click()
    wait_idle(teacher)
    main(teacher).get_by_role("button", name="Close the room").click()
    expect(cem.get_by_test_id("stSidebar")).to_contain_text(f"Room {code} was closed by the instructor", timeout=TOLD)
    expect(cem).not_to_have_url(re.compile(r"[?&]room="))
    cem.screenshot(path=str(SHOTS / "room-closed-told.png"))
    for shown in (teacher, cem):
        assert_no_traceback(shown)
