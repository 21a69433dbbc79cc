"""The instructor's room under load: 200 simulated learners sending in bursts, on SQLite and on PostgreSQL.

    python benchmarks/bench_room.py                 # both databases, 200 learners, 40 bursts
    python benchmarks/bench_room.py --db sqlite --bursts 10

Each learner is a thread with its own `Sender` (lab/room/events.py), the code path the dashboard
uses after a run: it works out its facts from a `Work` (the same function as the app), sends only
the new ones, and the store inserts them in one transaction. A burst: all learners send at the same
moment (a barrier), each with a new program's three predicted steps (5 facts each, 1,000 events a
burst), and in the first bursts their stations. An instructor thread reads the room's view every
2 s, as the Room page does. Printed: the write latency (one learner's send, start to commit) p50 /
p99 / max, the instructor's view query time, whether every view after a burst had exactly the true
counts, and how long after a burst's last acknowledgment the instructor saw it (at most the 2-s
refresh plus the query). PostgreSQL is started from Debian's package as the tests do (tests/room_databases.py).
Nothing is asserted on timing; the counts are checked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlalchemy import create_engine

from lab.model.analysis import analyse
from lab.room.events import STATION_KEYS, Sender, facts
from lab.room.store import PREDICTION, RoomStore
from lab.views import predict
from lab.work.share import Work

REFRESH = 2.0  # the Room page's refresh


def work_of(burst: int, wrong: bool) -> Work:
    """Burst b: a program with x = b + 2; backward steps 0..2 predicted (y at step 2 wrong for every third learner)."""
    program = f"x = {burst + 2}\ny = 3\nz = x*y + y"
    a = analyse(program)
    entries = {}
    for step in range(3):
        for blank in predict.blanks(a, "backward", step):
            right = blank.answer
            entries[blank.key] = str(right + 1) if wrong and step == 2 and blank.label == "y.grad += ?" else repr(right)
    answers = {"station:graph": "my", "station:rules": "other"} if burst >= 1 else {}  # stations 1 and 2 done
    return Work(program, answers=answers, predictions=entries)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, learners: int, bursts: int, gap: float) -> dict:
    engine = create_engine(url, pool_size=32, max_overflow=32)
    store = RoomStore(engine)
    opened = store.open_room()
    tokens = [f"learner-{i}" for i in range(learners)]
    for i, token in enumerate(tokens):
        store.join(opened.code, f"L{i}", token)
    senders = [Sender(store, opened.code, token) for token in tokens]
    plans = {(b, w): facts(work_of(b, w), analyse(work_of(b, w).program)) for b in range(bursts) for w in (False, True)}
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(learners + 1, timeout=300)
    errors: list[BaseException] = []

    def learner(i: int) -> None:
        for b in range(bursts):
            barrier.wait()  # the burst starts for everyone at once
            try:
                start = time.perf_counter()
                senders[i].send(plans[(b, i % 3 == 0)])
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)
            except BaseException as e:  # reported at the end
                errors.append(e)
            barrier.wait()  # the burst is over

    polls: list[tuple[float, float, int, object]] = []  # (start, end, events, view)
    stop = threading.Event()

    def instructor() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            view = store.view(opened.code, opened.key, STATION_KEYS)
            total = store.count_events(opened.code)
            polls.append((start, time.perf_counter(), total, view))
            stop.wait(max(0.0, REFRESH - (time.perf_counter() - start)))

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(learners)]
    for t in threads:
        t.start()
    watcher = threading.Thread(target=instructor)
    watcher.start()
    acked: list[tuple[float, float, int]] = []  # (burst start, last ack, true events so far)
    true_events = 0
    seen: set[str] = set()
    for b in range(bursts):
        start = time.perf_counter()
        barrier.wait()
        barrier.wait()
        done = time.perf_counter()
        for i in range(learners):
            for f in plans[(b, i % 3 == 0)]:
                key = f"{i}|{f.key}"
                if key not in seen:
                    seen.add(key)
                    true_events += 1
        acked.append((start, done, true_events))
        time.sleep(max(0.0, gap - (time.perf_counter() - start)))
    time.sleep(REFRESH + 0.5)
    stop.set()
    watcher.join()
    for t in threads:
        t.join()

    # the instructor's lag: the first view that starts after a burst's last acknowledgment (and before the next
    # burst) must show exactly the true counts; the lag is from that acknowledgment to the end of that view
    lags, exact = [], True
    for n, (_, done, total) in enumerate(acked):
        next_start = acked[n + 1][0] if n + 1 < len(acked) else float("inf")
        poll = next((p for p in polls if p[0] >= done and p[0] < next_start), None)
        if poll is None:
            continue
        lags.append(poll[1] - done)
        exact &= poll[2] == total
    final = store.view(opened.code, opened.key, STATION_KEYS)
    wrong = {(w.about, w.answer): w.learners for w in final.wrong if w.kind == PREDICTION}
    expected_wrong = sum(1 for i in range(learners) if i % 3 == 0)
    counts_right = (
        store.count_events(opened.code) == true_events
        and final.past[:2] == [learners, learners]
        and max(wrong.values()) == expected_wrong
    )
    query_times = [p[1] - p[0] for p in polls]
    engine.dispose()
    return {
        "events": true_events,
        "errors": len(errors),
        "latencies": latencies,
        "query": query_times,
        "lags": lags,
        "exact": exact,
        "counts_right": counts_right,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--bursts", type=int, default=40)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds from one burst's start to the next")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"{args.learners} learners, {args.bursts} bursts, one every {args.gap:g} s (each learner 5 facts a burst)")
    print("| database | events | errors | write p50 | write p99 | write max | view query p50 | lag max | exact |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        server = None
        with tempfile.TemporaryDirectory() as folder:
            if kind == "sqlite":
                url = f"sqlite:///{Path(folder) / 'room.sqlite'}"
            else:
                from room_databases import PostgresServer, postgres_bin

                bin_dir = postgres_bin()
                if bin_dir is None:
                    print("| postgresql | not installed (apt-get install postgresql) |")
                    continue
                server = PostgresServer(bin_dir)
                server.start()
                url = server.url
            try:
                r = run(url, args.learners, args.bursts, args.gap)
            finally:
                if server is not None:
                    server.stop()
        ms = 1000
        print(
            f"| {kind} | {r['events']:,} | {r['errors']} | {statistics.median(r['latencies']) * ms:.1f} ms | "
            f"{percentile(r['latencies'], 99) * ms:.1f} ms | {max(r['latencies']) * ms:.1f} ms | "
            f"{statistics.median(r['query']) * ms:.1f} ms | {max(r['lags'], default=float('nan')):.2f} s | "
            f"{'yes' if r['exact'] and r['counts_right'] else 'NO'} |"
        )


if __name__ == "__main__":
    main()
