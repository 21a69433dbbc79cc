"""One record per operator: everything the project says about `+`, `*`, `tanh`, ... written once.

The engine's code for an operator stays in engine/value.py, as in micrograd: the method that
computes it with its backward rule right under it (`__mul__`, then `_mul_backward`). A record here
points at those two methods by name and adds what the rest of the project needs to know:

- `symbol`, `label`, `builder_label`, `name`: how tables, pickers and sentences show it;
- `inputs`, `forward`, `local`: out.data and each local derivative as formulas in the words a
  learner writes a backward rule in (engine/derivatives.py explains them; tests/test_derivatives.py
  checks every one against a finite difference);
- `syntax`: how it is typed (`ast.Mult` for `a * b`, `ast.USub` for `-a`; None for a function,
  typed `tanh(x)` or `x.tanh()`), read by engine/parser.py and engine/rule_reader.py;
- `number`: the forward value on plain floats (the rule reader computes formulas with it);
- `words`, `default_point`, `default_exponent`, `latex`: the "Why each rule is right" page.

Everything else reads these records: `Value`'s BACKWARD_RULES, DERIVATIVES, the forward pass that
engine/trace.py recomputes, the parser's operators and functions, the rule reader's functions, the
builder's names, the tables' symbols, lab/views/own_rules.OPERATORS and lab/model/rules.RULES. Adding an
operator is two methods on `Value` and one `register(Operator(...))` (tests/test_operators.py adds
one and sees it on every one of those).

`OPERATORS` is the registry, in the order pages offer the operators. `names(...)` and `table(...)`
make a plain list of operators and a plain dict by operator from it, refilled in place whenever
the registry changes: a module keeps its list or table (pages hand them to Streamlit as they are),
and a new record shows up in it at once.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Operator:
    """One operator of the engine, by the `_op` string its forward method records."""

    op: str  # the `_op` the engine records: "+", "neg", "tanh"
    symbol: str  # shown in tables, the diagram and sentences: "+", "-" for neg, "tanh"
    label: str  # how a page's picker names it: "+", "-a (neg)"
    builder_label: str  # the builder's operator picker: "+  add", "-  negate"
    name: str  # in words: "addition"
    inputs: tuple[str, ...]  # ("self", "other") or ("self",): the Value inputs, in the order of `_prev`
    forward: str  # out.data as a formula: "self.data * other.data"
    local: tuple[str, ...]  # d out / d input as formulas, per input: ("other.data", "self.data")
    method: str  # the Value method that computes it: "__mul__", "tanh"
    rule: str  # the Value method that is its backward rule, right under `method`: "_mul_backward"
    syntax: type[ast.AST] | None  # how it is typed: ast.Mult for `a * b`, ast.USub for `-a`; None: `f(x)`, `x.f()`
    number: Callable[..., float]  # the forward value on plain floats (a number exponent for `**`)
    words: str  # why the rule is right, in words; {forward}, {d0}, {d1} are filled in from the formulas
    default_point: tuple[float, ...]  # a point where the rule is defined
    default_exponent: float | None = None  # `**` only
    latex: str = ""  # a function's LaTeX name (r"\tanh"); "" writes \mathrm{name}

    @property
    def function(self) -> bool:
        """Typed as a function, `tanh(x)`, and as a method, `x.tanh()`."""
        return self.syntax is None

    @property
    def binary(self) -> bool:
        """Typed between two operands, `a * b` (`**` too: its exponent is a number, not an input)."""
        return self.syntax is not None and issubclass(self.syntax, ast.operator)

    @property
    def exponent(self) -> bool:
        """Has the number exponent `n` (`**`)."""
        return self.default_exponent is not None


# -- the forward values on plain floats (errors in words: the rule reader shows them) ------------


def _divide(x: float, y: float) -> float:
    if y == 0:
        raise ZeroDivisionError(f"{x:g} / 0 divides by zero")
    return x / y


def _power(x: float, y: float) -> float:
    try:
        result = x**y
    except ZeroDivisionError:
        raise ZeroDivisionError(f"0 ** {y:g} divides by zero") from None
    except OverflowError:
        raise OverflowError(f"{x:g} ** {y:g} is too large for a float (overflow)") from None
    if isinstance(result, complex):
        raise ValueError(f"{x:g} ** {y:g} is not a real number")
    return result


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp({x:g}) is too large for a float (overflow)") from None


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log of {x:g}: log is only defined for positive numbers")
    return math.log(x)


# -- the registry ------------------------------------------------------------------------------------

OPERATORS: dict[str, Operator] = {}  # op -> its record, in the order pages offer them
_watchers: list[Callable[[], None]] = []


def register(record: Operator) -> Operator:
    """Add (or replace) an operator's record; everything that reads the registry sees it."""
    OPERATORS[record.op] = record
    _changed()
    return record


