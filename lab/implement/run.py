"""Implement it: run a learner's own `Value` class safely and check it against the engine.

`run(code, program)` reads the code with the sandbox's whitelist (sandbox/code_reader.py),
runs it in a fresh limited process (sandbox/runner.py, sandbox/child.py) on small graphs, and
compares THEIR numbers with the engine's on the same graphs:

1. the lesson's test: x = 2, y = 3, z = x*y + y: z.data 9, x.grad 3, y.grad 3;
2. one check per classic mistake, each on the smallest graph where it shows;
3. the learner's program from Build and see, when their class has every operator it uses.

The learner's graphs come back as data and are rebuilt here as engine `Value`s (same data,
grad, _op, labels and edges), so lab/model/diagram.py and lab/model/table.py draw them unchanged: a
picture of their objects; do not call backward() on it (their `_op` may be anything).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ExpressionError, quote
from engine.parser import MAX_NODES as _PARSER_MAX_NODES
from engine.parser import Program, parse_program
from engine.reader import lines_of
from engine.trace import BackwardStep, EdgeFlow, Graph, graph_of
from engine.value import Value
from sandbox import code_reader, runner

MAX_PROGRAM_NODES = 2_000  # the program from Build and see is tried with the learner's class up to this size
CODE_LINE_SHOWN = 80  # characters of a line of the learner's code quoted in a message
TOLERANCE = 1e-9  # relative (and absolute, near 0) difference that still counts as the engine's number
assert MAX_PROGRAM_NODES <= _PARSER_MAX_NODES

SKELETON = """\
class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        # make out, the sum, remembering (self, other) and '+'
        # then its _backward: push out.grad to self and other
        ...

    def __mul__(self, other):
        # make out, the product, remembering (self, other) and '*'
        # then its _backward: push out.grad to self and other
        ...

    def backward(self):
        # order the nodes (a node after everything it is computed from),
        # set this node's grad to 1, then call each node's _backward, output first
        ...
"""

# The small graphs the checks run, as programs the engine's parser reads (so the engine's
# numbers come from the engine itself).
LESSON = "x = 2.0\ny = 3.0\nz = x*y + y"
GRAPHS = {
    "lesson": LESSON,
    "add_twice": "x = 2.0\nz = (x + x) * x",  # + fires after x already has a gradient from *
    "mul_twice": "x = 3.0\nz = (x * x) + x",
    "chain": "x = 2.0\ny = 3.0\na = x * y\nz = a * y",
    "diamond": "x = 2.0\ny = 3.0\na = x * y\nb = a * x\nc = b * y\nz = a + c",
    "visited": "x = 2.0\ny = 3.0\na = x * y\nb = a + x\nz = a * b",
}
RECORDED = ("lesson", "program")  # graphs whose `_backward` calls are kept for "My Value"
PROBES = ("+", "*")
METHOD_OF = {"+": "__add__", "*": "__mul__", "-": "__sub__", "/": "__truediv__", "**": "__pow__", "neg": "__neg__"}


# -- the API ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Code that was refused or failed before it could be checked, in the learner's words.

    `message` names the line itself ("line 3, `while True: pass`: ..."); `line` and `code_line`
    are there to mark it in the editor.
    """

    message: str
    line: int | None
    code_line: str | None


@dataclass(frozen=True)
class CheckResult:
    key: str
    title: str
    passed: bool
    message: str  # the lesson's words and numbers
    line: int | None  # the line of the learner's code the message is about, if any


@dataclass(frozen=True)
class Call:
    """One `_backward` call of the learner's objects, in their order (indices into the graph)."""

    node: int
    grad: float  # the node's own grad when it fired
    inputs: tuple[int, ...]  # the node's _prev, as graph indices
    before: tuple[float, ...]  # their grads before the call
    after: tuple[float, ...]  # and after


@dataclass(frozen=True)
class Report:
    problem: Problem | None
    checks: tuple[CheckResult, ...]
    output: str  # what the learner's code printed (capped)
    lesson_graph: Graph | None  # the learner's objects on the lesson's example, as engine Values
    program_graph: Graph | None  # the same for the program from Build and see
    differs: frozenset[int]  # nodes of program_graph (or of lesson_graph when there is none) off the engine's numbers
    program_note: str | None  # why the program was not run with their class, if it was not
    seconds: float
    lesson_differs: frozenset[int] = frozenset()
    program_differs: frozenset[int] = frozenset()
    lesson_calls: tuple[Call, ...] = ()
    program_calls: tuple[Call, ...] = ()
    code: str = field(default="", repr=False)

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.checks) and all(c.passed for c in self.checks)


