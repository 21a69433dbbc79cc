"""The entry point's shared parts, through Streamlit's AppTest: link, sidebar values, errors, saved work."""

import json
import re
from pathlib import Path

import pytest
from apptest_helpers import open_dashboard, open_share_box
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from lab.model.analysis import analyse
from lab.views.by_hand import entries_of

ROOT = Path(__file__).resolve().parent.parent
# every page the entry point registers, read from dashboard.py: a new page is checked without a list to keep
PAGES = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "dashboard.py").read_text(encoding="utf-8"))


def app(**query) -> AppTest:
    return open_dashboard(**query)


def test_opens_on_the_lesson_example_with_a_number_input_per_variable():
    at = app()
    assert at.session_state["program"] == "x = 2\ny = 3\nz = x*y + y"
    inputs = {n.label: n.value for n in at.sidebar.number_input}
    assert inputs == {"x": 2.0, "y": 3.0}


def test_every_page_file_is_registered():
    assert sorted(PAGES) == sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_shared_sidebar_and_no_exception(page):
    at = app()
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert [n.label for n in at.sidebar.number_input] == ["x", "y"]


def test_link_opens_with_its_program():
    at = app(expr="a = 1.5\nb = -2\nc = a*b + a", first="0")  # by hand first off: the sidebar shows the output
    assert at.session_state["program"] == "a = 1.5\nb = -2\nc = a*b + a"
    assert {n.label: n.value for n in at.sidebar.number_input} == {"a": 1.5, "b": -2.0}
    assert any("c** = -1.5" in c.value for c in at.sidebar.caption)  # 1.5 * -2 + 1.5


def test_a_broken_link_keeps_the_lesson_example_and_says_why():
    at = app(expr="z = x*")
    assert at.session_state["program"] == "x = 2\ny = 3\nz = x*y + y"
    assert "link" in at.error[0].value and "line 1" in at.error[0].value


def test_changing_a_variable_rewrites_the_program_and_the_address():
    at = app()
    at.sidebar.number_input(key="value:y").set_value(4.0).run()
    assert not at.exception
    assert at.session_state["program"] == "x = 2\ny = 4\nz = x*y + y"
    assert at.query_params["expr"] == "x = 2\ny = 4\nz = x*y + y"


def test_a_value_that_breaks_the_program_keeps_the_last_good_one():
    at = app(expr="x = 2\nz = log(x)")
    at.sidebar.number_input(key="value:x").set_value(-1.0).run()
    assert not at.exception
    assert at.session_state["program"] == "x = 2\nz = log(x)"
    assert "log" in at.error[0].value


def test_hand_entries_and_settings_come_back_from_the_address():
    at = app(expr="x = 2\ny = 3\nz = x*y + y", hand='{"grad:x":"3"}', tol="0.01", first="0", present="1")
    assert entries_of(at.session_state["hand"], analyse("x = 2\ny = 3\nz = x*y + y")) == {"grad:x": "3"}
    assert at.session_state["settings"] == {
        "tolerance": 0.01,
        "hand_first": False,
        "presenter": True,
        "predict": False,
    }
    assert entries_of(json.loads(at.query_params["hand"]), analyse("x = 2\ny = 3\nz = x*y + y")) == {"grad:x": "3"}
    assert at.query_params["first"] == "0" and at.query_params["present"] == "1"


def test_a_fresh_session_works_by_hand_first_and_a_link_can_turn_it_off():
    assert app().session_state["settings"]["hand_first"] is True
    assert app(first="1").session_state["settings"]["hand_first"] is True
    assert app(first="0").session_state["settings"]["hand_first"] is False


def test_the_takeaway_answers_and_rules_come_back_from_the_address():
    at = app(take="Gradients add up.", ans='{"seed":"1"}', rules='{"*":"self.grad += other.data * out.grad"}')
    assert at.session_state["takeaway"] == "Gradients add up."
    assert at.session_state["answers"] == {"seed": "1"}
    assert at.session_state["rules"] == {"*": "self.grad += other.data * out.grad"}
    assert at.session_state["program"] == "x = 2\ny = 3\nz = x*y + y"  # no expr: the lesson's example
    assert at.query_params["take"] == "Gradients add up."


def test_a_damaged_link_parameter_is_named_and_the_rest_still_loads():
    at = app(expr="p = 3\nq = p * p", hand="{broken", tol="nan")
    assert at.session_state["program"] == "p = 3\nq = p * p"
    assert at.session_state["hand"] == {}
    assert at.session_state["settings"]["tolerance"] == 1e-3
    message = at.error[0].value
    assert "`hand`" in message and "`tol`" in message


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest keeps a run's files (a download button's data) here; remember the storage to read them."""

    latest: MemoryMediaFileStorage | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.latest = self


class RecordingManager(MediaFileManager):
    """AppTest's media file manager, remembered: a download made when clicked (deferred) is run through it."""

    latest: MediaFileManager | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingManager.latest = self


def downloaded(at: AppTest, label: str) -> bytes:
    """The bytes a download button would give the learner: its file, made as a click makes it."""
    (button,) = [b for b in at.get("download_button") if b.proto.label == label]
    url = button.proto.url
    if button.proto.HasField("deferred_file_id"):  # the data is made when clicked: do what a click does
        url = RecordingManager.latest.execute_deferred(button.proto.deferred_file_id)
    file_id = url.rsplit("/", 1)[1].split(".")[0]
    return RecordingStorage.latest.get_file(file_id).content


def test_downloaded_work_loads_back_into_a_fresh_session(monkeypatch):
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr(app_test, "MediaFileManager", RecordingManager)
    at = app(
        expr="p = 3\nq = p * p",
        hand='{"grad:p":"6"}',
        tol="0.01",
        first="0",
        present="1",
        predict="1",
        take="It adds up.",
        ans='{"seed":"1"}',
        rules='{"*":"self.grad += other.data * out.grad"}',
        pred='{"backward:1:p":"3"}',
    )
    open_share_box(at)
    saved = downloaded(at, "Download my work")
    assert b'|grad:p": "6"' in saved  # the file holds the hand entry (keyed by its program) ...

    fresh = app()  # the lesson example
    open_share_box(fresh)
    uploader = fresh.get("file_uploader")[0]
    uploader.upload("backprop-lab-work.json", saved, "application/json").run()  # ... and that file loads back
    assert not fresh.exception
    assert fresh.session_state["program"] == "p = 3\nq = p * p"
    assert entries_of(fresh.session_state["hand"], analyse("p = 3\nq = p * p")) == {"grad:p": "6"}
    assert fresh.session_state["settings"] == {
        "tolerance": 0.01,
        "hand_first": False,
        "presenter": True,
        "predict": True,
    }
    assert fresh.session_state["takeaway"] == "It adds up."
    assert fresh.session_state["answers"] == {"seed": "1"}
    assert fresh.session_state["rules"] == {"*": "self.grad += other.data * out.grad"}
    assert fresh.session_state["predictions"] == {"backward:1:p": "3"}
    assert [n.label for n in fresh.sidebar.number_input] == ["p"]
    assert fresh.query_params["take"] == "It adds up."  # the loaded work is in the address bar too


def test_a_foreign_file_is_refused_with_a_message_and_nothing_lost():
    at = app()
    open_share_box(at)
    at.get("file_uploader")[0].upload("notes.json", b'{"hello": 1}', "application/json").run()
    assert not at.exception
    assert at.session_state["program"] == "x = 2\ny = 3\nz = x*y + y"
    assert "not a Backprop Lab work file" in at.error[0].value