def unregister(op: str) -> None:
    """Remove an operator's record (a test's own operator, after the test)."""
    OPERATORS.pop(op, None)
    _changed()


def watch(callback: Callable[[], None]) -> None:
    """Call `callback` after every change of the registry (engine/value.py keeps BACKWARD_RULES a plain
    dict, for the speed of backward(), and refills it this way)."""
    _watchers.append(callback)


def _changed() -> None:
    for callback in _watchers:
        callback()


def names(keep: Callable[[Operator], bool] = lambda record: True) -> list[str]:
    """The operators whose record passes `keep`, in registry order: a plain list kept up to date in place."""
    found: list[str] = []

    def refresh() -> None:
        found[:] = [op for op, record in OPERATORS.items() if keep(record)]

    refresh()
    watch(refresh)
    return found


def table(value: Callable[[Operator], T], keep: Callable[[Operator], bool] = lambda record: True) -> dict[str, T]:
    """operator -> `value(record)` for the records that pass `keep`: a plain dict kept up to date in place."""
    found: dict[str, T] = {}

    def refresh() -> None:
        found.clear()
        found.update((op, value(record)) for op, record in OPERATORS.items() if keep(record))

    refresh()
    watch(refresh)
    return found


def typed_as(syntax: type[ast.AST]) -> Operator | None:
    """The operator typed with this piece of Python syntax (`ast.Mult` -> `*`), or None."""
    return next((record for record in OPERATORS.values() if record.syntax is syntax), None)


# -- the engine's operators ------------------------------------------------------------------------

