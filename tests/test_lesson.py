"""The lesson's stations are marked done from the learner's work alone (never from a 'done' button).

By hand, for the lesson's example z = x*y + y at x = 2, y = 3: z = 9, dz/dx = y = 3, dz/dy = x + 1 = 3.
"""

from functools import cache

from implement_solutions import BUGS, SOLUTION

from lab.implement import run as implement
from lab.lesson.stations import STATIONS, example_analysis, first_not_done, is_example, node_fields, progress
from lab.model.analysis import analyse
from lab.work.share import Work, work_from_json, work_to_json

EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
ALL_RIGHT = {
    "station:graph": "my",
    "station:rules": "other",
    "station:backward": "zm",
    "station:trace": "2",
    "seed": "self",
    "plus_equals": "2",
    "order": "complete",
    "dz_dy": "x + 1",
    "mul_sends": "3",
    "three_uses": "4",
    "station:next": "0",
}
HAND_RIGHT = {"value": "9", "grad:x": "y", "grad:y": "x + 1"}
TAKEAWAY = "The seed is 1. Gradients add up with +=. Order still feels fuzzy."


@cache
def ran(code: str) -> implement.Report:
    return implement.run(code, EXAMPLE)


def done(work: Work) -> list[bool]:
    """Each station done or not; the work's code (if any) run as app/state.py runs it."""
    return [p.done for p in progress(work, analyse(work.program), ran(work.code) if work.code else None)]


def test_the_stations_follow_the_lessons_arc():
    assert [s.title for s in STATIONS] == [
        "Every number is a node",
        "The `+` and `*` rules, and why `+=`",
        "Implement it: your own `Value` and `backward()`",
        "`backward()`: topological order, seed, reverse",
        "By hand first",
        "Check and trace",
        "Explain",
        "The takeaway",
        "Next lesson: when gradients die",
    ]


def test_a_fresh_learner_has_nothing_done_and_starts_at_the_first_station():
    steps = progress(Work(EXAMPLE), analyse(EXAMPLE))
    assert not any(p.done for p in steps)
    assert first_not_done(steps) == 0


def test_all_the_work_done_marks_every_station_done():
    assert done(Work(EXAMPLE, HAND_RIGHT, {}, TAKEAWAY, ALL_RIGHT, code=SOLUTION)) == [True] * 9
    assert done(Work(EXAMPLE, HAND_RIGHT, {}, TAKEAWAY, ALL_RIGHT)) == [True, True, False] + [True] * 6


def test_implement_it_is_done_only_when_every_check_of_the_learners_code_passes():
    assert done(Work(EXAMPLE, code=SOLUTION))[2]
    for bug in ("overwrite_add", "no_seed", "no_topological_order"):
        assert not done(Work(EXAMPLE, code=BUGS[bug][0]))[2], bug
    assert not done(Work(EXAMPLE, code="import os\n"))[2]
    assert not done(Work(EXAMPLE, code=implement.SKELETON))[2]
    assert not done(Work(EXAMPLE))[2]
    steps = progress(Work(EXAMPLE, code=BUGS["no_seed"][0]), analyse(EXAMPLE), ran(BUGS["no_seed"][0]))
    assert "checks pass" in steps[2].status


def test_by_hand_is_done_only_when_the_hand_check_passes():
    assert done(Work(EXAMPLE, HAND_RIGHT))[4]
    assert not done(Work(EXAMPLE, {"value": "9", "grad:x": "3"}))[4]  # dz/dy missing
    assert not done(Work(EXAMPLE, {**HAND_RIGHT, "grad:y": "y"}))[4]  # right here only by luck
    assert not done(Work(EXAMPLE, {**HAND_RIGHT, "grad:x": "2"}))[4]


def test_check_and_trace_needs_the_hand_check_and_the_traced_edge():
    assert not done(Work(EXAMPLE, {}, {}, "", {"station:trace": "2"}))[5]
    assert not done(Work(EXAMPLE, HAND_RIGHT))[5]
    assert done(Work(EXAMPLE, HAND_RIGHT, {}, "", {"station:trace": "2"}))[5]