def run(code: str, program: str | None = "", on_wait: Callable[[int], None] | None = None) -> Report:
    """Read, run and check the learner's code; blocks, waiting for a free runner if all are busy (`on_wait(ahead)`
    is told how many runs wait before this one: sandbox/runner.py `run_job`)."""
    try:
        tree = code_reader.check(code)
    except ExpressionError as e:
        return _refused(code, e)
    places = _Places(tree)
    programs = dict(_check_programs())
    program_note = None
    if program and program.strip():
        try:
            learner_program = code_reader.retrying(parse_program, program)
        except ExpressionError as e:
            program_note = f"the program from Build and see could not be read ({e}), so it was not run"
        else:
            if len(learner_program._steps) > MAX_PROGRAM_NODES:
                program_note = (
                    f"the program from Build and see has {len(learner_program._steps):,} nodes; "
                    f"your Value is tried on programs up to {MAX_PROGRAM_NODES:,}"
                )
            elif learner_program.variables and None in learner_program.variables.values():
                unset = [name for name, number in learner_program.variables.items() if number is None]
                program_note = (
                    f"the program from Build and see gives no number to {', '.join(quote(n) for n in unset)}, "
                    "so it was not run"
                )
            else:
                programs["program"] = learner_program
    job = {
        "code": code,
        "graphs": [
            {"key": key, "steps": _steps(p), "capture": key in RECORDED, "record": key in RECORDED}
            for key, p in programs.items()
        ],
        "probes": list(PROBES),
    }
    try:
        outcome = runner.run_job(job, on_wait=on_wait)
    except runner.RunFailed as e:
        return Report(_failed_run(e), (), "", None, None, frozenset(), program_note, 0.0, code=code)
    result = outcome.result
    # text that cannot be UTF-8 (a lone surrogate printed by the learner) becomes "?": the page can show it
    output = str(result.get("output", "")).encode("utf-8", "replace").decode("utf-8")
    if result.get("output_cut"):
        output += f"\n… output cut at {runner_output_limit() // 1000} kB"
    problem = result.get("problem")
    if problem:
        return Report(
            _problem(problem, code), (), output, None, None, frozenset(), program_note, outcome.seconds, code=code
        )
    try:
        return _report(code, places, programs, result, output, program_note, outcome.seconds)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError):
        # plain data, but not what child.py writes: only code that got past every defense could do that
        problem = Problem("your code could not be checked: its run gave back something unexpected", None, None)
        return Report(problem, (), output, None, None, frozenset(), program_note, outcome.seconds, code=code)


def runner_busy() -> tuple[int, int]:
    """(runs going on now, runs waiting for a free runner) in this server: for "waiting for a free runner"."""
    return runner.busy()


def runner_output_limit() -> int:
    return 100_000


def learner_backward_steps(report: Report, which: str = "lesson") -> list[BackwardStep]:
    """The learner's own backward pass as Watch it flow's steps: their `_backward` calls in their
    order (calls of leaves left out), with each input's grad after the call; a flow's contribution
    is the change of that input's grad (its `local` is contribution / incoming, NaN when incoming is 0)."""
    graph = report.lesson_graph if which == "lesson" else report.program_graph
    calls = report.lesson_calls if which == "lesson" else report.program_calls
    if graph is None:
        return []
    output = len(graph) - 1
    first = next((c for c in calls if c.node == output), None)
    seed = first.grad if first is not None else graph.nodes[output].grad
    steps = [BackwardStep(0, output, (), {output: seed})]
    for call in calls:
        if not call.inputs:
            continue
        flows = []
        for slot, (p, before, after) in enumerate(zip(call.inputs, call.before, call.after, strict=True)):
            contribution = after - before
            local = contribution / call.grad if call.grad and math.isfinite(call.grad) else math.nan
            flows.append(EdgeFlow(p, call.node, slot, local, call.grad, contribution))
        changed = dict(zip(call.inputs, call.after, strict=True))
        steps.append(BackwardStep(len(steps), call.node, tuple(flows), changed))
    return steps


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-safe data (for the session and the room); `report_from_dict` reads it back."""
    return {
        "problem": None if report.problem is None else vars(report.problem).copy(),
        "checks": [vars(c).copy() for c in report.checks],
        "passed": report.passed,
        "output": report.output,
        "lesson_graph": _graph_to_dict(report.lesson_graph),
        "program_graph": _graph_to_dict(report.program_graph),
        "differs": sorted(report.differs),
        "lesson_differs": sorted(report.lesson_differs),
        "program_differs": sorted(report.program_differs),
        "program_note": report.program_note,
        "seconds": report.seconds,
        "lesson_calls": [_call_to_dict(c) for c in report.lesson_calls],
        "program_calls": [_call_to_dict(c) for c in report.program_calls],
        "code": report.code,
    }


def report_from_dict(d: Mapping[str, Any]) -> Report:
    """A report from `report_to_dict`'s data. Raises ValueError when the data is not such a report."""
    try:
        problem = d.get("problem")
        return Report(
            problem=None
            if problem is None
            else Problem(str(problem["message"]), problem["line"], problem["code_line"]),
            checks=tuple(
                CheckResult(str(c["key"]), str(c["title"]), bool(c["passed"]), str(c["message"]), c["line"])
                for c in d.get("checks", [])
            ),
            output=str(d.get("output", "")),
            lesson_graph=_graph_from_dict(d.get("lesson_graph")),
            program_graph=_graph_from_dict(d.get("program_graph")),
            differs=frozenset(int(i) for i in d.get("differs", [])),
            program_note=d.get("program_note"),
            seconds=float(d.get("seconds", 0.0)),
            lesson_differs=frozenset(int(i) for i in d.get("lesson_differs", [])),
            program_differs=frozenset(int(i) for i in d.get("program_differs", [])),
            lesson_calls=tuple(_call_from_dict(c) for c in d.get("lesson_calls", [])),
            program_calls=tuple(_call_from_dict(c) for c in d.get("program_calls", [])),
            code=str(d.get("code", "")),
        )
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"not a report of Implement it ({type(e).__name__}: {e})") from None


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else repr(x)  # nan, inf: JSON has no such numbers


