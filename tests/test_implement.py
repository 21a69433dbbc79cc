"""Implement it: the learner's own Value class, run safely and checked against the engine.

Numbers come from hand calculation: z = x*y + y at x = 2, y = 3 is 9; dz/dx = y = 3;
dz/dy = x + 1 = 3.
"""

from __future__ import annotations

import json
import math

import pytest

from lab.implement import run as implement
from tests.implement_solutions import BUGS, SOLUTION

CHECK_KEYS = ("lesson", "overwrite", "seed", "direction", "topo", "visited", "prev_op", "backward_set", "closure")


@pytest.fixture(scope="module")
def solution_report() -> implement.Report:
    return implement.run(SOLUTION, "x = 2.0\ny = -3.0\nz = x*y + x")


def test_the_lessons_solution_passes_every_check(solution_report: implement.Report) -> None:
    report = solution_report
    assert report.problem is None
    assert [c.key for c in report.checks] == [*CHECK_KEYS, "program"]
    assert all(c.passed for c in report.checks), [c.message for c in report.checks if not c.passed]
    assert report.passed
    assert report.differs == frozenset()


def test_the_learners_graph_is_rebuilt_with_their_numbers(solution_report: implement.Report) -> None:
    graph = solution_report.lesson_graph
    assert graph is not None
    by_name = {name: graph.nodes[i] for i, name in enumerate(graph.names)}
    assert by_name["z"].data == 9 and by_name["z"].grad == 1
    assert by_name["x"].grad == 3 and by_name["y"].grad == 3  # dz/dx = y, dz/dy = x + 1
    assert by_name["z"]._op == "+"
    program = solution_report.program_graph
    assert program is not None
    by_name = {name: program.nodes[i] for i, name in enumerate(program.names)}
    assert by_name["z"].data == -4  # 2 * -3 + 2
    assert by_name["x"].grad == -2  # dz/dx = y + 1
    assert by_name["y"].grad == 2  # dz/dy = x


def test_my_value_steps_are_the_learners_calls_in_their_order(solution_report: implement.Report) -> None:
    graph = solution_report.lesson_graph
    steps = implement.learner_backward_steps(solution_report, "lesson")
    names = graph.names
    assert [names[s.node] for s in steps] == ["z", "z", "a"]  # the seed, then z's and a's _backward
    assert steps[0].changed == {names.index("z"): 1.0}
    z_step = {names[p]: g for p, g in steps[1].changed.items()}
    assert z_step == {"a": 1.0, "y": 1.0}  # + passes z.grad = 1 to both
    a_step = {names[p]: g for p, g in steps[2].changed.items()}
    assert a_step == {"x": 3.0, "y": 3.0}  # * adds y.data = 3 to x, x.data = 2 to y (1 + 2)
    contributions = {names[f.parent]: f.contribution for f in steps[2].flows}
    assert contributions == {"x": 3.0, "y": 2.0}


# What each mistake's message must say (the diagnosis, not only the wrong numbers).
DIAGNOSIS = {
    "overwrite_mul": "keeps only the last use",
    "overwrite_add": "keeps only the last use",
    "no_topological_order": "which uses it",
    "no_seed": "`self.grad = 1`",
    "wrong_direction": "`for node in reversed(topo)`",
    "no_visited_set": "keep a visited set",
    "no_op": "c._op ''",
    "no_prev": "c._prev with neither a nor b",
    "backward_never_assigned": "`out._backward = _backward` is missing in `__add__`",
    "closure_wrong_out": "`self._backward = ...`",
}


@pytest.mark.parametrize("name", sorted(BUGS))
def test_each_classic_mistake_is_named_with_its_line(name: str) -> None:
    code, key, line = BUGS[name]
    report = implement.run(code, "")
    assert report.problem is None
    check = next(c for c in report.checks if c.key == key)
    assert not check.passed, check.message
    assert check.line == line, (check.message, check.line, line)
    assert DIAGNOSIS[name] in check.message, check.message
    assert not report.passed


def test_overwrite_message_gives_both_numbers_and_the_line_of_code() -> None:
    code, _, line = BUGS["overwrite_mul"]
    check = next(c for c in implement.run(code, "").checks if c.key == "overwrite")
    # (x*x) + x at x = 3: the + gives x 1; then `self.grad = x * 1` throws it away: 3, then += 3: 6; engine 2x + 1 = 7
    assert "your x.grad is 6, the engine's is 7" in check.message
    assert f"line {line}, `self.grad = other.data * out.grad`" in check.message


