"""The lesson's common bug checklist: what to look at when your gradients don't match.

Each item is a classic mistake of the catalog (lab/model/mistakes.py), which says how it shows up in
the numbers. The first four are switches of the Bug lab (`engine.trace.Mistake`); for those,
`where_it_shows` finds an expression where the bug visibly changes a gradient (the learner's own if it
does, else a preset) and says which ones. The learner's ticks are kept in the work's answers under
"checklist:<item id>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import ExpressionError
from engine.trace import Mistake
from lab.model import mistakes
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.mistakes import ClassicMistake
from lab.views.bugs import compare_mistake, suggest_preset

TICK_PREFIX = "checklist:"
TICKED = "ticked"


@dataclass(frozen=True)
class Item:
    id: str  # the tick's key in the work (kept as it was when the item came: links carry it)
    mistake: ClassicMistake  # the catalog's record: its title, how it shows, the Bug lab's switch if it has one

    @property
    def title(self) -> str:
        return self.mistake.title

    @property
    def shows(self) -> str:
        return self.mistake.shows

    @property
    def switch(self) -> Mistake | None:
        """Where the Bug lab has it."""
        return self.mistake.switch

    @property
    def own_rules(self) -> bool:
        """ "Write the rules yourself" lets you make it."""
        return self.mistake.rule is not None


# The lesson's checklist, in its order: the four Bug lab switches, three slips of a rule, a long chain.
ITEMS: tuple[Item, ...] = (
    Item("overwrite", mistakes.OVERWRITE),
    Item("no_topo", mistakes.WRONG_ORDER),
    Item("no_seed", mistakes.NO_SEED),
    Item("twice", mistakes.TWICE),
    Item("forgets_out_grad", mistakes.NO_OUT_GRAD),
    Item("swapped", mistakes.SWAPPED),
    Item("minus_sign", mistakes.SIGN),
    Item("recursion", mistakes.RECURSION),
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
