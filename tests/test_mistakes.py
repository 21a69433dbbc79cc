"""The catalog of classic mistakes: every record's example is found by the check the record names.

The numbers each mistake gives on the lesson's example are checked where they are worded (tests/test_bugs.py,
tests/test_own_rules.py); here each record is walked: an example that does not show its mistake fails.
"""

from __future__ import annotations

import pytest

from engine import rule_reader as rr
from engine.trace import Mistake
from lab.model import mistakes
from lab.model.analysis import analyse
from lab.views.bugs import compare_mistake

SWITCHED = [m for m in mistakes.CATALOG if m.switch is not None]
IN_RULES = [m for m in mistakes.CATALOG if m.rule is not None]


def test_ids_are_stable_and_the_bug_labs_are_the_engines_switches():
    assert [m.id for m in mistakes.CATALOG] == [
        "overwrite",
        "wrong_order",
        "no_seed",
        "twice",
        "no_out_grad",
        "swapped",
        "sign",
        "tanh_self",
        "exp_self",
        "recursion",
    ]
    assert {m.switch for m in SWITCHED} == set(Mistake)
    assert all(m.id == m.switch.value for m in SWITCHED)


@pytest.mark.parametrize("mistake", mistakes.CATALOG, ids=lambda m: m.id)
def test_every_record_says_what_it_is_and_shows_how_to_see_it(mistake):
    assert mistake.label and mistake.title and mistake.words and mistake.shows
    assert mistake.example or mistake.example_rule, "a record without an example cannot be checked"


@pytest.mark.parametrize("mistake", SWITCHED, ids=lambda m: m.id)
def test_a_switch_changes_some_gradient_on_its_example(mistake):
    assert not compare_mistake(analyse(mistake.example), mistake.switch).changes_nothing


@pytest.mark.parametrize("mistake", [m for m in mistakes.CATALOG if m.example_rule], ids=lambda m: m.id)
def test_a_rule_mistakes_example_is_recognised_as_it(mistake):
    op, text = mistake.example_rule
    verdicts = mistakes.recognise(rr.read_rule(op, text))
    wrong = [v for v in verdicts if not v.right]
    assert wrong, verdicts
    if mistake is mistakes.OVERWRITE:
        assert all(v.overwrite and v.kind == rr.RIGHT for v in wrong)
    else:
        assert {v.kind for v in wrong} == {mistake.id}


@pytest.mark.parametrize(
    ("op", "text", "kind"),
    [
        ("+", "self.grad += 1\nother.grad += 1", "no_out_grad"),
        ("tanh", "self.grad += 1 - out.data**2", "no_out_grad"),
        ("log", "self.grad += out.grad / out.data", rr.WRONG),
    ],
)
def test_the_same_slip_is_found_in_every_operators_rule(op, text, kind):
    assert {v.kind for v in mistakes.recognise(rr.read_rule(op, text)) if not v.right} == {kind}


def test_a_sign_slip_in_only_one_line_names_only_that_line():
    verdicts = mistakes.recognise(rr.read_rule("-", "self.grad += out.grad\nother.grad += out.grad"))
    assert [(v.target, v.kind) for v in verdicts] == [("self", rr.RIGHT), ("other", "sign")]


def test_the_long_chains_example_is_deeper_than_a_recursive_sort_could_go():
    a = analyse(mistakes.RECURSION.example)
    assert len(a.graph) > 1000 and a.graph.nodes[a.variables["x"]].grad == 1.0  # backward() worked
