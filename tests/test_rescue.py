"""The rescue version's logic (lab/lesson/rescue.py): the blanks, its stations done from the work, the assembled class.

By hand, for z = x*y + y at x = 2, y = 3 (a = x*y = 6, z = a + y = 9): `*` at a = x*y sends x y.data * a.grad and y
x.data * a.grad: nudge x by 0.001 and a moves by 0.003 (3 per unit, y's data), nudge y by 0.001 and a moves by 0.002
(2 per unit, x's data). `+` at z = a + y moves one for one with each input: 1 per unit. backward() gives x.grad = 3,
y.grad = 3 + ... = 3 (1 from z, 2 from a), z = 9.
"""

from implement_solutions import BUGS

from lab.implement import run as implement
from lab.lesson import rescue, stations
from lab.model.analysis import analyse
from lab.report import sections
from lab.views import by_hand, parsons
from lab.work.share import RESCUE_LESSON, Work

EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
BLANKS_RIGHT = {
    "rescue:+:self": "out.grad",
    "rescue:+:other": "out.grad",
    "rescue:*:self": "other.data * out.grad",
    "rescue:*:other": "self.data * out.grad",
}
PUZZLE_RIGHT = {rescue.PUZZLE: parsons.to_text(parsons.solution())}
HAND_RIGHT = by_hand.with_entries({}, analyse(EXAMPLE), {"value": "9", "grad:x": "3", "grad:y": "3"})
ALL_RIGHT = {"station:graph": "my", **BLANKS_RIGHT, **PUZZLE_RIGHT, rescue.RAN: rescue.RAN_YES}


def done_work(answers: dict, hand: dict, sentence: str = "") -> Work:
    return Work(EXAMPLE, hand, {}, sentence, dict(answers), lesson=RESCUE_LESSON)


def blank(blank_id: str) -> rescue.Blank:
    return next(b for b in rescue.BLANKS if b.id == blank_id)


def test_the_right_blanks_are_right_in_any_spelling_the_rule_reader_reads():
    for blank_id, text in BLANKS_RIGHT.items():
        assert rescue.blank_feedback(blank(blank_id), text).right, blank_id
    assert rescue.blank_feedback(blank("rescue:*:self"), "out.grad*other.data").right
    assert rescue.blank_feedback(blank("rescue:+:other"), "1.0 * out.grad").right


def test_a_swapped_blank_gets_the_nudge_that_leads_to_the_right_one_not_the_blank():
    fb = rescue.blank_feedback(blank("rescue:*:self"), "self.data * out.grad")
    assert not fb.right
    assert "sends x its own data: 2 × out.grad" in fb.message
    assert "nudge x by 0.001 and a moves by 0.003: 3 per unit" in fb.message
    assert "other.data" not in fb.message  # the blank itself is not given away
    fb = rescue.blank_feedback(blank("rescue:*:other"), "other.data * out.grad")
    assert "sends y its own data: 3 × out.grad" in fb.message and "a moves by 0.002: 2 per unit" in fb.message


def test_a_blank_without_out_grad_is_told_the_chain_rule_with_its_local_derivative():
    fb = rescue.blank_feedback(blank("rescue:*:self"), "other.data")
    assert not fb.right and "`other.data` is 3 here" in fb.message and "multiply by out.grad" in fb.message


def test_a_blank_right_here_by_luck_is_not_right():
    fb = rescue.blank_feedback(blank("rescue:*:self"), "3 * out.grad")  # y.data is 3 at the example, not elsewhere
    assert not fb.right and "by luck" in fb.message


def test_a_blank_is_read_by_the_rule_reader_never_run():
    for text in ("__import__('os').system('true')", "x.grad", "open('f')"):
        fb = rescue.blank_feedback(blank("rescue:+:self"), text)
        assert fb.answered and not fb.right and fb.message.startswith("Can't read")
    assert not rescue.blank_feedback(blank("rescue:+:self"), "   ").answered


def test_a_blank_using_the_sums_value_does_not_say_z_before_it_is_worked_out():
    before = rescue.blank_feedback(blank("rescue:+:self"), "out.data * out.grad")
    assert "9" not in before.message  # z = 9 is station 4's to work out
    after = rescue.blank_feedback(blank("rescue:+:self"), "out.data * out.grad", reveal=True)
    assert "sends a 9 × out.grad" in after.message


