"""`backward()` as a Parsons puzzle: the lesson's lines given shuffled; the learner orders and indents them.

The lines are the lesson's own `backward()` (micrograd's): the depth-first search that builds the
topological order, the seed and the reversed loop. The learner moves lines up and down and in and
out; each arrangement is checked at once:

1. its text (`def backward(self):` and the lines as arranged) is read by the sandbox's whitelist,
   sandbox/code_reader.py, like every piece of code a learner makes: an indentation that Python
   cannot read is named at its line;
2. then the arrangement is walked on the lesson's example by a tiny interpreter that knows the
   puzzle's lines and nothing else (nothing the learner arranges is run as Python): it
   follows Python's own scoping and control flow, and each `node._backward()` calls the engine's
   rule for that node (engine/trace.py), so the feedback gives the numbers this arrangement
   really makes (which node fired when, with what grad, and the gradients it leaves);
3. an arrangement that is right on the example is also walked on a graph where a computed node is
   used twice, the case a missing `visited` check or a doubled `topo.append` shows on.

Any order that computes the right thing is right (`topo = []` and `visited = set()` either way
round; the seed anywhere before the loop). The arrangement is kept in the learner's work as its
text, one line per line, four spaces per level (`to_text`/`from_text`).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.errors import ExpressionError, quote
from lab.model.analysis import Analysis, analyse, format_number
from sandbox import code_reader

n = format_number

HEADER = "def backward(self):"
INDENT = "    "
MAX_LEVEL = 4  # how far right a line can go (levels inside `def backward`: 1 to 4)


@dataclass(frozen=True)
class PuzzleLine:
    id: str
    text: str
    level: int  # its level in the lesson's own backward() (1: directly inside `def backward(self):`)


# The lesson's backward(), in its order: the solution (one of the right arrangements).
LINES: tuple[PuzzleLine, ...] = (
    PuzzleLine("topo", "topo = []", 1),
    PuzzleLine("visited", "visited = set()", 1),
    PuzzleLine("def", "def build_topo(v):", 1),
    PuzzleLine("if", "if v not in visited:", 2),
    PuzzleLine("add", "visited.add(v)", 3),
    PuzzleLine("for_child", "for child in v._prev:", 3),
    PuzzleLine("recurse", "build_topo(child)", 4),
    PuzzleLine("append", "topo.append(v)", 3),
    PuzzleLine("start", "build_topo(self)", 1),
    PuzzleLine("seed", "self.grad = 1", 1),
    PuzzleLine("loop", "for node in reversed(topo):", 1),
    PuzzleLine("fire", "node._backward()", 2),
)
BY_ID: dict[str, PuzzleLine] = {line.id: line for line in LINES}
BY_TEXT: dict[str, PuzzleLine] = {line.text: line for line in LINES}

# The graphs it is walked on: the lesson's example, then one where a computed node (a) is used twice.
EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
SHARED = "x = 2\ny = 3\na = x * y\nb = a + x\nz = a * b"

UP, DOWN, IN, OUT = "up", "down", "in", "out"


@dataclass(frozen=True)
class Placed:
    id: str
    level: int

    @property
    def text(self) -> str:
        return BY_ID[self.id].text


Arrangement = tuple[Placed, ...]


class PuzzleError(ValueError):
    """Kept text that is not an arrangement of the puzzle's lines (a damaged or edited link)."""


def _shuffle_key(line: PuzzleLine) -> str:
    return hashlib.sha256(f"parsons/backward/{line.id}".encode()).hexdigest()


def start() -> Arrangement:
    """The puzzle as given: every line at level 1, in a fixed shuffled order (the same on every visit)."""
    return tuple(Placed(line.id, 1) for line in sorted(LINES, key=_shuffle_key))


def solution() -> Arrangement:
    """The lesson's own backward()."""
    return tuple(Placed(line.id, line.level) for line in LINES)


def to_text(arrangement: Arrangement) -> str:
    """The lines as arranged, four spaces per level (the body of `def backward(self):`): how the work keeps it."""
    return "\n".join(INDENT * p.level + p.text for p in arrangement)