def _number_from_json(x: Any) -> float:
    return float(x) if isinstance(x, (int, float, str)) and not isinstance(x, bool) else math.nan


def _graph_to_dict(graph: Graph | None) -> list[dict[str, Any]] | None:
    if graph is None:
        return None
    return [
        {
            "data": _json_number(node.data),
            "grad": _json_number(node.grad),
            "op": node._op,
            "label": node.label,
            "exponent": node._exponent,
            "prev": list(graph.inputs[i]),
        }
        for i, node in enumerate(graph.nodes)
    ]


def _graph_from_dict(nodes: Any) -> Graph | None:
    if not nodes:
        return None
    values: list[Value] = []
    for node in nodes:
        value = Value(_number_from_json(node["data"]), tuple(values[p] for p in node["prev"]), str(node["op"]))
        value.label = str(node["label"])
        value.grad = _number_from_json(node["grad"])
        value._exponent = node.get("exponent")
        values.append(value)
    return graph_of(values[-1])


def _call_to_dict(call: Call) -> dict[str, Any]:
    return {
        "node": call.node,
        "grad": _json_number(call.grad),
        "inputs": list(call.inputs),
        "before": [_json_number(x) for x in call.before],
        "after": [_json_number(x) for x in call.after],
    }


def _call_from_dict(c: Mapping[str, Any]) -> Call:
    return Call(
        int(c["node"]),
        _number_from_json(c["grad"]),
        tuple(int(i) for i in c["inputs"]),
        tuple(_number_from_json(x) for x in c["before"]),
        tuple(_number_from_json(x) for x in c["after"]),
    )


# -- turning the child's facts into checks ------------------------------------------------------


def _steps(program: Program) -> list[list[Any]]:
    """The program as operations on earlier steps: [op, [operand steps], number, label]."""
    numbers = program.variables
    return [[s.op, list(s.args), numbers[s.label] if s.op == "variable" else s.number, s.label] for s in program._steps]


@dataclass
class _Graph:
    """One graph as the learner's class built it, beside the engine's numbers for the same program."""

    key: str
    program: Program
    facts: dict[str, Any]
    engine: dict[str, Value] = field(default_factory=dict)  # label -> engine node, after backward()

    def __post_init__(self) -> None:
        self.engine = _engine_nodes(self.program) if self.key == "program" else _check_engine_nodes(self.key)

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return self.facts.get("nodes", [])

    def by_label(self) -> dict[str, int]:
        return {n["label"]: i for i, n in enumerate(self.nodes) if n["label"]}

    def failure(self, places: _Places, code: str) -> str | None:
        """Why this graph could not be built or backpropagated with the learner's class, or None."""
        f = self.facts
        if "missing" in f:
            return f"your Value has no {', '.join(quote(m) for m in f['missing'])}"
        if "not_value" in f:
            info = f["not_value"]
            method = METHOD_OF.get(info["op"], info["op"])
            kind = "None" if info["kind"] == "NoneType" else f"a {info['kind']}"
            line = places.method_line(method)
            where = f" (line {line})" if line else ""
            return f"your {quote(method)}{where} gave {kind}, not a Value: it must `return out`"
        if "error" in f and f.get("phase") != "backward":
            return _error_text(f["error"], code)
        return None

    def numbers(self) -> list[tuple[str, str, float | None, float, str]]:
        """(label, "data"/"grad", the learner's number, the engine's, kind) for every node of the program."""
        rows = []
        for label, i in self.by_label().items():
            node = self.nodes[i]
            truth = self.engine.get(label)
            if truth is None:
                continue
            rows.append((label, "data", node["data"], truth.data, node["data_kind"]))
            rows.append((label, "grad", node["grad"], truth.grad, node["grad_kind"]))
        return rows

    def wrong(self, fields: Sequence[str] = ("data", "grad")) -> list[tuple[str, str, float | None, float, str]]:
        return [row for row in self.numbers() if row[1] in fields and not _same(row[2], row[3])]