def test_explain_is_done_when_every_checkpoint_is_answered_right():
    answers = {k: v for k, v in ALL_RIGHT.items() if not k.startswith("station:")}
    assert done(Work(EXAMPLE, {}, {}, "", answers))[6]
    assert not done(Work(EXAMPLE, {}, {}, "", {**answers, "dz_dy": "y"}))[6]
    steps = progress(Work(EXAMPLE, {}, {}, "", {**answers, "dz_dy": "y"}), analyse(EXAMPLE))
    assert steps[6].status == "5 of 6 right, 1 to try again"


def test_the_takeaway_is_done_at_three_to_five_sentences():
    assert not done(Work(EXAMPLE, takeaway="Too short. Really."))[7]
    assert done(Work(EXAMPLE, takeaway=TAKEAWAY))[7]
    assert not done(Work(EXAMPLE, takeaway="One. Two. Three. Four. Five. Six."))[7]


def test_progress_survives_the_work_file_and_a_file_without_progress_fields_still_loads():
    work = Work(EXAMPLE, HAND_RIGHT, {}, TAKEAWAY, ALL_RIGHT, code=SOLUTION)
    assert done(work_from_json(work_to_json(work))) == [True] * 9
    old = work_from_json('{"format": "backprop-lab-work", "version": 1, "program": "x = 2\\ny = 3\\nz = x*y + y"}')
    assert done(old) == [False] * 9
    odd = work_from_json(
        '{"format": "backprop-lab-work", "program": "x = 1", "answers": {"seed": 5}, "progress": [1, 2], "takeaway": 7}'
    )
    assert odd.answers == {} and odd.takeaway == ""
    assert done(odd) == [False] * 9


def test_the_example_at_other_values_or_in_python_spelling_counts_as_the_example():
    assert is_example(analyse("x = 4\ny = -1\nz = x*y + y"))
    assert is_example(analyse("x = Value(2.0)\ny = Value(3.0)\nz = x*y + y"))
    assert not is_example(analyse("x = 2\ny = 3\nz = x*y + x"))
    assert not is_example(analyse("a = 2\nb = 3\nz = a*b + b"))


def test_another_program_keeps_the_progress_made_on_the_example():
    work = Work("p = 3\nq = p * p", HAND_RIGHT, {}, TAKEAWAY, ALL_RIGHT, code=SOLUTION)
    assert done(work) == [True] * 9
    assert example_analysis(analyse(work.program)).names == ("x", "y", "a", "z")


def test_node_fields_show_each_value_as_the_lesson_names_it():
    fields = {row["node"]: row for row in node_fields(analyse(EXAMPLE)).to_dict("records")}
    assert fields["z"]["_prev"] == "(a, y)" and fields["z"]["_op"] == "'+'"
    assert fields["a"]["_backward"] == "x.grad += y.data * a.grad; y.grad += x.data * a.grad"
    assert fields["x"]["_prev"] == "()" and fields["x"]["data"] == "2"


def test_sentences_for_the_page_keep_stars_and_underscores_as_characters_outside_code():
    from lab.model.text import markdown_safe

    assert markdown_safe("z = x*y + y and `x*y` and _prev") == "z = x\\*y + y and `x*y` and \\_prev"


# -- slips a learner would see (issue 17): each of these turned red with the slip planted --------


def test_the_stations_hand_check_uses_the_learners_tolerance():
    hand = {"value": "9", "grad:x": "3.02", "grad:y": "3"}  # 3.02 is within 0.01 * 3 of dz/dx = 3
    by_hand = [s.key for s in STATIONS].index("by_hand")
    assert done(Work(EXAMPLE, hand=hand, settings={"tolerance": 0.01}))[by_hand]
    assert not done(Work(EXAMPLE, hand=hand, settings={"tolerance": 1e-3}))[by_hand]


def test_with_every_station_done_the_lesson_stays_on_the_last_station():
    work = Work(EXAMPLE, HAND_RIGHT, {}, TAKEAWAY, ALL_RIGHT, code=SOLUTION)
    steps = progress(work, analyse(EXAMPLE), ran(SOLUTION))
    assert all(p.done for p in steps)
    assert first_not_done(steps) == len(STATIONS) - 1
