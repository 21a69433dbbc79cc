"""Implement it: the learner's own Value class, run safely and checked against the engine (lab/implement/).

Numbers come from hand calculation: z = x*y + y at x = 2, y = 3 is 9; dz/dx = y = 3;
dz/dy = x + 1 = 3. Each slip's check and line is the catalog's test (tests/test_implement_catalog.py);
here: the run, the report's codec, the words of errors, the limits, and the misses the old checks had.
"""

from __future__ import annotations

import json
import math

import pytest

from lab.implement import checks, codec, limits, words
from lab.implement.graphs import learner_backward_steps
from lab.implement.results import FAIL, PASS, WAIT, Call, Report
from lab.implement.run import MAX_PROGRAM_NODES, SKELETON, run
from lab.implement.slips import BY_ID, SOLUTION, variant
from sandbox import runner


@pytest.fixture(scope="module")
def solution_report() -> Report:
    return run(SOLUTION, "x = 2.0\ny = -3.0\nz = x*y + x")


def test_the_lessons_solution_passes_every_check(solution_report: Report) -> None:
    report = solution_report
    assert report.problem is None
    assert [c.key for c in report.checks] == [*(c.key for c in checks.CHECKS), "program"]
    assert all(c.state == PASS for c in report.checks), [c.message for c in report.checks if c.state != PASS]
    assert report.passed and report.differs == frozenset()


def test_the_learners_graph_is_rebuilt_with_their_numbers(solution_report: Report) -> None:
    graph = solution_report.lesson_graph
    by_name = {name: graph.nodes[i] for i, name in enumerate(graph.names)}
    assert by_name["z"].data == 9 and by_name["z"].grad == 1
    assert by_name["x"].grad == 3 and by_name["y"].grad == 3  # dz/dx = y, dz/dy = x + 1
    assert by_name["z"]._op == "+"
    program = solution_report.program_graph
    by_name = {name: program.nodes[i] for i, name in enumerate(program.names)}
    assert by_name["z"].data == -4  # 2 * -3 + 2
    assert by_name["x"].grad == -2 and by_name["y"].grad == 2  # dz/dx = y + 1, dz/dy = x


def test_my_value_steps_are_the_learners_calls_in_their_order(solution_report: Report) -> None:
    names = solution_report.lesson_graph.names
    steps = learner_backward_steps(solution_report, "lesson")
    assert [names[s.node] for s in steps] == ["z", "z", "a"]  # the seed, then z's and a's _backward
    assert {names[p]: g for p, g in steps[2].changed.items()} == {"x": 3.0, "y": 3.0}
    assert {names[f.parent]: f.contribution for f in steps[2].flows} == {"x": 3.0, "y": 2.0}


# -- what the old checks missed ------------------------------------------------------------------------------


def test_a_correct_backward_that_leaves_the_leaves_out_passes() -> None:
    # leaves have nothing to push: firing their `_backward` or not is the same backward pass
    code, _ = variant(
        "                topo.append(v)\n", "                if v._prev:\n                    topo.append(v)\n"
    )
    report = run(code, "")
    assert [c.key for c in report.checks if c.state != PASS] == []


def test_what_the_code_prints_is_kept_once_from_the_lessons_test() -> None:
    code, _ = variant("        return out\n", "        print('adding')\n        return out\n")  # in __add__
    report = run(code, "x = 1.0\nz = x + x + x")
    assert report.output == "adding\n"  # z = x*y + y has one +; the checks' own graphs and the program print nothing


def test_the_first_run_with_only_add_written_lights_one_check() -> None:
    start, end = SOLUTION.index("    def __mul__"), SOLUTION.index("    def backward")
    report = run(SOLUTION[:start] + SOLUTION[end:], "")
    failed = [c for c in report.checks if c.state == FAIL]
    assert [(c.key, c.message) for c in failed] == [("record_mul", "your Value has no `__mul__` yet: `a * b` needs it")]
    states = {c.key: c.state for c in report.checks}
    assert states["record_add"] == states["rule_add"] == states["twice_add"] == states["own_add"] == PASS
    assert {k for k, s in states.items() if s == WAIT} == {
        "rule_mul",
        "twice_mul",
        "own_mul",
        "seed",
        "once",
        "order",
        "lesson",
    }


def test_the_skeleton_runs_and_says_what_is_missing_first() -> None:
    report = run(SKELETON, "")
    assert report.problem is None
    first = report.first_failing
    assert first.key == "record_add" and "gave None, not a Value" in first.message and first.line == 9
    assert "+=" not in SKELETON and "reversed" not in SKELETON and "self._prev = set(_children)" in SKELETON


# -- the program from Build and see --------------------------------------------------------------------------


