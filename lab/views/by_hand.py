"""The learner's hand calculation beside the engine's numbers: one row per thing to check.

Rows, top to bottom: the output's value, then d output / d node for every variable, then for
every computed node in between (those are optional: a blank row is not checked). An entry is
a number (`3`, `1/2`) or a formula in the variables (`x + 1`). A formula is checked here and at
a few other random points, because a wrong formula can give the right number by luck: in the
lesson's example `dz/dy = y` is 3 at x = 2, y = 3, like the right answer `x + 1`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from engine.errors import ExpressionError, quote
from engine.parser import Program
from engine.trace import evaluate, finite_difference, gradient_sources
from lab.model.analysis import OPERATION, Analysis, format_number
from lab.model.entries import close_enough, number_at, other_points, read_entry
from lab.model.explain import forward_sentence, gradient_sum
from lab.model.identity import program_id
from lab.work.share import OWNER

VALUE_KEY = "value"  # hand-entry key of the output's value
GRAD_PREFIX = "grad:"  # hand-entry key of a gradient: "grad:<node name>"

PASS, FAIL, ONLY_HERE, UNREADABLE, BLANK = "pass", "fail", "only here", "unreadable", "blank"
# text symbols, not emoji: the table is drawn on a canvas, and projector machines often lack an emoji font
RESULT_TEXT = {
    PASS: "✔ matches",
    FAIL: "✘ differs",
    ONLY_HERE: "⚠ right only at this point",
    UNREADABLE: "? can't read it",
    BLANK: "",
}

SEE_BELOW = " (see below)"
# The result column's width in px: its longest text whole (14 px text is under 7 px a character on average,
# plus the cell's padding), so a canvas table does not cut it off at the column's edge.
RESULT_COLUMN_PX = int(7 * max(len(text) for text in RESULT_TEXT.values()) + 7 * len(SEE_BELOW) + 24)

MAX_FORWARD_LINES = 12  # a failing value row shows the forward pass, shortened for big graphs
FLOAT_NOISE = 1e-12  # relative (absolute near 0): a difference this small is the floats' rounding, shown as 0
FD_ALL_ROWS_UP_TO = 100  # bigger graphs: finite differences of computed nodes only for rows with an entry


@dataclass(frozen=True)
class Row:
    """One thing the learner can work out by hand."""

    key: str  # where the entry is kept: "value" or "grad:<node name>"
    label: str  # "value of z", "d z / d x"
    node: int  # the node this row is about
    is_value: bool  # the output's value (True) or a gradient (False)
    required: bool  # the value and the variables' gradients; computed nodes are optional


@dataclass(frozen=True)
class RowCheck:
    """One row compared: the entry, the engine's number, and whether they agree."""

    row: Row
    entry: str  # what the learner typed ("" when blank)
    hand: float | None  # the entry's number here
    engine: float  # the engine's number here
    finite: float  # finite-difference estimate (for the value row: the value recomputed); NaN when none
    status: str  # PASS, FAIL, ONLY_HERE, UNREADABLE or BLANK
    message: str  # why, in words ("" for blank rows)
    explanation: str  # where the engine's number comes from, edge by edge (for failing rows)
    is_formula: bool = False

    @property
    def difference(self) -> float | None:
        """yours − engine; 0 when they differ only by float rounding (0.5 against 0.5 - 2.2e-16)."""
        if self.hand is None:
            return None
        if math.isclose(self.hand, self.engine, rel_tol=FLOAT_NOISE, abs_tol=FLOAT_NOISE):
            return 0.0
        return self.hand - self.engine

    @property
    def fails(self) -> bool:
        return self.status in (FAIL, ONLY_HERE)

    @property
    def result(self) -> str:
        return RESULT_TEXT[self.status]

    @property
    def note(self) -> str:
        """A line under the node in the diagram: `your grad: x`."""
        return f"your {'value' if self.row.is_value else 'grad'}: {self.entry}"


