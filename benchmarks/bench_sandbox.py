"""Sandbox benchmark: how long one run of a learner's Value class takes, and what 20 at once do to others.

Run from the repository root:

    python benchmarks/bench_sandbox.py             # ~1-2 min on a quiet 2-core machine
    python benchmarks/bench_sandbox.py --quick

Printed, against the issue's bars (never asserted; timings vary with the machine's load):

1. one run of every check on the lesson's solution (`lab.implement.run.run`, the program from Build and see
   included), a fresh process each time, so every run is a cold start of the child: median and p95 over
   N runs, the whole call and the child process alone - bar: p95 < 300 ms;
2. 20 runs at once (20 learners pressing Run together; at most one per core runs, the rest wait) while
   another learner's page reruns (AppTest rerun of Build and see, as benchmarks/bench_dashboard.py
   does): the rerun's median under that load against its median on the idle server - bar: <= 2x.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `python benchmarks/bench_sandbox.py` puts only benchmarks/ on the path

from lab.implement import run as implement  # noqa: E402
from lab.implement.slips import SOLUTION  # noqa: E402
from sandbox import runner  # noqa: E402

PROGRAM = "x = 2.0\ny = 3.0\nz = x*y + y"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(what: str, figure: str, bar: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  (meets the bar)" if ok else "  (MISSES the bar)")
    print(f"  {what}: {figure}" + (f"   bar {bar}" if bar else "") + verdict, flush=True)


def bench_one_run(repeats: int) -> None:
    print(f"\n1. One run of every check on the lesson's solution, {repeats} runs (each a fresh process)", flush=True)
    whole, child, cpu = [], [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = implement.run(SOLUTION, PROGRAM)
        whole.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        child.append(result.seconds)
        if not result.passed:
            print("  the solution did not pass: " + "; ".join(c.message for c in result.checks if not c.passed))
            sys.exit(1)
    report("implement.run (read, run, check), median", ms(statistics.median(whole)))
    report("implement.run, p95", ms(p95(whole)), "< 300 ms", p95(whole) < 0.3)
    figure = f"{ms(statistics.median(child))} / {ms(p95(child))}"
    report("the child process alone (start to result), median / p95", figure)
    report("CPU time of the child process (user + system; less sensitive to load), median", ms(statistics.median(cpu)))


def bench_under_load(repeats: int, runs: int) -> None:
    from streamlit.testing.v1 import AppTest

    print(f"\n2. {runs} runs at once while another learner's page reruns ({runner.MAX_RUNNING} runners)", flush=True)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/build.py")
    at.run()
    if at.exception:
        print(f"  dashboard.py raised in AppTest: {at.exception}")
        sys.exit(1)

    def rerun() -> float:
        start = time.perf_counter()
        at.run()
        return time.perf_counter() - start

    for _ in range(3):  # warm-up: the first reruns load modules and fill caches
        rerun()
    idle = [rerun() for _ in range(repeats)]
    results: list[implement.Report] = []
    failures: list[str] = []

    def one_run() -> None:
        try:
            results.append(implement.run(SOLUTION, PROGRAM))
        except Exception as e:  # printed below, not a traceback in the middle of the figures
            failures.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    loaded, waiting = [], 0
    while any(t.is_alive() for t in threads):
        waiting = max(waiting, runner.busy()[1])
        loaded.append(rerun())
    for t in threads:
        t.join()
    all_done = time.perf_counter() - start
    idle += [rerun() for _ in range(repeats)]  # idle again: before and after, so a drift in load shows less
    ratio = statistics.median(loaded) / statistics.median(idle)
    report("Build and see rerun on an idle server, median", ms(statistics.median(idle)))
    report(f"the same while {runs} runs are going on, median ({len(loaded)} reruns)", ms(statistics.median(loaded)))
    report("ratio", f"{ratio:.2f}x", "<= 2x", ratio <= 2)
    report(
        f"all {runs} runs done in",
        f"{all_done:.1f} s (at most {waiting} waiting at once; "
        f"{sum(r.passed for r in results)} of {runs} passed every check)",
    )
    for failure in failures:
        print(f"  a run raised: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--runs", type=int, default=20, help="runs at once in part 2")
    args = parser.parse_args()
    repeats = 10 if args.quick else args.repeats
    bench_one_run(repeats)
    bench_under_load(max(5, repeats // 3), args.runs)


if __name__ == "__main__":
    main()
