"""What "Watch gradients flow" shows at one step of the forward or backward pass.

Everything comes from the engine's traces (`Analysis.steps`, `grads_at`, `forward_steps`):
this module only picks, for a step, the node to highlight, the edges that carry something,
the gradients as they are at that step, and the sentence that says what happened.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from engine.trace import BackwardStep, forward_steps, grads_at
from lab.model.analysis import Analysis, format_number
from lab.model.diagram import COLOURS, Highlight
from lab.model.explain import backward_sentence, forward_sentence, op_expression
from lab.model.steps import BACKWARD, CURRENT, DONE, FORWARD, LEAF, MODES, WAITING, OrderItem, clamp
from lab.model.table import values_table


@dataclass(frozen=True)
class FlowView:
    """Everything the page shows for one step."""

    mode: str
    step: int  # the step shown, already clamped to 0..last
    last: int  # the last step's number
    node: int  # the node this step is about
    highlight: Highlight  # for lab.model.diagram.to_dot
    grads: list[float]  # every node's gradient at this step (forward: all still 0)
    changed: frozenset[int]  # nodes whose gradient (backward) or value (forward) this step set
    computed: int  # forward: nodes 0..computed-1 have their value; backward: all of them
    sentence: str
    order: tuple[OrderItem, ...]  # the topological order, inputs first
    position: str  # "Step 2 of 2", "Node 3 of 4"
    where: str  # where the node is in the topological order, in words


def signed(x: float) -> str:
    """What an edge adds to a gradient: `+3`, `-0.5`."""
    text = format_number(x)
    return text if text.startswith("-") else "+" + text


def flow_view(
    a: Analysis,
    mode: str,
    step: int,
    revealed: bool = True,
    steps: Sequence[BackwardStep] | None = None,
    explain: Callable[[Analysis, BackwardStep, list[float]], str] = backward_sentence,
) -> FlowView:
    """The view of step `step` (clamped) of the backward or forward pass.

    `revealed=False` (the learner predicts first): everything as it was BEFORE the step (the
    gradients after the previous step; forward: this node's value not computed yet), the node
    and the edges it will use marked but with no numbers on them, and the sentence asks.
    `steps`: the backward pass to show (default: the engine's, `a.steps`); `explain`: the sentence of a
    revealed backward step (the learner's own `backward()` is told in its own numbers, not the engine's rule).
    """
    if mode not in MODES:
        raise ValueError(f"mode is {BACKWARD!r} or {FORWARD!r}, not {mode!r}")
    steps = a.steps if steps is None else list(steps)
    step = clamp(step, a, mode, steps)
    if mode == BACKWARD:
        return _backward_view(a, steps, step, revealed, explain)
    return _forward_view(a, step, revealed)


def _backward_view(
    a: Analysis,
    steps: list[BackwardStep],
    step: int,
    revealed: bool,
    explain: Callable[[Analysis, BackwardStep, list[float]], str] = backward_sentence,
) -> FlowView:
    graph = a.graph
    trace = steps[step]
    shown = step if revealed else step - 1  # unrevealed: the gradients before this step
    grads = grads_at(graph, steps, shown) if shown >= 0 else [0.0] * len(graph)
    flowing = tuple((f.parent, f.child, f.slot) for f in trace.flows)
    labels = {(f.parent, f.child, f.slot): signed(f.contribution) for f in trace.flows} if revealed else {}
    notes = {}
    if step == 0:
        name = a.names[trace.node]
        notes[trace.node] = f"seed: d{name}/d{name} = {'1' if revealed else '?'}"
    highlight = Highlight(grads=grads, current=trace.node, flowing=flowing, edge_labels=labels, notes=notes)
    fired = {s.node for s in steps[:step]}
    order = []
    for i, name in enumerate(a.names):
        if i == trace.node:
            state = CURRENT
        elif graph.is_leaf(i):
            state = LEAF
        elif i in fired:
            state = DONE
        else:
            state = WAITING
        order.append(OrderItem(name, state))
    last = len(steps) - 1
    name = a.names[trace.node]
    position_in_order = f"position {trace.node + 1} of {len(graph)} in the topological order"
    if step == 0:
        position = f"Start (step 0 of {last})"
        where = f"{name} is the output: the last node of the topological order, where backward() starts."
    else:
        position = f"Step {step} of {last}"
        where = f"{name}._backward() runs: {name} is at {position_in_order} (backward goes from the end)."
    return FlowView(
        mode=BACKWARD,
        step=step,
        last=last,
        node=trace.node,
        highlight=highlight,
        grads=grads,
        changed=frozenset(trace.changed) if revealed else frozenset(),
        computed=len(graph),
        sentence=explain(a, trace, grads) if revealed else backward_question(a, trace),
        order=tuple(order),
        position=position,
        where=where,
    )


def _forward_view(a: Analysis, step: int, revealed: bool) -> FlowView:
    graph = a.graph
    fs = forward_steps(graph)[step]
    i = fs.node
    grads = [0.0] * len(graph)  # before backward() every grad is 0
    flowing = tuple((p, i, slot) for slot, p in enumerate(graph.inputs[i]))
    labels = {(p, i, slot): format_number(graph.nodes[p].data) for slot, p in enumerate(graph.inputs[i])}
    computed = i + 1 if revealed else i
    if not revealed:
        labels = {}
    later = range(computed, len(graph))
    highlight = Highlight(grads=grads, current=i, flowing=flowing, edge_labels=labels, unknown_data=later)
    order = tuple(OrderItem(name, CURRENT if j == i else DONE if j < i else WAITING) for j, name in enumerate(a.names))
    name = a.names[i]
    if graph.is_leaf(i):
        where = f"{name} is an input: it needs nothing computed before it."
    else:
        inputs = ", ".join(dict.fromkeys(a.names[p] for p in graph.inputs[i]))
        where = f"{name} comes after {inputs} in the topological order, so its inputs are ready."
    return FlowView(
        mode=FORWARD,
        step=step,
        last=len(graph) - 1,
        node=i,
        highlight=highlight,
        grads=grads,
        changed=frozenset({i}) if revealed else frozenset(),
        computed=computed,
        sentence=forward_sentence(a, i) if revealed else forward_question(a, i),
        order=order,
        position=f"Node {step + 1} of {len(graph)}",
        where=where,
    )


def backward_question(a: Analysis, trace: BackwardStep) -> str:
    """What the learner predicts before a backward step is shown (the numbers are not given)."""
    out = a.names[trace.node]
    if not trace.flows:
        return f"backward() starts at the output {out}: what is {out}.grad set to?"
    parents = " and ".join(dict.fromkeys(f"{a.names[f.parent]}.grad" for f in trace.flows))
    return f"{out} = {op_expression(a, trace.node)}: {out}._backward() is next. What will it add to {parents}?"


def forward_question(a: Analysis, i: int) -> str:
    """What the learner predicts before a node of the forward pass is computed."""
    return f"{a.names[i]} = {op_expression(a, i)}: what is {a.names[i]}.data?"


def step_table(a: Analysis, view: FlowView) -> pd.DataFrame:
    """The values table as it is at this step: gradients so far; forward: values not computed yet are empty."""
    df = values_table(a, grads=view.grads)
    df.loc[view.computed :, "data"] = math.nan  # shown as an empty cell
    return df


def styled_table(df: pd.DataFrame, view: FlowView):
    """The step's table with the current node's row and the rows this step changed marked."""
    fill, _ = COLOURS["current"]
    changed = view.changed

    def mark(row: pd.Series) -> list[str]:
        if row.name == view.node:
            return [f"background-color: {fill}; font-weight: bold"] * len(row)
        if row.name in changed:
            return ["font-weight: bold"] * len(row)
        return [""] * len(row)

    def number(x: object) -> str:
        return "?" if pd.isna(x) else format_number(float(x))

    return df.style.apply(mark, axis=1).format(number, subset=["data", "grad"])


_CHIP = {
    CURRENT: "background:{fill};border:2px solid {border};font-weight:700",
    DONE: "background:#f3f4f6;border:1px solid #d1d5db;color:#374151",
    WAITING: "background:#ffffff;border:1px solid #d1d5db;color:#374151",
    LEAF: "background:#ffffff;border:1px dashed #d1d5db;color:#6b7280",
}


def order_html(order: Sequence[OrderItem]) -> str:
    """The topological order as a row of names, the current one marked (HTML, escaped)."""
    fill, border = COLOURS["current"]
    chips = []
    for item in order:
        style = _CHIP[item.state].format(fill=fill, border=border)
        chips.append(
            f'<span title="{item.state}" style="{style};border-radius:6px;padding:2px 8px;margin:2px 2px;'
            f'display:inline-block;font-family:monospace;font-size:1.05rem">{html.escape(item.name)}</span>'
        )
    return '<div style="line-height:2.1">' + "→".join(chips) + "</div>"


def banner_html(position: str, sentence: str, score: str | None = None) -> str:
    """The step's banner: where the pass stands (and the prediction score) above the step's sentence, large."""
    score_html = "" if score is None else f'<div data-testid="flow-score">{html.escape(score)}</div>'
    return (
        '<div style="padding:0.5rem 1rem;border-left:6px solid #ea580c;background:#fff7ed;border-radius:4px;'
        'margin:0.2rem 0 0.4rem 0">'
        '<div style="display:flex;justify-content:space-between;gap:1rem;font-weight:700;color:#9a3412">'
        f'<div data-testid="flow-position">{html.escape(position)}</div>{score_html}</div>'
        '<div data-testid="flow-sentence" style="font-family:ui-monospace,Menlo,Consolas,monospace;'
        f'font-size:1.35rem;line-height:1.45">{html.escape(sentence)}</div></div>'
    )