@dataclass(frozen=True)
class HandCheck:
    """Every row compared, and the overall verdict."""

    checks: list[RowCheck]
    verdict: str  # one sentence
    verdict_kind: str  # "success", "error", "warning" or "info"
    missing: list[str]  # labels of required rows still blank

    @property
    def mismatch(self) -> tuple[int, ...]:
        """Nodes whose hand entry disagrees with the engine: drawn red in the diagram."""
        return tuple(dict.fromkeys(c.row.node for c in self.checks if c.fails))

    @property
    def failing(self) -> list[RowCheck]:
        return [c for c in self.checks if c.fails]

    @property
    def unreadable(self) -> list[RowCheck]:
        return [c for c in self.checks if c.status == UNREADABLE]

    @property
    def entered(self) -> list[RowCheck]:
        """The rows the learner has typed something into."""
        return [c for c in self.checks if c.entry]


def grad_key(name: str) -> str:
    return GRAD_PREFIX + name


# -- whose entries: hand entries belong to a program --------------------------------------------
# The learner's work keeps every program's entries, each under "<program key>|<row key>" (as predictions
# are kept per program): a new program starts with none, and the lesson's example gets its own back when it
# is loaded again. The key is the program's shape, not its values: a nudged x keeps the entries (a number
# worked out for the old x then shows as differing, which it does).


def entries_of(hand: Mapping[str, str], a: Analysis) -> dict[str, str]:
    """The entries of `a`'s program (keyed by row) among all the learner's entries.

    A mapping without any program's key is taken as one program's entries, keyed by row (as a caller
    that has only this program's entries passes them)."""
    if not any(OWNER in key for key in hand):
        return dict(hand)
    prefix = program_id(a) + OWNER
    return {key[len(prefix) :]: text for key, text in hand.items() if key.startswith(prefix)}


def with_entries(hand: Mapping[str, str], a: Analysis, entries: Mapping[str, str]) -> dict[str, str]:
    """All the learner's entries, with `a`'s program's replaced by `entries` (blank ones left out)."""
    prefix = program_id(a) + OWNER
    result = {key: text for key, text in hand.items() if OWNER in key and not key.startswith(prefix)}
    result.update({prefix + key: text for key, text in entries.items() if isinstance(text, str) and text.strip()})
    return result


def rows(a: Analysis) -> list[Row]:
    """The output's value, d output / d variable for each variable, then each computed node in between."""
    out = a.names[a.output]
    result = [Row(VALUE_KEY, f"value of {out}", a.output, True, True)]
    for name, i in a.variables.items():
        result.append(Row(grad_key(name), f"d {out} / d {name}", i, False, True))
    for i, kind in enumerate(a.kinds):
        if kind == OPERATION:
            name = a.names[i]
            label = f"d {out} / d {name}" if a.formulas[i] == name else f"d {out} / d {name}  ({a.formulas[i]})"
            result.append(Row(grad_key(name), label, i, False, False))
    return result


def entries_complete(a: Analysis, hand: Mapping[str, str]) -> bool:
    """Has the learner entered every variable's gradient? ("by hand first" shows the engine after that.)"""
    hand = entries_of(hand, a)
    return all(_entry(hand, grad_key(name)) for name in a.variables)


def engine_hidden(a: Analysis, hand: Mapping[str, str], settings: Mapping[str, object]) -> bool:
    """ "By hand first" (the default): the engine's numbers wait until every variable's gradient is entered."""
    return bool(settings.get("hand_first", True)) and not entries_complete(a, hand)


