"""The rescue version on the Lesson page, in AppTest: the choice kept in the link, its five stations done from the work.

By hand, for z = x*y + y at x = 2, y = 3: z = 9, dz/dx = y = 3, dz/dy = x + 1 = 3. `*` at a = x*y: nudge x by 0.001
and a moves by 0.003 (3 per unit: y's data).
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from app.rescue import TIMER
from lab.lesson import rescue
from lab.views import parsons

GRAPH, RULES, BACKWARD, BY_HAND, TAKEAWAY = range(5)
BLANKS_RIGHT = {
    "rescue:+:self": "out.grad",
    "rescue:+:other": "out.grad",
    "rescue:*:self": "other.data * out.grad",
    "rescue:*:other": "self.data * out.grad",
}


def texts(elements) -> str:
    return " ".join(e.value for e in elements).replace("\\", "")


def station(at: AppTest, index: int) -> None:
    at.segmented_control(key="lesson:station").set_value(index).run()
    assert not at.exception


def status(at: AppTest) -> str:
    """The open station's line: done or not, its time box, how far."""
    return next(c.value for c in at.caption if f"{TIMER} about" in c.value)


def progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_the_lesson_offers_the_full_lesson_and_the_rescue_version_and_the_choice_is_kept_in_the_link():
    at = open_dashboard()
    choice = at.segmented_control(key="lesson:version")
    assert choice.value == "full" and choice.options == ["The full lesson (90 min)", "The rescue version (15 min)"]
    assert "of 9 stations done" in progress(at) and "lesson" not in at.query_params
    choice.set_value("rescue").run()
    assert not at.exception
    assert at.query_params["lesson"] == "rescue"
    assert "0 of 5 stations done · about 15 min" in progress(at)
    labels = at.segmented_control(key="lesson:station").options
    assert labels == ["1 Graph · 2′", "2 Rules · 3′", "3 backward() · 4′", "4 By hand + run · 4′", "5 Takeaway · 2′"]
    assert status(at).startswith(f"not done yet · {TIMER} about 2 min")
    again = open_dashboard(**{k: at.query_params[k] for k in at.query_params})  # the link, opened again
    assert again.segmented_control(key="lesson:version").value == "rescue" and "of 5 stations" in progress(again)


def test_the_graph_hides_z_and_the_gradients_until_they_are_worked_out_by_hand():
    at = open_dashboard(lesson="rescue")
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "grad ?" in spec and "data ?" in spec and "data 9" not in spec  # z = 9 is station 4's
    assert not any("= 9" in c.value for c in at.sidebar.caption)
    at.radio(key="rescue:q:graph").set_value("xy").run()
    assert "x is not used by z directly" in texts(at.error)
    at.radio(key="rescue:q:graph").set_value("my").run()
    assert status(at).startswith(f"✔ done · {TIMER} about 2 min")
    assert json.loads(at.query_params["ans"]) == {"station:graph": "my"}


def test_a_wrong_blank_gets_the_examples_numbers_and_the_right_ones_mark_the_rules_done():
    at = open_dashboard(lesson="rescue")
    station(at, RULES)
    at.text_input(key="rescue:blank:rescue:*:self").input("self.data * out.grad").run()
    assert "sends x its own data: 2 × out.grad" in texts(at.error)
    assert "nudge x by 0.001 and a moves by 0.003: 3 per unit" in texts(at.error)
    at.text_input(key="rescue:blank:rescue:+:self").input("import os").run()
    assert "Can't read" in texts(at.error) and not at.exception
    for blank_id, text in BLANKS_RIGHT.items():
        at.text_input(key=f"rescue:blank:{blank_id}").input(text).run()
    assert not at.error and "4 of 4 blanks right" in status(at) and "✔ done" in status(at)
    assert json.loads(at.query_params["ans"]) == BLANKS_RIGHT
    assert any("self.grad += other.data * out.grad" in c.value for c in at.code)  # `__mul__` filled in


def test_the_puzzle_is_moved_with_its_buttons_and_each_move_is_checked_at_once():
    at = open_dashboard(lesson="rescue")
    station(at, BACKWARD)
    given = parsons.start()
    assert "Each move is checked at once" in texts(at.caption)
    first = given[0].id
    assert at.button(key=f"rescue_move_{first}_up").disabled and at.button(key=f"rescue_move_{first}_out").disabled
    at.button(key=f"rescue_move_{first}_down").click().run()
    kept = json.loads(at.query_params["ans"])[rescue.PUZZLE]
    assert parsons.from_text(kept) == parsons.move(given, 0, parsons.DOWN)
    assert at.error  # a shuffled puzzle is not a backward() yet, and it says why at its line
    assert "line " in texts(at.error)


def test_the_puzzle_in_order_marks_its_station_done():
    ans = json.dumps({rescue.PUZZLE: parsons.to_text(parsons.solution())})
    at = open_dashboard(lesson="rescue", ans=ans)
    station(at, BACKWARD)
    assert "Right: depth-first search" in texts(at.success) and "✔ done" in status(at)
    misordered = parsons.move(parsons.solution(), 10, parsons.DOWN)  # the loop's body above the loop
    at = open_dashboard(lesson="rescue", ans=json.dumps({rescue.PUZZLE: parsons.to_text(misordered)}))
    station(at, BACKWARD)
    assert "opens a block" in texts(at.error) and "not done yet" in status(at)


def test_by_hand_then_the_run_then_one_sentence_finish_the_rescue_and_the_full_lesson_counts_it():
    ans = {"station:graph": "my", **BLANKS_RIGHT, rescue.PUZZLE: parsons.to_text(parsons.solution())}
    at = open_dashboard(lesson="rescue", ans=json.dumps(ans))
    station(at, BY_HAND)
    assert "rescue:run" not in [b.key for b in at.button]  # by hand first: the run waits for the three numbers
    assert "By hand first" in texts(at.caption)
    at.text_input(key="rescue:hand:value").input("9").run()
    at.text_input(key="rescue:hand:grad:x").input("3").run()
    at.text_input(key="rescue:hand:grad:y").input("2").run()  # only the edge from a
    assert "1 * 1 + 2 * 1 = 3" in texts(at.code)  # dz/dy edge by edge, now that all three are entered
    at.text_input(key="rescue:hand:grad:y").input("x + 1").run()
    assert not at.error
    at.button(key="rescue:run").click().run()
    assert not at.exception
    assert "The lesson's test: z.data is 9, x.grad is 3 and y.grad is 3" in texts(at.success)
    assert "✔ done" in status(at) and "4 of 5 stations done" in progress(at)
    station(at, TAKEAWAY)
    at.text_area(key="rescue:takeaway").input("Backprop is the chain rule applied node by node.").run()
    assert "5 of 5 stations done" in progress(at)
    assert at.session_state["code"] == rescue.assembled(at.session_state["answers"])  # kept as their code
    at.button(key="rescue:go_full").click().run()
    assert not at.exception and "lesson" not in at.query_params
    assert "4 of 9 stations done" in progress(at)  # the graph, the rules, Implement it and by hand count
