"""Why each backward rule is right: the local derivative, the engine's own code, a live check.

The code shown is read from engine/value.py when the page runs (`inspect.getsource`), so it is
always the code that `backward()` runs. `check_rule` runs the engine's real rule once and sets
it beside a finite difference of the engine's own forward method.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from engine.value import BACKWARD_RULES, Value
from lab.analysis import Analysis, format_number


@dataclass(frozen=True)
class Rule:
    """One operator: what it computes, its local derivatives, and where its code lives."""

    op: str  # the `_op` the engine records
    label: str  # how the operator is picked on the page
    name: str
    expression: str  # out = ... in the names a, b (and n for the exponent)
    words: str  # the local derivative in words
    derivatives: tuple[str, ...]  # per input, plain text: "d(a*b)/da = b"
    latex: tuple[str, ...]  # per input, LaTeX
    method: str  # the Value method that computes the forward value
    inputs: tuple[str, ...]  # names of the Value inputs: ("a", "b") or ("a",)
    default_point: tuple[float, ...]  # a point where the rule is defined
    default_exponent: float | None = None

    @property
    def forward(self) -> Callable[..., Value]:
        return getattr(Value, self.method)

    @property
    def backward(self) -> Callable[..., None]:
        return BACKWARD_RULES[self.op]

    @property
    def needs_exponent(self) -> bool:
        return self.op == "**"


RULES: dict[str, Rule] = {
    rule.op: rule
    for rule in (
        Rule(
            "+",
            "+",
            "addition",
            "out = a + b",
            "Nudging a by a little changes a + b by exactly as much, and the same for b: both local derivatives "
            "are 1, so + hands out.grad to both inputs unchanged.",
            ("d(a+b)/da = 1", "d(a+b)/db = 1"),
            (r"\frac{\partial (a+b)}{\partial a} = 1", r"\frac{\partial (a+b)}{\partial b} = 1"),
            "__add__",
            ("a", "b"),
            (2.0, 3.0),
        ),
        Rule(
            "*",
            "*",
            "multiplication",
            "out = a * b",
            "d(a*b)/da = b: nudging a by a little changes a*b by b times as much. And the other way round: "
            "nudging b changes a*b by a times as much. Each input's gradient is the other input's value times "
            "out.grad.",
            ("d(a*b)/da = b", "d(a*b)/db = a"),
            (r"\frac{\partial (a \cdot b)}{\partial a} = b", r"\frac{\partial (a \cdot b)}{\partial b} = a"),
            "__mul__",
            ("a", "b"),
            (2.0, 3.0),
        ),
        Rule(
            "-",
            "-",
            "subtraction",
            "out = a - b",
            "Nudging a up moves a - b up by as much (local derivative 1); nudging b up moves a - b down by as "
            "much (local derivative -1).",
            ("d(a-b)/da = 1", "d(a-b)/db = -1"),
            (r"\frac{\partial (a-b)}{\partial a} = 1", r"\frac{\partial (a-b)}{\partial b} = -1"),
            "__sub__",
            ("a", "b"),
            (5.0, 3.0),
        ),
        Rule(
            "/",
            "/",
            "division",
            "out = a / b",
            "a / b is a times 1/b, so nudging a changes it by 1/b times as much. Nudging b changes it by "
            "-a/b² times as much: a bigger denominator makes the result smaller, faster when b is small.",
            ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2"),
            (r"\frac{\partial (a/b)}{\partial a} = \frac{1}{b}", r"\frac{\partial (a/b)}{\partial b} = -\frac{a}{b^2}"),
            "__truediv__",
            ("a", "b"),
            (3.0, 2.0),
        ),
        Rule(
            "**",
            "**",
            "power (number exponent)",
            "out = a ** n",
            "The power rule: nudging a changes a**n by n * a**(n-1) times as much. The exponent n is a plain "
            "number, not a node, so it gets no gradient.",
            ("d(a**n)/da = n * a**(n-1)",),
            (r"\frac{\partial a^n}{\partial a} = n \, a^{n-1}",),
            "__pow__",
            ("a",),
            (3.0,),
            2.0,
        ),
        Rule(
            "neg",
            "-a (neg)",
            "negation",
            "out = -a",
            "Nudging a up moves -a down by as much: the local derivative is -1, so the gradient changes sign.",
            ("d(-a)/da = -1",),
            (r"\frac{\partial (-a)}{\partial a} = -1",),
            "__neg__",
            ("a",),
            (2.0,),
        ),
        Rule(
            "tanh",
            "tanh",
            "tanh",
            "out = tanh(a)",
            "tanh is steep near 0 and flat far from it: its slope is 1 - tanh(a)², which the rule computes "
            "from the output it already has (out.data). For large |a| the slope is almost 0: the gradient "
            "saturates.",
            ("d tanh(a)/da = 1 - tanh(a)**2 = 1 - out**2",),
            (r"\frac{\partial \tanh a}{\partial a} = 1 - \tanh^2 a = 1 - \text{out}^2",),
            "tanh",
            ("a",),
            (0.5,),
        ),
        Rule(
            "relu",
            "relu",
            "ReLU",
            "out = relu(a) = max(0, a)",
            "Above 0, relu passes a through unchanged (slope 1); below 0 it is flat at 0 (slope 0), so no "
            "gradient gets through: the ReLU is dead for that input.",
            ("d relu(a)/da = 1 if a > 0 else 0",),
            (r"\frac{\partial\, \mathrm{relu}(a)}{\partial a} = \begin{cases} 1 & a > 0 \\ 0 & a < 0 \end{cases}",),
            "relu",
            ("a",),
            (1.5,),
        ),
        Rule(
            "exp",
            "exp",
            "exponential",
            "out = exp(a)",
            "exp is its own slope: nudging a changes exp(a) by exp(a) times as much, so the rule reuses "
            "the output's value (out.data).",
            ("d exp(a)/da = exp(a) = out",),
            (r"\frac{\partial e^a}{\partial a} = e^a = \text{out}",),
            "exp",
            ("a",),
            (1.0,),
        ),
        Rule(
            "log",
            "log",
            "natural logarithm",
            "out = log(a)",
            "Nudging a changes log(a) by 1/a times as much: a lot for small a, little for large a. "
            "log is only defined for a > 0.",
            ("d log(a)/da = 1/a",),
            (r"\frac{\partial \ln a}{\partial a} = \frac{1}{a}",),
            "log",
            ("a",),
            (2.0,),
        ),
    )
}


def source_of(function: Callable) -> str:
    """The engine's own code of a method, as it is in engine/value.py right now."""
    return textwrap.dedent(inspect.getsource(function)).rstrip()


def forward_source(op: str) -> str:
    """The method that computes the forward value, e.g. `Value.__mul__`."""
    return source_of(RULES[op].forward)


def backward_source(op: str) -> str:
    """The operator's backward rule, e.g. `Value._mul_backward`, found through BACKWARD_RULES."""
    return source_of(RULES[op].backward)


def dispatch_source() -> str:
    """How backward() reaches a rule: `Value._backward`, which looks the rule up by `_op`."""
    return source_of(Value._backward)


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
