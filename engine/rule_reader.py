"""Read a backward rule the learner wrote, safely, and run it in place of the engine's rule.

A rule is written in the lesson's own form, one line per input of the operator:

    self.grad += other.data * out.grad
    other.grad += self.data * out.grad

The left side is `self.grad` or `other.grad` with `+=` (or `=`, a mistake worth seeing); the
right side is a formula over `self.data`, `other.data`, `out.data`, `out.grad`, `n` (the
exponent of `**`), numbers, `+ - * / **`, unary minus, `tanh relu exp log` (also as
`math.tanh`), a comparison like `out.data > 0` (which reads as 1 or 0) and `a if c else b`.

Nothing typed is run as Python: `ast.parse` only reads the text into a tree, a whitelist walk
turns the allowed pieces into a small `Formula` tree, and `evaluate` computes that tree with
plain float arithmetic. The same reader reads engine/derivatives.py, so the derivatives the
dashboard prints are in the learner's vocabulary.

A `LearnerRule` is called like the engine's rules (`rule(out)`), so engine.trace.backward_steps
can swap it in for one run without touching the engine's shared BACKWARD_RULES table.
"""

from __future__ import annotations

import ast
import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from engine import operators, reader
from engine.derivatives import DERIVATIVES
from engine.errors import ExpressionError, quote
from engine.reader import Source
from engine.value import Value

MAX_RULE_LENGTH = 1_000  # characters in one rule (all its lines)
MAX_DEPTH = 40  # operations nested inside each other in one formula

# what a rule may call, `tanh(self.data)`: every operator typed as a function, with its value on floats
FUNCTIONS: dict[str, Callable[[float], float]] = operators.table(
    lambda record: record.number, keep=lambda record: record.function
)
GRAD = "out.grad"
EXPONENT = "n"

_COMPARISONS = {kind: reader.OPERATOR_SYMBOLS[kind] for kind in (ast.Gt, ast.GtE, ast.Lt, ast.LtE)}


# -- the formula tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Var:
    name: str  # "self.data", "other.data", "out.data", "out.grad" or "n"


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Formula


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / **
    left: Formula
    right: Formula


@dataclass(frozen=True)
class Call:
    function: str  # tanh relu exp log
    argument: Formula


@dataclass(frozen=True)
class Compare:
    op: str  # > >= < <=
    left: Formula
    right: Formula


@dataclass(frozen=True)
class Choice:
    """`yes if test else no`."""

    test: Formula
    yes: Formula
    no: Formula


Formula = Number | Var | Unary | Binary | Call | Compare | Choice


def variables_of(f: Formula) -> set[str]:
    if isinstance(f, Var):
        return {f.name}
    if isinstance(f, Number):
        return set()
    children = {
        Unary: lambda u: (u.operand,),
        Binary: lambda b: (b.left, b.right),
        Call: lambda c: (c.argument,),
        Compare: lambda c: (c.left, c.right),
        Choice: lambda c: (c.test, c.yes, c.no),
    }[type(f)](f)
    return set().union(*(variables_of(c) for c in children))


# -- computing a formula (plain floats, never eval) ------------------------------------------------


def _binary(op: str, x: float, y: float) -> float:
    """`x op y` for the formula's + - * / **: the engine's operator's value on floats (engine/operators.py)."""
    result = operators.OPERATORS[op].number(x, y)
    if not math.isfinite(result) and math.isfinite(x) and math.isfinite(y):
        raise OverflowError(f"{x:g} {op} {y:g} is too large for a float (overflow)")
    return result


