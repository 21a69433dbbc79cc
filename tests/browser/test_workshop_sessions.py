"""A workshop room: learners on one real server at the same time, each served, each sees only their own.

Six learners editing at once; and a hostile program on Implement it while another learner works on.

A server-concurrency property, so no browser: six learners are six Streamlit sessions over Streamlit's own
websocket protocol (benchmarks/ws_learner.py: what the browser's frontend sends and reads), on the server the
browser tests of this worker already run. Each opens their own program by link, then all change it at once
(every change sent before any answer is read), half with the sidebar's number input and half by typing a
new program and pressing Build. Each must see only their own numbers, in the diagram (its DOT), the table
(its data), the sidebar's boxes and their link, and download their own work (the file is made when clicked,
on a thread of the server's own: all six ask at once). Six, as CI has two cores (bench_workshop runs more).

Every session's program is `p = P; q = Q; r = p*q + p`. By hand: r = P*Q + P, dr/dp = Q + 1,
dr/dq = P. The numbers below are worked out on paper; no two sessions share an r.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import pyarrow as pa
import pytest
from dot_reader import read_dot
from implement_solutions import SOLUTION

from lab.work.share import PROGRAM_PARAM

from .conftest import REPO, run_async

sys.path.insert(0, str(REPO / "benchmarks"))
from ws_learner import Run, Session

pytestmark = pytest.mark.browser  # the browser tests' server; no Chromium is driven

TIMEOUT = 90.0  # six sessions running at once on a busy two-core machine: be patient


@dataclass(frozen=True)
class Learner:
    p: int
    q: int
    r: int  # p*q + p
    dr_dp: int  # q + 1
    new_p: int  # what the learner changes p to
    new_r: int  # new_p*q + new_p
    by_typing: bool  # changes p by typing the program (else with the sidebar's number input)

    def program(self, p: int) -> str:
        return f"p = {p}\nq = {self.q}\nr = p*q + p"


ROOM = [
    Learner(p=2, q=3, r=8, dr_dp=4, new_p=5, new_r=20, by_typing=False),
    Learner(p=3, q=4, r=15, dr_dp=5, new_p=6, new_r=30, by_typing=True),
    Learner(p=4, q=5, r=24, dr_dp=6, new_p=7, new_r=42, by_typing=False),
    Learner(p=5, q=6, r=35, dr_dp=7, new_p=8, new_r=56, by_typing=True),
    Learner(p=6, q=7, r=48, dr_dp=8, new_p=9, new_r=72, by_typing=False),
    Learner(p=7, q=8, r=63, dr_dp=9, new_p=10, new_r=90, by_typing=True),
]


def diagram(run: Run) -> dict[str, list[str]]:
    """The diagram's records by the value's name: {"r": ["data 8", "grad 1"], ...}."""
    assert run.dots, f"no diagram drawn; the page said: {run.texts[:5]}"
    d = read_dot(run.dots[-1])
    records = (d.fields(n) for n, attrs in d.nodes.items() if attrs.get("shape") == "record")
    return {fields[0]: fields[1:] for fields in records}


def table(run: Run) -> dict[str, tuple[float, float]]:
    """The values table's rows by node: {"r": (data, grad), ...}."""
    assert run.tables, "no values table drawn"
    rows = pa.ipc.open_stream(io.BytesIO(run.tables[-1])).read_all().to_pylist()
    return {row["node"]: (row["data"], row["grad"]) for row in rows}


def check_own_numbers(run: Run, me: Learner, p: int, r: int) -> None:
    """The diagram and the table show this learner's r, dr/dp = q + 1 and dr/dq = p, nobody else's."""
    assert not run.exceptions, run.exceptions
    shown = diagram(run)
    assert shown.get("r", [None])[0] == f"data {r}", f"the learner with p = {me.p} should see r = {r}: {shown}"
    assert shown["r"][1] == "grad 1"
    assert shown["p"] == [f"data {p}", f"grad {me.dr_dp}"], shown
    assert shown["q"] == [f"data {me.q}", f"grad {p}"], shown
    rows = table(run)
    assert rows["r"] == (r, 1) and rows["p"] == (p, me.dr_dp) and rows["q"] == (me.q, p), rows


