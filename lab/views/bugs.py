"""The bug lab: run one of the lesson's common mistakes beside the correct engine.

The mistakes are switches on the engine's own backward loop (`engine.trace.backward_steps`
with a `Mistake`); this module only compares the gradients, words what went wrong with the
actual numbers, and shows the buggy line of code beside the right one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from engine.errors import ExpressionError
from engine.trace import BackwardStep, Mistake, backward_steps, grads_at
from engine.value import Value
from lab.model import mistakes
from lab.model.analysis import VARIABLE, Analysis, analyse, differs, format_number, gradient_scale
from lab.model.presets import PRESETS
from lab.model.source import backward_source, source_of

n = format_number


@dataclass(frozen=True)
class BugReport:
    """The same graph backpropagated correctly and with one mistake, node by node."""

    analysis: Analysis
    mistake: Mistake
    correct: tuple[float, ...]  # each node's grad from the correct engine
    buggy: tuple[float, ...]  # each node's grad with the mistake
    wrong: tuple[int, ...]  # nodes whose grad differs
    steps: list[BackwardStep]  # the backward pass with the mistake, step by step

    @property
    def changes_nothing(self) -> bool:
        return not self.wrong


def compare_mistake(a: Analysis, mistake: Mistake) -> BugReport:
    """Backpropagate `a`'s graph with `mistake`, beside the correct gradients.

    The engine's buggy pass leaves its grads in the nodes; they are put back to the correct
    ones afterwards, because every other page reads node.grad from the same graph.
    """
    nodes = a.graph.nodes
    correct = tuple(grads_at(a.graph, a.steps, len(a.steps) - 1))
    try:
        steps = backward_steps(a.graph, mistake)
        buggy = tuple(node.grad for node in nodes)
    finally:
        for node, grad in zip(nodes, correct, strict=True):
            node.grad = grad
    scale = gradient_scale(correct)
    wrong = tuple(i for i in range(len(nodes)) if differs(correct[i], buggy[i], scale))
    return BugReport(a, mistake, correct, buggy, wrong, steps)


# -- what went wrong, in words ----------------------------------------------------------------


def _became(r: BugReport, i: int) -> str:
    return f"{r.analysis.names[i]}.grad becomes {n(r.buggy[i])} instead of {n(r.correct[i])}"


def _short(r: BugReport, i: int) -> str:
    return f"{r.analysis.names[i]}.grad ({n(r.buggy[i])} instead of {n(r.correct[i])})"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _some(items: Sequence[str], most: int = 3) -> str:
    """`a, b and c`, or `a, b, c and 4 more`."""
    items = list(items)
    if len(items) > most:
        return ", ".join(items[:most]) + f" and {len(items) - most} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def overwritten_nodes(r: BugReport) -> list[int]:
    """Nodes where a later use's `=` threw away gradient an earlier use had sent (and the result is wrong)."""
    received: dict[int, int] = {}
    found: list[int] = []
    wrong = set(r.wrong)
    for step in r.steps:
        for flow in step.flows:
            received[flow.parent] = received.get(flow.parent, 0) + 1
            if received[flow.parent] == 2 and flow.parent in wrong:
                found.append(flow.parent)
    return found


@dataclass(frozen=True)
class EarlyFiring:
    """A node whose `_backward` ran before all of its gradient had arrived (Mistake.WRONG_ORDER)."""

    node: int
    step: int  # the step at which it fired
    grad_then: float  # its grad when it fired
    late_from: tuple[int, ...]  # the nodes that sent it gradient after it had fired


def early_firings(r: BugReport) -> list[EarlyFiring]:
    fired: dict[int, tuple[int, float]] = {}
    late: dict[int, list[int]] = {}
    for step in r.steps:
        for flow in step.flows:
            if flow.parent in fired and flow.child not in late.setdefault(flow.parent, []):
                late[flow.parent].append(flow.child)
        if step.flows and step.node not in fired:
            fired[step.node] = (step.number, step.flows[0].incoming)
    return [
        EarlyFiring(i, fired[i][0], fired[i][1], tuple(late[i]))
        for i in sorted(fired, key=lambda i: fired[i][0])
        if late.get(i)
    ]


