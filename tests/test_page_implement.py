"""The "Implement it" page in AppTest: the skeleton, a run of the learner's code, the link, Start again.

The code editor is a component (an iframe) that AppTest does not draw: what it sends is put in its
session state, as the browser would send it (`{"id", "type": "change" | "blur" | "submit", "text"}`).
"""

from __future__ import annotations

import itertools
import json
import re
import sys

import pytest
from apptest_helpers import open_dashboard
from implement_solutions import BUGS, SOLUTION
from streamlit.testing.v1 import AppTest

from lab.implement import run as implement

PAGE = "app_pages/implement.py"
_ids = itertools.count()


def editor_key(at: AppTest) -> str:
    revision = at.session_state.get("implement:editor_revision", 0)
    return f"implement:editor:{revision}"


def send(at: AppTest, text: str, kind: str = "change") -> None:
    """What the editor sends when the learner types (a pause, or leaving it) or presses Ctrl+Enter."""
    at.session_state[editor_key(at)] = {
        "id": f"e{next(_ids)}",
        "type": kind,
        "lang": "python",
        "text": text,
        "selected": "",
        "cursor": "",
    }
    at.run()
    assert not at.exception


def run(at: AppTest, text: str | None = None) -> None:
    if text is not None:
        send(at, text)
    at.button(key="implement:run").click().run()
    assert not at.exception


def all_pass(at: AppTest) -> bool:
    return any("checks pass." in s.value and s.value.startswith("**All") for s in at.success)


def marked(dot: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r'label="\{ ([^ |]+) \|[^\n]*class="[^"]*mismatch', dot)}


def page_text(at: AppTest) -> str:
    return "\n".join(
        e.value for kind in ("markdown", "error", "success", "info", "caption", "code") for e in at.get(kind)
    ) + "\n".join(e.label for e in at.expander)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def test_the_page_starts_from_the_skeleton_never_the_answer():
    at = open_dashboard(PAGE)
    assert at.title[0].value.startswith("Implement it")
    assert at.session_state["code"] == ""  # nothing of the learner's yet
    assert "self.grad +=" not in implement.SKELETON
    at.button(key="implement:start_again").click().run()  # nothing to throw away: nothing to ask
    assert not at.warning
    assert not errors(at)


def test_typed_code_is_kept_in_the_work_and_the_link():
    at = open_dashboard(PAGE)
    send(at, BUGS["overwrite_add"][0])
    assert at.session_state["code"] == BUGS["overwrite_add"][0]
    assert at.query_params["code"] == BUGS["overwrite_add"][0]


def test_the_solution_passes_every_check():
    at = open_dashboard(PAGE)
    run(at, SOLUTION)
    assert all_pass(at)
    assert not errors(at)
    assert at.get("graphviz_chart")  # the learner's graph drawn


def test_ctrl_enter_runs_what_the_editor_holds():
    at = open_dashboard(PAGE)
    send(at, SOLUTION, kind="submit")
    assert all_pass(at)


EXAMPLE_BY_HAND = json.dumps({"grad:x": "3", "grad:y": "3"})  # the lesson's example worked on By hand


def test_fix_this_first_names_the_first_failing_part_with_both_numbers_and_folds_the_rest():
    code, _key, line = BUGS["swapped"]
    at = open_dashboard(PAGE, hand=EXAMPLE_BY_HAND)
    run(at, code)
    assert len(errors(at)) == 1  # one box: the rest is folded
    box = errors(at)[0]
    assert box.startswith("**Fix this first** (rules): `*`'s rule alone")
    assert "Yours: **a.grad 8, b.grad 8** · the engine's: **a.grad -3, b.grad 8**" in box
    assert f"Marked in the editor: line {line}: `self.grad += self.data * out.grad`" in box
    folded = at.expander[0]
    assert folded.label == "11 more: 8 pass, 1 fails, 2 wait for this fix"
    shown = folded.markdown[0].value
    assert shown.count("\n- ") + 1 == 11 and shown.count("⋯") == 2 and "not checked until" in shown


