"""A number or formula a learner types as an answer (a hand entry, a prediction, a checkpoint answer).

Read by the safe parser over the program's variables (never run as Python), computed at the
program's values or at other points (a wrong formula can be right here by luck), and judged close
enough to the engine's number with the learner's tolerance.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Collection, Mapping

from engine.errors import ExpressionError, quote
from engine.parser import Program, parse_program
from lab.model.analysis import Analysis, analyse

OTHER_POINTS = 5  # how many other points a formula is checked at


def close_enough(hand: float, engine: float, tolerance: float) -> bool:
    """|hand - engine| <= tolerance * max(1, |engine|): absolute near 0, relative for big numbers."""
    return abs(hand - engine) <= tolerance * max(1.0, abs(engine))


_ASSIGNMENT = re.compile(r"(?<![=<>!])=(?!=)")


def read_entry(entry: str, a: Analysis, notation: bool = False, grads: Collection[str] | None = None) -> Program:
    """The entry as a formula over the variables (a number is a formula without any). Raises ExpressionError.

    A variable may be written in the lesson's notation too: `y.data` is `y`. With `notation=True` (a
    prediction on Watch it flow, where the lesson's rule `y.data * a.grad` is the natural answer) every
    node's `.data` and `.grad` may be used, as its number in the current graph (`grads`, when given, names
    the only nodes whose `.grad` may be used: a prediction may use the firing node's grad, which is final
    when it fires, not the grad it is asked to predict). Without it (the hand
    check, where `z.data` or `x.grad` would be the engine's own answer to the row) the message says
    what to type instead.
    """
    if _ASSIGNMENT.search(entry):
        raise ExpressionError("type only your answer, without `name =`: for example `3` or `x + 1`")
    fields: dict[str, float | None] = {f"{name}.data": None for name in a.variables}
    if notation:
        for name, node in zip(a.names, a.graph.nodes, strict=True):
            if name not in a.variables:
                fields[f"{name}.data"] = node.data
            if grads is None or name in grads:
                fields[f"{name}.grad"] = node.grad
    formula = parse_program(entry, fields)
    unknown = [name for name in formula.variables if name not in a.variables]
    if unknown:
        name = unknown[0]
        allowed = ", ".join(quote(variable) for variable in a.variables) or "none: type a number"
        if name in a.names:
            raise ExpressionError(
                f"{quote(name)} is a node, not a variable: write it in terms of the variables ({allowed})"
            )
        raise ExpressionError(f"{quote(name)} is not a variable here: a formula may use only the variables ({allowed})")
    return formula


def number_at(formula: Program, values: Mapping[str, float]) -> float:
    """The entry's number with the variables at `values`. Raises ExpressionError when it can't be computed."""
    result = formula.build(values).output.data
    if not math.isfinite(result):
        raise ExpressionError(f"it is {result}, not a number")
    return result


def other_points(a: Analysis, count: int = OTHER_POINTS, seed: int = 0) -> list[Analysis]:
    """The same program at up to `count` random points near its values, where it can be computed.

    Each value moves by up to its own size (at least 1) and is rounded as a learner would check it by
    hand (_round); a point where the graph comes out another shape, or anything is not finite, is skipped.
    The By hand page and the checkpoint questions check a formula at the same points.
    """
    rng = random.Random(seed)
    here = a.values
    points: list[Analysis] = []
    for _ in range(count * 4):
        if len(points) == count or not here:
            break
        values = {name: _round(x + rng.uniform(-1.0, 1.0) * max(1.0, abs(x))) for name, x in here.items()}
        try:
            other = analyse(a.program.text, values)
        except (ExpressionError, ArithmeticError, ValueError, OverflowError):
            continue
        if other.names != a.names:
            continue
        if all(math.isfinite(node.data) and math.isfinite(node.grad) for node in other.graph.nodes):
            points.append(other)
    return points


def _round(x: float) -> float:
    """A number a learner can check by hand: one decimal (whole numbers above 1000)."""
    return round(x, 1) if abs(x) < 1000 else float(round(x))


def entry_number(entry: str, a: Analysis, values: Mapping[str, float] | None = None) -> tuple[float, bool]:
    """An answer read the way a hand entry is (a number or a formula in the variables, parsed, never run).

    Returns its number at `values` (default: the variables' current values) and whether it is a formula.
    Raises ExpressionError with a message for the learner.
    """
    formula = read_entry(entry.strip(), a)
    return number_at(formula, a.values if values is None else values), bool(formula.variables)