def _overwrite_sentence(r: BugReport) -> str:
    a = r.analysis
    roots = overwritten_nodes(r)
    if not roots:
        return f"{_some([_became(r, i) for i in r.wrong])}, because a gradient was overwritten (=, not +=)."
    first = roots[0]
    uses = a.graph.uses[first]
    which = "the second use overwrote the first" if uses == 2 else "each later use overwrote the ones before"
    sentence = (
        f"{_became(r, first)}, because {a.names[first]} is used {_times(uses)} and {which} (=, not +=): "
        f"only the gradient from the last use to fire is kept."
    )
    others = roots[1:]
    if others:
        sentence += f" The same happens to {_some([_short(r, i) for i in others])}."
    root_set = set(roots)
    rest = [i for i in r.wrong if i not in root_set]
    if rest:
        sentence += (
            f" The wrong gradients are then passed on to the nodes they were computed from: "
            f"{_some([_short(r, i) for i in rest])}."
        )
    return sentence


def _wrong_order_sentence(r: BugReport) -> str:
    a = r.analysis
    early = early_firings(r)
    wrong = list(r.wrong)
    if not early:
        return f"{_some([_became(r, i) for i in wrong])}, because nodes fired in the wrong order."
    first = early[0]
    name = a.names[first.node]
    late = _some([a.names[c] for c in first.late_from])
    right = n(r.correct[first.node])
    sentence = (
        f"Without a topological order, {name} fired its _backward when {name}.grad was only {n(first.grad_then)} "
        f"(it should be {right}): the gradient from its use in {late} arrived after it had already sent its "
        f"gradient on, and that late part never reaches the nodes {name} was computed from."
    )
    consequences = [i for i in wrong if i != first.node]
    if consequences:
        sentence += f" So {_some([_became(r, i) for i in consequences])}."
    if len(early) > 1:
        sentence += f" {_some([a.names[e.node] for e in early[1:]])} also fired too early."
    return sentence


def _no_seed_sentence(r: BugReport) -> str:
    a = r.analysis
    out = a.names[a.output]
    # the variables first: their gradients are the ones the learner worked out by hand
    others = sorted((i for i in r.wrong if i != a.output), key=lambda i: a.kinds[i] != VARIABLE)
    sentence = (
        f"Every gradient stays 0, because {out}.grad was never set to 1: the backward pass starts from "
        f"{out}.grad = 0, and every rule multiplies by the gradient it receives, so only 0 flows."
    )
    if others:
        shown = _some([f"{a.names[i]}.grad should be {n(r.correct[i])}" for i in others])
        sentence += f" ({shown}.)"
    return sentence


def _twice_sentence(r: BugReport) -> str:
    a = r.analysis
    leaves = sorted((i for i in r.wrong if a.graph.is_leaf(i)), key=lambda i: a.kinds[i] != VARIABLE)
    inner = [i for i in r.wrong if not a.graph.is_leaf(i)]
    out = a.names[a.output]
    sentence = "backward() ran twice without zeroing the grads in between, so the second pass added onto the first"
    if leaves:
        sentence += f": {_some([_became(r, i) for i in leaves])}"
    if inner:
        sentence += (
            f". Nodes in between collect twice too ({_some([_became(r, i) for i in inner], 2)}) and send that "
            f"doubled gradient on in the second pass"
        )
        more = [i for i in leaves if abs(r.buggy[i]) > 2 * abs(r.correct[i]) * (1 + 1e-9)]
        if more:
            sentence += ", so some gradients grow to more than double"
    sentence += f". Only {out}.grad stays right: the seed sets it to 1 again (=, not +=)."
    return sentence


def explain_mistake(r: BugReport) -> str:
    """One sentence with the actual numbers: which gradients go wrong and why (or that none does)."""
    if r.changes_nothing:
        why = mistakes.BY_SWITCH[r.mistake].hides
        if r.mistake is Mistake.OVERWRITE and any(uses > 1 for uses in r.analysis.graph.uses):
            why = "the gradient that `=` throws away happens to be 0 for every node used more than once"
        return f"This mistake changes nothing for this expression: {why}."
    return {
        Mistake.OVERWRITE: _overwrite_sentence,
        Mistake.WRONG_ORDER: _wrong_order_sentence,
        Mistake.NO_SEED: _no_seed_sentence,
        Mistake.TWICE: _twice_sentence,
    }[r.mistake](r)


