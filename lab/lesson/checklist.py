"""The lesson's common bug checklist: what to look at when your gradients don't match.

Each item says how the bug shows up in the numbers. The first four are switches of the Bug
lab (`engine.trace.Mistake`); for those, `where_it_shows` finds an expression where the bug
visibly changes a gradient (the learner's own if it does, else a preset) and says which ones.
The learner's ticks are kept in the work's answers under "checklist:<item id>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import ExpressionError
from engine.trace import Mistake
from lab.model.analysis import Analysis, analyse, format_number
from lab.views.bugs import compare_mistake, suggest_preset

TICK_PREFIX = "checklist:"
TICKED = "ticked"


@dataclass(frozen=True)
class Item:
    id: str
    title: str  # in the lesson's words
    shows: str  # how it shows up in the numbers
    mistake: Mistake | None = None  # where the Bug lab has it
    own_rules: bool = False  # where "Write the rules yourself" lets you make it


ITEMS: tuple[Item, ...] = (
    Item(
        "overwrite",
        "`=` instead of `+=`",
        "A node used more than once ends up with only its last use's part: its gradient is too small "
        "(in the lesson's example y.grad is 2, not 3), while nodes used once are right.",
        Mistake.OVERWRITE,
    ),
    Item(
        "no_topo",
        "No topological order",
        "A node fires before all its uses have sent their gradient: nodes upstream of a reused node get "
        "too little. Small expressions can be right by luck.",
        Mistake.WRONG_ORDER,
    ),
    Item(
        "no_seed",
        "Output grad not seeded with 1",
        "Every gradient is 0, the output's too.",
        Mistake.NO_SEED,
    ),
    Item(
        "twice",
        "`backward()` called twice without zeroing",
        "The output's grad is right (it is set to 1 again) but the others are off: the second pass adds on top "
        "of the first (x.grad 9 instead of 3 in the lesson's example).",
        Mistake.TWICE,
    ),
    Item(
        "forgets_out_grad",
        "A rule that forgets `out.grad`",
        "Right while every out.grad is 1 (as for a and z in the lesson's example), wrong as soon as one is not: "
        "in `2*(x*y)` x.grad should be 2*y but comes out as y.",
        own_rules=True,
    ),
    Item(
        "swapped",
        "The operands swapped in `*`",
        "Each input gets its own data instead of the other's: in the lesson's example x.grad is 2 instead of 3 "
        "(and y.grad 4 instead of 3). Invisible when both inputs have the same value.",
        own_rules=True,
    ),
    Item(
        "minus_sign",
        "A sign slip in `-`",
        "In `a - b`, b.grad has the wrong sign (+out.grad instead of -out.grad); a's is right. The finite "
        "difference shows the sign you should get.",
        own_rules=True,
    ),
    Item(
        "recursion",
        "Recursion too deep on a long chain",
        "No numbers at all: a recursive topological sort raises RecursionError at about 1,000 nodes deep. "
        "This engine sorts with an explicit stack, so a million-node chain works.",
    ),
)


def tick_key(item_id: str) -> str:
    return TICK_PREFIX + item_id


def ticked(answers: Mapping[str, str]) -> set[str]:
    """The items the learner has ticked (kept in the work's answers)."""
    return {item.id for item in ITEMS if answers.get(tick_key(item.id)) == TICKED}


@dataclass(frozen=True)
class Showing:
    """An expression where a Bug lab mistake visibly changes gradients."""

    program: str  # the expression to open the Bug lab with
    title: str  # "your expression" or the preset's title
    is_current: bool  # the learner's own expression shows it: nothing to load
    wrong: str  # "y.grad (2 instead of 3)": what goes wrong there


def where_it_shows(mistake: Mistake, current: Analysis, current_program: str) -> Showing | None:
    """The learner's expression if the mistake changes a gradient there, else a preset where it does."""
    report = compare_mistake(current, mistake)
    if not report.changes_nothing:
        return Showing(current_program, "your expression", True, _wrong(report))
    suggestion = suggest_preset(mistake, current_program)
    if suggestion is None:
        return None
    _name, title, program = suggestion
    try:
        other = compare_mistake(analyse(program), mistake)
    except ExpressionError:
        return None
    return Showing(program, title, False, _wrong(other))


def _wrong(report) -> str:
    names = report.analysis.names
    parts = [
        f"{names[i]}.grad ({format_number(report.buggy[i])} instead of {format_number(report.correct[i])})"
        for i in report.wrong[:3]
    ]
    more = len(report.wrong) - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")
