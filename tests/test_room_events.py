"""What a learner's work sends to the room, and how the instructor's view says it.

The lesson's example x = 2, y = 3, z = x*y + y, by hand: the backward pass is step 0 the seed
(z.grad = 1), step 1 z = a + y (a.grad += 1, y.grad += 1), step 2 a = x*y (x.grad += y = 3,
y.grad += x = 2). So "y.grad += 3 at step 2" is wrong (it adds 2), the issue's own example.
"""

from __future__ import annotations

from implement_solutions import BUGS, SOLUTION
from sqlalchemy import create_engine

from lab.implement import run as implement
from lab.lesson import lesson2
from lab.model.analysis import analyse
from lab.room.events import (
    LESSON2_KEYS,
    NOT_RUN,
    STATION_KEYS,
    Sender,
    current_report,
    facts,
    rule_facts,
    summary,
    unsent,
)
from lab.room.store import (
    ANSWER,
    HAND,
    IMPLEMENTATION,
    PREDICTION,
    STATION,
    LearnerRow,
    RoomStore,
    RoomView,
    WrongAnswer,
)
from lab.room.view import live_html, of_lesson, wrong_sentence
from lab.views import predict
from lab.work.share import Work

LESSON = "x = 2\ny = 3\nz = x*y + y"


def blank_key(step: int, label: str) -> str:
    a = analyse(LESSON)
    return next(b.key for b in predict.blanks(a, "backward", step) if b.label == label)


def test_a_wrong_prediction_is_sent_with_the_number_typed_and_what_the_step_adds():
    work = Work(LESSON, predictions={blank_key(2, "y.grad += ?"): "3", blank_key(2, "x.grad += ?"): "y"})
    sent = [f for f in facts(work, analyse(LESSON)) if f.kind == PREDICTION]
    assert {(f.about, f.answer, f.right, f.note) for f in sent} == {
        ("y.grad += ?", "3", False, "it adds 2"),
        ("x.grad += ?", "y", True, "it adds 3"),  # a formula in the variables: y = 3 here
    }
    wrong = next(f for f in sent if not f.right)
    assert wrong_sentence(WrongAnswer(PREDICTION, wrong.about, wrong.answer, 12, wrong.note, wrong.context)) == (
        "12 said y.grad += 3 at step 2; it adds 2"
    )


def test_an_unreadable_prediction_or_another_programs_is_not_sent():
    other = "x = 5\ny = 3\nz = x*y + y"
    other_key = predict.blanks(analyse(other), "backward", 2)[0].key
    work = Work(LESSON, predictions={blank_key(2, "y.grad += ?"): "3 +", other_key: "3"})
    assert [f for f in facts(work, analyse(LESSON)) if f.kind == PREDICTION] == []


def test_stations_done_come_from_the_work():
    work = Work(LESSON, answers={"station:graph": "my", "station:rules": "self"})  # rules: the swapped slip
    assert [f.about for f in facts(work, analyse(LESSON)) if f.kind == STATION] == ["graph"]
    assert STATION_KEYS[:2] == ("graph", "rules")


def test_hand_rows_pass_or_fail_and_a_lucky_formula_fails():
    work = Work(LESSON, hand={"value": "9", "grad:x": "3", "grad:y": "y"})  # dz/dy = y is 3 here only by luck
    rows = {(f.about, f.answer, f.right) for f in facts(work, analyse(LESSON)) if f.kind == HAND}
    assert rows == {("value of z", "9", True), ("d z / d x", "3", True), ("d z / d y", "y", False)}


def test_a_rule_with_equals_names_the_mistake():
    rules = {"*": "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"}
    [fact] = rule_facts(Work(LESSON, rules=rules))
    assert not fact.right and "= instead of +=" in fact.note


def test_a_run_is_one_fact_naming_its_one_mistake_the_classic_mistakes_own_check():
    """Each slip of the catalog lights its own check (lab/implement/slips.py): the room names that one, and the
    solution passes."""
    for name, (code, check, _line) in BUGS.items():
        found = summary(implement.run(code, ""))
        assert (found.passed, found.mistake) == (False, check), name
        assert found.message.startswith("line "), (name, found.message)
    assert summary(implement.run(SOLUTION, "")).passed
    refused = summary(implement.run("import os", ""))
    assert (refused.passed, refused.mistake) == (False, NOT_RUN) and refused.message


