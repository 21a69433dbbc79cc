"""The sandbox child's limits, read from sandbox/child.py itself: the one place they are set.

The child cannot be imported here (it sets its own process's limits as it loads), so its module-level
constants are read from its source, and every message that names a limit takes it from here.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from sandbox import runner


@dataclass(frozen=True)
class Limits:
    cpu_timer: float  # seconds of CPU before the learner's code is interrupted, with its line
    cpu_seconds: float  # the kernel's backstop (RLIMIT_CPU)
    wall_timer: float  # seconds of wall-clock time before the child interrupts the code itself
    wall_seconds: float  # the parent's kill (sandbox/runner.py)
    memory_bytes: int
    output_chars: int  # characters of what the learner's code prints that are kept
    nodes: int  # nodes of one graph read back

    @property
    def memory_mb(self) -> int:
        return self.memory_bytes // (1024 * 1024)


NAMES = {
    "cpu_timer": "CPU_TIMER",
    "cpu_seconds": "CPU_SECONDS",
    "wall_timer": "WALL_TIMER",
    "memory_bytes": "MEMORY_BYTES",
    "output_chars": "MAX_OUTPUT",
    "nodes": "MAX_NODES",
}


def child_constants(source: str) -> dict[str, object]:
    """The module-level `NAME = <constant expression>` assignments of a source text."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = _value(node.value)
            except ValueError:
                continue
    return found


def _value(node: ast.expr) -> object:
    """A constant, or arithmetic on constants (`256 * 1024 * 1024`)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
        left, right = _value(node.left), _value(node.right)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return left * right if isinstance(node.op, ast.Mult) else left + right
        raise ValueError("not a number")
    return ast.literal_eval(node)


@functools.cache
def limits() -> Limits:
    constants = child_constants(runner.CHILD.read_text(encoding="utf-8"))
    values = {field: constants[name] for field, name in NAMES.items()}
    return Limits(wall_seconds=runner.WALL_SECONDS, **values)  # type: ignore[arg-type]
