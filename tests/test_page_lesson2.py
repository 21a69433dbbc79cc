"""Lesson 2's page (/lesson2) and its part on Implement it, through AppTest.

The numbers are the lecture's neuron worked by hand (o = tanh(0.8814) = 0.7071, do/dn = 1 - o² = 0.5) and one
step of gradient descent computed in plain floats (tests/test_training.py checks the loop against them).
"""

from __future__ import annotations

from apptest_helpers import open_dashboard

from lab.lesson import lesson2
from lab.lesson.solution import LESSON2_SOLUTION, SOLUTION
from lab.model import training
from lab.work.share import Work, work_to_params

PAGE = "app_pages/lesson2.py"


def opened(work: Work, station: str | None = None):
    at = open_dashboard(PAGE, **work_to_params(work))
    if station is not None:
        index = [s.key for s in lesson2.LESSON.stations].index(station)
        at.segmented_control(key="lesson2:station").set_value(index).run()
    assert not at.exception
    return at


def texts(at) -> str:
    return "\n".join(
        [m.value for m in at.markdown]
        + [e.value for e in at.error]
        + [s.value for s in at.success]
        + [c.value for c in at.caption]
        + [w.value for w in at.warning]
    )


def test_a_fresh_learner_opens_the_first_station_with_nothing_done():
    at = opened(Work(lesson2.NEURON))
    assert at.get("progress")[0].proto.text.startswith("0 of 7 stations done")
    assert at.subheader[0].value == "1. tanh and ReLU in your own `Value`"
    assert "write it on Implement it first" in at.info[0].value


def test_the_slope_question_says_which_slip_a_wrong_answer_is():
    at = opened(Work(lesson2.NEURON), "l2:slope")
    at.text_input(key="lesson:q:lesson2:slope").input("0.2231").run()  # 1 - n² at n = 0.8814
    assert "That is 1 - n²" in texts(at)
    at.text_input(key="lesson:q:lesson2:slope").input("0.5").run()
    assert at.success and "1 - o² = 1 - 0.7071² = 0.5" in at.success[0].value


def test_a_step_up_the_gradient_is_named_in_the_steps_numbers():
    step = training.first_step(training.FIT)
    uphill = training.FIT.w + training.FIT.lr * step["w.grad"]
    at = opened(Work(lesson2.NEURON), "l2:step")
    at.text_input(key="lesson:q:lesson2:step").input(repr(uphill)).run()
    assert "a step up the loss" in texts(at)


def test_the_learners_solution_marks_the_code_stations_done_and_draws_the_losses():
    work = Work(lesson2.NEURON, code=LESSON2_SOLUTION)
    at = opened(work, "l2:train")
    assert any("your train(): its check passes" in c.value for c in at.caption)
    assert any("the engine's own loop gives the same numbers" in s.value for s in [*at.success, *at.markdown])
    assert len(at.get("vega_lite_chart")) == 4  # yours beside the engine's, and the three that go wrong


def test_the_plots_wait_for_the_learners_own_loop():
    at = opened(Work(lesson2.NEURON, code=SOLUTION), "l2:train")
    assert not at.get("vega_lite_chart")
    assert any("wait for your train()" in c.value for c in at.caption)


def test_the_takeaway_offers_the_report_it_asks_for():
    at = opened(Work(lesson2.NEURON), "l2:takeaway")
    assert any("download your report" in m.value for m in at.markdown)  # the station's to-do asks for it
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Report (HTML)" in labels and "Report (Markdown)" in labels


def test_implement_it_names_a_lesson_2_slip_at_its_line_once_lesson_2_is_open():
    slip = LESSON2_SOLUTION.replace("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - self.data**2) * out.grad")
    line = next(i for i, text in enumerate(slip.splitlines(), 1) if "1 - self.data**2" in text)
    at = opened(Work(lesson2.NEURON, code=slip))
    at.switch_page("app_pages/implement.py").run()
    assert not at.exception
    fix = [e.value for e in at.error if "Fix this first" in e.value]
    assert fix and f"(line {line})" in fix[0] and "`(1 - x**2) * out.grad`" in fix[0]


def test_lesson_1_learners_see_nothing_of_lesson_2_on_implement_it():
    at = open_dashboard("app_pages/implement.py", **work_to_params(Work("x = 2\ny = 3\nz = x*y + y", code=SOLUTION)))
    assert not [s for s in at.subheader if "Lesson 2" in s.value]
