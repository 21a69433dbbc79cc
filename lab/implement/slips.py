"""The catalog of slips Implement it diagnoses: each record is a buggy example (the lesson's solution with one
slip), the check it must light and the line it must name.

Adding a check means adding a record here with its own example; tests/test_implement_catalog.py runs every
record: exactly its check fails (the lesson's test may fail too), its line is named, and no other line is.
`mistake` is the classic mistake's plain id where the slip is one ("overwrite", "wrong_order", "no_seed",
as engine/trace.py's Mistake names them), for the words shared with the Bug lab and the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

SOLUTION = """\
class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for node in reversed(topo):
            node._backward()
"""


@dataclass(frozen=True)
class Slip:
    """One slip: its example program, the check it lights and the line that check names."""

    id: str
    about: str  # the slip in a few words
    check: str  # the key of the check that must fail (lab/implement/checks.py)
    code: str
    line: int
    mistake: str = ""  # the classic mistake's id, when the slip is one


def variant(old: str, new: str, marker: str | None = None, nth: int = 1) -> tuple[str, int]:
    """The solution with `old` (its nth occurrence) replaced by `new`, and the line where `marker` (by default
    the first line of `new`) now is."""
    start = -1
    for _ in range(nth):
        start = SOLUTION.index(old, start + 1)
    code = SOLUTION[:start] + new + SOLUTION[start + len(old) :]
    marker = marker if marker is not None else new.strip().splitlines()[0]
    line = code[: code.index(marker)].count("\n") + 1
    return code, line


def _slip(
    id: str, about: str, check: str, old: str, new: str, marker: str | None = None, nth: int = 1, mistake: str = ""
) -> Slip:
    code, line = variant(old, new, marker, nth)
    return Slip(id, about, check, code, line, mistake)


_BACKWARD = SOLUTION[SOLUTION.index("    def backward(self):") :]
_DFS = (
    "            if v not in visited:\n"
    "                visited.add(v)\n"
    "                for child in v._prev:\n"
    "                    build_topo(child)\n"
    "                topo.append(v)\n"
)

SLIPS: tuple[Slip, ...] = (
    # recording
    _slip(
        "no_prev",
        "`_prev` not recorded",
        "record_add",
        "(self, other), '+')",
        "(), '+')",
        "out = Value(self.data + other.data",
    ),
    _slip(
        "one_prev",
        "`_prev` with one operand only",
        "record_add",
        "(self, other), '+')",
        "(self,), '+')",
        "out = Value(self.data + other.data",
    ),
    _slip(
        "no_op",
        "`_op` not recorded",
        "record_mul",
        "(self, other), '*')",
        "(self, other))",
        "out = Value(self.data * other.data",
    ),
    _slip(
        "backward_on_self",
        "`_backward` assigned to `self`, not `out`",
        "record_mul",
        "out._backward = _backward",
        "self._backward = _backward",
        nth=2,
    ),
    _slip(
        "backward_never_assigned",
        "`out._backward` never assigned",
        "record_add",
        "        out._backward = _backward\n        return out",
        "        return out",
    ),
    _slip(
        "misspelt_forward",
        "a misspelt attribute making `out`",
        "record_mul",
        "Value(self.data * other.data,",
        "Value(self.data * other.dta,",
    ),
    # each operator's rule
    _slip(
        "overwrite_add",
        "`=` for `+=` in `+`'s rule (self)",
        "twice_add",
        "self.grad += out.grad",
        "self.grad = out.grad",
        mistake="overwrite",
    ),
    _slip(
        "overwrite_add_other",
        "`=` for `+=` in `+`'s rule (other)",
        "twice_add",
        "other.grad += out.grad",
        "other.grad = out.grad",
        mistake="overwrite",
    ),
    _slip(
        "overwrite_mul",
        "`=` for `+=` in `*`'s rule (self)",
        "twice_mul",
        "self.grad += other.data * out.grad",
        "self.grad = other.data * out.grad",
        mistake="overwrite",
    ),
    _slip(
        "overwrite_mul_other",
        "`=` for `+=` in `*`'s rule (other)",
        "twice_mul",
        "other.grad += self.data * out.grad",
        "other.grad = self.data * out.grad",
        mistake="overwrite",
    ),
    _slip(
        "swapped",
        "operands swapped in `*`'s rule",
        "rule_mul",
        "self.grad += other.data * out.grad",
        "self.grad += self.data * out.grad",
        mistake="swapped",
    ),
    _slip(
        "no_out_grad_mul",
        "`* out.grad` missing in `*`'s rule",
        "rule_mul",
        "other.grad += self.data * out.grad",
        "other.grad += self.data",
        mistake="no_out_grad",
    ),
    _slip(
        "no_out_grad_add",
        "`+`'s rule adds 1, not out.grad",
        "rule_add",
        "other.grad += out.grad",
        "other.grad += 1",
        mistake="no_out_grad",
    ),
    _slip(
        "misspelt_rule",
        "a misspelt attribute in `*`'s rule",
        "rule_mul",
        "self.grad += other.data * out.grad",
        "self.grad += other.date * out.grad",
    ),
    _slip(
        "closure_shared",
        "`_backward` reads a name every node shares",
        "own_add",
        "        out = Value(self.data + other.data, (self, other), '+')\n\n"
        "        def _backward():\n            self.grad += out.grad\n            other.grad += out.grad\n",
        "        out = Value(self.data + other.data, (self, other), '+')\n        Value.last = out\n\n"
        "        def _backward():\n            self.grad += Value.last.grad\n"
        "            other.grad += Value.last.grad\n",
        "self.grad += Value.last.grad",
    ),
    _slip(
        "closure_later",
        "`_backward` reads a name a later node sets again",
        "own_mul",
        "        out = Value(self.data * other.data, (self, other), '*')\n\n"
        "        def _backward():\n            self.grad += other.data * out.grad\n"
        "            other.grad += self.data * out.grad\n",
        "        out = Value(self.data * other.data, (self, other), '*')\n        self.out = out\n\n"
        "        def _backward():\n            self.grad += other.data * self.out.grad\n"
        "            other.grad += self.data * self.out.grad\n",
        "self.grad += other.data * self.out.grad",
    ),
    # backward()
    _slip("no_seed", "no seed", "seed", "        self.grad = 1\n", "", "def backward", mistake="no_seed"),
    _slip(
        "seed_zero",
        "a seed of 0",
        "seed",
        "        self.grad = 1\n",
        "        self.grad = 0\n",
        "self.grad = 0\n        for",
        mistake="no_seed",
    ),
    _slip(
        "seed_after",
        "the seed set after the loop",
        "seed",
        "        self.grad = 1\n        for node in reversed(topo):\n            node._backward()\n",
        "        for node in reversed(topo):\n            node._backward()\n        self.grad = 1\n",
        "self.grad = 1",
    ),
    _slip(
        "wrong_direction",
        "the order not reversed",
        "order",
        "for node in reversed(topo):",
        "for node in topo:",
        mistake="wrong_order",
    ),
    _slip(
        "append_first",
        "a node appended before its children",
        "order",
        _DFS,
        "            if v not in visited:\n"
        "                visited.add(v)\n"
        "                topo.append(v)\n"
        "                for child in v._prev:\n"
        "                    build_topo(child)\n",
        "topo.append(v)",
        mistake="wrong_order",
    ),
    _slip(
        "no_topological_order",
        "nodes fired as they are found from the output",
        "order",
        _BACKWARD,
        "    def backward(self):\n"
        "        self.grad = 1\n"
        "        nodes = [self]\n"
        "        for node in nodes:\n"
        "            node._backward()\n"
        "            for child in node._prev:\n"
        "                if child not in nodes:\n"
        "                    nodes.append(child)\n",
        "for node in nodes:",
        mistake="wrong_order",
    ),
    _slip(
        "no_visited_set",
        "no visited set",
        "once",
        _DFS,
        "            for child in v._prev:\n                build_topo(child)\n            topo.append(v)\n",
        "def build_topo",
    ),
    _slip(
        "visited_never_added",
        "a visited set nothing is added to",
        "once",
        "                visited.add(v)\n",
        "",
        "if v not in visited",
    ),
    _slip("misspelt_backward", "a misspelt attribute in backward()", "seed", "node._backward()", "node._backwards()"),
)

BY_ID = {slip.id: slip for slip in SLIPS}