def test_an_operator_the_class_lacks_is_named_and_the_program_not_run() -> None:
    report = run(SOLUTION, "x = 2.0\ny = 3.0\nz = x - y")
    assert report.program_graph is None
    assert "`__sub__`" in report.program_note and "line 3" in report.program_note
    assert "program" not in [c.key for c in report.checks]


def test_a_wrong_program_result_marks_the_nodes_that_differ() -> None:
    report = run(BY_ID["overwrite_mul"].code, "x = 3.0\nz = x * x + x")
    differing = {report.program_graph.names[i] for i in report.differs}
    assert "x" in differing and "z" not in differing  # z's value and grad are right, x.grad is not


def test_a_program_too_big_for_the_check_is_not_run_and_says_why() -> None:
    program = "x = 1.0\n" + "".join("x = x * 1.0001\n" for _ in range(MAX_PROGRAM_NODES))
    report = run(SOLUTION, program)
    assert report.program_graph is None and f"{MAX_PROGRAM_NODES:,}" in (report.program_note or "")


# -- the report's codec ------------------------------------------------------------------------------------


def test_report_survives_json_and_back() -> None:
    report = run(BY_ID["no_visited_set"].code, "x = 2.0\nz = x * x")
    restored = codec.report_from_dict(json.loads(json.dumps(codec.report_to_dict(report), allow_nan=False)))
    assert restored.checks == report.checks  # waits, parts, numbers and quiet words included
    assert restored.lesson_graph.names == report.lesson_graph.names
    assert learner_backward_steps(restored) == learner_backward_steps(report)


def test_report_from_dict_refuses_other_data() -> None:
    with pytest.raises(ValueError):
        codec.report_from_dict({"checks": [{"key": 1}]})


def test_nan_grads_are_kept_as_nan_through_json() -> None:
    call = Call(0, math.nan, (1,), (0.0,), (math.inf,))
    restored = codec.call_from_dict(json.loads(json.dumps(codec.call_to_dict(call), allow_nan=False)))
    assert math.isnan(restored.grad) and restored.after == (math.inf,)


# -- problems in the learner's words ---------------------------------------------------------------------


def test_a_refused_line_is_a_problem_with_its_line() -> None:
    report = run("class Value:\n    pass\nimport os\n", "")
    assert report.problem.line == 3 and report.problem.code_line == "import os"
    assert "line 3" in report.problem.message and not report.passed


def test_a_misspelt_attribute_names_the_closest_one_their_value_has() -> None:
    slip = BY_ID["misspelt_rule"]  # other.date
    check = next(c for c in run(slip.code, "").checks if c.key == "rule_mul")
    assert check.message.startswith(
        f"line {slip.line}, `self.grad += other.date * out.grad`: `date`: did you mean `data`?"
    )
    assert "Traceback" not in check.message and "child.py" not in check.message


def test_a_syntax_error_is_said_in_the_lessons_words_with_its_line() -> None:
    code = SOLUTION.replace("def __add__(self, other):", "def __add__(self, other)")
    problem = run(code, "").problem
    assert problem.line == 9 and problem.code_line == "def __add__(self, other)"
    assert "line 9" in problem.message and "ends with a colon, `:`" in problem.message


def test_a_result_of_the_wrong_shape_is_a_problem_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    forged = {"problem": None, "output": "", "graphs": {"lesson": {"nodes": [{"label": "z"}]}}, "parts": {"+": 1}}
    monkeypatch.setattr(runner, "run_job", lambda job, **_: runner.Outcome(forged, 0.1, 0.0))
    report = run(SOLUTION, "")
    assert report.problem is not None and "unexpected" in report.problem.message and not report.passed


# -- the child's limits, from one place --------------------------------------------------------------------


def test_the_limits_are_read_from_the_child_and_every_message_takes_them_from_there(monkeypatch) -> None:
    constants = limits.child_constants(runner.CHILD.read_text(encoding="utf-8"))
    assert set(limits.NAMES.values()) <= set(constants)
    assert limits.limits().cpu_timer == constants["CPU_TIMER"] and limits.limits().nodes == MAX_PROGRAM_NODES
    other = limits.Limits(9.5, 11.0, 12.0, 13.0, 7 * 1024 * 1024, 5_000, 10)
    monkeypatch.setattr(words, "limits", lambda: other)
    assert "(9.5 s of CPU time, or 12 s in all)" in words.error_text({"kind": "TimeUp", "line": None}, "")
    assert "more than 7 MB" in words.error_text({"kind": "MemoryError", "line": None}, "")
    assert "longer than 13 s" in words.failed_run(runner.RunFailed("timeout")).message
    assert "more than 11 s of CPU" in words.failed_run(runner.RunFailed("crashed", "SIGXCPU")).message
