"""No answer on screen before the learner has worked it out, in AppTest.

The lesson's example by hand: x = 2, y = 3, z = x*y + y = 9 (a = x*y = 6); `*`'s rule is
self.grad += other.data * out.grad, so a sends y.data * a.grad to x; backward() seeds z.grad = 1 (dz/dz = 1).
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

GRAPH, BACKWARD_STATION = 0, 3  # the stations: graph, rules, implement, backward(), ...


def station(at: AppTest, index: int) -> None:
    at.segmented_control(key="lesson:station").set_value(index).run()
    assert not at.exception


def shown_text(at: AppTest) -> str:
    """Everything the main part of the page says (Markdown, captions, code), without Markdown's escapes."""
    parts = [m.value for m in at.main.markdown] + [c.value for c in at.main.caption] + [c.value for c in at.main.code]
    return " ".join(parts).replace("\\", "")


def test_station_1_table_does_not_print_the_rules_that_station_2_asks_for():
    at = open_dashboard()
    station(at, GRAPH)
    assert "y.data * a.grad" not in shown_text(at) and "other.data" not in shown_text(at)
    assert "rule sends gradient to x, y" in shown_text(at)  # where a sends gradient: that is the diagram's arrows
    right = open_dashboard(ans=json.dumps({"station:rules": "other"}))  # station 2 done: the rules are known
    station(right, GRAPH)
    assert "x.grad += y.data * a.grad" in shown_text(right)


def test_your_rules_introduction_does_not_print_a_rule_of_the_lesson_as_its_example():
    at = open_dashboard("app_pages/own_rules.py")
    intro = " ".join(m.value for m in at.main.markdown[:1])
    assert "self.grad +=" in intro  # the form is shown ...
    assert "other.data * out.grad" not in intro  # ... not `*`'s answer


def test_predict_first_does_not_say_the_seed_before_it_is_checked():
    at = open_dashboard("app_pages/flow.py", predict="1")
    text = shown_text(at)
    assert "z.grad = 1" not in text and "dz/dz = 1" not in text
    at.text_input(key=next(w.key for w in at.main.text_input if "z.grad" in w.label)).input("1")
    at.main.button(key="flow:check").click().run()
    assert "dz/dz = 1" in shown_text(at)  # checked: now it is said


def test_by_hand_first_hides_the_outputs_value_until_it_is_entered():
    at = open_dashboard("app_pages/by_hand.py")
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "data 9" not in spec and "data 6" not in spec and "data 2" in spec  # the inputs are given
    assert not [c for c in at.sidebar.caption if "= 9" in c.value]


def test_station_3_opens_watch_it_flow_with_predict_first_on():
    at = open_dashboard()
    station(at, BACKWARD_STATION)
    at.main.button(key="lesson:go:backward").click().run()
    assert not at.exception
    assert at.session_state["settings"]["predict"] is True


def test_your_rules_diagram_keeps_the_computed_values_for_by_hand_as_the_sidebar_does():
    at = open_dashboard("app_pages/own_rules.py")
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "data ?" in spec and "data 9" not in spec and "data 2" in spec
    assert any("= ?" in c.value for c in at.sidebar.caption)
    done = open_dashboard("app_pages/own_rules.py", first="0")  # by hand first off: the engine's numbers show
    assert "data 9" in done.get("graphviz_chart")[0].proto.spec