def test_by_hand_first_the_lesson_examples_numbers_wait_until_entered():
    # `other.grad = ...` in __mul__: on the lesson's example the learner's y.grad is 2 where the engine's is 3
    code = BUGS["overwrite_mul_other"][0]
    at = open_dashboard(PAGE)  # by hand first (the default), nothing entered
    run(at, code)
    text = page_text(at)
    assert "the engine's is 3" not in text and "your y.grad is 2" not in text
    assert "do not all match the engine's yet" in text
    (dot,) = (chart.proto.spec for chart in at.get("graphviz_chart"))  # the example: the program's graph
    assert "data 9" not in dot and "grad 2" not in dot and "grad ?" in dot and "data ?" in dot
    assert "a.grad 16" in text  # the part checks ran on numbers of their own, and say them
    at = open_dashboard(PAGE, hand=EXAMPLE_BY_HAND)
    run(at, code)
    text = page_text(at)
    assert "your y.grad is 2, the engine's is 3" in text
    (dot,) = (chart.proto.spec for chart in at.get("graphviz_chart"))
    assert "grad 2" in dot


def test_the_nodes_that_differ_from_the_engine_are_marked_not_by_colour_alone():
    # `self.grad = other.data * out.grad` in __mul__, on z = x*x + x at x = 3: z fires first (x.grad = 1), then
    # a = x*x: `self.grad = 3 * 1` throws the 1 away, `other.grad += 3 * 1` adds 3: x.grad is 6 where the
    # engine's (2x + 1) is 7. The lesson's example is right (there * uses x and y once each), so only the
    # program's graph has a mark.
    at = open_dashboard(PAGE, expr="x = 3\nz = x*x + x")
    run(at, BUGS["overwrite_mul"][0])
    lesson_dot, program_dot = (chart.proto.spec for chart in at.get("graphviz_chart"))
    assert marked(lesson_dot) == set()
    assert marked(program_dot) == {"x"}
    assert "grad 6, engine 7" in program_dot  # the engine's number beside theirs (2x + 1 at x = 3)
    table = at.dataframe[-1].value  # the table beside it: the engine's columns beside theirs
    x = table[table["node"] == "x"].iloc[0]
    assert (x["your grad"], x["engine's grad"]) == (6, 7)


def test_a_program_their_class_cannot_build_is_named():
    at = open_dashboard(PAGE, expr="x = 2\ny = 3\nz = x - y")
    run(at, SOLUTION)
    assert any("no `__sub__`" in i.value and "line 3" in i.value for i in at.info)
    assert all_pass(at)  # the lesson's checks still pass


def test_a_refused_program_gets_its_message_with_its_line_never_a_traceback():
    at = open_dashboard(PAGE)
    run(at, "import os\n")
    assert any("line 1" in e and "`import os`" in e for e in errors(at))
    assert [c.value for c in at.code] and "import os" in at.code[0].value
    assert not at.exception


def test_a_link_with_code_brings_it_back_and_runs_it_once():
    at = open_dashboard(PAGE, code=SOLUTION)
    assert at.session_state["code"] == SOLUTION
    assert all_pass(at)


def test_start_again_asks_first_and_keeps_the_code_on_no():
    at = open_dashboard(PAGE)
    send(at, BUGS["overwrite_add"][0])
    at.button(key="implement:start_again").click().run()
    assert at.session_state["code"] == BUGS["overwrite_add"][0]  # not yet
    assert any("Throw away your code" in w.value for w in at.warning)
    at.button(key="implement:keep_code").click().run()
    assert at.session_state["code"] == BUGS["overwrite_add"][0]
    at.button(key="implement:start_again").click().run()
    at.button(key="implement:start_again_yes").click().run()
    assert at.session_state["code"] == ""
    assert "code" not in at.query_params


def test_without_the_component_a_plain_box_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "code_editor", None)  # `from code_editor import ...` raises ImportError
    at = open_dashboard(PAGE)
    assert any("could not be loaded" in w.value for w in at.warning)
    box = at.text_area(key="implement:code_box")
    assert box.value == implement.SKELETON
    box.input(SOLUTION).run()
    run(at)
    assert all_pass(at)


@pytest.mark.parametrize("other", ["app_pages/build.py", "app_pages/lesson.py"])
def test_the_code_survives_a_page_switch(other):
    at = open_dashboard(PAGE)
    send(at, BUGS["overwrite_add"][0])
    at.switch_page(other)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.session_state["code"] == BUGS["overwrite_add"][0]
