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
from collections.abc import Callable
from dataclasses import dataclass

from engine import operators
from engine.derivatives import DERIVATIVES
from engine.operators import Operator
from engine.rule_reader import (
    ATOM,
    Binary,
    Call,
    Choice,
    Compare,
    Formula,
    Number,
    Unary,
    Var,
    formula_text,
    forward_formula,
    local_formula,
    variables_of,
)
from engine.value import BACKWARD_RULES, Value
from lab.model.analysis import Analysis, format_number

# How the one source's names are shown on this page: the inputs are a and b, the result out.
NAMES = {"self.data": "a", "other.data": "b", "out.data": "out", "n": "n"}
LATEX_NAMES = {"self.data": "a", "other.data": "b", "out.data": r"\text{out}", "n": "n"}


@dataclass(frozen=True)
class Rule:
    """One operator: what it computes, its local derivatives, and where its code lives.

    The formulas (`expression`, `derivatives`, `latex`, and those inside `words`) are printed from
    engine/derivatives.py, the one place each local derivative is written; only the prose is here.
    """

    op: str  # the `_op` the engine records
    label: str  # how the operator is picked on the page
    name: str
    words_template: str  # why, in words; {forward}, {d0}, {d1} are filled in from the one source
    method: str  # the Value method that computes the forward value
    default_point: tuple[float, ...]  # a point where the rule is defined
    default_exponent: float | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the Value inputs: ("a", "b") or ("a",)."""
        return tuple(NAMES[f"{name}.data"] for name in DERIVATIVES[self.op].inputs)

    @property
    def forward_text(self) -> str:
        """`a * b`, `tanh(a)`, `a**n`."""
        return formula_text(forward_formula(self.op), NAMES)

    @property
    def expression(self) -> str:
        return f"out = {self.forward_text}"

    def local_text(self, slot: int) -> str:
        """d out / d input, as text in a and b: `-a / b**2`; a comparison reads `1 if out > 0 else 0`."""
        return derivative_text(local_formula(self.op, slot), NAMES)

    def _uses_out(self, slot: int) -> bool:
        return "out.data" in variables_of(local_formula(self.op, slot))

    def _by(self, slot: int) -> str:
        """`d(a * b)/da`, `d tanh(a)/da`."""
        shown = self.forward_text if isinstance(forward_formula(self.op), Call) else f"({self.forward_text})"
        return f"d{'' if shown.startswith('(') else ' '}{shown}/d{self.inputs[slot]}"

    @property
    def derivatives(self) -> tuple[str, ...]:
        """Per input, plain text: `d(a * b)/da = b`."""
        texts = []
        for slot in range(len(self.inputs)):
            text = f"{self._by(slot)} = {self.local_text(slot)}"
            if self._uses_out(slot):
                text += f", where out = {self.forward_text}"
            texts.append(text)
        return tuple(texts)

    @property
    def latex(self) -> tuple[str, ...]:
        """Per input, LaTeX: `\\frac{\\partial (a \\cdot b)}{\\partial a} = b`."""
        f = forward_formula(self.op)
        forward = to_latex(f, LATEX_NAMES)
        if isinstance(f, Binary) and f.op == "/":  # d(a/b), not a fraction inside a fraction
            left, right = (to_latex(g, LATEX_NAMES, top=False) for g in (f.left, f.right))
            top = f"({left}/{right})"
        else:
            top = forward if isinstance(f, Call) else f"({forward})"
        texts = []
        for slot, name in enumerate(self.inputs):
            text = (
                rf"\frac{{\partial {top}}}{{\partial {name}}} = {to_latex(local_formula(self.op, slot), LATEX_NAMES)}"
            )
            if self._uses_out(slot):  # on a second line: a narrow column must not cut it off
                text = rf"\begin{{gathered}} {text} \\ \text{{where }} \text{{out}} = {forward} \end{{gathered}}"
            texts.append(text)
        return tuple(texts)

    @property
    def words(self) -> str:
        locals_ = {f"d{slot}": self.local_text(slot) for slot in range(len(self.inputs))}
        return self.words_template.format(forward=self.forward_text, **locals_)

    @property
    def forward(self) -> Callable[..., Value]:
        return getattr(Value, self.method)

    @property
    def backward(self) -> Callable[..., None]:
        return BACKWARD_RULES[self.op]

    @property
    def needs_exponent(self) -> bool:
        return self.default_exponent is not None


def _rule(record: Operator) -> Rule:
    return Rule(
        record.op,
        record.label,
        record.name,
        record.words,
        record.method,
        record.default_point,
        record.default_exponent,
    )


# Every operator of engine/operators.py, where its prose and default point are written with the rest of its record.
RULES: dict[str, Rule] = operators.table(_rule)


# -- formulas as text and as LaTeX ----------------------------------------------------------------


def derivative_text(f: Formula, names: dict[str, str]) -> str:
    """A local derivative as text; a comparison on its own reads `1 if out > 0 else 0`."""
    shown = formula_text(f, names, number=format_number)
    return f"1 if {shown} else 0" if isinstance(f, Compare) else shown


_LATEX_COMPARE = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq"}


def _latex_precedence(f: Formula) -> int:
    if isinstance(f, Binary) and f.op == "/":
        return ATOM  # a fraction bar groups by itself
    if isinstance(f, Call) and f.function == "exp":
        return 5
    if isinstance(f, Call):
        return 4.5
    if isinstance(f, Number) and f.value < 0:
        return 4
    if isinstance(f, (Compare, Choice)):
        return ATOM  # written as cases or in brackets
    if isinstance(f, Binary):
        return {"+": 2, "-": 2, "*": 3, "**": 5}[f.op]
    return 4 if isinstance(f, Unary) else ATOM


def _latex_number(x: float) -> str:
    return format_number(x) if x >= 0 else "-" + format_number(-x)


def to_latex(f: Formula, names: dict[str, str], top: bool = True) -> str:
    """The formula as LaTeX: fractions for /, powers as superscripts, a comparison as cases (1 or 0)."""

    def wrap(g: Formula, at_least: float) -> str:
        shown = to_latex(g, names, top=False)
        return rf"\left({shown}\right)" if _latex_precedence(g) < at_least else shown

    if isinstance(f, Number):
        return _latex_number(f.value)
    if isinstance(f, Var):
        return names.get(f.name, f.name)
    if isinstance(f, Unary):
        return ("-" if f.op == "-" else "") + wrap(f.operand, 5)
    if isinstance(f, Binary):
        if f.op == "/":
            if isinstance(f.left, Unary) and f.left.op == "-":
                return rf"-\frac{{{to_latex(f.left.operand, names, False)}}}{{{to_latex(f.right, names, False)}}}"
            return rf"\frac{{{to_latex(f.left, names, False)}}}{{{to_latex(f.right, names, False)}}}"
        if f.op == "**":
            return f"{wrap(f.left, ATOM)}^{{{to_latex(f.right, names, False)}}}"
        p = {"+": 2, "-": 2, "*": 3}[f.op]
        symbol = r" \cdot " if f.op == "*" else f" {f.op} "
        return f"{wrap(f.left, p)}{symbol}{wrap(f.right, p + 1)}"
    if isinstance(f, Call):
        if f.function == "exp":
            return f"e^{{{to_latex(f.argument, names, False)}}}"
        argument = to_latex(f.argument, names, False)
        latex = operators.OPERATORS[f.function].latex  # r"\tanh"; "" for a name LaTeX does not know
        if not latex:
            latex = rf"\mathrm{{{f.function}}}"
            if _latex_precedence(f.argument) == ATOM and not isinstance(f.argument, (Compare, Choice)):
                return f"{latex}({argument})"
        elif _latex_precedence(f.argument) == ATOM and not isinstance(f.argument, (Compare, Choice)):
            return f"{latex} {argument}"
        return rf"{latex}\left({argument}\right)"
    if isinstance(f, Compare):
        condition = f"{wrap(f.left, 2)} {_LATEX_COMPARE[f.op]} {wrap(f.right, 2)}"
        if top:
            return rf"\begin{{cases}} 1 & \text{{if }} {condition} \\ 0 & \text{{otherwise}} \end{{cases}}"
        return rf"[{condition}]"
    test = to_latex(f.test, names, False).strip("[]")
    yes, no = to_latex(f.yes, names, False), to_latex(f.no, names, False)
    return rf"\begin{{cases}} {yes} & \text{{if }} {test} \\ {no} & \text{{otherwise}} \end{{cases}}"


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