def test_no_station_is_done_from_an_empty_work_and_all_are_from_the_right_work():
    steps = rescue.progress(Work(EXAMPLE))
    assert [p.done for p in steps] == [False] * 5
    assert sum(s.minutes for s in rescue.STATIONS) == rescue.TOTAL_MINUTES == 15
    text = rescue.assembled(ALL_RIGHT)
    ran = implement.run(text, "")
    steps = rescue.progress(done_work(ALL_RIGHT, HAND_RIGHT, "Backprop is the chain rule, node by node."), ran)
    assert [p.done for p in steps] == [True] * 5, [p.status for p in steps]


def test_station_four_needs_both_the_hand_numbers_and_a_passing_run():
    text = rescue.assembled(ALL_RIGHT)
    ran = implement.run(text, "")
    assert rescue.class_numbers(ran) == [("z.data", 9.0), ("x.grad", 3.0), ("y.grad", 3.0)]
    station = 3  # by hand
    assert rescue.progress(done_work(ALL_RIGHT, HAND_RIGHT), ran)[station].done
    assert not rescue.progress(done_work(ALL_RIGHT, {}), ran)[station].done
    wrong_hand = by_hand.with_entries({}, analyse(EXAMPLE), {"value": "9", "grad:x": "3", "grad:y": "1"})
    assert not rescue.progress(done_work(ALL_RIGHT, wrong_hand), ran)[station].done  # y.grad is 3: both uses add
    assert not rescue.progress(done_work({**ALL_RIGHT, rescue.RAN: ""}, HAND_RIGHT), ran)[station].done  # not run
    failing = implement.run(BUGS["no_seed"][0], "")  # a run whose lesson test fails
    assert not rescue.progress(done_work(ALL_RIGHT, HAND_RIGHT), failing)[station].done


def test_the_class_is_assembled_only_from_right_pieces_and_passes_every_check_in_the_sandbox():
    assert rescue.assembled({**BLANKS_RIGHT}) is None  # no puzzle yet
    assert rescue.assembled({**ALL_RIGHT, "rescue:*:self": "self.data * out.grad"}) is None
    text = rescue.assembled(ALL_RIGHT)
    assert "self.grad += other.data * out.grad" in text and "        for node in reversed(topo):" in text
    report = implement.run(text, EXAMPLE)
    assert report.passed, [(c.key, c.message) for c in report.checks if not c.passed]
    assert rescue.lesson_test(report) == (True, "z.data is 9, x.grad is 3 and y.grad is 3, as the engine's")


def test_moving_on_to_the_full_lesson_counts_what_the_rescue_version_did():
    text = rescue.assembled(ALL_RIGHT)
    work = Work(EXAMPLE, HAND_RIGHT, {}, "Backprop is the chain rule.", dict(ALL_RIGHT), code=text, lesson="full")
    report = implement.run(text, EXAMPLE)
    done = {p.station.key: p.done for p in stations.progress(work, analyse(EXAMPLE), report)}
    assert done == {
        "graph": True,  # the same question
        "rules": True,  # `*`'s blanks hold the full lesson's blank
        "implement": True,  # the assembled class became the learner's code
        "backward": False,  # the full lesson's own question, still to answer
        "by_hand": True,  # the same hand entries
        "trace": False,
        "explain": False,
        "takeaway": False,  # one sentence kept; 3 to 5 asked
        "next": False,
    }


def test_the_report_says_which_version_was_done():
    text = rescue.assembled(ALL_RIGHT)
    work = Work(EXAMPLE, HAND_RIGHT, {}, "Backprop is the chain rule.", dict(ALL_RIGHT), lesson=RESCUE_LESSON)
    markdown = sections.report_markdown(work, analyse(EXAMPLE), rescued=implement.run(text, ""))
    assert "**The rescue version (15 min)**: chosen; done." in markdown
    assert "**The full lesson (90 min)**: not chosen (the rescue version is)" in markdown
    assert "for node in reversed(topo):" in markdown  # the puzzle as arranged
    assert "rescue:" not in markdown  # the rescue's answers in its own section, not as raw "other answers"
    full = sections.report_markdown(Work(EXAMPLE), analyse(EXAMPLE))
    assert "**The full lesson (90 min)**: chosen." in full and "rescue version" not in full