@functools.cache
def _check_programs() -> dict[str, Program]:
    """The checks' small graphs, read once per server process."""
    return {key: parse_program(text) for key, text in GRAPHS.items()}


def _engine_nodes(program: Program) -> dict[str, Value]:
    """Label -> the engine's node, after the engine's backward(): the numbers the learner's are checked against."""
    built = program.build()
    built.output.backward()
    return {node.label: node for node in built.output.topological_order()}


@functools.cache
def _check_engine_nodes(key: str) -> dict[str, Value]:
    return _engine_nodes(_check_programs()[key])


def _same(mine: float | None, engine: float) -> bool:
    if mine is None or not math.isfinite(mine):
        return mine is not None and mine == engine
    return abs(mine - engine) <= TOLERANCE * max(1.0, abs(engine))


def _n(x: float | None) -> str:
    if x is None:
        return "not a number"
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _yours(rows: Sequence[tuple[str, str, float | None, float, str]], limit: int = 3) -> str:
    """ "your y.grad is 2, the engine's is 3" for the first few wrong numbers."""
    parts = []
    for label, what, mine, engine, kind in rows[:limit]:
        if mine is None:
            shown = f"{kind}, not a number" if kind not in ("float", "int") else "too large"
            parts.append(f"your {label}.{what} is {shown}, the engine's is {_n(engine)}")
        else:
            parts.append(f"your {label}.{what} is {_n(mine)}, the engine's is {_n(engine)}")
    return "; ".join(parts)


def _report(
    code: str,
    places: _Places,
    programs: Mapping[str, Program],
    result: dict[str, Any],
    output: str,
    program_note: str | None,
    seconds: float,
) -> Report:
    graphs = {key: _Graph(key, programs[key], result["graphs"].get(key, {})) for key in programs}
    probes = result.get("probes", {})
    checks = [
        _check_lesson(graphs["lesson"], places, code),
        _check_overwrite(graphs, places, code),
        _check_seed(graphs["lesson"], places, code),
        _check_direction(graphs["chain"], places, code),
        _check_topo(graphs["diamond"], places, code),
        _check_visited(graphs["visited"], places, code),
        _check_prev_op(probes, places, code),
        _check_backward_set(probes, places, code),
        _check_closure(probes, places, code),
    ]
    program_graph = None
    program_differs: frozenset[int] = frozenset()
    program_calls: tuple[Call, ...] = ()
    if "program" in graphs:
        g = graphs["program"]
        if "missing" in g.facts:
            missing = g.facts["missing"]
            lines = [
                f"line {s.where.lineno}" for s in programs["program"]._steps if METHOD_OF.get(s.op, s.op) in missing
            ]
            where = f" (the program's {lines[0]} needs it)" if lines else ""
            program_note = (
                f"your Value has no {', '.join(quote(m) for m in missing)}{where}, "
                "so the program from Build and see was not run with it"
            )
        else:
            checks.append(_check_program(g, places, code))
            program_graph, program_differs, program_calls = _rebuild(g)
    lesson_graph, lesson_differs, lesson_calls = _rebuild(graphs["lesson"])
    return Report(
        problem=None,
        checks=tuple(checks),
        output=output,
        lesson_graph=lesson_graph,
        program_graph=program_graph,
        differs=program_differs if program_graph is not None else lesson_differs,
        program_note=program_note,
        seconds=seconds,
        lesson_differs=lesson_differs,
        program_differs=program_differs,
        lesson_calls=lesson_calls,
        program_calls=program_calls,
        code=code,
    )


def _result(key: str, passed: bool, message: str, line: int | None = None) -> CheckResult:
    return CheckResult(key, TITLES[key], passed, message, line)


TITLES = {
    "lesson": "The lesson's test: x = 2, y = 3, z = x*y + y",
    "overwrite": "`+=`, not `=`: a value used twice gets both gradients",
    "seed": "backward() starts from the output's grad, 1",
    "direction": "backward() goes from the output back to the inputs",
    "topo": "a node fires only after every node that uses it (a topological order)",
    "visited": "every node's `_backward` runs exactly once (a visited set)",
    "prev_op": "`out` records `_prev` and `_op`",
    "backward_set": "each operator sets `out._backward`, with the lesson's rule",
    "closure": "each `_backward` works on its own `out`",
    "program": "your program from Build and see",
}


def _graph_failure(key: str, g: _Graph, places: _Places, code: str) -> CheckResult | None:
    failure = g.failure(places, code)
    if failure is None:
        return None
    line = g.facts.get("error", {}).get("line") if "error" in g.facts else None
    return _result(key, False, f"not checked: {failure}", line)


