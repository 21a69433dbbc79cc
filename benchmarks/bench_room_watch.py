"""What a learner's look at their room costs the server: the sidebar's fragment that tells them it was closed.

    python benchmarks/bench_room_watch.py                 # 8 learners' browsers, 30 s idle each way
    python benchmarks/bench_room_watch.py --learners 12 --seconds 60

Every learner in a room runs a small fragment every CLOSED_CHECK_SECONDS (app/room.py: `_still_in_room`), on
whatever page they are, asking the database whether they are still in the room. One server, real Chromium
pages (the fragment's timer runs in the browser, so a websocket-only learner would never tick): N learners sit
idle on Build and see for T seconds in a room, then the same N pages sit idle out of any room. The server's
CPU seconds (from /proc) in each window, their difference, and that difference per tick are printed, with the
store's own query (`RoomStore.is_member`) timed alone. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine

from app.room import CLOSED_CHECK_SECONDS
from lab.room.store import RoomStore

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
SETTLED = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'; }"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cost(pid: int, seconds: float) -> float:
    start = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="room-watch-"))
    url = f"sqlite:///{folder / 'room.sqlite'}"
    os.environ["ROOM_DATABASE_URL"] = url
    from browser.conftest import start_server, stop_server  # the tests' own server start

    store = RoomStore(create_engine(url))
    opened = store.open_room()
    tokens = [f"learner-{i}" for i in range(args.learners)]
    for i, token in enumerate(tokens):
        store.join(opened.code, f"Learner {i}", token)

    started = time.perf_counter()
    for _ in range(2000):
        store.is_member(opened.code, tokens[0])
    query_ms = (time.perf_counter() - started) / 2000 * 1000

    process, base, log = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            windows = {}
            for label, query in (
                ("in a room", lambda t: f"?room={opened.code}&me={t}"),
                ("in no room", lambda t: ""),
            ):
                pages = [browser.new_context().new_page() for _ in tokens]
                for page, token in zip(pages, tokens, strict=True):
                    page.goto(f"{base}/build{query(token)}", wait_until="commit", timeout=120_000)
                for page in pages:
                    page.wait_for_function(SETTLED, timeout=120_000)
                time.sleep(3)  # the first runs' last messages
                windows[label] = idle_cost(process.pid, args.seconds)
                for page in pages:
                    page.context.close()
            browser.close()
    finally:
        stop_server(process)
        log.unlink(missing_ok=True)

    ticks = args.learners * args.seconds / CLOSED_CHECK_SECONDS
    extra = windows["in a room"] - windows["in no room"]
    print(
        f"{args.learners} learners idle on Build and see for {args.seconds:.0f} s, one server, one tick every "
        f"{CLOSED_CHECK_SECONDS} s each ({ticks:.0f} ticks)"
    )
    for label, cpu in windows.items():
        print(f"  {label:>10}: server CPU {cpu:6.2f} s  ({cpu / args.seconds * 100:5.1f} % of one core)")
    print(
        f"  the room's look: {extra:+.2f} s of CPU, {extra / ticks * 1000:.1f} ms per tick "
        f"({extra / args.seconds * 100:+.1f} % of one core for {args.learners} learners)"
    )
    print(f"  RoomStore.is_member alone (SQLite, in this process): {query_ms:.3f} ms a query")


if __name__ == "__main__":
    main()
