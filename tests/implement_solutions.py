"""For tests only: the lesson's solution of Implement it, and one buggy variant per classic mistake.

Each variant is the solution with one change; `BUGS[name]` is (code, the check that must fail,
the line of the bug that its message must name). Used by tests/test_implement.py and the
browser tests of the Implement it page.
"""

from __future__ import annotations

from lab.lesson.solution import SOLUTION


def _variant(old: str, new: str, marker: str | None = None, nth: int = 1) -> tuple[str, int]:
    """The solution with `old` (its nth occurrence) replaced by `new`, and the line where `marker` now is."""
    start = -1
    for _ in range(nth):
        start = SOLUTION.index(old, start + 1)
    code = SOLUTION[:start] + new + SOLUTION[start + len(old) :]
    marker = marker if marker is not None else new.strip().splitlines()[0]
    line = code[: code.index(marker)].count("\n") + 1
    return code, line


def _bugs() -> dict[str, tuple[str, str, int]]:
    bugs = {}
    code, line = _variant("self.grad += other.data * out.grad", "self.grad = other.data * out.grad")
    bugs["overwrite_mul"] = (code, "overwrite", line)
    code, line = _variant("self.grad += out.grad", "self.grad = out.grad")
    bugs["overwrite_add"] = (code, "overwrite", line)
    code, line = _variant(
        SOLUTION[SOLUTION.index("    def backward(self):") :],
        "    def backward(self):\n"
        "        self.grad = 1\n"
        "        nodes = [self]\n"
        "        for node in nodes:\n"
        "            node._backward()\n"
        "            for child in node._prev:\n"
        "                if child not in nodes:\n"
        "                    nodes.append(child)\n",
        "def backward",
    )
    bugs["no_topological_order"] = (code, "topo", line)
    code, line = _variant("        self.grad = 1\n", "", "def backward")
    bugs["no_seed"] = (code, "seed", line)
    code, line = _variant("for node in reversed(topo):", "for node in topo:")
    bugs["wrong_direction"] = (code, "direction", line)
    code, line = _variant(
        "            if v not in visited:\n"
        "                visited.add(v)\n"
        "                for child in v._prev:\n"
        "                    build_topo(child)\n"
        "                topo.append(v)\n",
        "            for child in v._prev:\n                build_topo(child)\n            topo.append(v)\n",
        "def build_topo",
    )
    bugs["no_visited_set"] = (code, "visited", line)
    code, line = _variant("(self, other), '*')", "(self, other))", "out = Value(self.data * other.data")
    bugs["no_op"] = (code, "prev_op", line)
    code, line = _variant("(self, other), '+')", "(), '+')", "out = Value(self.data + other.data")
    bugs["no_prev"] = (code, "prev_op", line)
    code, line = _variant("        out._backward = _backward\n", "", "def __add__")
    bugs["backward_never_assigned"] = (code, "backward_set", line)
    code, line = _variant("out._backward = _backward", "self._backward = _backward", nth=2)
    bugs["closure_wrong_out"] = (code, "closure", line)
    return bugs


BUGS = _bugs()