def test_visited_check_counts_the_calls() -> None:
    code, _, _ = BUGS["no_visited_set"]
    check = next(c for c in implement.run(code, "").checks if c.key == "visited")
    assert "`a`'s `_backward` 2 times" in check.message


def test_the_skeleton_runs_and_every_check_says_what_is_missing() -> None:
    report = implement.run(implement.SKELETON, "")
    assert report.problem is None
    assert report.checks and not any(c.passed for c in report.checks)
    lesson = report.checks[0]
    assert "`__mul__`" in lesson.message and "not a Value" in lesson.message
    assert lesson.line is None or lesson.line > 0


def test_the_skeleton_is_not_the_answer() -> None:
    assert "+=" not in implement.SKELETON and "reversed" not in implement.SKELETON
    assert "self._prev = set(_children)" in implement.SKELETON


def test_an_operator_the_class_lacks_is_named_and_the_program_not_run() -> None:
    report = implement.run(SOLUTION, "x = 2.0\ny = 3.0\nz = x - y")
    assert report.program_graph is None
    assert report.program_note is not None and "`__sub__`" in report.program_note
    assert "line 3" in report.program_note
    assert "program" not in [c.key for c in report.checks]


def test_a_wrong_program_result_marks_the_nodes_that_differ() -> None:
    code, _, _ = BUGS["overwrite_mul"]
    report = implement.run(code, "x = 3.0\nz = x * x + x")
    graph = report.program_graph
    assert graph is not None
    differing = {graph.names[i] for i in report.differs}
    assert "x" in differing and "z" not in differing  # z's value and grad are right, x.grad is not


def test_report_survives_json_and_back(solution_report: implement.Report) -> None:
    data = implement.report_to_dict(solution_report)
    restored = implement.report_from_dict(json.loads(json.dumps(data, allow_nan=False)))
    assert restored.checks == solution_report.checks
    assert restored.passed
    assert restored.lesson_graph.names == solution_report.lesson_graph.names
    assert implement.learner_backward_steps(restored) == implement.learner_backward_steps(solution_report)


def test_report_from_dict_refuses_other_data() -> None:
    with pytest.raises(ValueError):
        implement.report_from_dict({"checks": [{"key": 1}]})


def test_a_refused_line_is_a_problem_with_its_line() -> None:
    report = implement.run("class Value:\n    pass\nimport os\n", "")
    assert report.problem is not None and report.problem.line == 3
    assert report.problem.code_line == "import os"
    assert "line 3" in report.problem.message and not report.passed


def test_runner_busy_is_zero_when_idle() -> None:
    assert implement.runner_busy() == (0, 0)


def test_nan_grads_are_kept_as_nan_through_json() -> None:
    call = implement.Call(0, math.nan, (1,), (0.0,), (math.inf,))
    restored = implement._call_from_dict(json.loads(json.dumps(implement._call_to_dict(call), allow_nan=False)))
    assert math.isnan(restored.grad) and restored.after == (math.inf,)


def test_an_attribute_error_in_their_method_is_given_with_their_line_and_code() -> None:
    code = SOLUTION.replace("out = Value(self.data * other.data,", "out = Value(self.data * other.dta,")
    lesson = implement.run(code, "").checks[0]
    assert not lesson.passed
    assert lesson.line == 19
    assert "line 19, `out = Value(self.data * other.dta, (self, other), '*')`: AttributeError" in lesson.message
    assert "Traceback" not in lesson.message and "child.py" not in lesson.message


def test_a_missing_method_is_named() -> None:
    start = SOLUTION.index("    def __mul__")
    end = SOLUTION.index("    def backward")
    report = implement.run(SOLUTION[:start] + SOLUTION[end:], "")
    lesson = report.checks[0]
    assert not lesson.passed and "your Value has no `__mul__`" in lesson.message


def test_a_program_too_big_for_the_check_is_not_run_and_says_why() -> None:
    program = "x = 1.0\n" + "".join("x = x * 1.0001\n" for _ in range(implement.MAX_PROGRAM_NODES))
    report = implement.run(SOLUTION, program)
    assert report.program_graph is None and "2,000" in (report.program_note or "")


def test_a_result_of_the_wrong_shape_is_a_problem_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import runner

    forged = {"problem": None, "output": "", "graphs": {"lesson": {"nodes": [{"label": "z"}]}}, "probes": {"+": 1}}
    monkeypatch.setattr(runner, "run_job", lambda job, **_: runner.Outcome(forged, 0.1, 0.0))
    report = implement.run(SOLUTION, "")
    assert report.problem is not None and "unexpected" in report.problem.message
    assert not report.passed
