"""The Next lesson page in AppTest: its own neuron, a dead ReLU and a saturated tanh, the learner's program untouched.

By hand, with x = 2, w = 1.5, n = w*x + b: a ReLU below 0 sends exactly 0 to w, x and b; above 0 it sends
w.grad = x = 2. tanh at n = 3.5 has slope 1 - tanh(3.5)**2 = 0.0036, so w.grad = 2 * 0.0036 = 0.0073.
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

PAGE = "app_pages/next_lesson.py"
EXAMPLE = "x = 2\ny = 3\nz = x*y + y"


def open_page() -> AppTest:
    return open_dashboard(PAGE)


def dot(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def grads(at: AppTest) -> dict[str, float]:
    return {row["node"]: row["grad"] for row in at.dataframe[0].value.to_dict("records")}


def test_the_page_is_marked_as_the_next_lessons_and_starts_with_a_live_relu():
    at = open_page()
    assert at.title[0].value == "Next lesson: when gradients die"
    assert any("Preview of the next lesson" in m.value for m in at.markdown)
    assert grads(at)["w"] == 2.0 and grads(at)["b"] == 1.0
    assert at.success and "above 0" in at.success[0].value


def test_a_dead_relu_shows_exactly_zero_in_the_table_and_the_diagram():
    at = open_page()
    at.slider(key="next:pre").set_value(-1.0).run()
    assert not at.exception
    assert grads(at)["w"] == 0.0 and grads(at)["x"] == 0.0 and grads(at)["b"] == 0.0
    assert "dead: exactly 0" in dot(at)
    assert "dead" in at.error[0].value


def test_a_saturated_tanh_shows_a_gradient_close_to_zero():
    at = open_page()
    at.segmented_control(key="next:activation").set_value("tanh").run()
    at.slider(key="next:pre").set_value(3.5).run()
    assert 0 < grads(at)["w"] < 0.01
    assert "nearly dead" in dot(at)
    assert "saturated" in at.warning[0].value


def test_the_plot_of_the_local_derivative_is_drawn():
    at = open_page()
    charts = at.get("vega_lite_chart")
    assert charts, "the local derivative's plot"


def test_the_learners_program_stays_as_it_is():
    at = open_page()
    at.slider(key="next:pre").set_value(-2.0).run()
    at.segmented_control(key="next:activation").set_value("tanh").run()
    assert at.session_state["program"] == EXAMPLE
    assert at.query_params["expr"] == EXAMPLE


def test_the_question_is_answered_here_and_kept_with_the_work():
    at = open_page()
    at.text_input(key="next:answer").input("2").run()
    assert "2 * 0 = 0" in at.error[-1].value.replace("\\", "")  # the explanation, with the engine's numbers
    at.text_input(key="next:answer").input("0").run()
    assert at.session_state["answers"] == {"station:next": "0"}
    assert json.loads(at.query_params["ans"]) == {"station:next": "0"}
