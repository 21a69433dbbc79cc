"""The passes a learner steps through, and where a node stands in the topological order at a step.

The backward pass goes step 0 (the seed) to one step per `_backward` call; the forward pass one
node a step. Watch gradients flow, its predictions and the learner's own `backward()` (Implement
it) all count steps and mark the order this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.trace import BackwardStep
from lab.model.analysis import Analysis

BACKWARD, FORWARD = "backward", "forward"
MODES = (BACKWARD, FORWARD)


# states of a node in the row that shows the topological order
DONE, CURRENT, WAITING, LEAF = "done", "current", "waiting", "leaf"


@dataclass(frozen=True)
class OrderItem:
    """One node in the topological order, and where it stands at this step."""

    name: str
    state: str  # DONE, CURRENT, WAITING, or LEAF (backward: a leaf has no _backward to call)


def last_step(a: Analysis, mode: str, steps: Sequence[BackwardStep] | None = None) -> int:
    """The number of the last step: backward steps go 0 (the seed) .. N, forward 0 .. nodes - 1.

    `steps`: the backward pass to show (default: the engine's, `a.steps`).
    """
    return len(steps if steps is not None else a.steps) - 1 if mode == BACKWARD else len(a.graph) - 1


def clamp(step: int, a: Analysis, mode: str, steps: Sequence[BackwardStep] | None = None) -> int:
    return max(0, min(int(step), last_step(a, mode, steps)))