async def change(s: Session, me: Learner) -> Run:
    if me.by_typing:
        await s.text("build:text", me.program(me.new_p))
        return await s.click("build:build")
    return await s.number("value:p", me.new_p)


async def workshop(url: str) -> None:
    sessions = [Session(url, timeout=TIMEOUT) for _ in ROOM]
    try:
        # everyone opens their link at about the same time ...
        links = [urlencode({PROGRAM_PARAM: me.program(me.p)}) for me in ROOM]
        opened = await asyncio.gather(*(s.connect(link, page="build") for s, link in zip(sessions, links, strict=True)))
        for run, me in zip(opened, ROOM, strict=True):
            check_own_numbers(run, me, me.p, me.r)

        # ... and everyone changes p at about the same time: all changes sent before any is read
        changed = await asyncio.gather(*(change(s, me) for s, me in zip(sessions, ROOM, strict=True)))
        for s, run, me in zip(sessions, changed, ROOM, strict=True):
            check_own_numbers(run, me, me.new_p, me.new_r)
            sidebar = {name: run.numbers.get(f"value:{name}") for name in "pq"}  # the boxes, as the app set them
            assert sidebar == {"p": me.new_p, "q": me.q}, sidebar
            link = parse_qs(s.query)[PROGRAM_PARAM][0]
            assert link.splitlines()[:2] == [f"p = {me.new_p}", f"q = {me.q}"], link

        # the work file each downloads is its own (made when clicked, on the server's threads, all at once)
        for s in sessions:
            assert not (await s.switch("sidebar:link_box", True)).exceptions  # the box that holds the button
        files = await asyncio.gather(*(s.download("Download my work") for s in sessions))
        for file, me in zip(files, ROOM, strict=True):
            work = json.loads(file)
            assert work["program"].splitlines()[:2] == [f"p = {me.new_p}", f"q = {me.q}"], work["program"]
    finally:
        for s in sessions:
            await s.close()


def test_six_learners_editing_at_once_each_see_only_their_own_numbers(app_url: str):
    run_async(workshop(app_url))


# -- a hostile program on Implement it, and another learner on Build and see ------------------------------------

ENDLESS = "while True:\n    pass\n"


async def hostile_and_other(url: str) -> None:
    """One learner's link runs an endless loop on Implement it (a link with code runs it once, as it opens);
    while it runs, another learner changes x on Build and see and gets the new gradient: z = x*y + y with x = 5,
    y = 3 gives dz/dy = x + 1 = 6 (by hand). Then the endless loop's message names its line and the limit, and
    the same learner's next run works."""
    async with Session(url, timeout=TIMEOUT) as hostile, Session(url, timeout=TIMEOUT) as other:
        opened = await other.connect(page="build")
        assert diagram(opened)["y"] == ["data 3", "grad 3"], diagram(opened)  # dz/dy = x + 1 = 3
        endless = asyncio.create_task(hostile.connect(urlencode({"code": ENDLESS}), page="implement"))
        await asyncio.sleep(0.5)  # a moment for the endless loop's run to begin
        changed = await other.number("value:x", 5)
        assert not changed.exceptions, changed.exceptions
        assert diagram(changed)["y"] == ["data 3", "grad 6"], diagram(changed)
        stopped = " ".join((await endless).texts)
        assert "Your code stopped" in stopped and "line 1" in stopped and "too long" in stopped, stopped
        fixed = await hostile.editor_submit(hostile.keys_starting("implement:editor")[0], SOLUTION)
        assert not fixed.exceptions, fixed.exceptions
        assert re.search(r"All \d+ checks pass", " ".join(fixed.texts)), fixed.texts


def test_a_hostile_program_gets_its_message_while_another_learner_keeps_working(app_url: str):
    """Both learners are served (how long the other waits while runs go on is bench_sandbox's figure)."""
    run_async(hostile_and_other(app_url))
