"""Hand entries belong to a program, in AppTest.

The lesson's example by hand: x = 2, y = 3, z = x*y + y = 9, dz/dx = y = 3, dz/dy = x + 1 = 3. Micrograd's neuron
o = tanh(x1*w1 + x2*w2 + b) with n = 0.8814 gives o = 1/sqrt(2) = 0.7071. Work on the neuron must leave the
example's entries, and the Lesson's progress made with them, as they were.
"""

import json

from apptest_helpers import open_dashboard
from streamlit.testing.v1 import AppTest

from lab.model.analysis import analyse
from lab.model.identity import program_id as program_key
from lab.views.by_hand import entries_of, with_entries
from lab.work.share import Work, owned_hand, work_from_json, work_from_params, work_to_json, work_to_params

EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
NEURON = "x1 = 2\nx2 = 0\nw1 = -3\nw2 = 1\nb = 6.8813735870195432\no = tanh(x1*w1 + x2*w2 + b)"
BY_HAND = {"value": "9", "grad:x": "y", "grad:y": "x + 1"}
LESSON, BUILD, BY_HAND_PAGE = None, "app_pages/build.py", "app_pages/by_hand.py"
BY_HAND_STATION = 4  # graph, rules, implement, backward, by hand


# -- the keys -----------------------------------------------------------------------------------


def test_a_program_keeps_its_key_at_other_values_and_in_the_lessons_python_spelling():
    key = program_key(analyse(EXAMPLE))
    assert program_key(analyse("x = 2.5\ny = -1\nz = x*y + y")) == key
    assert program_key(analyse("x = Value(2.0)\ny = Value(3.0)\nz = x*y + y")) == key
    assert program_key(analyse("x = 2\ny = 3\nz = x*y - y")) != key  # another operation
    assert program_key(analyse("x = 2\ny = 3\nz = 2*x*y + y")) != program_key(analyse("x = 2\ny = 3\nz = 3*x*y + y"))
    assert program_key(analyse(NEURON)) != key


def test_each_programs_entries_are_its_own():
    example, neuron = analyse(EXAMPLE), analyse(NEURON)
    hand = with_entries({}, example, BY_HAND)
    hand = with_entries(hand, neuron, {"value": "0.7071", "grad:b": " "})  # a blank entry is not kept
    assert entries_of(hand, example) == BY_HAND
    assert entries_of(hand, neuron) == {"value": "0.7071"}
    assert entries_of(hand, analyse("x = 1\nz = x*x")) == {}  # a new program starts empty
    assert entries_of(BY_HAND, neuron) == BY_HAND  # only this program's entries, keyed by row, are taken as given


def test_an_older_link_or_file_gives_its_entries_to_its_own_program():
    work, problems = work_from_params({"expr": EXAMPLE, "hand": json.dumps(BY_HAND)})
    assert not problems
    assert entries_of(work.hand, analyse(EXAMPLE)) == BY_HAND
    assert entries_of(work.hand, analyse(NEURON)) == {}
    old_file = json.dumps({"format": "backprop-lab-work", "version": 2, "program": EXAMPLE, "hand": BY_HAND})
    assert entries_of(work_from_json(old_file).hand, analyse(NEURON)) == {}
    assert entries_of(work_from_json(old_file).hand, analyse(EXAMPLE)) == BY_HAND
    # a new file and a new link carry them as they are
    both = owned_hand(NEURON, with_entries(work.hand, analyse(NEURON), {"value": "0.7071"}))
    saved = Work(NEURON, both)
    assert work_from_json(work_to_json(saved)).hand == both
    assert work_from_params(work_to_params(saved))[0].hand == both


# -- the pages ----------------------------------------------------------------------------------


def build(at: AppTest, program: str) -> None:
    at.switch_page(BUILD).run()
    at.text_area(key="build:text").input(program)
    at.button(key="build:build").click().run()
    assert not at.exception


def answers(at: AppTest) -> list[str]:
    """The 'your answer' column of By hand's table."""
    return list(at.dataframe[0].value["your answer"])


def type_first_answer(at: AppTest, text: str) -> None:
    """As the learner types into the table's first row (the output's value)."""
    try:
        generation = at.session_state["_by_hand:table_generation"]
    except KeyError:
        generation = 0
    key = "by_hand:table" if not generation else f"by_hand:table_{generation}"  # app_pages/by_hand.editor_key
    at.session_state[key] = {"edited_rows": {0: {"your answer": text}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception


def by_hand_status(at: AppTest) -> str:
    at.switch_page("app_pages/lesson.py").run()
    at.segmented_control(key="lesson:station").set_value(BY_HAND_STATION).run()
    return next(c.value for c in at.caption if c.value.startswith(("✔ done", "not done yet")))


def test_work_on_another_program_leaves_the_examples_entries_and_the_lessons_progress_as_they_were():
    at = open_dashboard(hand=json.dumps(BY_HAND))  # an older link: the entries are the example's
    assert by_hand_status(at).startswith("✔ done")

    build(at, NEURON)
    at.switch_page(BY_HAND_PAGE).run()
    assert answers(at) == [""] * len(answers(at)), "a new program starts with no hand entries"
    type_first_answer(at, "0.7071")
    assert answers(at)[0] == "0.7071"

    assert by_hand_status(at).startswith("✔ done"), "the neuron's entries did not undo the example's station"

    build(at, EXAMPLE)
    at.switch_page(BY_HAND_PAGE).run()
    assert answers(at)[:3] == ["9", "y", "x + 1"], "the example's entries come back with it"
    build(at, NEURON)
    at.switch_page(BY_HAND_PAGE).run()
    assert answers(at)[0] == "0.7071", "and the neuron's with the neuron"
