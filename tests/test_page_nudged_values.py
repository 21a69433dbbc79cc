"""A value nudged in the sidebar, in AppTest.

The checkpoint questions are about the lesson's example, x = 2, y = 3, z = x*y + y: with `=` for `+=`, y.grad = 2
(the last use, a = x*y, sends x = 2); a's rule adds y * a.grad = 3 to x; three uses of y give x + 2 = 4. Nudging x
to 2.5 must not un-grade those answers. Hand entries are numbers for x = 2 (z = 9, dz/dy = x + 1 = 3): at x = 2.5
the number 3 for dz/dy no longer matches (3.5), while the formula y for dz/dx still does, and the sidebar says so.
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

RIGHT_ANSWERS = {
    "seed": "self",
    "plus_equals": "2",
    "order": "complete",
    "dz_dy": "x + 1",
    "mul_sends": "3",
    "three_uses": "4",
}
EXPLAIN = 6  # the Lesson's station (graph, rules, implement, backward, by hand, trace, explain)


def explain_status(at: AppTest) -> str:
    at.segmented_control(key="lesson:station").set_value(EXPLAIN).run()
    assert not at.exception
    return next(c.value for c in at.caption if c.value.startswith(("✔ done", "not done yet")))


def nudge_x(at: AppTest, value: float) -> None:
    at.number_input(key="value:x").set_value(value).run()
    assert not at.exception


def test_a_nudged_value_does_not_ungrade_the_answers_about_the_example():
    at = open_dashboard(ans=json.dumps(RIGHT_ANSWERS))
    assert explain_status(at).startswith("✔ done")
    nudge_x(at, 2.5)
    assert "x = 2.5" in at.session_state["program"]
    status = explain_status(at)
    assert status.startswith("✔ done") and "6 of 6 right" in status


def test_a_nudge_that_turns_a_hand_entry_says_so_under_its_box():
    at = open_dashboard("app_pages/by_hand.py", hand=json.dumps({"value": "9", "grad:x": "y", "grad:y": "3"}))
    nudge_x(at, 2.5)
    notes = [i.value for i in at.sidebar.info]
    assert len(notes) == 1, notes
    assert "value of z (`9`), d z / d y (`3`) no longer match the engine" in notes[0]
    assert "d z / d x" not in notes[0]  # the formula y is right at every x
    at.run()
    assert not at.sidebar.info, "said once, right after the change"


def test_a_nudge_that_turns_no_verdict_says_nothing():
    at = open_dashboard("app_pages/by_hand.py", hand=json.dumps({"grad:x": "y", "grad:y": "x + 1"}))
    nudge_x(at, 2.5)
    assert not at.sidebar.info
