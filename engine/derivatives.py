"""Each operator's forward value and local derivatives, written once, as formulas.

The formulas are in the words a learner writes a backward rule in (engine/rule_reader.py reads
them, safely): `self.data` and `other.data` are the inputs, `out.data` the result, `n` the number
exponent of `**`. A derivative is d out / d input, per input, in the order of `_prev`; a
comparison such as `out.data > 0` reads as 1 or 0.

Everything that shows a local derivative (the explanations, "Why each rule is right", the
learner's own rules) prints it from here, and tests/test_derivatives.py checks every formula
against a finite difference of the engine's own forward methods: a wrong sign or a lost square
here shows up as a failing test, not as a confident wrong formula on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Derivative:
    op: str  # the `_op` the engine records
    inputs: tuple[str, ...]  # ("self", "other") or ("self",)
    forward: str  # out.data, as a formula
    local: tuple[str, ...]  # d out / d input, per input


DERIVATIVES: dict[str, Derivative] = {
    d.op: d
    for d in (
        Derivative("+", ("self", "other"), "self.data + other.data", ("1", "1")),
        Derivative("*", ("self", "other"), "self.data * other.data", ("other.data", "self.data")),
        Derivative("-", ("self", "other"), "self.data - other.data", ("1", "-1")),
        Derivative("/", ("self", "other"), "self.data / other.data", ("1 / other.data", "-self.data / other.data**2")),
        Derivative("**", ("self",), "self.data**n", ("n * self.data**(n - 1)",)),
        Derivative("neg", ("self",), "-self.data", ("-1",)),
        Derivative("tanh", ("self",), "tanh(self.data)", ("1 - out.data**2",)),
        Derivative("relu", ("self",), "relu(self.data)", ("out.data > 0",)),
        Derivative("exp", ("self",), "exp(self.data)", ("out.data",)),
        Derivative("log", ("self",), "log(self.data)", ("1 / self.data",)),
    )
}
