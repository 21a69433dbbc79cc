"""Many servers, for real: `deploy/run 2` starts PostgreSQL, two Streamlit replicas and nginx on loopback.

Simulated learners (benchmarks/ws_learner.py: Streamlit's own websocket protocol, cookies kept as a
browser keeps them) open the lesson's link through nginx and join the room in the sidebar's Room box.
They land on both replicas; the instructor, through nginx on either replica, sees every one of them.
Then one replica is killed with `kill -9` while its learners are working: their connections drop,
they reconnect through nginx to the other replica, which reads their work and their place in the room
from the address bar, and no event the room had acknowledged (a run that ended) is lost or counted twice.

Needs nginx and PostgreSQL (Debian's packages): skipped without them on a laptop, a failure under CI=true
(as the browser tests without Chromium).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
import websockets
from sqlalchemy import create_engine

from lab.model.analysis import analyse
from lab.model.presets import LESSON_PROGRAM
from lab.room.events import facts
from lab.room.store import RoomStore
from lab.work.share import PROGRAM_PARAM, work_from_params

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from ws_learner import Session  # noqa: E402

sys.path.insert(0, str(REPO / "tests"))
from room_databases import postgres_bin  # noqa: E402

pytestmark = pytest.mark.deploy
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT = 120.0
MIN_PER_REPLICA = 3  # learners on each replica before the kill
MAX_LEARNERS = 30  # learners added until both replicas have MIN_PER_REPLICA (each lands at random)
ACTIONS_AFTER = 3  # actions each learner makes while and after the replica dies (at least)
MAX_ACTIONS = 200


def missing_reason() -> str | None:
    if not Path(NGINX).exists():
        return "nginx is not installed (apt-get install nginx)"
    if postgres_bin() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (PostgreSQL refuses to run as root)"
    return None


@pytest.fixture(scope="module")
def deployment() -> Iterator[dict[str, str]]:
    """`deploy/run 2 PORT` until the module ends: its deploy.env as a dict (URL, DATABASE_URL, REPLICA_PIDS, ...)."""
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the deploy test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        ["bash", str(REPO / "deploy" / "run"), "2", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHON": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        folder, said = None, []
        deadline = time.monotonic() + START_TIMEOUT
        while folder is None:
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"deploy/run ended before it was ready:\n{''.join(said)}", pytrace=False)
            said.append(line)
            if line.startswith("ready "):
                folder = Path(line.split()[2])
            if time.monotonic() > deadline:
                pytest.fail(f"deploy/run was not ready within {START_TIMEOUT:g} s:\n{''.join(said)}", pytrace=False)
        env = {}
        for line in (folder / "deploy.env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value.strip("'")
        env["FOLDER"] = str(folder)
        yield env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # deploy/run stops nginx, the replicas and PostgreSQL
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class Learner:
    def __init__(self, url: str, number: int) -> None:
        self.session = Session(url, timeout=60)
        self.nickname = f"learner{number:02d}"
        self.number = number
        self.token = ""
        self.acknowledged: set[str] = set()  # the keys of the facts of every run of theirs that ended
        self.answers = 0
        self.x = 0.0  # the value of x they typed last (in a run that ended)

    async def join(self, code: str) -> None:
        """Open the lesson's link (as a browser: the page, then the websocket) and join in the Room box."""
        s = self.session
        await s.browse(urlencode({PROGRAM_PARAM: LESSON_PROGRAM}))
        await s.switch("room_box", True)
        await s.text("room:code", code)
        await s.text("room:nickname", self.nickname)
        run = await s.click("room:join")
        assert not run.exceptions, run.exceptions
        params = parse_qs(s.query)
        assert params.get("room") == [code], f"{self.nickname} is not in room {code}: {s.query}"
        self.token = params["me"][0]

    async def answer(self, store: RoomStore, code: str) -> None:
        """Answer the open station's checkpoint question (another option each time): one more fact for the room."""
        s = self.session
        question = s.keys_starting("lesson:q:")[0]
        run = await s.choose(question, self.answers % len(s.widget(question).options))
        assert not run.exceptions, run.exceptions
        self.answers += 1
        # the run ended: every fact its work says is acknowledged, so the room must have it now and ever after
        self.acknowledged |= work_facts(s.query)
        missing = self.acknowledged - store.facts_of(code, self.token)
        assert not missing, f"{self.nickname}'s finished run left {len(missing)} facts out of the room"


async def instructor_sees(url: str, replica: str, code: str, key: str) -> str:
    """The live view's text for the instructor, through nginx, landing on `replica` (a new browser until it does)."""
    for _ in range(40):
        s = Session(url, timeout=60)
        await s.browse(urlencode({"room": code, "key": key}), page="room")
        try:
            if s.replica == replica:
                run = await s.rerun()
                assert not run.exceptions, run.exceptions
                return "\n".join(t for t in run.texts if "room-count" in t)
        finally:
            await s.close()
    pytest.fail(f"no browser of 40 landed on {replica}")


