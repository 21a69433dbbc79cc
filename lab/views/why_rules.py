"""Why each backward rule is right: the local derivative, the engine's own code, a live check.

The local derivatives (words' formulas, plain text, LaTeX) are printed from engine/derivatives.py,
the one place each is written, so this page and the explanations can never disagree with it.

The code shown is read from engine/value.py when the page runs (`inspect.getsource`), so it is
always the code that `backward()` runs. `check_rule` runs the engine's real rule once and sets
it beside a finite difference of the engine's own forward method.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from engine.value import Value
from lab.model.analysis import Analysis, format_number
from lab.model.rules import RULES, Rule

# -- formulas as text and as LaTeX ----------------------------------------------------------------


# -- the live check ---------------------------------------------------------------------------

RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class InputCheck:
    """One input of the operator: the rule's gradient beside a finite difference."""

    name: str
    value: float
    rule: float  # what the engine's backward rule put into this input's grad (with out.grad = 1)
    finite: float  # central finite difference of the forward method
    agrees: bool | None  # None: the check does not apply here (a corner, like relu at 0)


@dataclass(frozen=True)
class RuleCheck:
    op: str
    inputs: tuple[InputCheck, ...] = ()
    output: float | None = None
    message: str | None = None  # why the rule cannot be checked at this point
    note: str | None = None  # something to know about this point (relu's corner)

    @property
    def ok(self) -> bool:
        """The point is valid and every applicable input agrees."""
        return self.message is None and all(c.agrees is not False for c in self.inputs)


def _forward(rule: Rule, numbers: list[float], exponent: float | None) -> Value:
    values = [Value(x) for x in numbers]
    if rule.needs_exponent:
        return rule.forward(values[0], exponent)
    return rule.forward(*values)


def _shown(rule: Rule, numbers: list[float], exponent: float | None) -> str:
    """`a = 1, b = 0` or `a = 0, n = 0.5`."""
    parts = [f"{name} = {format_number(x)}" for name, x in zip(rule.inputs, numbers, strict=True)]
    if exponent is not None:
        parts.append(f"n = {format_number(exponent)}")
    return ", ".join(parts)


def _invalid_message(rule: Rule, numbers: list[float], exponent: float | None) -> str | None:
    """A sentence when the operator is not defined at this point, else None."""
    shown = _shown(rule, numbers, exponent)
    if any(not math.isfinite(x) for x in numbers) or (exponent is not None and not math.isfinite(exponent)):
        return "Pick finite numbers: the check needs real values, not NaN or infinity."
    try:
        out = _forward(rule, numbers, exponent)
    except ZeroDivisionError:
        if rule.op == "/":
            return f"Division by zero: a / b is not defined for b = 0 ({shown}). Pick another b."
        return f"{rule.expression} is not defined at {shown} (it would divide by zero). Pick another point."
    except OverflowError:
        return f"The result is too large for a float at {shown}: pick a smaller number."
    except ValueError as e:
        reason = str(e)
        return f"{reason[:1].upper()}{reason[1:]}, so {rule.expression} is not defined here. Pick another point."
    if not math.isfinite(out.data):
        return f"The result overflows at {shown} (it is {out.data}): pick smaller numbers."
    return None


def _step(rule: Rule, slot: int, x: float) -> float:
    """The nudge for the finite difference.

    Relative to the input's size; near a pole (log, a denominator, a power) it must be smaller
    than the distance to it, so it is relative to |x| alone there.
    """
    near_pole = rule.op in ("log", "**") or (rule.op == "/" and slot == 1)
    if near_pole and 0 < abs(x) < 1:
        return 1e-6 * abs(x)
    return 1e-6 * max(1.0, abs(x))


def _finite_difference(rule: Rule, numbers: list[float], slot: int, exponent: float | None) -> float:
    h = _step(rule, slot, numbers[slot])
    up, down = list(numbers), list(numbers)
    up[slot] += h
    down[slot] -= h
    try:
        return (_forward(rule, up, exponent).data - _forward(rule, down, exponent).data) / (2 * h)
    except (ArithmeticError, ValueError):
        return math.nan


def _agree(rule_grad: float, finite: float) -> bool:
    return math.isclose(rule_grad, finite, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def check_rule(op: str, a: float, b: float | None = None, exponent: float | None = None) -> RuleCheck:
    """Run the engine's backward rule for `op` at a point and compare it with a finite difference.

    Builds `out` with the engine's forward method, sets `out.grad = 1` and calls `out._backward()`:
    the real rule. Never raises for a bad point: the result carries a message instead.
    """
    rule = RULES[op]
    numbers = [float(a)] if len(rule.inputs) == 1 else [float(a), float(b if b is not None else 0.0)]
    if rule.needs_exponent:
        if exponent is None:
            exponent = b if b is not None else rule.default_exponent  # check_rule("**", 3, 2) means 3 ** 2
        exponent = float(exponent)
    else:
        exponent = None
    message = _invalid_message(rule, numbers, exponent)
    if message:
        return RuleCheck(op, message=message)
    values = [Value(x) for x in numbers]
    out = rule.forward(values[0], exponent) if rule.needs_exponent else rule.forward(*values)
    out.grad = 1.0
    try:
        out._backward()  # the engine's rule, exactly as backward() calls it
    except ZeroDivisionError:
        shown = _shown(rule, numbers, exponent)
        message = f"The slope of {rule.expression} is infinite at {shown}: the rule would divide by zero."
        return RuleCheck(op, output=out.data, message=message + " Pick another point.")
    except (ArithmeticError, ValueError) as e:
        return RuleCheck(op, output=out.data, message=f"The rule cannot be computed here: {e}. Pick another point.")
    note = None
    checks = []
    for slot, (name, value) in enumerate(zip(rule.inputs, values, strict=True)):
        finite = _finite_difference(rule, numbers, slot, exponent)
        if not math.isfinite(value.grad):
            return RuleCheck(op, output=out.data, message="The gradient overflows at this point: pick smaller numbers.")
        agrees: bool | None
        if op == "relu" and abs(numbers[0]) <= _step(rule, 0, numbers[0]):
            agrees = None
            note = (
                "relu has a corner at 0: its slope is 1 on the right and 0 on the left, so a finite difference "
                "across 0 gives about 0.5. The engine uses 0 there. Pick a point away from 0."
            )
        elif not math.isfinite(finite):
            agrees = None
            note = "The function cannot be computed a tiny step away from this point, so there is nothing to compare."
        else:
            agrees = _agree(value.grad, finite)
        checks.append(InputCheck(name, value.data, value.grad, finite, agrees))
    return RuleCheck(op, tuple(checks), out.data, note=note)


# -- the learner's expression ---------------------------------------------------------------


def uses_in(a: Analysis, op: str) -> list[int]:
    """The nodes of the expression that were computed with `op`."""
    return [i for i, node in enumerate(a.graph.nodes) if node._prev and node._op == op]


def ops_used(a: Analysis) -> Counter:
    """How many nodes each operator computed in the expression."""
    return Counter(node._op for node in a.graph.nodes if node._prev)


def point_from(a: Analysis, op: str) -> tuple[tuple[float, ...], float | None] | None:
    """The inputs of the first node computed with `op` in the expression (a point to check at)."""
    used = uses_in(a, op)
    if not used:
        return None
    i = used[0]
    node = a.graph.nodes[i]
    return tuple(a.graph.nodes[p].data for p in a.graph.inputs[i]), node._exponent
