"""What the dashboard shows, step by step, taken from the engine's own code.

- `Graph`: the nodes in topological order (the order `backward()` uses) and every edge.
- `forward_steps`: the forward pass, one node at a time.
- `backward_steps`: the backward pass, one `_backward` call at a time, with what each call
  sent along each edge. It calls the same `topological_order()` and `_backward()` that
  `Value.backward()` calls; the bug lab's mistakes are small switches on that loop.
- `finite_difference`: the gradient estimated by nudging each input, for checking.

`backward_steps(graph, rules=...)` runs the same loop with some operators' rules swapped for
this one run (the learner's own rules): the engine's shared BACKWARD_RULES is never changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from engine import operators
from engine.value import BACKWARD_RULES, Value


@dataclass(frozen=True)
class Edge:
    """`parent` is the `slot`-th input of `child` (indices into Graph.nodes)."""

    parent: int
    child: int
    slot: int


@dataclass(frozen=True)
class Graph:
    """The nodes an output depends on, inputs first and the output last."""

    output: Value
    nodes: tuple[Value, ...]
    names: tuple[str, ...]  # a unique name per node: its label, or n<index> if it has none
    edges: tuple[Edge, ...]  # in the order the children list their inputs
    inputs: tuple[tuple[int, ...], ...]  # inputs[i]: indices of node i's _prev, in order
    uses: tuple[int, ...]  # uses[i]: how many edges leave node i
    _index: dict[int, int] = field(repr=False, compare=False)

    def index_of(self, node: Value) -> int:
        return self._index[id(node)]

    def __len__(self) -> int:
        return len(self.nodes)

    def is_leaf(self, i: int) -> bool:
        return not self.nodes[i]._prev


def graph_of(output: Value) -> Graph:
    nodes = tuple(output.topological_order())
    index = {id(node): i for i, node in enumerate(nodes)}
    names: list[str] = []
    taken = {node.label for node in nodes if node.label}
    seen: set[str] = set()
    for i, node in enumerate(nodes):
        name = node.label
        if not name or name in seen:
            name = f"n{i}"
            while name in taken or name in seen:
                name += "'"
        seen.add(name)
        names.append(name)
    edges: list[Edge] = []
    inputs: list[tuple[int, ...]] = []
    uses = [0] * len(nodes)
    for i, node in enumerate(nodes):
        parents = tuple(index[id(p)] for p in node._prev)
        inputs.append(parents)
        for slot, p in enumerate(parents):
            edges.append(Edge(p, i, slot))
            uses[p] += 1
    return Graph(output, nodes, tuple(names), tuple(edges), tuple(inputs), tuple(uses), index)


# -- forward ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForwardStep:
    number: int  # 1-based position in the forward pass
    node: int
    data: float


def forward_steps(graph: Graph) -> list[ForwardStep]:
    """The forward pass in topological order: each node after the nodes it is computed from."""
    return [ForwardStep(i + 1, i, node.data) for i, node in enumerate(graph.nodes)]


# -- backward --------------------------------------------------------------------------


class Mistake(Enum):
    """The common mistakes of the lesson, each a switch on the backward loop below."""

    OVERWRITE = "overwrite"  # `grad = ...` instead of `grad += ...`
    WRONG_ORDER = "wrong_order"  # no topological sort: nodes fire as they are found from the output
    NO_SEED = "no_seed"  # the output's grad is left at 0 instead of 1
    TWICE = "twice"  # backward() called twice without zeroing the grads in between


@dataclass(frozen=True)
class EdgeFlow:
    """What one `_backward` call sent along one edge: child.grad times the local derivative."""

    parent: int
    child: int
    slot: int
    local: float  # d child / d parent, from the operator's rule with child.grad = 1
    incoming: float  # child.grad when its _backward fired
    contribution: float  # what the rule added to parent.grad


@dataclass(frozen=True)
class BackwardStep:
    number: int  # 0: the output's grad is seeded; then one `_backward` call per step
    node: int  # the node whose _backward fired (the output, for step 0)
    flows: tuple[EdgeFlow, ...]
    changed: dict[int, float]  # node index -> its grad right after this step
    pass_number: int = 1  # 2 for the second backward() of Mistake.TWICE
    failed: str | None = None  # a swapped-in rule could not be computed here (why); its inputs got NaN


Rule = Callable[[Value], None]  # a backward rule: called with `out`, it adds to the grads of out's inputs


def _rule_of(node: Value, rules: Mapping[str, Rule] | None) -> Rule:
    """The rule that fires for `node`: a swapped-in one for its operator, else the engine's own."""
    if rules and node._op in rules:
        return rules[node._op]
    return BACKWARD_RULES[node._op]


def rule_flows(node: Value, incoming: float, rules: Mapping[str, Rule] | None = None) -> list[float]:
    """What `node`'s backward rule adds to each input, edge by edge.

    Runs the operator's real rule (or the one swapped in by `rules`) on stand-ins for the inputs
    (same data, grad 0), so that `a + a` or `a * a` shows its two edges separately instead of one
    summed change.
    """
    stand_ins = tuple(Value(p.data) for p in node._prev)
    out = Value(node.data, stand_ins, node._op)
    out._exponent = node._exponent
    out.grad = incoming
    _rule_of(node, rules)(out)
    return [s.grad for s in stand_ins]