def notes(r: BugReport) -> dict[int, str]:
    """A line under each marked node of the diagram: what its grad should be, or that it fired too early."""
    result = {i: f"should be {n(r.correct[i])}" for i in r.wrong}
    if r.mistake is Mistake.WRONG_ORDER:
        for e in early_firings(r):
            early = f"fired too early (at {n(e.grad_then)})"
            result[e.node] = f"{result[e.node]}, {early}" if e.node in result else early
    return result


# The column says what a mark means and every mark says it in a word too: a bare ✓ under "wrong?" read
# "yes, wrong", and a colour or symbol alone is lost on a washed-out projector.
MATCH_COLUMN = "matches the correct grad?"
WRONG, RIGHT = "✘ differs", "✓ matches"


def bug_table(r: BugReport) -> pd.DataFrame:
    """node, formula, correct grad, grad with the mistake, and whether that matches the correct grad."""
    a = r.analysis
    rows = []
    wrong = set(r.wrong)
    for i in range(len(a.graph)):
        rows.append(
            {
                "node": a.names[i],
                "formula": a.formulas[i],
                "correct grad": r.correct[i],
                "with the mistake": r.buggy[i],
                MATCH_COLUMN: WRONG if i in wrong else RIGHT,
            }
        )
    return pd.DataFrame(rows, columns=["node", "formula", "correct grad", "with the mistake", MATCH_COLUMN])


# -- the buggy line of code beside the right one --------------------------------------------

_BREADTH_FIRST = """def backward(self) -> None:
    self.grad = 1.0
    queue = [self]  # no topological sort: nodes in the order they are found from the output
    for node in queue:
        node._backward()
        for child in node._prev:
            if child not in queue:
                queue.append(child)"""


def _overwriting_op(r: BugReport) -> str:
    """The operator whose rule did the overwriting (for showing its code), `*` if none."""
    roots = set(overwritten_nodes(r))
    seen: set[int] = set()
    for step in r.steps:
        for flow in step.flows:
            if flow.parent in roots and flow.parent in seen:
                return r.analysis.graph.nodes[flow.child]._op
            seen.add(flow.parent)
    return "*"


def code_pair(r: BugReport) -> tuple[str, str]:
    """(the code with the mistake, the engine's right code), as Python text."""
    backward = source_of(Value.backward)
    out = r.analysis.names[r.analysis.output]
    if r.mistake is Mistake.OVERWRITE:
        right = backward_source(_overwriting_op(r))
        return right.replace(".grad += ", ".grad = "), right
    if r.mistake is Mistake.WRONG_ORDER:
        return _BREADTH_FIRST, backward
    if r.mistake is Mistake.NO_SEED:
        lines = [
            line.replace("self.grad = 1.0", "# (missing: self.grad = 1.0)") if "self.grad = 1.0" in line else line
            for line in backward.splitlines()
        ]
        return "\n".join(lines), backward
    return (
        f"{out}.backward()\n{out}.backward()  # the grads of the first call are still there",
        f"{out}.backward()\n{out}.zero_grad()  # every grad back to 0\n{out}.backward()",
    )


# -- where a mistake does show -----------------------------------------------------------------


def _presets() -> dict[str, tuple[str, str]]:
    return {name: (p.title, p.program) for name, p in PRESETS.items()}


@lru_cache(maxsize=64)
def _shows(program: str, mistake: Mistake) -> bool:
    try:
        return not compare_mistake(analyse(program), mistake).changes_nothing
    except (ExpressionError, ArithmeticError, ValueError):
        return False


def suggest_preset(mistake: Mistake, current_program: str = "") -> tuple[str, str, str] | None:
    """(name, title, program) of a preset where `mistake` does change some gradient, or None."""
    for name, (title, program) in _presets().items():
        if program.strip() != current_program.strip() and _shows(program, mistake):
            return name, title, program
    return None
