"""Lesson 2 on Implement it (lab/implement/lesson2.py): the learner's tanh(), relu() and train() in the sandbox.

Every slip below is one change to the solution; each must light exactly its own check, at its own line,
and leave every other check passing or waiting for it. The expected numbers come from the calculus
(d tanh/dn = 1 - tanh**2) and from lab/model/training.py's loop, itself tested against plain floats.
"""

from __future__ import annotations

import ast
import math

import pytest

from lab.implement import lesson2
from lab.implement.lesson2 import FAIL, PASS, WAIT
from lab.lesson.solution import LESSON2_SOLUTION, SOLUTION

LESSON2 = LESSON2_SOLUTION

# (the line as it is in the solution, what it becomes, the check that must fail)
SLIPS = {
    "tanh's slope from the input, not the output": (
        "self.grad += (1 - t**2) * out.grad",
        "self.grad += (1 - self.data**2) * out.grad",
        "tanh:rule",
    ),
    "tanh without * out.grad": ("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t**2)", "tanh:rule"),
    "tanh with = for +=": ("self.grad += (1 - t**2) * out.grad", "self.grad = (1 - t**2) * out.grad", "tanh:twice"),
    "tanh forgets its input": ("out = Value(t, (self,), 'tanh')", "out = Value(t, (), 'tanh')", "tanh:record"),
    "relu passes gradient below 0": ("self.grad += (out.data > 0) * out.grad", "self.grad += out.grad", "relu:rule"),
    "relu with = for +=": (
        "self.grad += (out.data > 0) * out.grad",
        "self.grad = (out.data > 0) * out.grad",
        "relu:twice",
    ),
    "grads not set back to 0 between steps": ("        w.grad = 0.0\n        b.grad = 0.0\n", "", "train"),
    "a step up the gradient": (
        "w.data -= lr * w.grad\n        b.data -= lr * b.grad",
        "w.data += lr * w.grad\n        b.data += lr * b.grad",
        "train",
    ),
}
LINE_OF_SLIP = {"grads not set back to 0 between steps": "loss.backward()"}  # named where the reset belongs


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def by_key(report: lesson2.Lesson2Report) -> dict[str, lesson2.Check]:
    return {c.key: c for c in report.checks}


def test_the_lessons_solution_passes_every_check():
    report = lesson2.check(LESSON2)
    assert report.problem is None
    assert [c.status for c in report.checks] == [PASS] * 7
    assert report.all_pass and len(report.losses) == lesson2.TRAIN_SETUP.steps


@pytest.mark.parametrize("slip", SLIPS)
def test_each_slip_lights_its_own_check_at_its_own_line_and_no_other(slip):
    right, wrong, key = SLIPS[slip]
    assert right in LESSON2
    code = LESSON2.replace(right, wrong, 1)
    checks = by_key(lesson2.check(code))
    failing = [k for k, c in checks.items() if c.status == FAIL]
    assert failing == [key]
    where = LESSON2.index(right)  # the slip's own line: where the change is (or where the missing lines belong)
    expected_line = line_of(code, LINE_OF_SLIP[slip]) if slip in LINE_OF_SLIP else code[:where].count("\n") + 1
    assert checks[key].line == expected_line
    assert all(c.line is None for k, c in checks.items() if k != key)
    waiting = {k for k, c in checks.items() if c.status == WAIT}
    assert all(k.split(":")[0] == key.split(":")[0] or k == "train" for k in waiting)


def test_tanhs_rule_is_judged_by_calling_its_backward_alone_with_an_out_grad_that_is_not_1():
    """A backward() that never calls tanh's rule cannot hide a wrong rule: the check calls it directly."""
    code = LESSON2.replace("self.grad += (1 - t**2) * out.grad", "self.grad += 0.5 * out.grad", 1)
    check = by_key(lesson2.check(code))["tanh:rule"]
    assert check.status == FAIL and "gave a.grad = 1" in check.message  # 0.5 * out.grad, out.grad = 2


def test_relu_at_exactly_zero_is_a_convention_and_the_engines_is_said():
    code = LESSON2.replace("(out.data > 0) * out.grad", "(self.data >= 0) * out.grad", 1)
    check = by_key(lesson2.check(code))["relu:rule"]
    assert check.status == PASS and "`out.data > 0`, so 0 at 0" in check.message


def test_the_training_loop_waits_for_lesson_1_and_for_tanh():
    assert by_key(lesson2.check(LESSON2, lesson1_ok=False))["train"].status == WAIT
    assert by_key(lesson2.check(LESSON2.replace("def tanh", "def tanh_", 1)))["train"].status == WAIT


def test_a_class_without_lesson_2_yet_is_told_what_to_add():
    checks = by_key(lesson2.check(SOLUTION))
    assert checks["tanh:record"].status == FAIL and "no `tanh()` yet" in checks["tanh:record"].message
    assert checks["train"].status == WAIT


def test_the_skeleton_goes_inside_the_learners_class_and_keeps_their_code():
    code = lesson2.with_skeleton(SOLUTION)
    tree = ast.parse(code)
    value = next(s for s in tree.body if isinstance(s, ast.ClassDef))
    assert {"tanh", "relu", "backward", "__add__"} <= {f.name for f in value.body if isinstance(f, ast.FunctionDef)}
    assert any(isinstance(s, ast.FunctionDef) and s.name == "train" for s in tree.body)
    assert SOLUTION.strip().splitlines()[1] in code and code.startswith("import math")
    assert lesson2.with_skeleton(code) == code  # added once
    assert lesson2.with_skeleton(LESSON2) == LESSON2


def test_gradient_dies_with_the_learners_own_class_as_with_the_engine():
    """relu below 0: exactly 0 reaches w; tanh at n = 6: w.grad = x * (1 - tanh(6)**2), about 4.9e-5."""
    dying = lesson2.check(LESSON2).dying
    assert dying["relu"]["w"] == 0.0 and dying["relu"]["b"] == 0.0
    assert dying["tanh"]["w"] == pytest.approx(2 * (1 - math.tanh(6) ** 2))
    assert 0 < dying["tanh"]["w"] < 1e-4
