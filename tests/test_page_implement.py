"""The "Implement it" page in AppTest: the skeleton, a run of the learner's code, the link, Start again.

The code editor is a component (an iframe) that AppTest does not draw: what it sends is put in its
session state, as the browser would send it (`{"id", "type": "change" | "blur" | "submit", "text"}`).
"""

from __future__ import annotations

import itertools
import sys

import fake_implement

fake_implement.install()

import pytest  # noqa: E402
from apptest_helpers import open_dashboard  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from lab import implement  # noqa: E402

PAGE = "app_pages/implement.py"
_ids = itertools.count()


def editor_key(at: AppTest) -> str:
    return f"implement_editor_{at.session_state['implement_editor_revision'] if 'implement_editor_revision' in at.session_state else 0}"


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
    at.button(key="implement_run").click().run()
    assert not at.exception


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def test_the_page_starts_from_the_skeleton_never_the_answer():
    at = open_dashboard(PAGE)
    assert at.title[0].value.startswith("Implement it")
    assert at.session_state["code"] == ""  # nothing of the learner's yet
    assert "self.grad +=" not in implement.SKELETON
    assert at.button(key="implement_start_again").disabled  # nothing to throw away
    assert not errors(at)


def test_typed_code_is_kept_in_the_work_and_the_link():
    at = open_dashboard(PAGE)
    send(at, fake_implement.OVERWRITE)
    assert at.session_state["code"] == fake_implement.OVERWRITE
    assert at.query_params["code"] == fake_implement.OVERWRITE


def test_the_solution_passes_every_check():
    at = open_dashboard(PAGE)
    run(at, fake_implement.SOLUTION)
    assert any("All 2 checks pass" in s for s in successes(at))
    assert not errors(at)
    assert at.get("graphviz_chart")  # the learner's graph drawn


def test_ctrl_enter_runs_what_the_editor_holds():
    at = open_dashboard(PAGE)
    send(at, fake_implement.SOLUTION, kind="submit")
    assert any("All 2 checks pass" in s for s in successes(at))


def test_a_classic_mistake_fails_its_check_with_its_line():
    at = open_dashboard(PAGE)
    run(at, fake_implement.OVERWRITE)
    assert any("`+=`, not `=`" in e and "line 12" in e for e in errors(at))
    assert "class=\"mismatch" in at.get("graphviz_chart")[0].proto.spec or "mismatch" in at.get("graphviz_chart")[0].proto.spec
    assert any("no `__sub__`" in i.value for i in at.info)


def test_a_refused_program_gets_its_message_with_its_line_never_a_traceback():
    at = open_dashboard(PAGE)
    run(at, "import os\n")
    assert any("Line 1" in e and "import" in e for e in errors(at))
    assert [c.value for c in at.code] and "import os" in at.code[0].value
    assert not at.exception


def test_a_link_with_code_brings_it_back_and_runs_it_once():
    at = open_dashboard(PAGE, code=fake_implement.SOLUTION)
    assert at.session_state["code"] == fake_implement.SOLUTION
    assert any("All 2 checks pass" in s for s in successes(at))


def test_start_again_asks_first_and_keeps_the_code_on_no():
    at = open_dashboard(PAGE)
    send(at, fake_implement.OVERWRITE)
    at.button(key="implement_start_again").click().run()
    assert at.session_state["code"] == fake_implement.OVERWRITE  # not yet
    assert any("Throw away your code" in w.value for w in at.warning)
    at.button(key="implement_keep_code").click().run()
    assert at.session_state["code"] == fake_implement.OVERWRITE
    at.button(key="implement_start_again").click().run()
    at.button(key="implement_start_again_yes").click().run()
    assert at.session_state["code"] == ""
    assert "code" not in at.query_params


def test_without_the_component_a_plain_box_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "code_editor", None)  # `from code_editor import ...` raises ImportError
    at = open_dashboard(PAGE)
    assert any("could not be loaded" in w.value for w in at.warning)
    box = at.text_area(key="implement_plain_box")
    assert box.value == implement.SKELETON
    box.input(fake_implement.SOLUTION).run()
    run(at)
    assert any("All 2 checks pass" in s for s in successes(at))


@pytest.mark.parametrize("other", ["app_pages/build.py", "app_pages/lesson.py"])
def test_the_code_survives_a_page_switch(other):
    at = open_dashboard(PAGE)
    send(at, fake_implement.OVERWRITE)
    at.switch_page(other)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.session_state["code"] == fake_implement.OVERWRITE
