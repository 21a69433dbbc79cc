"""The catalog of slips (lab/implement/slips.py): every record's example lights exactly its check, at its line.

One slip lights one part: every other check passes or waits for it (a wait is never a failure), the lesson's
test at most fails beside it, and no message or check names any line but the slip's.
"""

from __future__ import annotations

import re

import pytest

from lab.implement import checks
from lab.implement.results import FAIL, PASS, WAIT
from lab.implement.run import run
from lab.implement.slips import SLIPS, SOLUTION


@pytest.mark.parametrize("slip", SLIPS, ids=[s.id for s in SLIPS])
def test_each_slip_lights_its_check_at_its_line_and_nothing_else(slip) -> None:
    report = run(slip.code, "")
    assert report.problem is None, report.problem
    failed = [c for c in report.checks if c.state == FAIL]
    assert [c.key for c in failed if c.key != "lesson"] == [slip.check], [(c.key, c.message) for c in failed]
    check = next(c for c in failed if c.key == slip.check)
    assert check.line == slip.line, (check.message, check.line)
    named = {c.line for c in report.checks if c.line is not None}
    for c in report.checks:
        named |= {int(n) for n in re.findall(r"\bline (\d+)", c.message + (c.quiet or ""))}
    assert named == {slip.line}, named
    for c in report.checks:
        if c.state == WAIT:
            assert not c.passed and c.message.startswith("not checked until") and c.waits_for in checks.BY_KEY


def test_every_check_of_a_part_has_a_slip_in_the_catalog() -> None:
    lit = {slip.check for slip in SLIPS}
    assert lit == {c.key for c in checks.CHECKS} - {"lesson"}


def test_the_catalog_covers_the_classic_mistakes() -> None:
    mistakes = {slip.mistake for slip in SLIPS}
    assert {"overwrite", "wrong_order", "no_seed", "swapped", "no_out_grad"} <= mistakes
    ids = {slip.id for slip in SLIPS}
    assert {"no_visited_set", "no_op", "no_prev", "backward_on_self", "closure_shared", "misspelt_rule"} <= ids


def test_the_solution_passes_every_check() -> None:
    report = run(SOLUTION, "")
    assert [c.state for c in report.checks] == [PASS] * len(checks.CHECKS)
