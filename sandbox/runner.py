"""Run one job in a fresh, limited Python process (sandbox/child.py) and get back only data.

- A new process per run: `python -I -S child.py` (isolated mode, no site), an empty environment,
  an empty temporary working directory (removed afterwards), a new session so that the whole
  process group is killed at the end. No `preexec_fn` (unsafe in a threaded server): the child
  sets its own limits first thing.
- A wall-clock timeout (`WALL_SECONDS`), then the group is killed.
- Its output is read up to `MAX_RESULT_BYTES`; more, and it is killed. The result must be one
  JSON object made of plain data (`check_shape`), or the run is reported as failed.
- At most `MAX_RUNNING` runs at once in this server process (a line shared by every session, first
  come first served); a run beyond that waits its turn and can be told how many runs are ahead of it.
  `busy()` says how many run and wait.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHILD = Path(__file__).with_name("child.py")
WALL_SECONDS = 5.0  # a run is killed after this long, whatever it does
MAX_RESULT_BYTES = 2_000_000  # what the child may print (its own caps keep it far below)
MAX_JOB_BYTES = 1_000_000
MAX_RUNNING = max(1, os.cpu_count() or 1)  # runs at once per server process, one per core
MAX_DEPTH = 12  # nesting of the result's lists and dicts
MAX_ITEMS = 20_000  # items in any one list or dict of the result
MAX_STRING = 200_000  # characters in any one string of the result

_turns = threading.Condition()  # guards the two below; notified whenever a run starts or ends
_queue: deque[object] = deque()  # the runs waiting for a free runner, first come first served
_running = 0


class RunFailed(Exception):
    """The run gave no usable result. `reason` is one of: "timeout", "too_much_output", "crashed", "bad_result"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    seconds: float  # wall-clock time of the process, waiting for a free runner not included
    waited: float  # seconds spent waiting for a free runner


def busy() -> tuple[int, int]:
    """(runs going on now, runs waiting for a free runner) in this server process."""
    with _turns:
        return _running, len(_queue)


def run_job(
    job: dict[str, Any], wall_seconds: float = WALL_SECONDS, on_wait: Callable[[int], None] | None = None
) -> Outcome:
    """Run `job` in a fresh child process; blocks (waiting for a free runner first if all are busy).

    While it waits, `on_wait(ahead)` is called with the number of runs waiting before it, first at once and
    then each time that number changes (runs start in the order they were asked for).
    Raises RunFailed when the child is killed, crashes or returns anything but plain JSON data.
    """
    global _running
    payload = marshal.dumps(job)  # the child reads it without importing json (its start-up is paid every run)
    if len(payload) > MAX_JOB_BYTES:
        raise RunFailed("bad_job", f"the job is {len(payload):,} bytes")
    started = time.perf_counter()
    _take_turn(on_wait)
    waited = time.perf_counter() - started
    try:
        began = time.perf_counter()
        raw = _spawn(payload, wall_seconds)
        seconds = time.perf_counter() - began
    finally:
        with _turns:
            _running -= 1
            _turns.notify_all()
    return Outcome(parse_result(raw), seconds, waited)


def _take_turn(on_wait: Callable[[int], None] | None) -> None:
    """Wait in line for a free runner, telling `on_wait` (outside the lock) how many runs are ahead."""
    global _running
    ticket = object()
    told = None
    with _turns:
        _queue.append(ticket)
    try:
        while True:
            with _turns:
                if _queue[0] is ticket and _running < MAX_RUNNING:
                    _queue.popleft()
                    _running += 1
                    _turns.notify_all()  # the others move up the line
                    return
                ahead = _queue.index(ticket)
                if ahead == told or on_wait is None:
                    _turns.wait(timeout=1.0)
                    continue
            told = ahead
            on_wait(ahead)
    except BaseException:  # the session stopped waiting (the learner left the page): leave the line
        with _turns:
            if ticket in _queue:
                _queue.remove(ticket)
                _turns.notify_all()
        raise


def _spawn(payload: bytes, wall_seconds: float) -> bytes:
    """Start the child, feed it the job, read its output (capped), and make sure it is gone."""
    folder = tempfile.mkdtemp(prefix="backprop-run-")
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            cwd=folder,
            start_new_session=True,
            close_fds=True,
        )
        try:
            return _talk(process, payload, wall_seconds)
        finally:
            _end(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _talk(process: subprocess.Popen, payload: bytes, wall_seconds: float) -> bytes:
    """Send the job and read the result at the same time (either may fill a pipe), until the
    child closes its output; within the deadline and the size cap."""
    deadline = time.monotonic() + wall_seconds
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None and stdout is not None
    os.set_blocking(stdin.fileno(), False)
    os.set_blocking(stdout.fileno(), False)
    received = bytearray()
    to_send = memoryview(payload)
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        selector.register(stdin, selectors.EVENT_WRITE)
        while stdout in _registered(selector):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunFailed("timeout", f"still running after {wall_seconds:g} s")
            for key, _ in selector.select(left):
                if key.fileobj is stdin:
                    try:
                        to_send = to_send[os.write(stdin.fileno(), to_send[:65536]) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the child stopped reading: its output says why
                        to_send = to_send[:0]
                    if not to_send:
                        selector.unregister(stdin)
                        stdin.close()
                    continue
                try:
                    chunk = os.read(stdout.fileno(), 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(stdout)
                    break
                received += chunk
                if len(received) > MAX_RESULT_BYTES:
                    raise RunFailed("too_much_output", f"more than {MAX_RESULT_BYTES:,} bytes")
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise RunFailed("timeout", f"still running after {wall_seconds:g} s") from None
    if process.returncode != 0:
        signal_name = _signal_name(-process.returncode) if process.returncode < 0 else ""
        raise RunFailed("crashed", signal_name or f"exit status {process.returncode}")
    return bytes(received)


def _registered(selector: selectors.BaseSelector) -> list[Any]:
    return [key.fileobj for key in selector.get_map().values()]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _end(process: subprocess.Popen) -> None:
    """Kill the child's whole process group if it is still there, and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


# -- only data comes back --------------------------------------------------------------------------


def parse_result(raw: bytes) -> dict[str, Any]:
    """The child's output as a dict of plain data, or RunFailed("bad_result")."""
    try:
        result = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RunFailed("bad_result", f"not JSON ({type(e).__name__})") from None
    if not isinstance(result, dict):
        raise RunFailed("bad_result", "not a JSON object")
    problem = check_shape(result)
    if problem:
        raise RunFailed("bad_result", problem)
    if "crash" in result:
        raise RunFailed("crashed", str(result["crash"])[:100])
    return result


def check_shape(value: Any, depth: int = 0) -> str | None:
    """Why `value` is not small plain data (None when it is): dicts with string keys, lists, strings,
    numbers, booleans and None, nested at most MAX_DEPTH deep, none too long."""
    if depth > MAX_DEPTH:
        return "nested too deeply"
    if value is None or isinstance(value, (bool, int, float)):
        return None
    if isinstance(value, str):
        return "a string too long" if len(value) > MAX_STRING else None
    if isinstance(value, (list, dict)):
        if len(value) > MAX_ITEMS:
            return "a list too long"
        if isinstance(value, dict):
            if not all(isinstance(k, str) and len(k) <= 100 for k in value):
                return "a bad key"
            items = value.values()
        else:
            items = value
        for item in items:
            problem = check_shape(item, depth + 1)
            if problem:
                return problem
        return None
    return f"a {type(value).__name__}"