def check(a: Analysis, hand: Mapping[str, str], tolerance: float = 1e-3, seed: int = 0) -> HandCheck:
    """Compare every row's entry with the engine (and, for formulas, at other random points).

    `hand`: the learner's entries, of every program (entries_of picks this program's) or of this one alone."""
    hand = entries_of(hand, a)
    checks = []
    points: list[Analysis] | None = None  # computed on the first formula entry
    sources = None
    for row in rows(a):
        entry = _entry(hand, row.key)
        engine = _engine_number(a, row)
        finite = _finite(a, row, bool(entry))
        if not entry:
            checks.append(RowCheck(row, "", None, engine, finite, BLANK, "", ""))
            continue
        try:
            formula = read_entry(entry, a)
            here = number_at(formula, a.values)
        except (ExpressionError, ArithmeticError, ValueError) as e:
            checks.append(RowCheck(row, entry, None, engine, finite, UNREADABLE, str(e), ""))
            continue
        is_formula = bool(formula.variables)
        status, message = PASS, "matches the engine"
        if not close_enough(here, engine, tolerance):
            status = FAIL
            yours = f"{quote(entry)}, which is {format_number(here)} here" if is_formula else format_number(here)
            message = f"you wrote {yours}; the engine has {format_number(engine)}"
        elif is_formula:
            if points is None:
                points = other_points(a, seed=seed)
            status, message = _check_elsewhere(formula, row, a, points, tolerance)
        explanation = ""
        if status != PASS:
            if sources is None:
                sources = gradient_sources(a.graph, a.steps)
            explanation = _explain(a, row, sources)
        checks.append(RowCheck(row, entry, here, engine, finite, status, message, explanation, is_formula))
    missing = [c.row.label for c in checks if c.row.required and c.status == BLANK]
    verdict, kind = _verdict(checks, missing)
    return HandCheck(checks, verdict, kind, missing)


# -- reading an entry ---------------------------------------------------------------------


def _entry(hand: Mapping[str, str], key: str) -> str:
    value = hand.get(key)
    return value.strip() if isinstance(value, str) else ""


# -- the engine's numbers -----------------------------------------------------------------


def _engine_number(a: Analysis, row: Row) -> float:
    node = a.graph.nodes[row.node]
    return node.data if row.is_value else node.grad


def _finite(a: Analysis, row: Row, has_entry: bool) -> float:
    if row.is_value:
        try:
            return evaluate(a.graph, {})
        except (ArithmeticError, ValueError):
            return math.nan
    if row.node in a.finite:
        return a.finite[row.node]
    if not has_entry and len(a.graph) > FD_ALL_ROWS_UP_TO:
        return math.nan
    return finite_difference(a.graph, [row.node])[row.node]


# -- a formula at other points ------------------------------------------------------------


def _check_elsewhere(
    formula: Program, row: Row, a: Analysis, points: list[Analysis], tolerance: float
) -> tuple[str, str]:
    checked = 0
    for point in points:
        try:
            theirs = number_at(formula, point.values)
        except (ExpressionError, ArithmeticError, ValueError):
            continue
        node = point.graph.nodes[row.node]
        engine = node.data if row.is_value else node.grad
        checked += 1
        if not close_enough(theirs, engine, tolerance):
            where = ", ".join(f"{k} = {format_number(v)}" for k, v in point.values.items())
            return ONLY_HERE, (
                f"{quote(formula.text)} is right here, but not in general: at {where} it gives {format_number(theirs)} "
                f"while the engine's {row.label} is {format_number(engine)}"
            )
    if checked == 0:
        return PASS, "matches here (it could not be checked at other points)"
    return PASS, f"matches here and at {checked} other random points"


# -- words ----------------------------------------------------------------------------------


def _explain(a: Analysis, row: Row, sources) -> str:
    """Where the engine's number comes from: the forward pass for the value, the edges for a gradient."""
    if row.is_value:
        steps = [forward_sentence(a, i) for i, node in enumerate(a.graph.nodes) if node._prev]
        if len(steps) > MAX_FORWARD_LINES:
            steps = [*steps[: MAX_FORWARD_LINES - 1], f"... ({len(steps) - MAX_FORWARD_LINES} more steps)", steps[-1]]
        return "\n".join(steps)
    return gradient_sum(a, row.node, sources[row.node])