def from_text(text: str) -> Arrangement:
    """An arrangement kept by `to_text`. Raises PuzzleError when it is not every puzzle line once, each at a
    level from 1 to MAX_LEVEL."""
    placed: list[Placed] = []
    for raw in str(text).split("\n"):
        if not raw.strip():
            continue
        stripped = raw.lstrip(" ")
        spaces = len(raw) - len(stripped)
        line = BY_TEXT.get(stripped.rstrip())
        if line is None:
            raise PuzzleError(f"{quote(stripped)} is not one of the puzzle's lines")
        if spaces % len(INDENT) or not 1 <= spaces // len(INDENT) <= MAX_LEVEL:
            raise PuzzleError(f"{quote(stripped)} is not at one of the puzzle's levels")
        placed.append(Placed(line.id, spaces // len(INDENT)))
    ids = [p.id for p in placed]
    if sorted(ids) != sorted(BY_ID):
        missing = [BY_ID[i].text for i in BY_ID if i not in ids]
        extra = [BY_ID[i].text for i in set(ids) if ids.count(i) > 1]
        what = f"{quote(missing[0])} is missing" if missing else f"{quote(extra[0])} is there twice"
        raise PuzzleError(f"the kept puzzle is not the puzzle's lines: {what}")
    return tuple(placed)


def kept(text: str | None) -> Arrangement:
    """The learner's arrangement from their work ("" or None: the puzzle as given)."""
    return start() if not text else from_text(text)


def move(arrangement: Arrangement, index: int, how: str) -> Arrangement:
    """The arrangement with line `index` moved one place up or down, or one level in or out (at the edge: as is)."""
    lines = list(arrangement)
    if how in (UP, DOWN):
        other = index - 1 if how == UP else index + 1
        if 0 <= other < len(lines):
            lines[index], lines[other] = lines[other], lines[index]
    elif how in (IN, OUT):
        level = lines[index].level + (1 if how == IN else -1)
        if 1 <= level <= MAX_LEVEL:
            lines[index] = Placed(lines[index].id, level)
    return tuple(lines)


def code(arrangement: Arrangement) -> str:
    """`def backward(self):` and the arranged lines: what the whitelist reads, and what goes into the class."""
    return HEADER + "\n" + to_text(arrangement)


# -- walking an arrangement (an interpreter of the puzzle's lines, nothing else) --------------------

MAX_STATEMENTS = 5_000  # statements walked before it counts as running forever
MAX_CALLS = 40  # build_topo calls inside each other


class _Stop(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Function:
    body: list[ast.stmt]
    scope: _Scope
    line: int


@dataclass
class _Scope:
    local: frozenset[str]  # names assigned in this function's body (Python's rule: local everywhere in it)
    values: dict[str, object] = field(default_factory=dict)
    outer: _Scope | None = None


def _assigned(body: Sequence[ast.stmt]) -> set[str]:
    """Names a function body assigns (not inside a nested def): Python makes them local to it."""
    names: set[str] = set()
    for statement in body:
        if isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.FunctionDef):
            names.add(statement.name)
            continue
        elif isinstance(statement, ast.For) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        names |= _assigned(getattr(statement, "body", []))
    return names


@dataclass(frozen=True)
class Fired:
    node: int
    grad: float  # the node's grad when its _backward ran
    line: int


@dataclass(frozen=True)
class Walk:
    """What an arrangement does on one graph."""

    program: str  # the graph's program (EXAMPLE or SHARED)
    analysis: Analysis  # the graph, with the engine's right gradients
    grads: tuple[float, ...]  # what this arrangement leaves in each node's grad
    fired: tuple[Fired, ...]  # each `_backward` call, in order
    topo: tuple[int, ...]  # what topo held (in the backward frame) when the walk ended
    seeds: int  # how many times `self.grad = 1` ran
    error_line: int | None = None
    error: str = ""  # why it stopped ("" when it ran to the end)


class _Walker:
    def __init__(self, a: Analysis, line_of: Mapping[int, str]):
        self.a = a
        self.inputs = a.graph.inputs
        self.line_of = line_of  # source line number -> puzzle line id
        self.grads = [0.0] * len(a.graph)
        self.fired: list[Fired] = []
        self.statements = 0
        self.seeds = 0
        self.depth = 0

    # names, as Python looks them up
    def lookup(self, scope: _Scope, name: str, line: int) -> object:
        found: _Scope | None = scope
        while found is not None:
            if name in found.local:
                if name not in found.values:
                    raise _Stop(line, f"`{name}` is used here before it is set (it is set further down)")
                return found.values[name]
            found = found.outer
        raise _Stop(line, f"`{name}` does not exist here")

    def run(self, body: Sequence[ast.stmt], scope: _Scope) -> None:
        for statement in body:
            self.statements += 1
            if self.statements > MAX_STATEMENTS:
                raise _Stop(statement.lineno, "this runs forever")
            self.step(statement, scope)

    def step(self, s: ast.stmt, scope: _Scope) -> None:
        line = s.lineno
        what = self.line_of[line]
        if what == "topo":
            scope.values["topo"] = []
        elif what == "visited":
            scope.values["visited"] = set()
        elif what == "def":
            scope.values["build_topo"] = _Function(s.body, scope, line)  # type: ignore[attr-defined]
        elif what == "if":
            v = self.lookup(scope, "v", line)
            if v not in self.lookup(scope, "visited", line):  # type: ignore[operator]
                self.run(s.body, scope)  # type: ignore[attr-defined]
        elif what == "add":
            visited = self.lookup(scope, "visited", line)
            visited.add(self.lookup(scope, "v", line))  # type: ignore[attr-defined]
        elif what == "for_child":
            v = self.lookup(scope, "v", line)
            for child in self.inputs[v]:  # type: ignore[index]
                scope.values["child"] = child
                self.run(s.body, scope)  # type: ignore[attr-defined]
        elif what == "recurse":
            self.call(scope, self.lookup(scope, "child", line), line)
        elif what == "append":
            topo = self.lookup(scope, "topo", line)
            topo.append(self.lookup(scope, "v", line))  # type: ignore[attr-defined]
        elif what == "start":
            self.call(scope, self.lookup(scope, "self", line), line)
        elif what == "seed":
            self.grads[self.lookup(scope, "self", line)] = 1.0  # type: ignore[index]
            self.seeds += 1
        elif what == "loop":
            topo = list(self.lookup(scope, "topo", line))  # type: ignore[call-overload]
            for node in reversed(topo):
                scope.values["node"] = node
                self.run(s.body, scope)  # type: ignore[attr-defined]
        elif what == "fire":
            self.fire(self.lookup(scope, "node", line), line)  # type: ignore[arg-type]

    def call(self, scope: _Scope, argument: object, line: int) -> None:
        function = self.lookup(scope, "build_topo", line)
        assert isinstance(function, _Function)
        self.depth += 1
        if self.depth > MAX_CALLS:
            raise _Stop(line, "`build_topo` calls itself without end")
        inner = _Scope(frozenset(_assigned(function.body)) | {"v"}, {"v": argument}, function.scope)
        self.run(function.body, inner)
        self.depth -= 1

    def fire(self, node: int, line: int) -> None:
        """`node._backward()`: the engine's rule for this node, with the grads as this walk has them."""
        from engine.trace import rule_flows

        self.fired.append(Fired(node, self.grads[node], line))
        value = self.a.graph.nodes[node]
        if not value._prev:
            return
        for parent, flow in zip(self.inputs[node], rule_flows(value, self.grads[node]), strict=True):
            self.grads[parent] += flow


def _line_ids(arrangement: Arrangement) -> dict[int, str]:
    return {number: p.id for number, p in enumerate(arrangement, start=2)}  # line 1 is the header


def walk(arrangement: Arrangement, tree: ast.Module, program: str) -> Walk:
    """Walk the arranged backward() (its syntax tree) on the graph of `program`, every grad starting at 0."""
    a = analyse(program)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    walker = _Walker(a, _line_ids(arrangement))
    scope = _Scope(frozenset(_assigned(function.body)) | {"self"}, {"self": a.output})
    error_line, error = None, ""
    try:
        walker.run(function.body, scope)
    except _Stop as stop:
        error_line, error = stop.line, stop.message
    topo = scope.values.get("topo", [])
    return Walk(program, a, tuple(walker.grads), tuple(walker.fired), tuple(topo), walker.seeds, error_line, error)  # type: ignore[arg-type]


# -- the verdict ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    right: bool
    message: str  # in the example's numbers
    line: int | None = None  # the puzzle line (1: the header) the message is about


def _users(a: Analysis) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {i: [] for i in range(len(a.graph))}
    for i, inputs in enumerate(a.graph.inputs):
        for p in inputs:
            users[p].append(i)
    return users


def _grads_text(a: Analysis, grads: Sequence[float], nodes: Sequence[int]) -> str:
    return ", ".join(f"{a.names[i]}.grad = {n(grads[i])}" for i in nodes)


def _at(arrangement: Arrangement, line: int | None) -> str:
    if line is None:
        return ""
    text = HEADER if line == 1 else arrangement[line - 2].text
    return f"line {line}, {quote(text)}: "


def _where(w: Walk) -> str:
    """`on z = x*y + y` or, for the second graph, `on a = x * y, b = a + x, z = a * b (x = 2, y = 3)`."""
    lines = w.program.splitlines()
    values = ", ".join(line for line in lines if line.split("=")[1].strip().replace(".", "").isdigit())
    formulas = ", ".join(line for line in lines if not line.split("=")[1].strip().replace(".", "").isdigit())
    return f"on {formulas} ({values})"


def _judge(arrangement: Arrangement, w: Walk, reveal: bool) -> Verdict | None:
    """The first thing this walk does differently from backward(), in its numbers; None when it is right.

    `reveal`: the right gradients of the example may be said (the learner has worked them out by hand)."""
    a = w.analysis
    names = a.names
    variables = list(a.variables.values())
    right = [node.grad for node in a.graph.nodes]
    computed = [i for i in range(len(a.graph)) if a.graph.nodes[i]._prev]
    example = w.program == EXAMPLE
    leaves = f"this backward() leaves {_grads_text(a, w.grads, variables)}"
    if reveal or not example:
        leaves += f" instead of {', '.join(n(right[i]) for i in variables)}"
    leaves += f" ({_where(w)})"
    if w.error:
        return Verdict(False, f"{_at(arrangement, w.error_line)}{w.error}.", w.error_line)
    if not w.topo:
        return Verdict(
            False,
            "topo stays empty, so the loop has nothing to walk and every gradient stays 0: `build_topo` must put "
            "each node it visits into topo.",
            _line_of(arrangement, "append"),
        )
    fired = {f.node for f in w.fired}
    never = [i for i in computed if i not in fired]
    if never:
        ran = ", ".join(dict.fromkeys(names[f.node] for f in w.fired)) or "no node"
        return Verdict(
            False,
            f"{names[never[0]]}'s `_backward` never runs (it runs for {ran} only), so {names[never[0]]} passes "
            f"nothing on: {leaves}. `node._backward()` runs once for each node of topo, inside the loop.",
            _line_of(arrangement, "fire"),
        )
    out = a.output
    first = w.fired[0]
    if first.node != out:
        order = ", ".join(names[f.node] for f in w.fired)
        return Verdict(
            False,
            f"The loop calls `_backward` in the order {order}: {names[first.node]} comes first, not the output "
            f"{names[out]}, so {leaves}. topo must have every node after the nodes it is computed from (its "
            "`_prev`): then the reversed loop starts at the output. A node goes into topo once everything it is "
            "computed from is in.",
            None,
        )
    if first.grad != 1.0:
        return Verdict(
            False,
            f"{names[out]}'s `_backward` runs while {names[out]}.grad is still {n(first.grad)}: the seed "
            f"`self.grad = 1` has not happened yet, so {names[out]} sends {n(first.grad)} on and {leaves}. "
            "The seed comes before the loop.",
            _line_of(arrangement, "seed"),
        )
    users = _users(a)
    done: set[int] = set()
    for f in w.fired:
        if f.node in done and f.node in computed:
            return Verdict(
                False,
                f"{names[f.node]} is used twice, and its `_backward` runs twice, so it sends its gradient twice: "
                f"{leaves}. {_twice_why(arrangement)}",
                _line_of(arrangement, "append"),
            )
        early = [u for u in users[f.node] if u not in done] if f.node in computed else []
        if early:
            return Verdict(
                False,
                f"{names[f.node]} fires before {names[early[0]]}, which uses it, has sent it its part: "
                f"{names[f.node]}.grad is {n(f.grad)} when it fires, not yet complete, so {leaves}. In reverse "
                "topological order a node fires after every node that uses it.",
                None,
            )
        done.add(f.node)
    if w.seeds > 1:
        return Verdict(
            False,
            f"The numbers come out right, but `self.grad = 1` runs {w.seeds} times: the seed is set once, "
            "directly in backward(), before the loop.",
            _line_of(arrangement, "seed"),
        )
    wrong = [i for i in variables if not math.isclose(w.grads[i], right[i], rel_tol=1e-9, abs_tol=1e-12)]
    if wrong:
        return Verdict(False, leaves[0].upper() + leaves[1:] + ".", None)
    return None


def _values(a: Analysis) -> str:
    return ", ".join(f"{name} = {n(a.graph.nodes[i].data)}" for name, i in a.variables.items())


def _twice_why(arrangement: Arrangement) -> str:
    levels = {p.id: p.level for p in arrangement}
    if levels["append"] < levels["if"] + 1:
        return "`topo.append(v)` is outside `if v not in visited:`, so a node reached twice goes into topo twice."
    return "A node reached twice must go into topo once: that is what `visited` is for."


def _line_of(arrangement: Arrangement, line_id: str) -> int:
    return next(i for i, p in enumerate(arrangement) if p.id == line_id) + 2


def _reading_hint(e: ExpressionError, arrangement: Arrangement) -> str:
    """The whitelist's or Python's complaint about the arrangement, in the puzzle's words."""
    message = e.message.removeprefix("syntax error: ")
    opener = re.search(r"expected an indented block after .* on line (\d+)", message)
    if opener and 1 <= int(opener.group(1)) <= len(arrangement) + 1:
        line = int(opener.group(1))
        under = f"the line under it (line {line + 1})" if line <= len(arrangement) else "a line under it"
        return f"line {line}, {quote(_text_at(arrangement, line))}, opens a block: {under} goes one step further right."
    if "unexpected indent" in message and e.line is not None:
        return (
            f"{_at(arrangement, e.line)}this line is further right than the line above allows: only a line "
            "that ends with `:` opens a block one step further right."
        )
    if "unindent does not match" in message and e.line is not None:
        return (
            f"{_at(arrangement, e.line)}this line goes back left to a level where no block above it is: a line "
            "is either one step right of a line ending with `:`, or level with a line of a block it ends."
        )
    return f"{_at(arrangement, e.line)}{message}."


def _text_at(arrangement: Arrangement, line: int) -> str:
    return HEADER if line == 1 else arrangement[line - 2].text


@functools.lru_cache(maxsize=256)  # pure: a rerun of the page checks the same arrangement again
def check(arrangement: Arrangement, reveal: bool = False) -> Verdict:
    """Is this arrangement a backward() that works? Read by the whitelist first, then walked on the example
    and on a graph with a node used twice. `reveal`: the learner has done the example by hand, so the
    feedback may say the right gradients too."""
    text = code(arrangement)
    try:
        tree = code_reader.check(text)
    except ExpressionError as e:
        return Verdict(False, _reading_hint(e, arrangement), e.line)
    for program in (EXAMPLE, SHARED):
        verdict = _judge(arrangement, walk(arrangement, tree, program), reveal)
        if verdict is not None:
            return verdict
    return Verdict(
        True,
        "Right: depth-first search puts every node after its inputs in topo, the seed sets z.grad = 1, and the loop "
        "walks topo in reverse, so each node fires once, after every node that uses it.",
    )