def _breadth_first_order(graph: Graph) -> list[int]:
    """The order a backward pass without topological sort visits nodes: from the output, level by level."""
    order = [len(graph) - 1]
    seen = set(order)
    for i in order:
        for p in graph.inputs[i]:
            if p not in seen:
                seen.add(p)
                order.append(p)
    return order


def backward_steps(
    graph: Graph, mistake: Mistake | None = None, rules: Mapping[str, Rule] | None = None
) -> list[BackwardStep]:
    """Run backpropagation on the graph's nodes, recording every `_backward` call.

    Without a mistake this is `Value.backward()` (after zeroing the grads) with a record of
    each step. It leaves the grads in the nodes, as `backward()` does.

    `rules` swaps some operators' rules for this run only (operator -> rule, like the learner's
    own). A swapped-in rule that cannot be computed at a node (it divides by zero, overflows)
    does not stop the pass: that step records why in `failed`, and its inputs get NaN.
    """
    graph.output.zero_grad()
    steps: list[BackwardStep] = []
    passes = 2 if mistake is Mistake.TWICE else 1
    for pass_number in range(1, passes + 1):
        if mistake is Mistake.WRONG_ORDER:
            order = _breadth_first_order(graph)
        else:
            order = list(reversed(range(len(graph))))  # reversed topological order
        output = graph.output
        if mistake is not Mistake.NO_SEED:
            output.grad = 1.0  # d output / d output = 1
        steps.append(BackwardStep(len(steps), len(graph) - 1, (), {len(graph) - 1: output.grad}, pass_number))
        for i in order:
            node = graph.nodes[i]
            if not node._prev:
                continue  # a leaf's _backward does nothing: not a step
            incoming = node.grad
            swapped = bool(rules) and node._op in rules
            failed = None
            try:
                locals_ = rule_flows(node, 1.0, rules)
                contributions = rule_flows(node, incoming, rules)
                if swapped and mistake is not Mistake.OVERWRITE:
                    rules[node._op](node)  # the swapped-in rule, for this run only
            except (ArithmeticError, ValueError) as e:
                if not swapped:
                    raise  # the engine's own rule: the caller says why (e.g. x**0.5 at 0)
                failed = str(e)
                locals_ = contributions = [math.nan] * len(node._prev)
                for parent in node._prev:
                    parent.grad = math.nan
            if failed is None and mistake is Mistake.OVERWRITE:
                for parent, contribution in zip(node._prev, contributions, strict=True):
                    parent.grad = contribution  # the mistake: = instead of +=
            elif failed is None and not swapped:
                node._backward()  # the real rule, as backward() calls it
            flows = tuple(
                EdgeFlow(p, i, slot, local, incoming, contribution)
                for slot, (p, local, contribution) in enumerate(
                    zip(graph.inputs[i], locals_, contributions, strict=True)
                )
            )
            changed = {p: graph.nodes[p].grad for p in graph.inputs[i]}
            steps.append(BackwardStep(len(steps), i, flows, changed, pass_number, failed))
    return steps


def grads_at(graph: Graph, steps: list[BackwardStep], step: int) -> list[float]:
    """Every node's grad right after `step` (0 = just seeded). Before step 0 all are 0."""
    grads = [0.0] * len(graph)
    for s in steps[: step + 1]:
        for i, g in s.changed.items():
            grads[i] = g
    return grads


def gradient_sources(graph: Graph, steps: list[BackwardStep]) -> dict[int, list[EdgeFlow]]:
    """For each node, the flows that made its gradient: one per use of the node."""
    sources: dict[int, list[EdgeFlow]] = {i: [] for i in range(len(graph))}
    for s in steps:
        for flow in s.flows:
            sources[flow.parent].append(flow)
    return sources


# -- recomputing the forward pass, for finite differences --------------------------------

# Each operator's forward method on Value (`Value.__mul__`, `Value.tanh`), named by its record.
_FORWARD: dict[str, Callable[..., Value]] = operators.table(lambda record: getattr(Value, record.method))


def evaluate(graph: Graph, data: Mapping[int, float]) -> float:
    """The output's value with some nodes set to other numbers (by node index).

    A leaf or a computed node can be set (nudging a computed node gives d output / d node).
    Rebuilds the graph with the engine's own operators, so it is the same forward pass.
    Raises what the operators raise (ZeroDivisionError, ValueError, OverflowError).
    """
    rebuilt: list[Value] = []
    for i, node in enumerate(graph.nodes):
        if i in data or not node._prev:
            rebuilt.append(Value(data.get(i, node.data)))
        elif node._op == "**":
            rebuilt.append(rebuilt[graph.inputs[i][0]] ** node._exponent)
        else:
            rebuilt.append(_FORWARD[node._op](*(rebuilt[p] for p in graph.inputs[i])))
    return rebuilt[-1].data


def finite_difference(graph: Graph, nodes: Iterable[int], h: float = 1e-6) -> dict[int, float]:
    """Central difference (f(x + h) - f(x - h)) / 2h of the output for each node (leaf or not).

    A node where the output cannot be computed at x ± h gets NaN.
    """
    estimates: dict[int, float] = {}
    for i in nodes:
        x = graph.nodes[i].data
        step = h * max(1.0, abs(x))
        try:
            up = evaluate(graph, {i: x + step})
            down = evaluate(graph, {i: x - step})
            estimates[i] = (up - down) / (2 * step)
        except (ArithmeticError, ValueError):
            estimates[i] = math.nan
    return estimates