def work_facts(query: str) -> set[str]:
    """The keys of the facts the work in this address says (lab/room/events.py), as the room must hold them."""
    work, problems = work_from_params({name: values[0] for name, values in parse_qs(query).items()})
    assert work is not None and not problems, (query, problems)
    return {fact.key for fact in facts(work, analyse(work.program))}


def learners_in(view: str) -> int:
    found = re.search(r'data-testid="room-count"[^>]*>\s*<b>(\d+)</b>', view)
    assert found, f"no count of learners in the instructor's view: {view[:500]}"
    return int(found.group(1))


def x_after(learner: Learner, action: int) -> float:
    """The value of x a learner types at their `action`-th action after the first answer (never an integer, so the
    program's text shows it as typed)."""
    return 10.5 + learner.number + action


async def workshop(env: dict[str, str]) -> None:
    url = env["URL"]
    store = RoomStore(create_engine(env["DATABASE_URL"]))
    opened = store.open_room()
    code = opened.code
    replicas = dict(
        zip([u.split("//", 1)[1] for u in env["REPLICA_URLS"].split()], env["REPLICA_PIDS"].split(), strict=True)
    )
    assert len(replicas) == 2

    # learners arrive through nginx until both replicas hold a few (each browser's cookie picks one)
    learners: list[Learner] = []
    while min(sum(lr.session.replica == r for lr in learners) for r in replicas) < MIN_PER_REPLICA:
        assert len(learners) < MAX_LEARNERS, f"{MAX_LEARNERS} learners did not land on both replicas"
        learner = Learner(url, len(learners))
        await learner.join(code)
        assert learner.session.replica in replicas, f"nginx named no replica: {learner.session.replica!r}"
        await learner.answer(store, code)
        assert learner.acknowledged, f"{learner.nickname}'s answer did not reach the room"
        learners.append(learner)

    # the instructor, on either replica, sees every learner (the room lives in PostgreSQL)
    for replica in replicas:
        view = await instructor_sees(url, replica, code, opened.key)
        assert learners_in(view) == len(learners), view
        for learner in learners:
            assert learner.nickname in view, f"{learner.nickname} is missing on {replica}'s view"

    # one replica dies (kill -9) while everyone works; its learners reconnect to the other through nginx
    victim = learners[0].session.replica
    survivor = next(r for r in replicas if r != victim)
    on_victim = [lr for lr in learners if lr.session.replica == victim]

    async def keep_working(learner: Learner) -> None:
        s = learner.session
        done = 0
        # at least ACTIONS_AFTER actions; on the replica that dies, on until its connection drops, comes back to the
        # other replica, and one more action is done there
        moved = learner in on_victim
        after = 0  # actions done on the replica that is left, by a learner who came from the other one
        while done < ACTIONS_AFTER or s.replica == victim or (moved and after == 0):
            assert done < MAX_ACTIONS, f"{learner.nickname}'s replica was not killed"
            try:
                await s.number("value:x", x_after(learner, done))
                await learner.answer(store, code)
                done += 1
                after += moved and s.replica == survivor
                learner.x = x_after(learner, done - 1)
            except websockets.ConnectionClosed:
                assert s.replica == victim, f"{learner.nickname} on {s.replica} lost its connection"
                run = await s.reconnect(within=60)  # as Streamlit's frontend: health, websocket, the page again
                assert not run.exceptions, run.exceptions
                landed = s.replica.split(",")[-1].strip()  # nginx lists the replicas it tried
                assert landed == survivor, f"{learner.nickname} reconnected to {s.replica}"
                s.replica = survivor
            await asyncio.sleep(0.2)

    async def kill_soon() -> None:
        await asyncio.sleep(0.5)
        os.kill(int(replicas[victim]), signal.SIGKILL)

    await asyncio.gather(kill_soon(), *(keep_working(lr) for lr in learners))

    for learner in on_victim:
        s = learner.session
        assert s.replica == survivor, f"{learner.nickname} is still on the dead replica"
        params = parse_qs(s.query)
        # their work came back from the link: the program as they last changed it, their answers, their room
        assert params.get("room") == [code] and params.get("me") == [learner.token], s.query
        assert f"x = {learner.x}" in params[PROGRAM_PARAM][0], s.query
        assert "ans" in params, f"{learner.nickname}'s answers were lost: {s.query}"
    for learner in learners:
        now = store.facts_of(code, learner.token)
        assert learner.acknowledged <= now, f"{learner.nickname} lost {learner.acknowledged - now}"
        assert learner.answers >= 1 + ACTIONS_AFTER

    # the room counts each learner once, on the replica that is left
    view = await instructor_sees(url, survivor, code, opened.key)
    assert learners_in(view) == len(learners), view
    assert store.count_events(code) == sum(len(store.facts_of(code, lr.token)) for lr in learners)
    for learner in learners:
        await learner.session.close()


def test_learners_on_two_replicas_survive_one_killed(deployment: dict[str, str]) -> None:
    asyncio.run(workshop(deployment))
