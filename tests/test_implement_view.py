"""What the Implement it page, the Lesson and the report say about a run of the learner's code.

lab/views/implement_view.py.

The reports come from the real sandbox (lab.implement.run.run) on the lesson's solution and its buggy variants.
"""

from __future__ import annotations

from functools import cache

from implement_solutions import BUGS, SOLUTION

from engine.trace import grads_at
from lab.implement import run as implement
from lab.implement.graphs import learner_backward_steps
from lab.model.analysis import CONSTANT, OPERATION, OUTPUT, VARIABLE, analyse
from lab.model.diagram import Highlight, to_dot
from lab.model.table import values_table
from lab.views.implement_view import (
    DIFFERS,
    SAME,
    call_order,
    capped_output,
    check_lines,
    editor_marks,
    engine_beside,
    engine_values,
    fix_first,
    folded_words,
    held_checks,
    kept_code,
    learner_analysis,
    learner_table,
    problem_text,
    station_status,
    waiting_words,
)

LESSON = "x = 2\ny = 3\nz = x*y + y"


@cache
def report_of(code: str, program: str = LESSON) -> implement.Report:
    return implement.run(code, program)


def test_the_learners_graph_is_drawn_and_tabled_as_the_engines():
    report = report_of(SOLUTION)
    a = learner_analysis(report.lesson_graph)
    assert a.names == ("x", "y", "a", "z")
    assert a.kinds == [VARIABLE, VARIABLE, OPERATION, OUTPUT]
    assert a.formulas == ["x", "y", "x * y", "a + y"]
    table = values_table(a)
    # by hand: z = 2*3 + 3 = 9, dz/dx = y = 3, dz/dy = x + 1 = 3, dz/da = 1
    assert list(table["data"]) == [2, 3, 6, 9] and list(table["grad"]) == [3, 3, 1, 1]
    assert "grad 3" in to_dot(a)


def test_a_number_in_the_program_is_a_constant():
    a = learner_analysis(report_of(SOLUTION, "x = 2\nz = 2*x + x").program_graph)
    assert CONSTANT in a.kinds and a.kinds[-1] == OUTPUT


def test_the_station_is_done_only_when_every_check_passes():
    assert station_status(report_of(SOLUTION), has_code=True)[0]
    done, status = station_status(report_of(BUGS["no_seed"][0]), has_code=True)
    assert not done and "of" in status
    assert station_status(None, has_code=False) == (False, "not started: the editor holds the skeleton")
    done, status = station_status(report_of("import os\n"), has_code=True)
    assert not done and "line 1" in status


def test_the_problem_is_named_with_the_learners_line_never_a_traceback():
    text = problem_text(report_of("x = 1\nimport os\n").problem)
    assert "line 2" in text and "Traceback" not in text
    assert text.lower().count("line 2") == 1  # the sandbox's words already name it: not said twice


def test_a_differing_node_is_marked_once_with_the_engines_number_beside_its_own():
    # `=` in __mul__ on z = x*x + x at x = 3: z fires first (x.grad 1), then x*x: `self.grad = 3` throws the 1
    # away and `other.grad += 3` adds 3: 6 where the engine's 2x + 1 is 7; every data is right (z = 12)
    program = "x = 3\nz = x*x + x"
    report = report_of(BUGS["overwrite_mul"][0], program)
    graph = report.program_graph
    a = learner_analysis(graph)
    x = a.names.index("x")
    assert report.program_differs == {x}
    engine = engine_values(graph, program)
    assert engine[x] == (3, 7) and engine[a.output] == (12, 1)
    beside = engine_beside(graph, engine, report.program_differs)
    assert beside == {x: (None, 7)}  # its data is the engine's: only the grad gets the engine's beside it
    dot = to_dot(a, Highlight(mismatch=report.program_differs, engine=beside))
    (x_line,) = [line for line in dot.splitlines() if line.strip().startswith(f"v{x} [")]
    assert "grad 6, engine 7" in x_line and "data 3 |" in x_line
    assert x_line.count("✘") == 1  # the mark once, beside the node (not again under it)
    assert dot.count("engine") == 1  # no other node has the engine's number beside its own


def test_the_learners_table_has_the_engines_numbers_beside_theirs():
    program = "x = 3\nz = x*x + x"
    report = report_of(BUGS["overwrite_mul"][0], program)
    graph = report.program_graph
    a = learner_analysis(graph)
    df = learner_table(a, report.program_differs, engine_values(graph, program)).set_index("node")
    assert list(df.columns) == [
        "op",
        "formula",
        "your data",
        "engine's data",
        "your grad",
        "engine's grad",
        "uses",
        "as the engine?",
    ]
    assert df.loc["x", ["your grad", "engine's grad", "as the engine?"]].tolist() == [6, 7, DIFFERS]
    assert df.loc[a.names[a.output], ["your data", "engine's data", "as the engine?"]].tolist() == [12, 12, SAME]


