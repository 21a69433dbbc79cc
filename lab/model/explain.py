"""Sentences with the actual numbers: what a step of the forward or backward pass did.

The numbers come from the engine's traces (engine/trace.py); this module only words them. The
local derivatives are printed from engine/derivatives.py, the one place each is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.rule_reader import formula_text, local_formula, substitute
from engine.trace import BackwardStep, EdgeFlow
from lab.model.analysis import CONSTANT, Analysis, format_number

n = format_number  # short alias: every number in a sentence goes through it


def _names(a: Analysis, child: int) -> dict[str, str]:
    """The one source's names as this node's: self.data -> `x.data`, out.data -> `a.data`."""
    inputs = a.graph.inputs[child]
    names = {"out.data": f"{a.names[child]}.data", "out.grad": f"{a.names[child]}.grad"}
    for name, p in zip(("self", "other"), inputs, strict=False):
        names[f"{name}.data"] = f"{a.names[p]}.data"
    return names


def op_expression(a: Analysis, i: int) -> str:
    """How node i is computed from its inputs, by name: `x * y`, `tanh(n)`, `x**2`, `-a`."""
    node = a.graph.nodes[i]
    names = [a.names[p] for p in a.graph.inputs[i]]
    if not names:
        return a.names[i]
    if node._op == "**":
        return f"{names[0]}**{n(node._exponent)}"
    if node._op == "neg":
        return f"-{names[0]}"
    if len(names) == 2:
        return f"{names[0]} {node._op} {names[1]}"
    return f"{node._op}({names[0]})"


def local_text(a: Analysis, flow: EdgeFlow) -> str:
    """The local derivative d child / d parent of one edge, symbolically: `y.data`, `1`, `(1 - o.data**2)`.

    Printed from engine/derivatives.py with this node's names, and in brackets when it is
    about to be multiplied by a gradient. The exponent of `**` is put in as its number.
    """
    node = a.graph.nodes[flow.child]
    formula = local_formula(node._op, flow.slot)
    if node._exponent is not None:
        formula = substitute(formula, {"n": node._exponent})
    return formula_text(formula, _names(a, flow.child), number=format_number, factor=True)


def rule_text(a: Analysis, flow: EdgeFlow) -> str:
    """What the rule adds along one edge: `y.data * a.grad`, or `z.grad` when the local derivative is 1."""
    local = local_text(a, flow)
    grad = f"{a.names[flow.child]}.grad"
    return grad if local == "1" else f"{local} * {grad}"


def rule_numbers(a: Analysis, flow: EdgeFlow) -> str:
    """The numbers of rule_text: `3 * 1`, or just `1` when the local derivative is the constant 1."""
    if local_text(a, flow) == "1":
        return n(flow.incoming)
    return f"{n(flow.local)} * {n(flow.incoming)}"


def forward_sentence(a: Analysis, i: int) -> str:
    """`a = x * y = 2 * 3 = 6`, or what a leaf is."""
    node = a.graph.nodes[i]
    if not node._prev:
        if a.kinds[i] == CONSTANT:
            return f"{a.names[i]} is a constant."
        return f"{a.names[i]} = {n(node.data)} is a variable: an input of the graph."
    inputs = [a.graph.nodes[p].data for p in a.graph.inputs[i]]
    if node._op == "**":
        numbers = f"{n(inputs[0])}**{n(node._exponent)}"
    elif node._op == "neg":
        numbers = f"-({n(inputs[0])})"
    elif len(inputs) == 2:
        numbers = f"{n(inputs[0])} {node._op} {n(inputs[1])}"
    else:
        numbers = f"{node._op}({n(inputs[0])})"
    return f"{a.names[i]} = {op_expression(a, i)} = {numbers} = {n(node.data)}"


def backward_sentence(a: Analysis, step: BackwardStep, grads_after: Sequence[float], overwrite: bool = False) -> str:
    """One `_backward` call in words, with its numbers.

    `a = x * y: x.grad += y.data * a.grad = 3 * 1 = 3; y.grad += x.data * a.grad = 2 * 1 = 2, so y.grad is now 3`
    """
    out = a.names[step.node]
    if not step.flows:
        if grads_after[step.node] == 0:
            return f"Start: {out}.grad is left at 0, so every gradient it sends is 0 too."
        return f"Start: {out}.grad = 1, because d{out}/d{out} = 1: the output changes one for one with itself."
    assign = "=" if overwrite else "+="
    parts = []
    for flow in step.flows:
        parent = a.names[flow.parent]
        numbers = rule_numbers(a, flow)
        result = "" if numbers == n(flow.contribution) else f" = {n(flow.contribution)}"
        parts.append(f"{parent}.grad {assign} {rule_text(a, flow)} = {numbers}{result}")
    sentence = f"{out} = {op_expression(a, step.node)}: " + "; ".join(parts)
    totals = []
    for parent in dict.fromkeys(f.parent for f in step.flows):
        uses = sum(1 for f in step.flows if f.parent == parent)
        added = sum(f.contribution for f in step.flows if f.parent == parent)
        if not overwrite and (uses > 1 or grads_after[parent] != added):
            totals.append(f"{a.names[parent]}.grad is now {n(grads_after[parent])}")
    if totals:
        sentence += ", so " + " and ".join(totals)
    return sentence


def gradient_sum(a: Analysis, node: int, flows: Sequence[EdgeFlow]) -> str:
    """Where a node's gradient comes from, one term per use:

    `y.grad = 1 * z.grad + x.data * a.grad = 1 * 1 + 2 * 1 = 3`
    """
    name = a.names[node]
    if node == a.output:
        return f"{name}.grad = 1, because {name} is the output: d{name}/d{name} = 1"
    if not flows:
        return f"{name} is not used by anything the output depends on, so {name}.grad = 0"
    symbols = " + ".join(f"{local_text(a, f)} * {a.names[f.child]}.grad" for f in flows)
    numbers = " + ".join(f"{n(f.local)} * {n(f.incoming)}" for f in flows)
    total = sum(f.contribution for f in flows)
    return f"{name}.grad = {symbols} = {numbers} = {n(total)}"
