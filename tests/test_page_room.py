"""The Room page and the sidebar's Room box through AppTest: each AppTest is one browser session.

The room's database is a SQLite file in the test's own folder (ROOM_DATABASE_URL); the store's own
tests run on PostgreSQL as well (tests/test_room_store.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from apptest_helpers import open_dashboard, open_share_box
from implement_solutions import BUGS, SOLUTION
from sqlalchemy import create_engine, func, select

from app.room import ROOM_BOX, URL_VARIABLE
from lab.room.store import IMPLEMENTATION, events

ROOM_PAGE = "app_pages/room.py"


@pytest.fixture(autouse=True)
def room_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "room.sqlite"  # the folder does not exist yet: created on first use
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{path}")
    return path


def live_html(at) -> str:
    return "".join(h.proto.body for h in at.get("html") if "room-live" in h.proto.body)


def open_room():
    at = open_dashboard(ROOM_PAGE)
    at.button(key="room:open").click().run()
    assert not at.exception
    return at, at.query_params["room"], at.query_params["key"]


def open_box(at) -> None:
    at.session_state[ROOM_BOX] = True
    at.run()


def join(code: str, nickname: str):
    at = open_dashboard()
    open_box(at)
    at.text_input(key="room:code").input(code)
    at.text_input(key="room:nickname").input(nickname)
    at.button(key="room:join").click().run()
    assert not at.exception
    return at


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning) + " ".join(e.value for e in at.error)


def test_opening_a_room_gives_a_code_and_the_instructors_link_in_the_address_bar(room_database):
    at, code, key = open_room()
    assert len(code) == 6 and len(key) > 16
    assert code in "".join(h.proto.body for h in at.get("html"))
    assert code in next(c.value for c in at.code) and key in next(c.value for c in at.code)
    assert "0 learners in room" in live_html(at).replace("<b>", "").replace("</b>", "")
    assert room_database.exists()


def test_a_learner_joins_and_their_stations_reach_the_instructor():
    teacher, code, _key = open_room()
    learner = join(code.lower(), "Ann")
    assert learner.query_params["room"] == code and learner.query_params["me"]
    assert "key" not in learner.query_params
    assert any(f"You are in room {code} as Ann." in t.value for t in learner.text)
    learner.session_state["answers"] = {"station:graph": "my"}  # the right answer to station 1's question
    learner.run()
    teacher.run()
    html = live_html(teacher)
    assert 'data-station="graph"><td>1. Every number is a node</td><td class="n">0</td><td class="n">1</td>' in html
    assert 'data-station="rules"><td>2. The + and * rules, and why +=</td><td class="n">1</td>' in html
    assert "<td>Ann</td>" in html


def test_a_reload_with_the_learners_link_is_the_same_learner():
    teacher, code, _key = open_room()
    learner = join(code, "Ann")
    me = learner.query_params["me"]
    again = open_dashboard(room=code, me=me, ans='{"station:graph":"my"}')  # a new session: the link only
    assert again.query_params["me"] == me
    teacher.run()
    html = live_html(teacher)
    assert html.count("<td>Ann</td>") == 1
    assert 'data-station="graph"><td>1. Every number is a node</td><td class="n">0</td><td class="n">1</td>' in html


def test_a_learners_link_does_not_open_the_instructors_view():
    _teacher, code, _key = open_room()
    learner = join(code, "Ann")
    me = learner.query_params["me"]
    at = open_dashboard(ROOM_PAGE, room=code, me=me)
    assert live_html(at) == "" and not at.get("code")
    assert any("You are in room" in t.value for t in at.text)
    at = open_dashboard(ROOM_PAGE, room=code, key=me)  # the learner's token as a key
    assert live_html(at) == "" and "does not open a room" in warnings(at)


@pytest.mark.parametrize("key", ["", "wrong-key"])
def test_a_wrong_or_missing_key_shows_nothing_of_the_room(key):
    _teacher, code, _ = open_room()
    join(code, "Ann")
    at = open_dashboard(ROOM_PAGE, room=code, key=key)
    assert live_html(at) == ""
    assert "Ann" not in str(at)


def test_an_unknown_code_says_so_in_the_box():
    at = join("ZZZZZZ", "Ann")
    assert "There is no room ZZZZZZ" in warnings(at)
    assert "room" not in at.query_params


def test_a_ten_kilobyte_nickname_is_refused_with_a_message():
    _, code, _ = open_room()
    at = join(code, "n" * 10_240)
    assert "at most 24 characters; yours has 10,240" in warnings(at)
    assert "room" not in at.query_params


def test_a_nickname_with_html_and_markdown_is_shown_as_typed():
    teacher, code, _ = open_room()
    name = "<b>**Ann**</b>"
    learner = join(code, name)
    assert any(t.value == f"You are in room {code} as {name}." for t in learner.text)  # st.text: as typed
    teacher.run()
    assert "&lt;b&gt;**Ann**&lt;/b&gt;" in live_html(teacher)


def test_an_unusable_data_folder_is_a_message_and_the_dashboard_works_on(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")  # even root cannot make a folder inside a file
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{blocker / 'data' / 'room.sqlite'}")
    at = open_dashboard(ROOM_PAGE)
    assert "The room cannot be used on this server" in warnings(at)
    assert "Everything else in the dashboard works as before" in warnings(at)
    at = join("ABCDEF", "Ann")
    assert "The room cannot be used on this server" in warnings(at)
    at.switch_page("app_pages/build.py").run()
    assert not at.exception and at.get("graphviz_chart")


def test_leaving_the_room_takes_it_out_of_the_link_and_the_instructors_view():
    teacher, code, _ = open_room()
    learner = join(code, "Ann")
    learner.button(key="room:leave").click().run()
    assert "room" not in learner.query_params and "me" not in learner.query_params
    teacher.run()
    assert "0 learners" in live_html(teacher).replace("<b>", "").replace("</b>", "")


def test_closing_the_room_deletes_it_and_the_learner_is_told():
    teacher, code, key = open_room()
    learner = join(code, "Ann")
    teacher.checkbox(key="room:sure").check().run()
    teacher.button(key="room:close").click().run()
    assert "is closed: everything of it is deleted" in " ".join(i.value for i in teacher.info)
    assert "room" not in teacher.query_params
    learner.session_state["answers"] = {"station:graph": "my"}
    learner.run()
    assert "closed" in warnings(learner)
    assert "room" not in learner.query_params
    again = open_dashboard(ROOM_PAGE, room=code, key=key)
    assert live_html(again) == "" and "does not open a room" in warnings(again)


def test_the_share_link_carries_the_work_but_not_the_learners_token():
    _, code, _ = open_room()
    learner = join(code, "Ann")
    open_share_box(learner)
    link = next(c.value for c in learner.code)
    assert "expr=" in link and "me=" not in link and "room=" not in link


def type_code(at, text: str) -> None:
    """What the Implement it editor sends when the learner types (tests/test_page_implement.py says more)."""
    revision = at.session_state["implement:editor_revision"] if "implement:editor_revision" in at.session_state else 0  # noqa: SIM401 (AppTest's state has no .get)
    sent = {"id": f"typed-{len(text)}-{hash(text)}", "type": "change", "text": text}
    at.session_state[f"implement:editor:{revision}"] = sent
    at.run()
    assert not at.exception


def run_code(at, text: str) -> None:
    type_code(at, text)
    at.button(key="implement:run").click().run()
    assert not at.exception


def count_runs(code: str) -> int:
    """The runs of their own code the room has from its learners (read from the room's database)."""
    with create_engine(os.environ[URL_VARIABLE]).connect() as conn:
        where = (events.c.room == code) & (events.c.kind == IMPLEMENTATION)
        return conn.execute(select(func.count()).select_from(events).where(where)).scalar_one()


def implement_row(html: str) -> str:
    start = html.index('data-station="implement">')
    return html[start : html.index("</tr>", start)]


def test_every_run_of_a_learners_code_reaches_the_instructor_and_the_last_run_counts():
    teacher, code, _key = open_room()
    learner = join(code, "Ann")
    learner.switch_page("app_pages/implement.py").run()
    slip, check, _line = BUGS["overwrite_add"]
    run_code(learner, slip)
    teacher.run()
    wrong = live_html(teacher)
    assert wrong.count("ran a Value class that fails") == 1 and "(Ann)" in wrong  # one mistake, not three checks
    assert "<code>+=</code>" in wrong and "`" not in wrong and check == "twice_add"  # code as code, no backticks
    runs = count_runs(code)
    learner.button(key="implement:run").click().run()  # the same code again: a run of its own, activity
    assert count_runs(code) == runs + 1
    run_code(learner, SOLUTION)  # fixed: all checks pass
    teacher.run()
    html = live_html(teacher)
    assert "ran a Value class" not in html
    assert '<td class="n">0</td><td class="n">1</td>' in implement_row(html)  # past Implement it


def test_the_report_of_an_earlier_run_is_not_sent_for_code_edited_since():
    teacher, code, _key = open_room()
    learner = open_dashboard("app_pages/implement.py")
    run_code(learner, SOLUTION)  # passes, before joining
    type_code(learner, SOLUTION.replace("self.grad += out.grad", "self.grad = out.grad"))  # edited, not run
    open_box(learner)
    learner.text_input(key="room:code").input(code)
    learner.text_input(key="room:nickname").input("Ann")
    learner.button(key="room:join").click().run()
    teacher.run()
    html = live_html(teacher)
    assert "1 learner" in html.replace("<b>", "").replace("</b>", "")
    assert '<td class="n">0</td><td class="n">0</td>' in implement_row(html) and "ran a Value class" not in html


def test_a_closed_room_is_told_to_its_learner_on_any_page_without_anything_to_send():
    teacher, code, _key = open_room()
    learner = join(code, "Ann")
    learner.switch_page("app_pages/build.py").run()
    teacher.checkbox(key="room:sure").check().run()
    teacher.button(key="room:close").click().run()
    learner.run()  # what the page's look every few seconds runs: the learner changed nothing
    assert f"Room {code} was closed by the instructor" in warnings(learner)
    assert "room" not in learner.query_params and "me" not in learner.query_params
    assert not learner.exception and learner.get("graphviz_chart")  # the page itself is as it was


def test_a_nickname_taken_in_the_room_is_refused_with_what_to_do():
    teacher, code, _key = open_room()
    ann = join(code, "Ann")
    other = join(code, "ann")  # another browser (or a new tab at the dashboard's address), the same nickname
    assert "“ann” is already taken in room" in warnings(other) and "your own link" in warnings(other)
    assert "room" not in other.query_params and "me" not in other.query_params
    again = open_dashboard(room=code, me=ann.query_params["me"])  # Ann's own link in a second tab: Ann
    assert not warnings(again)
    teacher.run()
    assert "1 learner in room" in live_html(teacher).replace("<b>", "").replace("</b>", "")


def place_of_live_view(node, path: tuple[int, ...] = ()) -> tuple[int, ...] | None:
    """Where the live view is drawn in the page: its path of indexes from the main area."""
    body = getattr(getattr(node, "proto", None), "body", None)
    if isinstance(body, str) and "room-live" in body:
        return path
    for index, child in getattr(node, "children", {}).items():
        found = place_of_live_view(child, (*path, index))
        if found is not None:
            return found
    return None


def test_projector_view_leaves_the_live_view_in_its_place():
    """A refresh of the live view queued before the switch draws at the place it had: had the place moved, the
    old view (with nicknames) would stay on the projector beside the new one."""
    teacher, _code, _key = open_room()
    before = place_of_live_view(teacher.main)
    teacher.toggle(key="room:projector").set_value(True).run()
    assert not teacher.exception
    assert 'class="room-live projector"' in live_html(teacher)
    assert before is not None and place_of_live_view(teacher.main) == before


def test_the_instructor_picks_a_lesson_and_sees_its_stations():
    teacher, code, _key = open_room()
    learner = join(code, "Ann")
    learner.session_state["answers"] = {"lesson2:slope": "0.5"}  # tanh's slope at o = 0.7071: 1 - o² = 0.5
    learner.run()
    teacher.run()
    assert 'data-station="l2:slope"' not in live_html(teacher)  # lesson 1 first
    teacher.segmented_control(key="room:lesson").set_value("Lesson 2").run()
    html = live_html(teacher)
    row = '<td>2. tanh&#x27;s slope, by hand</td><td class="n">0</td><td class="n">1</td>'  # at 0, past 1
    assert f'data-station="l2:slope">{row}' in html
    assert 'data-station="graph"' not in html


def predict(at, **entries: str) -> None:
    """On Watch it flow: type into the boxes `<name>.grad += ?` (given as y="3") and press Check."""
    shown = {b.label: b for b in at.text_input if b.key and b.key.startswith("flow:predict:")}
    for name, text in entries.items():
        (label,) = [label for label in shown if label.split(".")[0] == name]
        shown[label].input(text)
    next(b for b in at.button if b.label == "Check").click().run()
    assert not at.exception


def predict_the_backward_pass(at, y_at_step_2: str) -> None:
    """The lesson's backward pass, predicted step by step. By hand (x = 2, y = 3, z = x*y + y): step 0 seeds
    z.grad = 1; step 1 (z = a + y) adds 1 to a and to y; step 2 (a = x*y) adds y = 3 to x.grad and x = 2 to
    y.grad."""
    at.switch_page("app_pages/flow.py").run()
    at.toggle(key="flow:predict").set_value(True).run()
    predict(at, z="1")
    at.button(key="flow:next").click().run()
    predict(at, a="1", y="1")
    at.button(key="flow:next").click().run()
    predict(at, x="3", y=y_at_step_2)


def test_predictions_checked_on_watch_it_flow_reach_the_instructor_grouped_with_who_said_them():
    teacher, code, _key = open_room()
    ann, bob = join(code, "Ann"), join(code, "Bob")
    predict_the_backward_pass(ann, "3")  # y's total, not what this edge adds
    predict_the_backward_pass(bob, "3")  # wrong the same way
    teacher.run()
    html = live_html(teacher)
    start = html.index('data-testid="room-wrong"')
    wrong = html[start : html.index("<h4>", start)]  # up to the next heading (who made no progress)
    assert "2 said y.grad += 3 at step 2; it adds 2" in wrong, wrong
    assert wrong.count("<li") == 1  # one entry for both; their right predictions are not among the wrong ones
    assert "Ann" in wrong and "Bob" in wrong, wrong  # whom to help
