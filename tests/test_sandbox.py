"""Hostile code: each gets a clear message naming the line, nothing is written, the server process
lives on, and the next run works. Also the limited process on its own (as if the whitelist were
bypassed): it cannot write a file, import os, open a socket, start a process or outlive its timeout.
"""

from __future__ import annotations

import json
import marshal
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from lab.implement import run as implement
from sandbox import runner
from tests.implement_solutions import SOLUTION

VALUE = "class Value:\n    def __init__(self, data):\n        self.data = data\n"
MARK = Path("/tmp/backprop-sandbox-was-here")


def problem_of(code: str) -> implement.Problem:
    report = implement.run(code, "")
    assert report.problem is not None, [c.message for c in report.checks]
    assert not report.passed
    return report.problem


@pytest.fixture(autouse=True)
def nothing_written_and_the_next_run_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Runs' working folders go to a folder of this test's own (other sessions may run at the same time)."""
    MARK.unlink(missing_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield
    assert not MARK.exists()
    assert list(tmp_path.iterdir()) == [], "a working folder was left behind"
    assert runner.busy() == (0, 0)


def test_the_next_run_after_hostile_code_works() -> None:
    problem_of("while True:\n    pass\n")
    assert implement.run(SOLUTION, "").passed


# -- stopped while running: the line is named ---------------------------------------------------------


def test_an_endless_loop_is_stopped_at_its_line() -> None:
    started = time.monotonic()
    problem = problem_of(VALUE + "n = 0\nwhile True:\n    n += 1\n")
    assert problem.line in (5, 6)
    assert "ran too long" in problem.message and f"line {problem.line}" in problem.message
    assert time.monotonic() - started < runner.WALL_SECONDS + 3


def test_an_endless_loop_inside_backward_is_stopped_at_its_line() -> None:
    code = SOLUTION.replace("        self.grad = 1\n", "        while True:\n            pass\n")
    problem = problem_of(code)
    assert problem.code_line in ("while True:", "pass")


def test_a_huge_list_runs_out_of_memory_at_its_line() -> None:
    problem = problem_of(VALUE + "big = [0] * 10**10\n")
    assert problem.line == 4 and "256 MB" in problem.message
    assert problem.code_line == "big = [0] * 10**10"


def test_recursion_a_million_deep_is_named_at_its_line() -> None:
    problem = problem_of(VALUE + "def down(n):\n    return down(n + 1) if n < 10**6 else n\ndown(0)\n")
    assert problem.line == 5 and "calls inside each other" in problem.message


def test_printing_a_hundred_megabytes_is_cut_at_100_kb() -> None:
    report = implement.run(SOLUTION + "print('x' * 10**8)\n", "")
    assert report.problem is None and report.passed
    assert report.output.endswith("output cut at 100 kB")
    assert len(report.output) < 100_100


def test_printed_text_comes_back_exactly_as_printed() -> None:
    text = 'é "quoted" back\\slash tab\t nul\x00 emoji 😀 cr\r'
    report = implement.run(SOLUTION + f"print({text!r})\nprint(chr(0xDCFF))\n", "")
    assert report.output == text + "\n?\n"  # a lone surrogate cannot be shown: "?"


def test_raise_system_exit_is_named() -> None:
    problem = problem_of(VALUE + "raise SystemExit\n")
    assert problem.line == 4 and "stops Python" in problem.message


def test_exit_is_named() -> None:
    problem = problem_of(VALUE + "exit()\n")
    assert problem.line == 4 and "stops Python" in problem.message


def test_system_exit_raised_by_code_the_whitelist_missed_is_still_named() -> None:
    code = ESCAPE + "g['sys'].exit()\n"
    problem = run_child(code)["problem"]
    assert problem == {"kind": "SystemExit", "message": "", "line": ESCAPE_LINES + 1}


def test_no_class_named_value() -> None:
    problem = problem_of("class Valu:\n    pass\n")
    assert "no class named `Value`" in problem.message


def test_a_value_whose_data_is_text_is_explained() -> None:
    code = SOLUTION.replace("self.data = data", "self.data = str(data)")
    report = implement.run(code, "")
    first = report.first_failing  # `a + b` joins the two texts: `out = Value(self.data + other.data, ...)`
    assert first.key == "record_add" and first.line == 10
    assert "is `data` text?" in first.message


# -- refused before running: the line is named ---------------------------------------------------------

REFUSED = {
    "import os": ("import os\n", 1),
    "import os inside a method": (VALUE + "    def f(self):\n        import os\n", 5),
    "__import__": (VALUE + "os = __import__('os')\n", 4),
    "subclasses": (VALUE + "x = ().__class__.__bases__[0].__subclasses__()\n", 4),
    "getattr": (VALUE + "x = getattr(1, '__cl' + 'ass__')\n", 4),
    "gi_frame": (VALUE + "g = (i for i in [1])\nf = g.gi_frame.f_back.f_globals\n", 5),
    "format": (VALUE + "s = '{0.__class__}'.format(1)\n", 4),
    "format function": (VALUE + "s = format(1, 'x')\n", 4),
    "open": (VALUE + "text = open('/etc/passwd').read()\n", 4),
    "os.kill": ("import os\nos.kill(os.getppid(), 9)\n", 1),
    "fork bomb": ("import os\nwhile True:\n    os.fork()\n", 1),
    "eval": (VALUE + "eval('1')\n", 4),
    "try": (VALUE + "try:\n    pass\nexcept Exception:\n    pass\n", 4),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_code_names_its_line(name: str) -> None:
    code, line = REFUSED[name]
    problem = problem_of(code)
    assert problem.line == line, problem.message
    assert f"line {line}" in problem.message
    assert problem.code_line == code.splitlines()[line - 1].strip()


def test_200_kb_of_code_is_refused() -> None:
    code = SOLUTION + "#" * 200_001
    problem = problem_of(code)
    assert "too long" in problem.message and "200,000" in problem.message


def test_a_nul_character_is_refused_at_its_line() -> None:
    problem = problem_of(VALUE + "x = 1\0\n")
    assert problem.line == 4 and "NUL" in problem.message


def test_text_that_is_not_utf8_is_refused_at_its_line() -> None:
    problem = problem_of(VALUE + "x = '\udcff'\n")  # a lone surrogate: what undecodable bytes become
    assert problem.line == 4 and "not text" in problem.message


# -- the limited process on its own, as if the whitelist had let something through ---------------------


# The classic escape: from object's subclasses to the interpreter's own module globals (the import
# machinery's `_os` is the posix module: open, write, fork, kill). The whitelist refuses every `__`.
ESCAPE = (
    "m = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == 'FileLoader'][0]"
    ".__init__.__globals__\n"
    "o = m['_os']\n"
    "g = {'sys': m['sys'], 'open': o.open, 'write': o.write, 'fork': o.fork, 'pipe': o.pipe, 'kill': o.kill,"
    " 'getppid': o.getppid, 'getpid': o.getpid, 'O_WRONLY': o.O_WRONLY, 'O_CREAT': o.O_CREAT}\n"
)
ESCAPE_LINES = ESCAPE.count("\n")


def run_child(code: str, wall: float = runner.WALL_SECONDS) -> dict:
    """child.py exactly as the runner starts it, with code the whitelist would refuse."""
    return runner.run_job({"code": code, "graphs": [], "probes": []}, wall).result


def test_the_child_cannot_import_os_even_without_the_whitelist() -> None:
    problem = run_child("import os\n")["problem"]
    assert problem["kind"] == "ImportError" and problem["line"] == 1


def test_the_child_has_no_open_even_without_the_whitelist() -> None:
    problem = run_child(f"open({str(MARK)!r}, 'w')\n")["problem"]
    assert problem["kind"] == "NameError"


@pytest.mark.skipif(os.name != "posix", reason="resource limits are POSIX")
def test_the_child_cannot_write_a_file_or_fork_even_with_os_reached_through_subclasses() -> None:
    # The classic escape: reach `os` through object's subclasses (what the whitelist refuses).
    escape = (
        ESCAPE + "results = []\n"
        "for attempt in ('write', 'fork', 'new_fd', 'kill'):\n"
        "    try:\n"
        "        if attempt == 'write':\n"
        f"            fd = g['open']({str(MARK)!r}, g['O_WRONLY'] | g['O_CREAT'])\n"
        "            g['write'](fd, b'x')\n"
        "        elif attempt == 'fork':\n"
        "            g['fork']()\n"
        "        elif attempt == 'new_fd':\n"
        "            g['pipe']()\n"
        "        else:\n"
        "            g['kill'](g['getppid'](), 0)\n"
        "        results.append(attempt + ' worked')\n"
        "    except Exception as e:\n"
        "        results.append(attempt + ' refused: ' + e.__class__.__name__)\n"
        "print(results)\n"
    )
    result = run_child(escape)
    assert result["problem"]["kind"] == "NoValue", result["problem"]  # it ran to the end
    output = result["output"]
    for attempt in ("write", "fork", "new_fd"):
        assert f"{attempt} refused" in output, output
    if os.getuid() == 0:  # the child runs as nobody: it cannot signal the server's root process
        assert "kill refused" in output, output
    assert not MARK.exists()


def test_the_child_runs_at_a_lower_priority_than_the_server() -> None:
    output = run_child(ESCAPE + "print(o.nice(0))\n")["output"]
    assert int(output) == min(19, os.nice(0) + 10)


def test_the_child_is_killed_at_the_wall_clock_limit_it_is_given() -> None:
    # It stops itself (SIGSTOP): no CPU used, so no timer fires; only the parent's wall-clock kill ends it,
    # at the limit passed in (1 s), well before the default (runner.WALL_SECONDS, 5 s).
    code = ESCAPE + "g['kill'](g['getpid'](), 19)\n"
    started = time.monotonic()
    with pytest.raises(runner.RunFailed) as failed:
        runner.run_job({"code": code, "graphs": [], "probes": []}, 1.0)
    assert failed.value.reason == "timeout" and "after 1 s" in failed.value.detail
    assert time.monotonic() - started < runner.WALL_SECONDS - 1


def test_a_child_killed_by_a_signal_is_reported_as_crashed_with_the_signal() -> None:
    with pytest.raises(runner.RunFailed) as failed:
        run_child(ESCAPE + "g['kill'](g['getpid'](), 9)\n")
    assert failed.value.reason == "crashed" and failed.value.detail == "SIGKILL"


def test_a_child_that_writes_past_the_cap_is_stopped_there() -> None:
    # 6.5 MB straight to its output, past its own print() cap: the parent stops reading at 2 MB.
    code = ESCAPE + "for i in range(100):\n    g['write'](1, b'x' * 65536)\n"
    with pytest.raises(runner.RunFailed) as failed:
        run_child(code)
    assert failed.value.reason == "too_much_output"


def test_the_child_run_by_root_gives_up_roots_group_and_its_other_groups_too() -> None:
    # child.py as the runner starts it, from a root parent that also holds supplementary groups (root, adm)
    root = os.getuid() == 0
    job = marshal.dumps({"code": ESCAPE + "print(o.getuid(), o.getgid(), o.getegid(), o.getgroups())\n"})
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(runner.CHILD)],
            input=job,
            capture_output=True,
            env={},
            cwd=folder,
            timeout=30,
            extra_groups=[0, 4] if root else None,
        )
    ids = json.loads(done.stdout)["output"]
    if root:  # nobody, in nobody's group, with no supplementary group left
        assert ids == "65534 65534 65534 []\n"
    else:  # a plain user's server: the child keeps that user's ids (it cannot change them)
        assert ids == f"{os.getuid()} {os.getgid()} {os.getegid()} {os.getgroups()}\n"


def test_infinite_and_nan_numbers_of_a_learners_graph_come_back_as_numbers() -> None:
    # y = x*w = 1e400 is inf, z = y*0 is nan; backward: zero.grad = y.data * z.grad = inf
    steps = [
        ["variable", [], 1e200, "x"],
        ["variable", [], 1e200, "w"],
        ["*", [0, 1], None, "y"],
        ["constant", [], 0.0, "zero"],
        ["*", [2, 3], None, "z"],
    ]
    job = {"code": SOLUTION, "graphs": [{"key": "g", "steps": steps, "record": False, "capture": False}], "probes": []}
    graph = runner.run_job(job).result["graphs"]["g"]
    by_label = {node["label"]: node for node in graph["nodes"]}
    assert by_label["y"]["data"] == math.inf
    assert math.isnan(by_label["z"]["data"])
    assert by_label["zero"]["grad"] == math.inf
    assert by_label["x"]["grad"] == 0.0


# -- the runner ----------------------------------------------------------------------------------------


def test_a_result_that_is_not_plain_data_is_refused() -> None:
    for raw in (b"", b"not json", b"[1, 2]", json.dumps({"a": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}).encode()):
        with pytest.raises(runner.RunFailed) as failed:
            runner.parse_result(raw)
        assert failed.value.reason == "bad_result"
    assert runner.parse_result(b'{"problem": null, "x": [1.5, "a", true]}') == {
        "problem": None,
        "x": [1.5, "a", True],
    }


def test_runs_beyond_the_cores_wait_their_turn_and_are_counted() -> None:
    seen: list[tuple[int, int]] = []
    job = {"code": "n = 0\nwhile n < 10**6:\n    n += 1\n", "graphs": [], "probes": []}
    cores = os.cpu_count() or 1
    threads = [threading.Thread(target=runner.run_job, args=(job,)) for _ in range(cores + 2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        seen.append(runner.busy())
        time.sleep(0.01)
    for t in threads:
        t.join(timeout=30)
    assert max(running for running, _ in seen) <= cores
    assert any(waiting > 0 for _, waiting in seen)
    assert runner.busy() == (0, 0)


def test_the_server_process_is_not_signalled_by_a_run() -> None:
    # os.kill(os.getppid(), 9) through the escape: the parent (this test process) must live on.
    code = ESCAPE + "g['kill'](g['getppid'](), 9)\n"
    if os.getuid() != 0:
        pytest.skip("only a root server drops the child to nobody; as a plain user the whitelist is the guard")
    result = run_child(code)
    assert result["problem"]["kind"] == "PermissionError"
    assert os.getpid() > 0  # still here


def test_the_child_file_runs_with_an_empty_environment_from_python_directly() -> None:
    job = marshal.dumps({"code": "print(1 + 1)\n", "graphs": [], "probes": []})
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(runner.CHILD)],
            input=job,
            capture_output=True,
            env={},
            cwd=folder,
            timeout=10,
        )
        assert os.listdir(folder) == []
    result = json.loads(done.stdout)
    assert result["output"] == "2\n" and result["problem"]["kind"] == "NoValue"


def _eventually(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the runner's line did not move"
        time.sleep(0.005)


def test_runs_wait_in_line_first_come_first_served_each_told_how_many_are_ahead(monkeypatch) -> None:
    # one runner, and a child that ends only when the test says so: the line is watched without real processes
    monkeypatch.setattr(runner, "MAX_RUNNING", 1)
    gates = [threading.Event() for _ in range(4)]
    started: list[int] = []

    def child(payload: bytes, wall_seconds: float) -> bytes:
        n = marshal.loads(payload)["n"]
        started.append(n)
        assert gates[n].wait(10)
        return b'{"problem": null}'

    monkeypatch.setattr(runner, "_spawn", child)
    told: dict[int, list[int]] = {n: [] for n in range(4)}
    threads = []
    for n in range(4):  # asked for in this order, each once the one before is in line
        thread = threading.Thread(target=runner.run_job, args=({"n": n},), kwargs={"on_wait": told[n].append})
        thread.start()
        threads.append(thread)
        _eventually(lambda n=n: runner.busy() == (1, n) and len(told[n]) == (1 if n else 0))
    for n in range(4):
        # run n ends: the next one starts, and every run still waiting is told it moved up
        gates[n].set()
        _eventually(
            lambda n=n: len(started) == min(n + 2, 4) and all(told[m][-1] == m - n - 2 for m in range(n + 2, 4))
        )
    for thread in threads:
        thread.join(10)
    assert started == [0, 1, 2, 3]
    assert told == {0: [], 1: [0], 2: [1, 0], 3: [2, 1, 0]}
    assert runner.busy() == (0, 0)


def test_a_run_that_stops_waiting_leaves_the_line(monkeypatch) -> None:
    monkeypatch.setattr(runner, "MAX_RUNNING", 1)
    gate = threading.Event()
    monkeypatch.setattr(runner, "_spawn", lambda payload, wall: gate.wait(10) and b'{"problem": null}')
    holder = threading.Thread(target=runner.run_job, args=({},))
    holder.start()
    _eventually(lambda: runner.busy() == (1, 0))

    def leave(ahead: int) -> None:  # as Streamlit stops a script when the learner goes elsewhere
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.run_job({}, on_wait=leave)
    assert runner.busy() == (1, 0)  # nobody is left waiting for a run that will never be read
    gate.set()
    holder.join(10)
    assert runner.busy() == (0, 0)
