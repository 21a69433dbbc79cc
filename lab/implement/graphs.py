"""The learner's objects on a whole program (the lesson's example, the program from Build and see), beside the
engine's numbers for the same program; and rebuilt as engine `Value`s (same data, grad, _op, labels and
edges), so lab/model's diagram and table draw them unchanged: a picture of their objects. Do not call
backward() on it (their `_op` may be anything)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.parser import Program, parse_program
from engine.trace import BackwardStep, EdgeFlow, Graph, graph_of
from engine.value import Value
from lab.implement.results import Call, Report

TOLERANCE = 1e-9  # relative (and absolute, near 0) difference that still counts as the engine's number

Row = tuple[str, str, "float | None", float, str]  # (label, "data"/"grad", the learner's number, the engine's, kind)


def same(mine: float | None, engine: float) -> bool:
    if mine is None or not math.isfinite(mine):
        return mine is not None and mine == engine
    return abs(mine - engine) <= TOLERANCE * max(1.0, abs(engine))


def steps_of(program: Program) -> list[list[Any]]:
    """The program as operations on earlier steps: [op, [operand steps], number, label]."""
    numbers = program.variables
    return [[s.op, list(s.args), numbers[s.label] if s.op == "variable" else s.number, s.label] for s in program._steps]


def engine_nodes(program: Program) -> dict[str, Value]:
    """Label -> the engine's node, after the engine's backward(): the numbers the learner's are checked against."""
    built = program.build()
    built.output.backward()
    return {node.label: node for node in built.output.topological_order()}


@functools.cache
def parsed(text: str) -> Program:
    """A program of the checks' own, read once per server process."""
    return parse_program(text)


@functools.cache
def _engine_nodes_of(text: str) -> dict[str, Value]:
    return engine_nodes(parsed(text))


@dataclass
class LearnerGraph:
    """One program as the learner's class built it (the child's facts), beside the engine's numbers."""

    key: str
    program: Program
    facts: dict[str, Any]
    text: str | None = None  # the program's text when it is one of the checks' own (its engine numbers are cached)
    engine: dict[str, Value] = field(default_factory=dict)  # label -> engine node, after backward()

    def __post_init__(self) -> None:
        self.engine = _engine_nodes_of(self.text) if self.text is not None else engine_nodes(self.program)

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return self.facts.get("nodes", [])

    def numbers(self) -> list[Row]:
        """(label, "data"/"grad", the learner's number, the engine's, kind) for every node of the program."""
        rows = []
        for node in self.nodes:
            truth = self.engine.get(node["label"]) if node["label"] else None
            if truth is None:
                continue
            rows.append((node["label"], "data", node["data"], truth.data, node["data_kind"]))
            rows.append((node["label"], "grad", node["grad"], truth.grad, node["grad_kind"]))
        return rows

    def wrong(self, fields: Sequence[str] = ("data", "grad")) -> list[Row]:
        return [row for row in self.numbers() if row[1] in fields and not same(row[2], row[3])]


def rebuild(g: LearnerGraph) -> tuple[Graph | None, frozenset[int], tuple[Call, ...]]:
    """The learner's graph as engine Values, the nodes off the engine's numbers, and their `_backward` calls."""
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
        if truth is not None and not (same(node["data"], truth.data) and same(node["grad"], truth.grad)):
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