def _backward_error(g: _Graph, code: str) -> str:
    if "error" in g.facts and g.facts.get("phase") == "backward":
        return f" ({_error_text(g.facts['error'], code)})"
    return ""


def _check_lesson(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("lesson", g, places, code)
    if failed:
        return failed
    wanted = [row for row in g.numbers() if (row[0], row[1]) in (("z", "data"), ("x", "grad"), ("y", "grad"))]
    wrong = [row for row in wanted if not _same(row[2], row[3])]
    if not wrong and "error" not in g.facts:
        return _result("lesson", True, "z.data is 9, x.grad is 3 and y.grad is 3, as the engine's")
    error = g.facts.get("error")
    message = _yours(wrong) if wrong else "the numbers are right"
    return _result("lesson", False, message + _backward_error(g, code), error["line"] if error else None)


def _check_overwrite(graphs: Mapping[str, _Graph], places: _Places, code: str) -> CheckResult:
    for key, graph_text, method in (("add_twice", "(x + x) * x", "__add__"), ("mul_twice", "(x * x) + x", "__mul__")):
        g = graphs[key]
        failed = _graph_failure("overwrite", g, places, code)
        if failed:
            return failed
        wrong = g.wrong(("grad",))
        wrong = [row for row in wrong if row[0] == "x"]
        if wrong:
            line = places.overwrite_line(method)
            if line:
                why = (
                    f"x is used three times (z = {graph_text}), and line {line}, "
                    f"{quote(_line(code, line), CODE_LINE_SHOWN)}, "
                    "keeps only the last use"
                )
            else:
                why = f"x is used three times (z = {graph_text}): its grad must add up every use (`+=`)"
            return _result("overwrite", False, f"{_yours(wrong)}: {why}", line)
    lesson = graphs["lesson"]
    if lesson.failure(places, code) is None:
        wrong = [row for row in lesson.wrong(("grad",)) if row[0] == "y"]
        if wrong:
            line = places.overwrite_line("__mul__") or places.overwrite_line("__add__")
            shown = quote(_line(code, line), CODE_LINE_SHOWN)
            where = f", and line {line}, {shown}, keeps only the last use" if line else ""
            return _result("overwrite", False, f"{_yours(wrong)}: y is used twice{where}", line)
    return _result(
        "overwrite", True, "(x + x) * x and (x * x) + x give x every use's gradient (8 and 7), as the engine's"
    )


def _check_seed(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("seed", g, places, code)
    if failed:
        return failed
    out = next((row for row in g.numbers() if row[0] == "z" and row[1] == "grad"), None)
    if out is None or _same(out[2], 1.0):
        return _result("seed", True, "after z.backward(), z.grad is 1")
    line = places.method_line("backward")
    return _result(
        "seed",
        False,
        f"after z.backward() your z.grad is {_n(out[2])}, the engine's is 1: "
        "backward() must set `self.grad = 1` before it calls the `_backward`s" + _backward_error(g, code),
        line,
    )


def _non_leaf_calls(g: _Graph) -> list[int]:
    return [c["node"] for c in g.facts.get("calls", []) if g.nodes[c["node"]]["prev"]]


def _name(g: _Graph, i: int) -> str:
    return g.nodes[i]["label"] or f"node {i}"


def _check_direction(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("direction", g, places, code)
    if failed:
        return failed
    calls = _non_leaf_calls(g)
    wrong = g.wrong(("grad",))
    line = places.loop_line() or places.method_line("backward")
    if g.facts.get("watched") and calls and calls[0] != g.facts.get("output", 0):
        first = calls[0]
        return _result(
            "direction",
            False,
            f"on z = (x*y)*y your backward() called {quote(_name(g, first))}'s `_backward` before z's, "
            f"while its grad was still 0 ({_yours(wrong)}): go through the order from the output back, "
            "`for node in reversed(topo)`",
            line,
        )
    if g.facts.get("watched") and not calls:
        return _result(
            "direction", False, "your backward() called no `_backward` at all" + _backward_error(g, code), line
        )
    if wrong:
        return _result("direction", False, f"on z = (x*y)*y {_yours(wrong)}" + _backward_error(g, code), line)
    return _result("direction", True, "on z = (x*y)*y the output fires first and every grad is the engine's")


def _check_topo(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("topo", g, places, code)
    if failed:
        return failed
    wrong = g.wrong(("grad",))
    line = places.method_line("backward")
    graph_text = "z = a + c, where c = (a*x)*y and a = x*y"
    calls = _non_leaf_calls(g)
    if g.facts.get("watched"):
        users: dict[int, list[int]] = {}
        for i, node in enumerate(g.nodes):
            for p in node["prev"]:
                users.setdefault(p, []).append(i)
        first_call = {}
        for position, i in enumerate(calls):
            first_call.setdefault(i, position)
        for i in calls:
            early = [u for u in users.get(i, []) if first_call.get(u, math.inf) > first_call[i]]
            if early:
                return _result(
                    "topo",
                    False,
                    f"on {graph_text}, your backward() fired {quote(_name(g, i))} before "
                    f"{quote(_name(g, early[0]))}, which uses it, had added its part to {_name(g, i)}.grad"
                    f"{': ' + _yours(wrong) if wrong else ''}: order the nodes first (build_topo), "
                    "a node after everything it is computed from",
                    line,
                )
    if wrong:
        return _result("topo", False, f"on {graph_text}, {_yours(wrong)}" + _backward_error(g, code), line)
    return _result("topo", True, f"on {graph_text}, every node fired after all its uses; the grads are the engine's")


def _check_visited(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("visited", g, places, code)
    if failed:
        return failed
    wrong = g.wrong(("grad",))
    line = places.topo_line() or places.method_line("backward")
    graph_text = "z = a * b, where b = a + x and a = x*y"
    if g.facts.get("watched"):
        counts = g.facts.get("counts", [])
        for i, count in enumerate(counts):
            if g.nodes[i]["prev"] and count != 1:
                times = "never" if count == 0 else f"{count} times"
                return _result(
                    "visited",
                    False,
                    f"on {graph_text}, your backward() called {quote(_name(g, i))}'s `_backward` {times} "
                    f"(it must run exactly once){': ' + _yours(wrong) if wrong else ''}"
                    + (": keep a visited set, so a node reached twice goes into the order once" if count > 1 else ""),
                    line,
                )
    if wrong:
        return _result("visited", False, f"on {graph_text}, {_yours(wrong)}" + _backward_error(g, code), line)
    return _result("visited", True, f"on {graph_text}, each `_backward` ran once (a is reached twice)")


def _probe_failure(key: str, probes: Mapping[str, Any], places: _Places, code: str) -> CheckResult | None:
    for symbol in PROBES:
        facts = probes.get(symbol, {})
        method = METHOD_OF[symbol]
        if facts.get("missing"):
            return _result(key, False, f"your Value has no {quote(method)}", None)
        if "not_value" in facts:
            line = places.method_line(method)
            kind = "None" if facts["not_value"] == "NoneType" else f"a {facts['not_value']}"
            return _result(
                key, False, f"your `a {symbol} b` gave {kind}, not a Value: {method} must `return out`", line
            )
        if "error" in facts:
            return _result(key, False, f"not checked: {_error_text(facts['error'], code)}", facts["error"]["line"])
    return None


def _check_prev_op(probes: Mapping[str, Any], places: _Places, code: str) -> CheckResult:
    failed = _probe_failure("prev_op", probes, places, code)
    if failed:
        return failed
    for symbol in PROBES:
        facts = probes[symbol]
        method = METHOD_OF[symbol]
        line = places.out_line(method) or places.method_line(method)
        has_a, has_b = facts["prev_has"]
        if not (has_a and has_b):
            holds = "a" if has_a else "b" if has_b else "neither a nor b"
            holds = f"only {holds}" if has_a or has_b else holds
            return _result(
                "prev_op",
                False,
                f"your `c = a {symbol} b` has c._prev with {holds} (the engine's has a and b): "
                f"pass `(self, other)` to `Value(...)` in {quote(method)}",
                line,
            )
        if facts["op"] != symbol:
            got = "not text" if facts["op"] is None else repr(facts["op"])
            return _result(
                "prev_op",
                False,
                f"your `c = a {symbol} b` has c._op {got}, the engine's is {symbol!r}: "
                f"pass {symbol!r} to `Value(...)` in {quote(method)}",
                line,
            )
    return _result("prev_op", True, "a + b and a * b keep (a, b) in `_prev` and '+' or '*' in `_op`")


def _check_backward_set(probes: Mapping[str, Any], places: _Places, code: str) -> CheckResult:
    failed = _probe_failure("backward_set", probes, places, code)
    if failed:
        return failed
    for symbol, expected in (("+", (2.0, 2.0)), ("*", (6.0, 4.0))):
        facts = probes[symbol]
        method = METHOD_OF[symbol]
        a1, b1 = facts["grads"][0], facts["grads"][1]
        if a1 == 0 and b1 == 0 and not any(facts["inputs_rule_replaced"]):
            line = places.method_line(method)
            return _result(
                "backward_set",
                False,
                f"calling c._backward() for `c = a {symbol} b` (c.grad 2) changed no grad: "
                f"`out._backward = _backward` is missing in {quote(method)}",
                line,
            )
        if not (_same(a1, expected[0]) and _same(b1, expected[1])) and not any(facts["inputs_rule_replaced"]):
            line = places.rule_line(method) or places.method_line(method)
            return _result(
                "backward_set",
                False,
                f"calling c._backward() for `c = a {symbol} b` with a = 2, b = 3, c.grad 2: your a.grad is {_n(a1)} "
                f"and b.grad {_n(b1)}, the engine's are {_n(expected[0])} and {_n(expected[1])}",
                line,
            )
    return _result("backward_set", True, "c._backward() of a + b and a * b add the lesson's amounts to a and b")


def _check_closure(probes: Mapping[str, Any], places: _Places, code: str) -> CheckResult:
    failed = _probe_failure("closure", probes, places, code)
    if failed:
        return failed
    for symbol in PROBES:
        facts = probes[symbol]
        method = METHOD_OF[symbol]
        if any(facts["inputs_rule_replaced"]):
            line = places.self_backward_line(method) or places.method_line(method)
            return _result(
                "closure",
                False,
                f"your {quote(method)} changes the `_backward` of its input (`self._backward = ...`): "
                "the rule belongs to the new node, `out._backward = _backward`",
                line,
            )
        a2, b2, c2 = facts["grads"][3], facts["grads"][4], facts["grads"][5]
        c1 = facts["grads"][2]
        if not (a2 == 0 and b2 == 0 and c2 == 10 and c1 == 2):
            line = places.rule_line(method) or places.method_line(method)
            return _result(
                "closure",
                False,
                f"with two nodes c1 = a1 {symbol} b1 and c2 = a2 {symbol} b2, calling c1._backward() changed "
                "another node's grad: your `_backward` uses the wrong `out` (define it inside "
                f"{quote(method)}, after `out = ...`)",
                line,
            )
    return _result("closure", True, "each node's `_backward` changes only its own inputs' grads")


def _check_program(g: _Graph, places: _Places, code: str) -> CheckResult:
    failed = _graph_failure("program", g, places, code)
    if failed:
        return failed
    wrong = g.wrong()
    if wrong or "error" in g.facts:
        line = g.facts["error"]["line"] if "error" in g.facts else None
        return _result("program", False, (_yours(wrong) or "") + _backward_error(g, code), line)
    return _result("program", True, "every node's data and grad are the engine's")


# -- the learner's graph, as engine Values ------------------------------------------------------------


def _rebuild(g: _Graph) -> tuple[Graph | None, frozenset[int], tuple[Call, ...]]:
    nodes = g.nodes
    if not nodes or ("error" in g.facts and g.facts.get("phase") != "backward"):
        return None, frozenset(), ()
    exponents = {s.label: s.number for s in g.program._steps if s.op == "**"}
    rebuilt: list[Value | None] = [None] * len(nodes)
    # children before parents: the child lists nodes output first, found from the output
    for i in reversed(range(len(nodes))):
        _build_node(i, nodes, rebuilt, exponents)
    values = [v for v in rebuilt if v is not None]
    graph = graph_of(rebuilt[g.facts.get("output", 0)])
    index = {id(v): graph.index_of(v) for v in values}
    differs = set()
    for i, node in enumerate(nodes):
        truth = g.engine.get(node["label"]) if node["label"] else None
        if truth is not None and not (_same(node["data"], truth.data) and _same(node["grad"], truth.grad)):
            differs.add(index[id(rebuilt[i])])
    calls = tuple(
        Call(
            node=index[id(rebuilt[c["node"]])],
            grad=_float(c["grad"]),
            inputs=tuple(index[id(rebuilt[p])] for p in nodes[c["node"]]["prev"]),
            before=tuple(_float(x) for x in c["before"]),
            after=tuple(_float(x) for x in c["after"]),
        )
        for c in g.facts.get("calls", [])
        if len(c["before"]) == len(nodes[c["node"]]["prev"]) == len(c["after"])
    )
    return graph, frozenset(differs), calls


def _build_node(i: int, nodes: list[dict[str, Any]], rebuilt: list[Value | None], exponents: dict) -> Value:
    """Node i as an engine Value, its children first (iteratively: a learner's graph may be deep)."""
    stack = [i]
    while stack:
        j = stack[-1]
        if rebuilt[j] is not None:
            stack.pop()
            continue
        pending = [p for p in nodes[j]["prev"] if rebuilt[p] is None and p not in stack]
        if pending:
            stack.extend(pending)
            continue
        node = nodes[j]
        children = tuple(rebuilt[p] for p in nodes[j]["prev"] if rebuilt[p] is not None)
        value = Value(_float(node["data"]), children, node["op"], node["label"])
        value.grad = _float(node["grad"])
        if node["label"] in exponents:
            value._exponent = exponents[node["label"]]
        rebuilt[j] = value
        stack.pop()
    return rebuilt[i]


def _float(x: Any) -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else math.nan


# -- problems in the learner's words ------------------------------------------------------------------


def _line(code: str, line: int | None) -> str:
    lines = lines_of(code)  # as Python's parser counts them
    if line is None or not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()


def _at(code: str, line: int | None) -> str:
    if line is None:
        return ""
    text = _line(code, line)
    return f"line {line}, {quote(text, CODE_LINE_SHOWN)}: " if text else f"line {line}: "


def _refused(code: Any, e: ExpressionError) -> Report:
    text = code if isinstance(code, str) else ""
    line = e.line
    message = f"{_at(text, line)}{e.message}" if line else e.message
    problem = Problem(message, line, _line(text, line) or None)
    return Report(problem, (), "", None, None, frozenset(), None, 0.0, code=text)


ERROR_WORDS = {
    "TimeUp": "your code ran too long (1.5 s of CPU time, or 4 s in all) and was stopped here: an endless loop?",
    "MemoryError": "your code needed more than 256 MB of memory here and was stopped",
    "RecursionError": "too many calls inside each other here (more than about 1,000): "
    "a function that calls itself without end?",
    "SystemExit": "this stops Python: nothing to stop here (your code is run, then checked)",
    "KeyboardInterrupt": "this stops Python: nothing to stop here",
}


def _error_text(error: Mapping[str, Any], code: str) -> str:
    kind = str(error.get("kind", "Error"))
    message = str(error.get("message", ""))
    line = error.get("line")
    if kind in ERROR_WORDS:
        words = ERROR_WORDS[kind]
    elif kind == "NameError":
        words = f"NameError: {message} (only a small set of Python's built-in names is available here)"
    elif kind == "TypeError" and "str" in message:
        words = f"TypeError: {message} (is `data` text? `Value(2.0)` keeps the number: `self.data = data`)"
    else:
        words = f"{kind}: {message}" if message else kind
    return f"{_at(code, line)}{words}"


def _problem(error: Mapping[str, Any], code: str) -> Problem:
    line = error.get("line") if isinstance(error.get("line"), int) else None
    if error.get("kind") == "NoValue":
        return Problem("your code has no class named `Value`: the checks build `Value(2.0)`", None, None)
    return Problem(_error_text(error, code), line, _line(code, line) or None)


def _failed_run(e: runner.RunFailed) -> Problem:
    if e.reason == "timeout":
        message = f"your code ran longer than {runner.WALL_SECONDS:g} s and was stopped (an endless loop?)"
    elif e.reason == "too_much_output":
        message = "your code printed too much and was stopped"
    elif e.reason == "crashed" and "SIGXCPU" in e.detail:
        message = "your code used more than 2 s of CPU and was stopped (an endless loop?)"
    else:
        message = f"your code could not be run to the end ({e.reason}: {e.detail})"
    return Problem(message, None, None)


# -- where things are in the learner's code -------------------------------------------------------------


class _Places:
    """Lines in the learner's code, for messages: their methods, the line with `self.grad = ...`, ..."""

    def __init__(self, tree: ast.Module):
        self.methods: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Value":
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        self.methods[item.name] = item

    def method_line(self, name: str) -> int | None:
        method = self.methods.get(name)
        return method.lineno if method else None

    def _walk(self, name: str) -> list[ast.AST]:
        method = self.methods.get(name)
        return list(ast.walk(method)) if method else []

    def overwrite_line(self, method: str) -> int | None:
        """The first `x.grad = ...` (not `+=`, not `x.grad = x.grad + ...`) in the method's `_backward`."""
        for node in self._walk(method):
            if isinstance(node, ast.Assign) and any(_is_grad(t) for t in node.targets):
                target = next(t for t in node.targets if _is_grad(t))
                adds_itself = any(ast.dump(part) == ast.dump(target) for part in ast.walk(node.value))
                if not adds_itself:
                    return node.lineno
        return None

    def rule_line(self, method: str) -> int | None:
        """The first line that changes a `.grad` in the method."""
        for node in self._walk(method):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_is_grad(t) for t in targets):
                    return node.lineno
        return None

    def out_line(self, method: str) -> int | None:
        """The line that makes `out`: the first `Value(...)` call in the method."""
        for node in self._walk(method):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value":
                return node.lineno
        return None

    def self_backward_line(self, method: str) -> int | None:
        for node in self._walk(method):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "_backward"
                        and isinstance(t.value, ast.Name)
                        and t.value.id in ("self", "other")
                    ):
                        return node.lineno
        return None

    def loop_line(self) -> int | None:
        """The loop in backward() that calls `_backward`."""
        for node in self._walk("backward"):
            if isinstance(node, ast.For) and any(
                isinstance(part, ast.Attribute) and part.attr == "_backward" for part in ast.walk(node)
            ):
                return node.lineno
        return None

    def topo_line(self) -> int | None:
        """The function inside backward() that builds the order (build_topo), if there is one."""
        for node in self._walk("backward"):
            if isinstance(node, ast.FunctionDef) and node is not self.methods.get("backward"):
                return node.lineno
        return None


def _is_grad(target: ast.AST) -> bool:
    return isinstance(target, ast.Attribute) and target.attr == "grad"