def test_each_run_is_a_fact_of_its_own_and_only_the_report_of_the_current_code_counts():
    passing = implement.run(SOLUTION, "")
    work = Work(LESSON, code=SOLUTION)
    first, again = facts(work, analyse(LESSON), passing, "r1"), facts(work, analyse(LESSON), passing, "r2")
    runs = [f for f in first + again if f.kind == IMPLEMENTATION]
    assert [(f.about, f.right) for f in runs] == [("all checks pass", True)] * 2
    assert runs[0].key != runs[1].key  # the same code run twice: two runs, both reach the room
    assert (STATION, "implement") in {(f.kind, f.about) for f in first}
    edited = SOLUTION.replace("self.grad += out.grad", "self.grad = out.grad")
    assert current_report((SOLUTION, passing), SOLUTION) is passing
    assert current_report((SOLUTION, passing), edited) is None  # edited since its run: that run says nothing
    assert current_report(None, SOLUTION) is None
    now = facts(Work(LESSON, code=edited), analyse(LESSON), current_report((SOLUTION, passing), edited), "r3")
    assert not [f for f in now if f.kind == IMPLEMENTATION or f.about == "implement"]


def test_only_new_facts_are_sent_and_the_same_work_gives_the_same_facts():
    work = Work(LESSON, answers={"station:graph": "my"})
    first = facts(work, analyse(LESSON))
    assert unsent(first, set()) == first
    assert unsent(facts(work, analyse(LESSON)), {f.key for f in first}) == []
    work.predictions = {blank_key(2, "y.grad += ?"): "3"}
    new = unsent(facts(work, analyse(LESSON)), {f.key for f in first})
    assert [(f.kind, f.answer) for f in new] == [(PREDICTION, "3")]


def view(nickname: str, answer: str) -> RoomView:
    learner = LearnerRow(nickname, 3, 3, 0.0, True)
    wrong = [WrongAnswer(PREDICTION, "y.grad += ?", answer, 2, "it adds 2", "p|backward|2")]
    rest = [0] * (len(STATION_KEYS) - 4)
    return RoomView("ABCDEF", 0.0, [learner], [0, 0, 0, 1, *rest], [1, 1, 1, 0, *rest], wrong)


def test_the_live_view_shows_what_learners_typed_as_text():
    html = live_html(view("<img src=x onerror=alert(1)>", "<script>3</script>"), now=600.0)
    assert "<img" not in html and "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "2 said y.grad += &lt;script&gt;3&lt;/script&gt; at step 2; it adds 2" in html


def test_the_projector_view_has_no_nicknames():
    html = live_html(view("Ann", "3"), now=600.0, projector=True)
    assert "Ann" not in html and "projector" in html
    assert "1 learner</p>" in html  # the stalled learner, counted
    assert "Ann" in live_html(view("Ann", "3"), now=600.0)


# -- lesson 2 in the room: its own stations (keys "l2:..."), its answers among the wrong answers ----------------
# Its numbers by hand: o = tanh(0.8814) = 0.7071, so tanh's slope is 1 - o² = 0.5 (1 - n² = 0.2231 is the slip);
# the ReLU neuron x = 2, w = -1, b = 0.5 has n = -1.5 < 0, so exactly 0 reaches w.


def lesson2_work(**answers: str) -> Work:
    return Work(lesson2.NEURON, answers=answers)


def test_lesson_2s_answers_are_sent_and_its_takeaway_is_not():
    work = lesson2_work(**{lesson2.SLOPE.id: "0.2231", lesson2.DEAD.id: "0", lesson2.TAKEAWAY: "Relu dies."})
    sent = {f.context: f for f in facts(work, analyse(lesson2.NEURON)) if f.kind == ANSWER}
    assert set(sent) == {lesson2.SLOPE.id, lesson2.DEAD.id}
    assert not sent[lesson2.SLOPE.id].right and "1 - n²" in sent[lesson2.SLOPE.id].note
    assert sent[lesson2.DEAD.id].right


def test_lesson_2s_stations_are_sent_and_the_room_counts_them_per_lesson(tmp_path):
    store = RoomStore(create_engine(f"sqlite:///{tmp_path / 'room.sqlite'}"))
    opened = store.open_room()
    store.join(opened.code, "Ann", "t-ann")
    store.join(opened.code, "Bob", "t-bob")
    ann = Sender(store, opened.code, "t-ann")
    ann.send(facts(lesson2_work(**{lesson2.SLOPE.id: "0.5", lesson2.DEAD.id: "-2"}), analyse(lesson2.NEURON)))

    second = store.view(opened.code, opened.key, LESSON2_KEYS)
    slope = LESSON2_KEYS.index("l2:slope")
    assert second.past[slope] == 1 and sum(second.past) == 1  # Ann's slope, right; nothing else of lesson 2
    assert second.at[0] == 2  # both are still at lesson 2's first station (their tanh and relu are not written)
    first = store.view(opened.code, opened.key, STATION_KEYS)
    assert sum(first.past) == 0  # lesson 2's stations are not lesson 1's
    (wrong,) = second.wrong
    assert wrong.learners == 1 and wrong.answer == "-2" and "relu" in wrong.about

    html = live_html(of_lesson(second, "Lesson 2"), now=600.0, stations=lesson2.LESSON.stations)
    assert 'data-station="l2:slope"' in html and "answered “-2”" in html
    assert of_lesson(second, "Lesson 1").wrong == []  # lesson 2's answer is not among lesson 1's wrong answers
