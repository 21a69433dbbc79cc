"""Watch gradients flow: a reload (the link opened again) comes back to the step it left.

The lesson's example has 3 backward steps (0: the seed z.grad = 1; 1: z = a + y; 2: a = x * y) and 4 forward ones.
"""

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from lab.views.stepper import Stepper

FLOW = "app_pages/flow.py"


def position(at: AppTest) -> str:
    box = next(m.value for m in at.markdown if "flow-sentence" in m.value)
    return box[box.index("flow-position") :]


def test_the_step_is_in_the_link_and_a_reload_comes_back_to_it():
    at = open_dashboard(FLOW)
    assert "step" not in at.query_params  # the start: nothing to carry
    at.button(key="flow:next").click().run()
    at.button(key="flow:next").click().run()
    assert not at.exception
    assert at.query_params["step"] == "2"
    assert "Step 2 of 2" in position(at)

    again = open_dashboard(FLOW, **{k: at.query_params[k] for k in at.query_params})  # the reload
    assert "Step 2 of 2" in position(again)
    assert "Step 2 of 2" in position(open_dashboard(FLOW, step="99"))  # past the end: the last step
    assert "Start" in position(open_dashboard(FLOW, step="nonsense"))  # not a place: the start


def test_the_forward_pass_and_its_step_are_kept_too():
    stepper = Stepper()
    stepper.stand_at("forward:3", "p")
    assert (stepper.mode, stepper.step, stepper.where()) == ("forward", 3, "forward:3")
    for broken in ("sideways:1", "forward:-1", "forward:", ":", "1" * 30):
        untouched = Stepper()
        untouched.stand_at(broken, "p")
        assert (untouched.mode, untouched.step) == ("backward", 0)
