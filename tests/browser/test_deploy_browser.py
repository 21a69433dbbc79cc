"""The real frontend through nginx: when its replica dies, Streamlit's own page reconnects to the other one.

tests/test_deploy.py does this with simulated learners at the websocket level; this is the one thing only a
browser shows: Streamlit's frontend, on its own, retries (health, then the websocket) through nginx, lands
on the replica that is left, and reruns the page from its address bar, so the learner sees their work and
their place in the room again. Needs Chromium, nginx and PostgreSQL (a failure under CI=true without them).
"""

from __future__ import annotations

import os
import signal
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine

from lab.room.store import RoomStore, new_token
from lab.work.share import PROGRAM_PARAM
from tests.browser.conftest import IDLE, new_browser_context, sidebar_number_input
from tests.test_deploy import deployment  # noqa: F401 - the fixture: deploy/run 2 on loopback

pytestmark = [pytest.mark.browser, pytest.mark.deploy]
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


def test_a_learners_page_reconnects_to_the_other_replica_with_their_work_and_room(
    browser: Browser,
    deployment: dict[str, str],  # noqa: F811
) -> None:
    store = RoomStore(create_engine(deployment["DATABASE_URL"]))
    code = store.open_room().code
    token = new_token()
    store.join(code, "Chromium", token)
    replicas = dict(
        zip(
            [u.split("//", 1)[1] for u in deployment["REPLICA_URLS"].split()],
            deployment["REPLICA_PIDS"].split(),
            strict=True,
        )
    )
    context = new_browser_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    served: list[str] = []
    page.on("response", lambda r: served.append(r.headers.get("x-replica", "")) if "/_stcore/health" in r.url else None)
    link = urlencode({PROGRAM_PARAM: "x = 7\ny = 3\nz = x*y + y", "room": code, "me": token})
    page.goto(f"{deployment['URL']}/?{link}", timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    first = served[-1].split(",")[-1].strip()
    assert first in replicas, served

    os.kill(int(replicas[first]), signal.SIGKILL)
    # the frontend notices, retries through nginx, and reruns the page on the replica that is left
    page.wait_for_function(f"() => !document.querySelector('{CONNECTED}')", timeout=60_000)
    page.wait_for_selector(f'{CONNECTED}[data-test-script-state="notRunning"]', timeout=120_000)
    other = next(r for r in replicas if r != first)
    assert served[-1].split(",")[-1].strip() == other, served  # nginx lists the replicas it tried
    expect(sidebar_number_input(page, "x")).to_have_value("7")  # their work, from the address bar
    page.get_by_test_id("stSidebar").get_by_text("Room", exact=True).click()
    expect(page.get_by_text(f"You are in room {code} as Chromium")).to_be_visible(timeout=30_000)
    context.close()
