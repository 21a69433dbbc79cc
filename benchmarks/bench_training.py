"""Lesson 2's training benchmark: the learner's own train() on their own Value, in the sandbox.

Run from the repository root:

    python benchmarks/bench_training.py           # ~30 s on a quiet 2-core machine

Printed, never asserted (timings vary with the machine's load):

1. a training run of 100 steps on a single neuron (5 points, o = tanh(w*x + b)) with the lesson's solution
   of lesson 2, each in a fresh sandbox process: median and p95 of the whole run and the child's CPU time -
   bar: p95 <= 1 s;
2. every check of lesson 2 (`lab.implement.lesson2.check`: tanh and relu alone, two dying neurons, and
   train() for 50 steps): median and p95.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `python benchmarks/bench_training.py` puts only benchmarks/ on the path

from lab.implement import lesson2  # noqa: E402
from lab.lesson.solution import LESSON2_SOLUTION as LESSON2  # noqa: E402
from lab.model.training import FIT  # noqa: E402
from sandbox import runner  # noqa: E402

STEPS = 100


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    job = {
        "code": LESSON2,
        "train": {"w": FIT.w, "b": FIT.b, "points": [list(p) for p in FIT.points], "lr": FIT.lr, "steps": STEPS},
    }
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, t0 = children_cpu(), time.perf_counter()
        outcome = runner.run_job(job)
        walls.append(time.perf_counter() - t0)
        cpus.append(children_cpu() - cpu0)
        losses = outcome.result["train"]["losses"]
        assert len(losses) == STEPS and losses[-1] < losses[0], outcome.result
    checks = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = lesson2.check(LESSON2)
        checks.append(time.perf_counter() - t0)
        assert report.all_pass, report
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"load average at the end: {load} ({runs} runs each)")
    print("| | median | p95 | bar |")
    print("|---|---|---|---|")
    print(
        f"| train() for {STEPS} steps, learner's Value, fresh sandbox process | {ms(statistics.median(walls))} "
        f"| {ms(p95(walls))} | p95 <= 1 s: {'yes' if p95(walls) <= 1 else 'no'} |"
    )
    print(f"| its child's CPU time (user + system) | {ms(statistics.median(cpus))} | {ms(p95(cpus))} | |")
    print(f"| every check of lesson 2 (lesson2.check) | {ms(statistics.median(checks))} | {ms(p95(checks))} | |")


if __name__ == "__main__":
    main()