def _compare(op: str, x: float, y: float) -> float:
    return float({">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op])


def evaluate(f: Formula, env: Mapping[str, float]) -> float:
    """The formula's value. Raises ZeroDivisionError, OverflowError or ValueError with a sentence."""
    if isinstance(f, Number):
        return f.value
    if isinstance(f, Var):
        return float(env[f.name])
    if isinstance(f, Unary):
        x = evaluate(f.operand, env)
        return -x if f.op == "-" else x
    if isinstance(f, Binary):
        return _binary(f.op, evaluate(f.left, env), evaluate(f.right, env))
    if isinstance(f, Call):
        x = evaluate(f.argument, env)
        return x if math.isnan(x) else FUNCTIONS[f.function](x)
    if isinstance(f, Compare):
        return _compare(f.op, evaluate(f.left, env), evaluate(f.right, env))
    return evaluate(f.yes, env) if evaluate(f.test, env) else evaluate(f.no, env)


# -- printing a formula as text -------------------------------------------------------------------

_PRECEDENCE = {"+": 2, "-": 2, "*": 3, "/": 3, "**": 5}
ATOM = 6


def _default_number(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _precedence(f: Formula) -> int:
    if isinstance(f, Choice):
        return 0
    if isinstance(f, Compare):
        return 1
    if isinstance(f, Binary):
        return _PRECEDENCE[f.op]
    if isinstance(f, Unary) or (isinstance(f, Number) and f.value < 0):
        return 4
    return ATOM


def substitute(f: Formula, values: Mapping[str, float]) -> Formula:
    """The formula with some variables replaced by numbers, and arithmetic on numbers alone done."""
    if isinstance(f, Var):
        return Number(float(values[f.name])) if f.name in values else f
    if isinstance(f, Number):
        return f
    if isinstance(f, Unary):
        inner = substitute(f.operand, values)
        if isinstance(inner, Number):
            return Number(-inner.value if f.op == "-" else inner.value)
        return Unary(f.op, inner)
    if isinstance(f, Binary):
        left, right = substitute(f.left, values), substitute(f.right, values)
        if isinstance(left, Number) and isinstance(right, Number):
            try:
                return Number(_binary(f.op, left.value, right.value))
            except (ArithmeticError, ValueError):
                pass
        return Binary(f.op, left, right)
    if isinstance(f, Call):
        return Call(f.function, substitute(f.argument, values))
    if isinstance(f, Compare):
        return Compare(f.op, substitute(f.left, values), substitute(f.right, values))
    return Choice(substitute(f.test, values), substitute(f.yes, values), substitute(f.no, values))


def formula_text(
    f: Formula,
    names: Mapping[str, str] | None = None,
    number: Callable[[float], str] = _default_number,
    factor: bool = False,
) -> str:
    """The formula as a learner writes it: `-x.data / y.data**2`.

    `names` renames variables (`{"self.data": "x.data"}`); `factor=True` puts the text in
    brackets when it is about to be multiplied by something (`(1 - o.data**2) * o.grad`).
    """
    names = names or {}

    def text(g: Formula, at_least: int = 0) -> str:
        shown = _text(g)
        return f"({shown})" if _precedence(g) < at_least else shown

    def _text(g: Formula) -> str:
        if isinstance(g, Number):
            return number(g.value)
        if isinstance(g, Var):
            return names.get(g.name, g.name)
        if isinstance(g, Unary):
            return g.op + text(g.operand, 5)
        if isinstance(g, Binary):
            if g.op == "**":
                return f"{text(g.left, ATOM)}**{text(g.right, 4)}"
            p = _PRECEDENCE[g.op]
            return f"{text(g.left, p)} {g.op} {text(g.right, p + 1)}"
        if isinstance(g, Call):
            return f"{g.function}({text(g.argument)})"
        if isinstance(g, Compare):
            return f"{text(g.left, 2)} {g.op} {text(g.right, 2)}"
        return f"{text(g.yes, 1)} if {text(g.test, 1)} else {text(g.no)}"

    shown = _text(f)
    if factor and (_precedence(f) < 3 or (isinstance(f, Binary) and f.op == "/")):
        return f"({shown})"
    return shown


# -- reading text into a formula (the whitelist) ----------------------------------------------------


@dataclass(frozen=True)
class _Context:
    source: Source
    inputs: tuple[str, ...]  # ("self", "other") or ("self",)
    exponent: bool  # `n` may be used
    grad: bool  # `out.grad` may be used
    op_label: str


def _segment(ctx: _Context, node: ast.AST) -> str:
    return ctx.source.typed(node)


def _error(ctx: _Context, node: ast.AST, message: str) -> ExpressionError:
    return ctx.source.error(node, message)


def _allowed_names(ctx: _Context) -> str:
    names = [f"`{name}.data`" for name in ctx.inputs] + ["`out.data`"]
    if ctx.grad:
        names.append("`out.grad`")
    if ctx.exponent:
        names.append("`n`")
    return ", ".join(names[:-1]) + " and " + names[-1]


def _read_attribute(ctx: _Context, node: ast.Attribute) -> Formula:
    shown = ctx.source.shown(node)
    owner = node.value.id if isinstance(node.value, ast.Name) else None
    if owner == "math" and node.attr in ("e", "pi"):
        return Number(math.e if node.attr == "e" else math.pi)
    if owner in ("self", "other", "out") and node.attr in ("data", "grad"):
        name = f"{owner}.{node.attr}"
        if owner == "other" and "other" not in ctx.inputs:
            raise _error(ctx, node, f"{shown}: {ctx.op_label} has one input, `self`; there is no `other`")
        if node.attr == "grad" and owner != "out":
            raise _error(
                ctx,
                node,
                f"{shown} on the right: the rule works out what to add to {owner}.grad from `out.grad` and the "
                "data; it does not read the input's own gradient",
            )
        if name == GRAD and not ctx.grad:
            raise _error(ctx, node, f"{shown} is not part of a local derivative")
        return Var(name)
    raise _error(ctx, node, f"{shown} is not part of a rule: use {_allowed_names(ctx)}")


def _read_call(ctx: _Context, node: ast.Call) -> Formula:
    shown = ctx.source.shown(node)
    func = node.func
    name = None
    if isinstance(func, ast.Name):
        name = func.id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "math":
        name = func.attr
    if name not in FUNCTIONS:
        known = ", ".join(list(FUNCTIONS)[:-1]) + " and " + list(FUNCTIONS)[-1]
        raise _error(ctx, node, f"{shown}: only {known} can be called in a rule")
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        raise _error(ctx, node, f"{shown}: {name} takes exactly one number, like `{name}(self.data)`")
    return Call(name, _read(ctx, node.args[0]))


def _read(ctx: _Context, node: ast.AST) -> Formula:
    """One allowed piece of the right side, or an ExpressionError that says what is not allowed."""
    shown = ctx.source.shown(node)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _error(ctx, node, f"{shown} is not a number")
        value = float(node.value)
        if not math.isfinite(value):
            raise _error(ctx, node, f"{shown} is too large for a float")
        return Number(value)
    if isinstance(node, ast.Attribute):
        return _read_attribute(ctx, node)
    if isinstance(node, ast.Name):
        if node.id == EXPONENT:
            if not ctx.exponent:
                raise _error(ctx, node, f"{shown}: `n` is the exponent of `**` and only exists in its rule")
            return Var(EXPONENT)
        if node.id in ("self", "other", "out"):
            raise _error(ctx, node, f"{shown} is a whole Value: use its number, `{node.id}.data`")
        raise _error(ctx, node, f"{shown} is not known in a rule: use {_allowed_names(ctx)}")
    if isinstance(node, ast.BinOp):
        record = operators.typed_as(type(node.op))
        if record is None or not record.binary:
            hint = " (for a power write `**`)" if isinstance(node.op, ast.BitXor) else ""
            raise _error(ctx, node, f"{quote(reader.operator_symbol(node.op))}{hint} is not allowed in a rule")
        return Binary(record.op, _read(ctx, node.left), _read(ctx, node.right))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return Unary("-" if isinstance(node.op, ast.USub) else "+", _read(ctx, node.operand))
        raise _error(ctx, node, f"{shown}: only `-` and `+` can stand in front of a number")
    if isinstance(node, ast.Call):
        return _read_call(ctx, node)
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARISONS:
            raise _error(ctx, node, f"{shown}: compare two things with one of `>`, `>=`, `<`, `<=`")
        return Compare(_COMPARISONS[type(node.ops[0])], _read(ctx, node.left), _read(ctx, node.comparators[0]))
    if isinstance(node, ast.IfExp):
        if not isinstance(node.test, ast.Compare):
            raise _error(ctx, node, f"{shown}: the condition of `... if ... else ...` is a comparison")
        return Choice(_read(ctx, node.test), _read(ctx, node.body), _read(ctx, node.orelse))
    hint = reader.decimal_comma(ctx.source, node)
    raise _error(ctx, node, hint or f"{shown}: {reader.describe(node)} is not part of a rule")


def _parse(text: str, mode: str) -> Source:
    """The rule read by engine/reader.py (never run), with a rule's own limits and words."""
    return reader.read(
        text,
        mode=mode,
        what="the rule",
        max_length=MAX_RULE_LENGTH,
        max_depth=MAX_DEPTH,
        invalid="this line is not a formula Python can read",
    )


def read_formula(text: str, inputs: tuple[str, ...] = ("self", "other"), exponent: bool = True) -> Formula:
    """One formula (no `out.grad`): how engine/derivatives.py writes a local derivative."""
    source = _parse(text, "eval")
    ctx = _Context(source, inputs, exponent, grad=False, op_label="this operator")
    return _read(ctx, source.tree.body)


# -- reading a whole rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleLine:
    slot: int  # which input: 0 for self, 1 for other
    target: str  # "self" or "other"
    assign: str  # "+=" or "="
    formula: Formula
    text: str  # the line as typed


def op_label(op: str) -> str:
    return "unary minus (`neg`)" if op == "neg" else f"`{op}`"


def _skip_prev_unpacking(node: ast.stmt) -> bool:
    """`self, other = out._prev` (the engine's own first line) is allowed and needs nothing."""
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "_prev"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "out"
    )


def _read_line(ctx: _Context, node: ast.stmt) -> RuleLine:
    shown = ctx.source.shown(node)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        raise _error(ctx, node, f"{shown}: a rule imports nothing; write one line per input, `self.grad += ...`")
    if isinstance(node, ast.AugAssign):
        if not isinstance(node.op, ast.Add):
            raise _error(ctx, node, f"{shown}: a rule adds its part to the gradient with `+=`")
        target, assign = node.target, "+="
    elif isinstance(node, ast.Assign):
        if len(node.targets) != 1:
            raise _error(ctx, node, f"{shown}: one gradient per line")
        target, assign = node.targets[0], "="
    else:
        raise _error(ctx, node, f"{shown} is not a rule line: write `self.grad += ...`, one line per input")
    owner = target.value.id if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) else None
    if owner == "out" and isinstance(target, ast.Attribute) and target.attr == "grad":
        raise _error(
            ctx,
            node,
            f"{shown}: a rule does not set `out.grad`, it reads it (whatever uses out filled it in, and "
            "backward() seeds the output with 1); it sets the grads of its inputs",
        )
    allowed = " or ".join(f"`{name}.grad`" for name in ctx.inputs)
    if owner not in ("self", "other") or target.attr != "grad":
        raise _error(ctx, node, f"{shown}: the left side is {allowed}")
    if owner not in ctx.inputs:
        raise _error(ctx, node, f"{shown}: {ctx.op_label} has one input, `self`; there is no `other`")
    formula = _read(ctx, node.value)
    return RuleLine(ctx.inputs.index(owner), owner, assign, formula, _segment(ctx, node))


@dataclass(frozen=True)
class LearnerRule:
    """A rule the learner wrote for one operator; call it like an engine rule: `rule(out)`."""

    op: str
    lines: tuple[RuleLine, ...]  # one per input, in input order

    def sends(self, out: Value) -> list[tuple[int, str, float]]:
        """What each line computes at `out`: (input slot, "+=" or "=", value). Raises on a bad number."""
        env = {"out.data": out.data, "out.grad": out.grad}
        for name, node in zip(DERIVATIVES[self.op].inputs, out._prev, strict=True):
            env[f"{name}.data"] = node.data
        if out._exponent is not None:
            env[EXPONENT] = out._exponent
        return [(line.slot, line.assign, evaluate(line.formula, env)) for line in self.lines]

    def __call__(self, out: Value) -> None:
        inputs = out._prev
        grads = {id(node): node.grad for node in inputs}
        for slot, assign, value in self.sends(out):
            node = inputs[slot]
            new = value if assign == "=" else grads[id(node)] + value
            if math.isinf(new) and math.isfinite(value) and math.isfinite(grads[id(node)]):
                raise OverflowError(f"{DERIVATIVES[self.op].inputs[slot]}.grad grows too large for a float")
            grads[id(node)] = new
        for node in inputs:
            node.grad = grads[id(node)]


def read_rule(op: str, text: str) -> LearnerRule:
    """Read the learner's rule for operator `op`. Raises ExpressionError with a message for the learner."""
    if op not in DERIVATIVES:
        raise ExpressionError(f"there is no operator {op!r}")
    inputs = DERIVATIVES[op].inputs
    source = _parse(text, "exec")
    ctx = _Context(source, inputs, exponent=DERIVATIVES[op].exponent, grad=True, op_label=op_label(op))
    lines: dict[int, RuleLine] = {}
    for node in source.tree.body:
        if _skip_prev_unpacking(node):
            continue
        line = _read_line(ctx, node)
        if line.slot in lines:
            raise _error(ctx, node, f"`{line.target}.grad` has two lines: write one line per input")
        lines[line.slot] = line
    missing = [f"`{name}.grad`" for slot, name in enumerate(inputs) if slot not in lines]
    if missing:
        if not lines:
            raise ExpressionError(f"no rule yet: write {' and '.join(missing)}, one line each")
        raise ExpressionError(
            f"{op_label(op)} has {len(inputs)} inputs, so the rule has a line for each: {missing[0]} is missing"
        )
    return LearnerRule(op, tuple(lines[slot] for slot in sorted(lines)))


# -- is it the right rule, or a well-known mistake? ---------------------------------------------------

RIGHT = "right"
WRONG = "wrong"  # wrong in a way none of the known mistakes is

# A known mistake, as the catalog of classic mistakes gives it (lab/model/mistakes.py): its id, and for an
# operator and an input slot the formula a rule line has when it makes that mistake (None: it cannot there).
KnownMistake = tuple[str, Callable[[str, int], str | None]]


def engine_formula(op: str, slot: int) -> Formula:
    """The engine's rule for one input as a formula: local derivative times out.grad."""
    return Binary("*", local_formula(op, slot), Var(GRAD))


@functools.lru_cache(maxsize=32)
def _points(op: str, count: int = 8) -> list[dict[str, float]]:
    """Points where `op` is defined, to compare two formulas at (fixed: the same on every run)."""
    rng = random.Random(f"points:{op}")
    d = DERIVATIVES[op]
    forward = forward_formula(op)
    points = []
    while len(points) < count:
        positive = op in ("log", "**")
        env = {f"{name}.data": rng.uniform(0.3, 2.5) * (1 if positive else rng.choice((-1, 1))) for name in d.inputs}
        env[EXPONENT] = rng.choice((2.5, 3.0, -1.5, 0.5))
        env[GRAD] = rng.uniform(0.5, 3.0) * rng.choice((-1, 1))
        try:
            env["out.data"] = evaluate(forward, env)
        except (ArithmeticError, ValueError):
            continue
        points.append(env)
    return points


def same_values(op: str, f: Formula, g: Formula) -> bool:
    """Whether two formulas give the same number at several points where `op` is defined."""
    for env in _points(op):
        try:
            x, y = evaluate(f, env), evaluate(g, env)
        except (ArithmeticError, ValueError):
            return False
        if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


@dataclass(frozen=True)
class LineVerdict:
    slot: int
    target: str
    kind: str  # RIGHT, the id of the known mistake the formula makes, or WRONG
    overwrite: bool  # `=` instead of `+=`

    @property
    def right(self) -> bool:
        return self.kind == RIGHT and not self.overwrite


def recognise(rule: LearnerRule, known: Sequence[KnownMistake] = ()) -> tuple[LineVerdict, ...]:
    """For each line: right, or which of the `known` mistakes it makes, or WRONG (numbers compared, not text)."""
    verdicts = []
    for line in rule.lines:
        kind = WRONG
        if same_values(rule.op, line.formula, engine_formula(rule.op, line.slot)):
            kind = RIGHT
        else:
            for name, formula_of in known:
                text = formula_of(rule.op, line.slot)
                if text is not None and same_values(rule.op, line.formula, read_rule_formula(rule.op, text)):
                    kind = name
                    break
        verdicts.append(LineVerdict(line.slot, line.target, kind, line.assign == "="))
    return tuple(verdicts)


def read_rule_formula(op: str, text: str) -> Formula:
    """A right-hand side of a rule for `op` (with `out.grad`)."""
    source = _parse(text, "eval")
    ctx = _Context(source, DERIVATIVES[op].inputs, DERIVATIVES[op].exponent, grad=True, op_label=op_label(op))
    return _read(ctx, source.tree.body)


# -- the one source, read -------------------------------------------------------------------------

_SOURCE: dict[tuple[str, int], Formula] = {}


def local_formula(op: str, slot: int) -> Formula:
    """d out / d input `slot` of operator `op`, read from engine/derivatives.py (once)."""
    key = (op, slot)
    if key not in _SOURCE:
        d = DERIVATIVES[op]
        _SOURCE[key] = read_formula(d.local[slot], d.inputs, d.exponent)
    return _SOURCE[key]


def forward_formula(op: str) -> Formula:
    """out.data of operator `op` as a formula, read from engine/derivatives.py (once)."""
    key = (op, -1)
    if key not in _SOURCE:
        d = DERIVATIVES[op]
        _SOURCE[key] = read_formula(d.forward, d.inputs, d.exponent)
    return _SOURCE[key]


# a record added or removed (engine/operators.py): read the formulas again
operators.watch(_SOURCE.clear)
operators.watch(_points.cache_clear)
