"""The next lesson's preview: one neuron, o = relu(w*x + b) or o = tanh(w*x + b), and where its gradient dies.

The neuron is its own small program, built and backpropagated by the engine like any other
(lab.model.analysis.analyse); it never becomes the learner's program. The slider picks the
pre-activation n = w*x + b: x and w stay fixed and b makes up the rest.
"""

from __future__ import annotations

import pandas as pd

from engine.value import Value
from lab.model.analysis import Analysis, analyse, format_number

ACTIVATIONS = ("relu", "tanh")
X, W = 2.0, 1.5  # the input and the weight; b = n - w*x
LOW, HIGH, STEP = -4.0, 4.0, 0.1  # the slider's range for the pre-activation
DEFAULT_PRE = 1.0
NEAR_ZERO = 0.01  # a gradient smaller than this (but not 0) has all but died
QUESTION_PRE = -1.0  # the pre-activation the next lesson's question asks about

n = format_number


def program(activation: str, pre: float) -> str:
    """The neuron's program with pre-activation `pre` (b rounded so the program reads well)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"the activation is one of {', '.join(ACTIVATIONS)}")
    b = round(pre - W * X, 6)
    return f"x = {X:g}\nw = {W:g}\nb = {b!r}\nn = w*x + b\no = {activation}(n)"


def neuron(activation: str, pre: float) -> Analysis:
    return analyse(program(activation, pre))


def local_derivative(activation: str, pre: float) -> float:
    """d activation / d n at n = pre, from the engine's own rule (not a formula written here)."""
    n_ = Value(pre)
    out = n_.relu() if activation == "relu" else n_.tanh()
    out.backward()
    return n_.grad


def curve(activation: str, low: float = LOW, high: float = HIGH, points: int = 161) -> pd.DataFrame:
    """The local derivative against the pre-activation, for the plot."""
    xs = [low + (high - low) * i / (points - 1) for i in range(points)]
    return pd.DataFrame(
        {"pre-activation": xs, "local derivative": [local_derivative(activation, x) for x in xs]},
    )


def reaching(a: Analysis) -> dict[str, float]:
    """The gradient that reaches w, x and b."""
    return {name: a.graph.nodes[a.variables[name]].grad for name in ("w", "x", "b")}


def state_of(grad: float) -> str:
    if grad == 0:
        return "dead: exactly 0"
    if abs(grad) < NEAR_ZERO:
        return f"nearly dead: {n(grad)}"
    return "alive"


def verdict(activation: str, a: Analysis) -> tuple[str, str]:
    """(kind, one sentence with the numbers): is the gradient dead, nearly dead or alive here?"""
    pre = a.graph.nodes[a.graph.inputs[a.output][0]].data
    local = local_derivative(activation, pre)
    grads = ", ".join(f"{name}.grad = {n(g)}" for name, g in reaching(a).items())
    if activation == "relu":
        if local == 0:
            return "error", (
                f"n = {n(pre)} is below 0, so relu outputs 0 and its rule sends n.grad = (o.data > 0) * o.grad = 0: "
                f"{grads}. Exactly 0: no step of gradient descent will move w or b. The ReLU is dead."
            )
        return (
            "success",
            f"n = {n(pre)} is above 0: relu passes the gradient on unchanged (local derivative 1): {grads}.",
        )
    if abs(local) < NEAR_ZERO:
        return "warning", (
            f"n = {n(pre)}: tanh is saturated, its local derivative 1 - o² is only {n(local)}: {grads}. "
            "Not exactly 0, but too small to learn from: the gradient has all but died."
        )
    return "success", f"n = {n(pre)}: tanh's local derivative 1 - o² is {n(local)}: {grads}."


def notes(a: Analysis) -> dict[int, str]:
    """Diagram notes under w, x and b when their gradient is dead or nearly so."""
    found = {}
    for name, g in reaching(a).items():
        if state_of(g) != "alive":
            found[a.variables[name]] = state_of(g)
    return found
