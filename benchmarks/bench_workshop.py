"""Workshop benchmark: how many learners one server holds, over Streamlit's own websocket protocol (no browser).

Run from the repository root (loopback only; every server it starts is stopped at the end):

    python benchmarks/bench_workshop.py                     # 20, 40 and 60 learners, a fresh server each (~8 min)
    python benchmarks/bench_workshop.py --learners 60 --seconds 60
    python benchmarks/bench_workshop.py --burst 60          # "everyone presses Run": 60 runs within 5 s
    python benchmarks/bench_workshop.py --url http://127.0.0.1:8080 --pids 101,102 --database-url URL
                                                            # a running deployment (deploy/run: nginx + replicas)

Each simulated learner (benchmarks/ws_learner.py: one Streamlit session over its websocket) arrives within
the first `--ramp` seconds and follows a learner's path, thinking 3 to 8 s between actions:

1. open the Lesson from the instructor's link (the lesson's example, and their place in the room), as a
   browser does: the page, `/_stcore/health` (cookies kept: a load balancer's sticky one), the websocket;
2. answer a checkpoint question; 3. change x in the sidebar;
4. switch to Implement it and run the lesson's solution (Ctrl+Enter in the editor: the sandbox runs it);
5. switch to Watch it flow and step twice; then back to the Lesson, changing x every few seconds until
   the end (`--seconds` from the first arrival).

Printed, never asserted: per action (and for "a rerun of a page": answering, changing x, switching
page and stepping together), how many, p50, p95 and the longest time from the request to the end
of the run (what the learner waits for); errors (a traceback on the page, a run that did not pass, a
timeout); the server's CPU seconds per action, measured before the load with one learner walking the
same path alone (the server's own process, and apart from it the sandbox's child processes); the server's
CPU use under load (1.0 = one core: a Streamlit process runs Python on one core at a time); its memory per
learner (RSS with the learners connected, less RSS before, divided by their number); and the machine's
load average (`os.getloadavg()`: other people's work on a shared machine shows up here), beside every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, Path(__file__).resolve().parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # `python benchmarks/bench_workshop.py` puts only benchmarks/ on the path

from sqlalchemy import create_engine  # noqa: E402
from ws_learner import Run, Session  # noqa: E402

from lab.model.presets import LESSON_PROGRAM  # noqa: E402
from lab.room.store import RoomStore, new_token  # noqa: E402
from lab.work.share import PROGRAM_PARAM  # noqa: E402
from tests.implement_solutions import SOLUTION  # noqa: E402

MAX_LEARNERS = 300
MAX_SECONDS = 900
THINK = (3.0, 8.0)
RERUNS = ("answer a question", "change x", "switch page", "step Watch it flow")  # a page's rerun, no sandbox
PASSED = "checks pass"  # the Implement it page's verdict: "All 10 checks pass."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server and what it uses ------------------------------------------------------------------------


class Server:
    """`streamlit run dashboard.py` on a free loopback port, its room in a SQLite file of its own."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "ROOM_DATABASE_URL": self.database_url}
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_healthy(self.url)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {timeout:g} s")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """(CPU seconds of the processes themselves, of their children that ended: the sandbox's runs)."""
    own = children = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        own += (int(fields[11]) + int(fields[12])) / TICK
        children += (int(fields[13]) + int(fields[14])) / TICK
    return own, children


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


# -- the learners ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, action: str, run: Run, ok: bool = True, why: str = "") -> None:
        self.times[action].append(run.seconds)
        if run.exceptions:
            self.errors[action].append(f"traceback on the page: {run.exceptions[0][:200]}")
        elif not ok:
            self.errors[action].append(why)


class Room:
    """The workshop's room on the server's database: every learner joins it, as in a workshop."""

    def __init__(self, database_url: str | None) -> None:
        self.store = RoomStore(create_engine(database_url)) if database_url else None
        self.code = self.store.open_room().code if self.store else None

    def link(self, number: int) -> str:
        params = {PROGRAM_PARAM: LESSON_PROGRAM}
        if self.store is not None:
            token = new_token()
            self.store.join(self.code, f"learner {number:03d}", token)
            params.update(room=self.code, me=token)
        return urlencode(params)


def think(rng: random.Random, scale: float) -> float:
    return rng.uniform(*THINK) * scale


async def learner_path(session: Session, link: str, rng: random.Random, tally: Tally, scale: float, end: float) -> None:
    """The path of one learner (see the module's docstring); `scale` shortens the think times."""
    tally.add("open the link", await session.browse(link))  # as a browser: the page, health, the websocket
    await asyncio.sleep(think(rng, scale))
    question = session.keys_starting("lesson:q:")[0]
    if session.widget(question).kind == "radio":
        tally.add(
            "answer a question", await session.choose(question, rng.randrange(len(session.widget(question).options)))
        )
    else:
        tally.add("answer a question", await session.text(question, "1"))
    await asyncio.sleep(think(rng, scale))
    tally.add("change x", await session.number("value:x", round(rng.uniform(-3, 3), 1)))
    await asyncio.sleep(think(rng, scale))
    tally.add("switch page", await session.go("implement"))
    await asyncio.sleep(think(rng, scale))
    run = await session.editor_submit(session.keys_starting("implement:editor")[0], SOLUTION)
    tally.add("run the solution", run, any(PASSED in t for t in run.texts), "the run's verdict was not on the page")
    await asyncio.sleep(think(rng, scale))
    tally.add("switch page", await session.go("flow"))
    for _ in range(2):
        await asyncio.sleep(think(rng, scale) / 2)
        tally.add("step Watch it flow", await session.click("flow:next"))
    await asyncio.sleep(think(rng, scale))
    tally.add("switch page", await session.go(""))
    while time.monotonic() + THINK[1] * scale < end:
        await asyncio.sleep(think(rng, scale))
        tally.add("change x", await session.number("value:x", round(rng.uniform(-3, 3), 1)))


async def one_learner(
    url: str, link: str, seed: int, tally: Tally, scale: float, start: float, end: float, connected: list[int]
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    session = Session(url)
    try:
        connected[0] += 1
        await learner_path(session, link, rng, tally, scale, end)
    except Exception as e:  # any failure (a timeout, a dropped connection, a missing widget) is counted, never fatal
        tally.errors["the path"].append(f"{type(e).__name__}: {str(e)[:200]}")
    finally:
        connected[0] -= 1
        await session.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


# -- what one learner costs the server (alone) ----------------------------------------------------------


async def calibrate(url: str, pids: list[int], room: Room, repeats: int) -> dict[str, tuple[float, float]]:
    """Server CPU seconds per action (own, sandbox children), one learner alone on the server, no think time."""
    spent: dict[str, list[tuple[float, float]]] = defaultdict(list)

    async def timed(action: str, step) -> None:
        await asyncio.sleep(0.3)  # the end of the last run's work (the room's send) is over
        before = cpu_seconds(pids)
        await step()
        await asyncio.sleep(0.3)
        after = cpu_seconds(pids)
        spent[action].append((after[0] - before[0] - 0.6 * idle_rate, after[1] - before[1]))

    before = cpu_seconds(pids)
    await asyncio.sleep(3)
    idle_rate = (cpu_seconds(pids)[0] - before[0]) / 3  # what the idle server spends anyway
    for i in range(repeats):
        session = Session(url)
        link = room.link(900 + i)
        await timed("open the link", lambda s=session, link=link: s.browse(link))
        await timed("answer a question", lambda s=session: s.choose(s.keys_starting("lesson:q:")[0], 0))
        await timed("change x", lambda s=session, i=i: s.number("value:x", 2.5 + i))
        await timed("rerun, nothing changed", lambda s=session: s.rerun())
        await timed("switch page", lambda s=session: s.go("implement"))
        await timed(
            "run the solution", lambda s=session: s.editor_submit(s.keys_starting("implement:editor")[0], SOLUTION)
        )
        await timed("switch page", lambda s=session: s.go("flow"))
        await timed("step Watch it flow", lambda s=session: s.click("flow:next"))
        await session.close()
    return {
        action: (statistics.median(c[0] for c in costs), statistics.median(c[1] for c in costs))
        for action, costs in spent.items()
    }


# -- one load level ---------------------------------------------------------------------------------------


async def load_level(
    url: str, pids: list[int], room: Room, learners: int, seconds: float, ramp: float, scale: float
) -> None:
    tally = Tally()
    links = [room.link(i) for i in range(learners)]
    for i in range(max(1, 3 * len(pids))):  # every server's modules loaded (a first session pays for them)
        warm_up = Session(url)
        await warm_up.browse(room.link(learners + i))
        await warm_up.close()
    await asyncio.sleep(1)
    rss_before = rss_bytes(pids) if pids else 0
    cpu_before = cpu_seconds(pids) if pids else (0.0, 0.0)
    load_before = load()
    bench_cpu_before = time.process_time()
    began = time.monotonic()
    end = began + seconds
    connected = [0]
    peak_rss = [rss_before]

    async def watch_memory() -> None:
        while time.monotonic() < end:
            if pids:
                peak_rss[0] = max(peak_rss[0], rss_bytes(pids))
            await asyncio.sleep(1)

    starts = sorted(began + random.Random(learners).uniform(0, ramp) for _ in range(learners))
    watcher = asyncio.create_task(watch_memory())
    await asyncio.gather(
        *(
            one_learner(url, links[i], 1000 * learners + i, tally, scale, starts[i], end, connected)
            for i in range(learners)
        )
    )
    watcher.cancel()
    wall = time.monotonic() - began
    cpu_after = cpu_seconds(pids) if pids else (0.0, 0.0)
    bench_cpu = time.process_time() - bench_cpu_before
    print(f"\n{learners} learners, {wall:.0f} s ({load_before} before, {load()} after)", flush=True)
    print(f"  {'action':<24} {'count':>6} {'p50':>8} {'p95':>8} {'longest':>8}  errors")
    every: list[float] = []
    for action, times in tally.times.items():
        every.extend(times)
        errors = tally.errors.get(action, [])
        print(
            f"  {action:<24} {len(times):>6} {statistics.median(times):>7.2f}s {percentile(times, 0.95):>7.2f}s "
            f"{max(times):>7.2f}s  {len(errors)}" + (f" ({errors[0]})" if errors else "")
        )
    reruns = [t for action, times in tally.times.items() if action in RERUNS for t in times]
    if reruns:
        print(
            f"  {'a rerun of a page':<24} {len(reruns):>6} {statistics.median(reruns):>7.2f}s "
            f"{percentile(reruns, 0.95):>7.2f}s {max(reruns):>7.2f}s"
        )
    if every:
        print(
            f"  {'every action':<24} {len(every):>6} {statistics.median(every):>7.2f}s "
            f"{percentile(every, 0.95):>7.2f}s {max(every):>7.2f}s"
        )
    for action, errors in tally.errors.items():
        if action not in tally.times:
            print(f"  {action}: {len(errors)} failed ({errors[0]})")
    if pids:
        own = cpu_after[0] - cpu_before[0]
        children = cpu_after[1] - cpu_before[1]
        print(
            f"  server CPU: {own:.1f} s in {wall:.0f} s = {own / wall:.2f} cores (sandbox runs {children:.1f} s more); "
            f"{len(every) / wall:.1f} actions a second"
        )
        print(
            f"  server memory: {rss_before / 2**20:.0f} MB before, {peak_rss[0] / 2**20:.0f} MB at most: "
            f"{(peak_rss[0] - rss_before) / learners / 2**20:.2f} MB per learner"
        )
    print(f"  the benchmark's own CPU (the learners' side): {bench_cpu:.1f} s", flush=True)


# -- "everyone presses Run" ----------------------------------------------------------------------------


async def burst(url: str, pids: list[int], room: Room, learners: int, within: float) -> None:
    """`learners` learners on Implement it press Run (Ctrl+Enter with the lesson's solution) within `within` s."""
    sessions = [Session(url) for _ in range(learners)]
    await asyncio.gather(*(s.connect(room.link(i), page="implement") for i, s in enumerate(sessions)))
    print(f'\n"Everyone presses Run": {learners} learners on Implement it, {load()}', flush=True)
    rng = random.Random(7)
    offsets = sorted(rng.uniform(0, within) for _ in range(learners))
    cpu_before = cpu_seconds(pids) if pids else (0.0, 0.0)
    began = time.monotonic()

    async def press(session: Session, offset: float) -> Run | Exception:
        await asyncio.sleep(offset)
        try:
            return await session.editor_submit(session.keys_starting("implement:editor")[0], SOLUTION)
        except Exception as e:  # counted below
            return e

    runs = await asyncio.gather(*(press(s, o) for s, o in zip(sessions, offsets, strict=True)))
    wall = time.monotonic() - began
    for s in sessions:
        await s.close()
    done = [r for r in runs if isinstance(r, Run)]
    failed = [r for r in runs if not isinstance(r, Run)]
    times = [r.seconds for r in done]
    passed = sum(any(PASSED in t for t in r.texts) for r in done)
    waiting = [r for r in done if any("ahead" in t for t in r.texts)]
    told = sorted({t for r in done for t in r.texts if "ahead" in t or "runner" in t})
    print(f"  {learners} runs pressed within {within:g} s, all answered after {wall:.1f} s ({load()})")
    if times:
        print(
            f"  time to the answer: p50 {statistics.median(times):.2f} s, p95 {percentile(times, 0.95):.2f} s, "
            f"longest {max(times):.2f} s"
        )
    print(
        f"  answers with every check passing: {passed} of {learners}; failed: {len(failed)}"
        + (f" ({failed[0]!r})" if failed else "")
    )
    print(f'  told they were waiting ("... ahead"): {len(waiting)} of {learners}; what the page said, e.g.:')
    for text in told[:3] + told[-2:] if len(told) > 5 else told:
        print(f"    {text}")
    if pids:
        cpu_after = cpu_seconds(pids)
        print(f"  server CPU {cpu_after[0] - cpu_before[0]:.1f} s, sandbox runs {cpu_after[1] - cpu_before[1]:.1f} s")


# -- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", default="20,40,60", help="learners at once, one level after another (20,40,60)")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each level, from the first arrival")
    parser.add_argument("--ramp", type=float, default=10.0, help="learners arrive within this many seconds")
    parser.add_argument("--think", type=float, default=1.0, help="scale of the 3-8 s think times")
    parser.add_argument("--burst", type=int, default=0, help="instead: this many learners press Run within --within s")
    parser.add_argument("--within", type=float, default=5.0)
    parser.add_argument("--calibrate", type=int, default=3, help="rounds of one learner alone (0: skip)")
    parser.add_argument("--url", help="a running deployment to measure instead of a server of our own")
    parser.add_argument("--pids", default="", help="with --url: the server processes whose CPU and memory to read")
    parser.add_argument("--database-url", help="with --url: the room's database (else learners join no room)")
    args = parser.parse_args()
    levels = [min(MAX_LEARNERS, int(n)) for n in args.learners.split(",")] if not args.burst else [args.burst]
    seconds = min(MAX_SECONDS, args.seconds)
    print(f"bench_workshop: {os.cpu_count()} cores, {load()}, Python {sys.version.split()[0]}", flush=True)
    folder = tempfile.TemporaryDirectory(prefix="bench-workshop-")
    try:
        for index, learners in enumerate(levels):
            server = None
            if args.url:
                url, pids, database = (
                    args.url.rstrip("/"),
                    [int(p) for p in args.pids.split(",") if p],
                    args.database_url,
                )
            else:
                database = f"sqlite:///{folder.name}/room-{index}.sqlite"
                server = Server(database)
                server.start()
                url, pids = server.url, [server.process.pid]
                print(f"\nserver on {url} (pid {server.process.pid}), room in {database}", flush=True)
            try:
                room = Room(database)
                if args.calibrate and pids and index == 0:
                    costs = asyncio.run(calibrate(url, pids, room, args.calibrate))
                    print(f"\nServer CPU per action, one learner alone (median of {args.calibrate}; {load()}):")
                    for action, (own, children) in costs.items():
                        extra = f" + {children * 1000:.0f} ms in the sandbox's process" if children > 0.001 else ""
                        print(f"  {action:<24} {own * 1000:>5.0f} ms{extra}")
                if args.burst:
                    asyncio.run(burst(url, pids, room, learners, args.within))
                else:
                    asyncio.run(load_level(url, pids, room, learners, seconds, args.ramp, args.think))
            finally:
                if server is not None:
                    server.stop()
    finally:
        folder.cleanup()


if __name__ == "__main__":
    main()
