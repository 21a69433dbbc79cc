"""Each operator's backward rule as pages show it: what it computes, its local derivatives in words,
plain text and LaTeX, and the engine's methods behind it.

The formulas are printed from engine/derivatives.py, the one place each local derivative is written,
and the prose comes with each operator's record (engine/operators.py), so "Why each rule is right",
the derivation sheet and the explanations can never disagree with the engine.
"""

from __future__ import annotations

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
from lab.model.analysis import format_number

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