def test_my_value_steps_follow_the_learners_own_calls():
    report = report_of(SOLUTION)
    steps = learner_backward_steps(report, "lesson")
    a = learner_analysis(report.lesson_graph, steps)
    assert call_order(a, steps) == ["z", "a"]  # reverse topological order, leaves have no _backward
    # after every call the grads are the learner's final ones: x 3, y 3, a 1, z 1
    assert grads_at(a.graph, steps, len(steps) - 1) == [3, 3, 1, 1]
    # without a topological order, their own order shows
    code = BUGS["no_topological_order"][0]
    report = report_of(code, "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nz = a + c")
    a = learner_analysis(report.program_graph, learner_backward_steps(report, "program"))
    order = call_order(a, a.steps)
    assert order.index("a") < order.index("b")  # a fires before b, which uses it: too early


def test_output_is_capped_and_the_code_kept_as_typed():
    assert capped_output("x" * 10, 4) == ("xxxx", True)
    assert capped_output("ok\n") == ("ok\n", False)
    assert kept_code(implement.SKELETON, implement.SKELETON) == ""
    assert kept_code("  \n", implement.SKELETON) == ""
    assert kept_code(SOLUTION, implement.SKELETON) == SOLUTION


def test_the_wait_for_a_runner_says_how_many_runs_are_ahead():
    assert "waiting for a free runner (3 ahead)" in waiting_words(3)
    assert "waiting for a free runner (1 ahead)" in waiting_words(1)
    assert "yours is next" in waiting_words(0)


def test_the_engine_analysis_is_untouched():
    before = analyse(LESSON).grads
    report_of(BUGS["overwrite_add"][0])
    assert analyse(LESSON).grads == before


def test_the_box_names_the_first_failing_part_with_both_numbers_and_folds_the_rest():
    code, _key, line = BUGS["swapped"]
    report = report_of(code)
    fix = fix_first(report)
    assert fix is not None and fix.title.startswith("`*`'s rule alone") and fix.line == line
    assert fix.code_line == "self.grad += self.data * out.grad"
    # a = 4, b = -1.5, c.grad = 2: their a.grad is a.data * 2 = 8; the rule's b.data * 2 = -3
    assert fix.found == "a.grad 8, b.grad 8" and fix.wanted == "a.grad -3, b.grad 8"
    # of the 11 others, `*`'s two other rule checks wait for this fix, the lesson's test fails beside it (the
    # program is the lesson's example: not judged twice), the rest pass
    assert [c.key for c in report.checks][-1] == "lesson"
    assert fix.folded == "11 more: 8 pass, 1 fails, 2 wait for this fix"
    assert fix_first(report_of(SOLUTION)) is None


def test_a_waiting_check_says_what_it_waits_for_and_is_never_marked_wrong():
    lines = {line.key: line for line in check_lines(report_of(BUGS["no_visited_set"][0]))}
    assert lines["once"].symbol == "✘" and lines["order"].symbol == "⋯"
    assert "not checked until “backward() runs each node's `_backward` exactly once" in lines["order"].text
    assert folded_words(report_of(BUGS["no_visited_set"][0]), report_of(BUGS["no_visited_set"][0]).first_failing)


def test_by_hand_first_holds_the_lesson_examples_numbers_back():
    report = report_of(BUGS["overwrite_mul_other"][0])  # the lesson's y.grad: 2 where the engine's is 3
    shown = {line.key: line.text for line in check_lines(report)}
    held = {line.key: line.text for line in check_lines(report, held_checks(True, program_is_example=True))}
    title = implement.run(SOLUTION, "").checks[-1].title
    assert "the engine's is 3" in shown["lesson"]
    assert held["lesson"].startswith(title) and not any(ch.isdigit() for ch in held["lesson"][len(title) :])
    assert "do not all match" in held["lesson"]
    assert shown["twice_mul"] == held["twice_mul"]  # the part checks run on numbers of their own


def test_the_editor_marks_the_line_to_fix_and_nothing_once_the_code_changed():
    code, _key, line = BUGS["no_seed"]
    marks = editor_marks(report_of(code), code)
    assert [a["row"] for a in marks["annotations"]] == [line - 1]
    assert marks["annotations"][0]["type"] == "error" and "Fix this first" in marks["annotations"][0]["text"]
    assert [(m["startRow"], m["type"]) for m in marks["markers"]] == [(line - 1, "fullLine")]
    assert editor_marks(report_of(code), code + "\n# more") == {"annotations": [], "markers": []}
    assert editor_marks(report_of(SOLUTION), SOLUTION) == {"annotations": [], "markers": []}
    stopped = "class Value:\n    pass\nimport os\n"
    assert editor_marks(report_of(stopped), stopped)["annotations"][0]["row"] == 2
