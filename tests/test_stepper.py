"""Where "Watch gradients flow" stands: stepping, playing, the slider, and a new program, without Streamlit."""

from lab.model.analysis import analyse
from lab.model.identity import program_id
from lab.model.steps import BACKWARD, FORWARD
from lab.views.stepper import Stepper

LAST = 2  # the lesson's backward pass: the seed, z._backward(), a._backward()


def settled(stepper: Stepper, ticking: bool = False, last: int = LAST, limit: int | None = None) -> int:
    stepper.settle(ticking, last, limit)
    return stepper.step


def test_step_and_back_stay_within_the_pass():
    s = Stepper()
    s.move(-1, LAST)
    assert settled(s) == 0
    for _ in range(5):
        s.move(1, LAST)
    assert settled(s) == 2
    s.move(-1, LAST)
    assert settled(s) == 1


def test_a_new_program_starts_again_at_zero_but_a_new_value_keeps_the_step():
    s = Stepper()
    s.follow(program_id(analyse("x = 2\ny = 3\nz = x*y + y")))
    s.go_to(2)
    s.follow(program_id(analyse("x = 4\ny = 3\nz = x*y + y")))  # only x's value changed: the same program
    assert settled(s) == 2
    s.follow(program_id(analyse("x = 4\ny = 3\nz = x*y * y")))  # another operation: another program
    assert settled(s) == 0


def test_a_new_program_stops_playing():
    s = Stepper()
    s.follow(program_id(analyse("x = 2\ny = 3\nz = x*y + y")))
    s.play(LAST)
    s.follow(program_id(analyse("p = 2\nq = p * p")))
    assert not s.playing and s.step == 0


def test_changing_the_pass_starts_it_at_its_beginning():
    s = Stepper()
    s.go_to(2)
    s.set_mode(FORWARD)
    assert (s.mode, settled(s, last=3)) == (FORWARD, 0)
    s.set_mode(BACKWARD)
    assert s.mode == BACKWARD


def test_play_shows_the_first_step_at_once_then_one_step_per_tick_and_stops_at_the_end():
    s = Stepper()
    s.play(LAST)
    assert s.playing and s.step == 1
    # the run right after the click draws the stepping part with its timer: the click's step, not one more
    assert s.settle(True, LAST) is False
    assert s.step == 1
    # the timer's tick: one step on; that is the last, so play stops and the whole page must rerun (stops the timer)
    assert s.settle(True, LAST) is True
    assert s.step == 2 and not s.playing


def test_a_tick_right_after_a_click_does_not_add_a_step():
    s = Stepper(playing=True, step=1)
    s.go_to(1)  # a click moved the step (and stopped playing)
    s.playing = True  # ... say the timer's run comes before the page knew
    s.settle(True, LAST)
    assert s.step == 1


def test_play_at_the_end_starts_again_from_the_seed_and_a_second_click_is_ignored():
    s = Stepper(step=LAST)
    s.play(LAST)
    assert s.step == 0 and s.playing
    s.play(LAST)  # the browser sent the click again while the timer ran
    assert s.step == 0


def test_pause_stops_playing_where_it_is():
    s = Stepper()
    s.play(LAST)
    s.pause()
    assert not s.playing and settled(s, ticking=True) == 1


def test_the_slider_jumps_only_when_moved_from_where_it_started():
    s = Stepper()
    s.slider_drawn("flow_slider_backward_0", 0)
    s.slider_read(0)  # the browser reports a new slider's value once, unmoved
    assert s.step == 0 and not s.clicked
    s.slider_read(2)
    assert settled(s) == 2
    s.slider_read(1)  # the slider was read once: a stale value of it is not a second jump
    assert settled(s) == 2
    s.slider_drawn("flow_slider_backward_2", 2)
    s.slider_read(None)  # the slider is gone (another page)
    assert settled(s) == 2


def test_a_limit_keeps_the_step_from_going_past_it():
    s = Stepper()
    s.go_to(2)
    assert settled(s, limit=1) == 1  # while predicting: not past the first step not checked yet
    s.move(1, LAST)
    assert settled(s, limit=1) == 1
    s.go_to(2)
    assert settled(s, limit=LAST) == 2


def test_a_jump_held_back_by_the_limit_gets_a_new_slider_at_the_step_shown():
    s = Stepper()
    first = s.slider_key_for("slider")
    s.slider_drawn(first, 0)
    s.slider_read(2)
    assert settled(s, limit=0) == 0  # held back: the step not checked yet
    assert s.slider_key_for("slider") != first  # so the slider dragged to 2 is not drawn again
