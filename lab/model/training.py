"""Gradient descent on one neuron with the engine's `Value`: the leap from gradients to training.

A neuron o = act(w*x + b) is fitted to a few points by the squared error
loss = sum((o - y)**2), one step at a time: build the loss, set w.grad and b.grad back to 0,
loss.backward(), then w <- w - lr * w.grad (and b the same). Scalars only, no NumPy.

The classic training slips are switches on this one loop, as engine/trace.py's `Mistake` is on
backward: grads not set back to 0 between steps (lesson 1's `+=` keeps adding), a step up the
gradient instead of down. A learner's own loop is told which one it made by running each variant
here and finding the one whose losses are theirs (`diagnose`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from engine.value import Value

ACTIVATIONS = ("tanh", "relu")
POINTS: tuple[tuple[float, float], ...] = ((-2.0, -0.9), (-1.0, -0.5), (0.0, 0.1), (1.0, 0.6), (2.0, 0.9))
RELU_POINTS: tuple[tuple[float, float], ...] = ((0.0, 0.2), (1.0, 0.7), (2.0, 1.1))  # relu cannot go below 0
SAME = 1e-6  # relative difference below which two losses are the same number


class Slip(Enum):
    """The classic slips of a training loop, each a switch on `train`."""

    NO_ZERO = "no_zero"  # w.grad and b.grad never set back to 0: every step adds to the last one's
    UPHILL = "uphill"  # w <- w + lr * w.grad: a step up the loss instead of down


SLIP_WORDS = {
    Slip.NO_ZERO: (
        "the grads are not set back to 0 between steps",
        "`+=` in every rule adds this step's gradient to the last step's: set `w.grad = 0` and `b.grad = 0` "
        "before `loss.backward()`.",
    ),
    Slip.UPHILL: (
        "the step goes up the gradient",
        "w.grad says which way the loss grows: step against it, `w.data -= lr * w.grad`.",
    ),
}


@dataclass(frozen=True)
class Setup:
    """One training run's starting point: the neuron, where w and b start, the step size and how many steps."""

    activation: str = "tanh"
    w: float = 0.1
    b: float = 0.0
    lr: float = 0.05
    steps: int = 50
    points: tuple[tuple[float, float], ...] = POINTS


FIT = Setup()  # a tanh neuron that learns: the loss falls from 1.41 to under 0.01
DEAD = Setup("relu", w=0.5, b=-3.0, lr=0.05, steps=50, points=RELU_POINTS)  # w*x + b < 0 at every point
TOO_LARGE = Setup("relu", w=0.5, b=0.5, lr=1.0, steps=12)  # every step overshoots further than the last


# Where gradient flow dies, as programs: a ReLU pushed below 0 and a tanh driven into saturation.
DYING = {
    "relu": "x = 2\nw = -1\nb = 0.5\nn = w*x + b\no = relu(n)",  # n = -1.5: relu's slope is exactly 0
    "tanh": "x = 2\nw = 3\nb = 0\nn = w*x + b\no = tanh(n)",  # n = 6: tanh's slope 1 - o**2 is about 2.5e-5
}


@dataclass(frozen=True)
class Run:
    losses: tuple[float, ...]  # the loss before each step
    w: tuple[float, ...]  # w before each step, then after the last
    b: tuple[float, ...]
    grads: tuple[tuple[float, float], ...]  # (w.grad, b.grad) used by each step


def neuron(w: Value, b: Value, x: float, activation: str) -> Value:
    n = w * x + b
    return n.tanh() if activation == "tanh" else n.relu()


def loss_of(w: Value, b: Value, setup: Setup) -> Value:
    loss = Value(0.0)
    for x, y in setup.points:
        d = neuron(w, b, x, setup.activation) - y
        loss = loss + d * d
    return loss


def train(setup: Setup, slip: Slip | None = None) -> Run:
    """Gradient descent as the lesson writes it, or with one slip switched on."""
    if setup.activation not in ACTIVATIONS:
        raise ValueError(f"the activation is one of {', '.join(ACTIVATIONS)}")
    w, b = Value(setup.w, label="w"), Value(setup.b, label="b")
    losses, ws, bs, grads = [], [setup.w], [setup.b], []
    for _ in range(setup.steps):
        loss = loss_of(w, b, setup)
        if slip is not Slip.NO_ZERO:
            w.grad, b.grad = 0.0, 0.0
        loss.backward()
        losses.append(loss.data)
        grads.append((w.grad, b.grad))
        sign = 1.0 if slip is Slip.UPHILL else -1.0
        w.data += sign * setup.lr * w.grad
        b.data += sign * setup.lr * b.grad
        ws.append(w.data)
        bs.append(b.data)
        if not math.isfinite(loss.data) or abs(w.data) > 1e150:
            break  # blown up: nothing more to learn from
    return Run(tuple(losses), tuple(ws), tuple(bs), tuple(grads))


def same_losses(a: Sequence[float], b: Sequence[float]) -> bool:
    if len(a) != len(b):
        return False
    return all(
        (math.isinf(x) and x == y) or abs(x - y) <= SAME * max(1.0, abs(x), abs(y)) for x, y in zip(a, b, strict=True)
    )


def diagnose(losses: Sequence[float], setup: Setup) -> tuple[bool, Slip | None]:
    """(right?, the slip whose losses these are): the learner's losses against the lesson's loop and each slip."""
    if same_losses(losses, train(setup).losses):
        return True, None
    for slip in Slip:
        if same_losses(losses, train(setup, slip).losses):
            return False, slip
    return False, None


def first_step(setup: Setup = FIT) -> dict[str, float]:
    """The numbers of one step by hand: the loss, w.grad and b.grad, and w and b after the step."""
    run = train(Setup(setup.activation, setup.w, setup.b, setup.lr, 1, setup.points))
    ((w_grad, b_grad),) = run.grads
    return {"loss": run.losses[0], "w.grad": w_grad, "b.grad": b_grad, "w": run.w[1], "b": run.b[1]}


def falls(run: Run) -> bool:
    return len(run.losses) > 1 and run.losses[-1] < run.losses[0]


def stuck(run: Run) -> bool:
    """The loss never moves: every step's grads are exactly 0 (a dead ReLU)."""
    return all(g == (0.0, 0.0) for g in run.grads)


def blows_up(run: Run) -> bool:
    return len(run.losses) > 1 and (not math.isfinite(run.losses[-1]) or run.losses[-1] > 100 * run.losses[0])
