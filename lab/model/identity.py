"""Which program is this? One answer for every part that keeps something per program.

A program is known by its graph: each node's name, operation, inputs and kind, and its constants.
So the same program typed another way (`x = Value(2.0)` or `x = 2`, other spaces) is the same
program, and another operation or constant is another one. What the learner works out at given
values (a prediction of what a step sends) asks for the values too: `at_values=True`.

Used for: hand entries (kept per program, at any values), the lesson's example (a program of the
example's graph counts as the example, at any values), the presets' notes, where Watch gradients
flow stands (a new value keeps the step), and at its values: predictions and the room's wrong
answers (one mistake of two learners who typed the same program in another spelling).
"""

from __future__ import annotations

import hashlib

from lab.model.analysis import CONSTANT, Analysis


def program_id(a: Analysis, *, at_values: bool = False) -> str:
    """A short name for `a`'s program (8 hex digits); `at_values`: its variables' values count too."""
    shape: list = [
        (a.names[i], a.op_text(i), a.graph.inputs[i], a.kinds[i], node.data if a.kinds[i] == CONSTANT else None)
        for i, node in enumerate(a.graph.nodes)
    ]
    if at_values:
        shape.append(sorted(a.values.items()))
    return hashlib.sha1(repr(shape).encode("utf-8")).hexdigest()[:8]