for _record in (
    Operator(
        op="+",
        symbol="+",
        label="+",
        builder_label="+  add",
        name="addition",
        inputs=("self", "other"),
        forward="self.data + other.data",
        local=("1", "1"),
        method="__add__",
        rule="_add_backward",
        syntax=ast.Add,
        number=lambda x, y: x + y,
        words="Nudging a by a little changes {forward} by exactly as much, and the same for b: both local "
        "derivatives are {d0}, so the rule hands out.grad to both inputs unchanged.",
        default_point=(2.0, 3.0),
    ),
    Operator(
        op="*",
        symbol="*",
        label="*",
        builder_label="*  multiply",
        name="multiplication",
        inputs=("self", "other"),
        forward="self.data * other.data",
        local=("other.data", "self.data"),
        method="__mul__",
        rule="_mul_backward",
        syntax=ast.Mult,
        number=lambda x, y: x * y,
        words="Nudging a by a little changes {forward} by {d0} times as much. And the other way round: nudging b "
        "changes it by {d1} times as much. Each input's gradient is the other input's value times out.grad.",
        default_point=(2.0, 3.0),
    ),
    Operator(
        op="-",
        symbol="-",
        label="-",
        builder_label="-  subtract",
        name="subtraction",
        inputs=("self", "other"),
        forward="self.data - other.data",
        local=("1", "-1"),
        method="__sub__",
        rule="_sub_backward",
        syntax=ast.Sub,
        number=lambda x, y: x - y,
        words="Nudging a up moves {forward} up by as much (local derivative {d0}); nudging b up moves it down by as "
        "much (local derivative {d1}).",
        default_point=(5.0, 3.0),
    ),
    Operator(
        op="/",
        symbol="/",
        label="/",
        builder_label="/  divide",
        name="division",
        inputs=("self", "other"),
        forward="self.data / other.data",
        local=("1 / other.data", "-self.data / other.data**2"),
        method="__truediv__",
        rule="_div_backward",
        syntax=ast.Div,
        number=_divide,
        words="Nudging a changes {forward} by {d0} times as much. Nudging b changes it by {d1} times as much: the "
        "result moves against b, and faster when b is small.",
        default_point=(3.0, 2.0),
    ),
    Operator(
        op="**",
        symbol="**",
        label="**",
        builder_label="**  power (number exponent)",
        name="power (number exponent)",
        inputs=("self",),
        forward="self.data**n",
        local=("n * self.data**(n - 1)",),
        method="__pow__",
        rule="_pow_backward",
        syntax=ast.Pow,
        number=_power,
        words="The power rule: nudging a changes {forward} by {d0} times as much. The exponent n is a plain number, "
        "not a node, so it gets no gradient.",
        default_point=(3.0,),
        default_exponent=2.0,
    ),
    Operator(
        op="neg",
        symbol="-",
        label="-a (neg)",
        builder_label="-  negate",
        name="negation",
        inputs=("self",),
        forward="-self.data",
        local=("-1",),
        method="__neg__",
        rule="_neg_backward",
        syntax=ast.USub,
        number=lambda x: -x,
        words="Nudging a up moves {forward} down by as much: the local derivative is {d0}, so the gradient "
        "changes sign.",
        default_point=(2.0,),
    ),
    Operator(
        op="tanh",
        symbol="tanh",
        label="tanh",
        builder_label="tanh",
        name="tanh",
        inputs=("self",),
        forward="tanh(self.data)",
        local=("1 - out.data**2",),
        method="tanh",
        rule="_tanh_backward",
        syntax=None,
        number=math.tanh,
        words="tanh is steep near zero and flat far from it: its slope is {d0}, which the rule computes from the "
        "output it already has (out.data). For large |a| the slope is almost zero: the gradient saturates.",
        default_point=(0.5,),
        latex=r"\tanh",
    ),
    Operator(
        op="relu",
        symbol="relu",
        label="relu",
        builder_label="relu",
        name="ReLU",
        inputs=("self",),
        forward="relu(self.data)",
        local=("out.data > 0",),
        method="relu",
        rule="_relu_backward",
        syntax=None,
        number=lambda x: x if x > 0 else 0.0,
        words="Above zero, relu passes a through unchanged; below zero it is flat, so no gradient gets through: the "
        "ReLU is dead for that input. Its slope is {d0}.",
        default_point=(1.5,),
    ),
    Operator(
        op="exp",
        symbol="exp",
        label="exp",
        builder_label="exp",
        name="exponential",
        inputs=("self",),
        forward="exp(self.data)",
        local=("out.data",),
        method="exp",
        rule="_exp_backward",
        syntax=None,
        number=_exp,
        words="exp is its own slope: nudging a changes out, which is {forward}, by {d0} times as much, so the rule "
        "reuses the output's value (out.data).",
        default_point=(1.0,),
    ),
    Operator(
        op="log",
        symbol="log",
        label="log",
        builder_label="log",
        name="natural logarithm",
        inputs=("self",),
        forward="log(self.data)",
        local=("1 / self.data",),
        method="log",
        rule="_log_backward",
        syntax=None,
        number=_log,
        words="Nudging a changes {forward} by {d0} times as much: a lot for small a, little for large a. log is "
        "only defined for positive a.",
        default_point=(2.0,),
        latex=r"\ln",
    ),
):
    register(_record)
