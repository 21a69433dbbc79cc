"""Each operator's forward value and local derivatives, written once, as formulas.

They are written in the operator's record in engine/operators.py (`forward`, `local`, `inputs`);
`DERIVATIVES` is this view of them, by `_op`.

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

from engine.operators import Operator, table

Derivative = Operator  # a record has `op`, `inputs`, `forward` and `local`: what a derivative needs

# op -> its record in engine/operators.py, where the formulas are written (refilled when one is added)
DERIVATIVES: dict[str, Operator] = table(lambda record: record)
