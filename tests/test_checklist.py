"""The common bug checklist: the lesson's items, their ticks, and where each Bug lab item visibly goes wrong.

By hand, on the lesson's example z = x*y + y at x = 2, y = 3 (a = x*y; right grads x 3, y 3, a 1, z 1):
`=` leaves y.grad = 2; no seed leaves every grad 0; backward twice gives x 9; the order happens not to matter.
"""

from engine.trace import Mistake
from lab.lesson.checklist import ITEMS, TICKED, tick_key, ticked, where_it_shows
from lab.model.analysis import analyse
from lab.model.presets import PRESETS

EXAMPLE = "x = 2\ny = 3\nz = x*y + y"


def test_the_checklist_has_the_lessons_eight_items_and_the_first_four_are_bug_lab_mistakes():
    assert [i.id for i in ITEMS] == [
        "overwrite",
        "no_topo",
        "no_seed",
        "twice",
        "forgets_out_grad",
        "swapped",
        "minus_sign",
        "recursion",
    ]
    assert [i.switch for i in ITEMS[:4]] == [Mistake.OVERWRITE, Mistake.WRONG_ORDER, Mistake.NO_SEED, Mistake.TWICE]
    assert all(i.switch is None for i in ITEMS[4:])
    assert all(i.shows for i in ITEMS)


def test_ticks_are_kept_in_the_answers():
    answers = {tick_key("overwrite"): TICKED, tick_key("swapped"): TICKED, "seed": "self", tick_key("nope"): TICKED}
    assert ticked(answers) == {"overwrite", "swapped"}


def test_a_mistake_that_shows_on_your_expression_opens_there():
    showing = where_it_shows(Mistake.OVERWRITE, analyse(EXAMPLE), EXAMPLE)
    assert showing.is_current and showing.program == EXAMPLE
    assert showing.wrong == "y.grad (2 instead of 3)"
    twice = where_it_shows(Mistake.TWICE, analyse(EXAMPLE), EXAMPLE)
    assert "x.grad (9 instead of 3)" in twice.wrong


def test_a_mistake_that_changes_nothing_here_opens_on_a_preset_where_it_does():
    showing = where_it_shows(Mistake.WRONG_ORDER, analyse(EXAMPLE), EXAMPLE)
    assert not showing.is_current
    assert showing.program in {p.program for p in PRESETS.values()} and showing.program != EXAMPLE
    assert "instead of" in showing.wrong