def _verdict(checks: list[RowCheck], missing: list[str]) -> tuple[str, str]:
    failing = [c for c in checks if c.fails]
    unreadable = [c for c in checks if c.status == UNREADABLE]
    entered = [c for c in checks if c.status != BLANK]
    if failing:
        names = ", ".join(
            c.row.label + (" (right only at this point)" if c.status == ONLY_HERE else "") for c in failing
        )
        return f"These don't match the engine: {names}.", "error"
    if unreadable:
        return f"Can't read your entry for: {', '.join(c.row.label for c in unreadable)}.", "warning"
    if not entered:
        return f"Type your hand calculation in the column 'your answer': {', '.join(missing)}.", "info"
    if missing:
        matched = "your entry matches" if len(entered) == 1 else f"all {len(entered)} of your entries match"
        return f"So far so good: {matched}. Still to do: {', '.join(missing)}.", "info"
    return "Your gradients match the engine.", "success"


# -- the table the page shows ----------------------------------------------------------------

ROW, ANSWER, ENGINE, FINITE, DIFFERENCE, RESULT = (
    "row",
    "your answer",
    "engine",
    "finite difference",
    "difference",
    "result",
)
COLUMNS = [ROW, ANSWER, ENGINE, FINITE, DIFFERENCE, RESULT]


def comparison_table(result: HandCheck, hide_engine: bool = False, entered_only: bool = False) -> pd.DataFrame:
    """One row per check, as text (the answer column is what the learner types), indexed by entry key.

    `hide_engine` ("by hand first") puts `?` where the engine's numbers would be: they are not even sent.
    `entered_only`: only the rows the learner has typed into (the Lesson's summary).
    """
    records = []
    shown = result.entered if entered_only else result.checks
    for c in shown:
        record = {ROW: c.row.label, ANSWER: c.entry, ENGINE: "", FINITE: "", DIFFERENCE: "", RESULT: ""}
        if hide_engine:
            record.update({ENGINE: "?", FINITE: "?"})
        else:
            record[ENGINE] = format_number(c.engine)
            record[FINITE] = format_number(c.finite)
            if c.difference is not None:
                record[DIFFERENCE] = format_number(c.difference)
            record[RESULT] = c.result  # short, so the column fits: the message is said below the table
            if c.status == ONLY_HERE:
                record[RESULT] += SEE_BELOW
        records.append(record)
    index = pd.Index([c.row.key for c in shown], name="key")
    return pd.DataFrame(records, columns=COLUMNS, index=index)


def turned_by_values(before: Analysis, after: Analysis, hand: Mapping[str, str], tolerance: float = 1e-3) -> str:
    """What a change of the variables' values did to the hand check's verdicts, in words ("" when nothing).

    `before` and `after` are the same program at the old and the new values; `hand` its entries. A number
    worked out by hand is right at the values it was worked out for, so a nudge can turn it; the learner is
    told where the nudge was made, not left to find a verdict changed on another page.
    """
    old = {c.row.key: c.status == PASS for c in check(before, hand, tolerance).checks if c.entry}
    turned = [
        c for c in check(after, hand, tolerance).checks if c.row.key in old and (c.status == PASS) != old[c.row.key]
    ]
    if not turned:
        return ""
    moved = ", ".join(f"{k} = {format_number(v)}" for k, v in after.values.items() if before.values.get(k) != v)
    lost = [c for c in turned if c.status != PASS]
    won = [c for c in turned if c.status == PASS]

    def rows_of(checks: list[RowCheck]) -> str:
        return ", ".join(f"{c.row.label} ({quote(c.entry)})" for c in checks)

    parts = []
    if lost:
        parts.append(f"{rows_of(lost)} no longer match{'es' if len(lost) == 1 else ''} the engine")
    if won:
        parts.append(f"{rows_of(won)} now match{'es' if len(won) == 1 else ''}")
    text = f"With {moved or 'these values'}, your hand entr{'y' if len(turned) == 1 else 'ies'} for " + "; ".join(parts)
    text += ": By hand shows it."
    if any(not c.is_formula for c in lost):
        text += (
            " A number worked out by hand holds at the values it was worked out for; a formula in the variables,"
            " at every value."
        )
    return text
