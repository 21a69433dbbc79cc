"""The lesson: its 90 minutes as stations, each a record marked done from the learner's real work.

Nothing here is ticked by a "done" button: a station is done when the work shows it (a hand
check that passes on the example, questions answered right, a takeaway of 3 to 5 sentences).
Everything is computed from a `Work` (what the link and the work file carry), so progress
comes back with the work after a reload, from a link, or from a loaded file. What a station is
made of, and how its number comes from its place, is lab/lesson/records.py.

The lesson's example is `x = 2, y = 3, z = x*y + y`. A program of the same graph (at any values,
in any spelling) counts as the example; when the learner has built something else, the stations
that are about the example use the example itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from engine.trace import EdgeFlow
from lab.implement.results import Report
from lab.implement.slips import SOLUTION
from lab.lesson import questions, rescue, takeaway
from lab.lesson.records import Done, Lesson, Progress, Seen, Station, first_not_done, question_done
from lab.model.analysis import Analysis, format_number
from lab.model.explain import rule_text
from lab.model.presets import LESSON_PROGRAM
from lab.views import by_hand
from lab.views.implement_view import station_status
from lab.work.share import FULL_LESSON, RESCUE_LESSON, Work

__all__ = ["LESSON", "LESSON_PROGRAM", "STATIONS", "Progress", "Station", "first_not_done", "progress"]

BY_HAND_PAGE = "app_pages/by_hand.py"
FLOW_PAGE = "app_pages/flow.py"
RULES_PAGE = "app_pages/why_rules.py"
BUGS_PAGE = "app_pages/bugs.py"
NEXT_PAGE = "app_pages/next_lesson.py"
OWN_RULES_PAGE = "app_pages/own_rules.py"
IMPLEMENT_PAGE = "app_pages/implement.py"

HAND_RIGHT = {"value": "9", "grad:x": "y", "grad:y": "x + 1"}  # the example by hand: z = 9, dz/dx = y, dz/dy = x + 1


def hand_check(work: Work, a: Analysis) -> by_hand.HandCheck:
    """The learner's hand entries against `a` (on the Lesson: the example's analysis, from example_analysis)."""
    return by_hand.check(a, work.hand, work.tolerance)


# -- how each station is marked done: a function of the work, beside its record -------------------


def _implemented(seen: Seen) -> Done:
    return station_status(seen.implemented, bool(seen.work.code))


def _by_hand(seen: Seen) -> Done:
    check = hand_check(seen.work, seen.example)
    required = [c for c in check.checks if c.row.required]
    matching = sum(1 for c in required if c.status == by_hand.PASS)
    if check.verdict_kind == "success":
        return True, f"your {len(required)} answers match the engine"
    if check.failing or check.unreadable:
        return (
            False,
            f"{matching} of {len(required)} match; {len(check.failing) + len(check.unreadable)} to look at again",
        )
    return False, f"{matching} of {len(required)} entered and matching"


_rules_question = question_done(questions.RULES, "the blank in `*`'s rule")


def _rules(seen: Seen) -> Done:
    done, status = _rules_question(seen)
    if not done and rescue.blanks_right(seen.work.answers, "*"):  # the rescue version's blanks hold this one
        return True, "`*`'s rule: its blanks filled right in the rescue version"
    return done, status


_trace_question = question_done(questions.TRACE, "the edge into the product")


def _traced(seen: Seen) -> Done:
    hand_done, _ = _by_hand(seen)
    traced, status = _trace_question(seen)
    if hand_done:
        return traced, f"the engine and the finite difference agree with you; {status}"
    return False, f"first make the hand check match; {status}"


def _explained(seen: Seen) -> Done:
    right, answered = questions.checkpoint_score(seen.example, seen.work.answers)
    total = len(questions.CHECKPOINTS)
    return right == total, f"{right} of {total} right" + (
        f", {answered - right} to try again" if answered > right else ""
    )


def _written(seen: Seen) -> Done:
    count = takeaway.count_sentences(seen.work.takeaway)
    return takeaway.is_done(seen.work.takeaway), f"{count} sentence{'s' if count != 1 else ''} (3 to 5 asked)"


def _next_answered(seen: Seen) -> Done:
    result = questions.next_feedback(seen.work.answers.get(questions.NEXT.id))
    if result.right:
        return True, "the next lesson's question answered right"
    if result.answered:
        return False, "the next lesson's question: not right yet"
    return False, "answer the question on the next lesson's page"


LESSON = Lesson(
    id="backprop",
    title="Backprop by hand and in code",
    example=LESSON_PROGRAM,
    checkpoints=questions.CHECKPOINTS,
    stations=(
        Station(
            key="graph",
            title="Every number is a node",
            short="Graph",
            todo="Each number of z = x*y + y is a `Value` with `data`, `grad`, `_prev`, `_op` and `_backward`. "
            "Look at the table and the diagram, then answer: which nodes are in z._prev?",
            question=questions.GRAPH,
            done=question_done(questions.GRAPH, "z._prev"),
        ),
        Station(
            key="rules",
            title="The `+` and `*` rules, and why `+=`",
            short="Rules",
            todo="Each operator's backward rule is its partial derivative times out.grad. Fill the blank of `*`'s "
            "rule; see every rule checked against a finite difference on its own page.",
            question=questions.RULES,
            done=_rules,
            page=RULES_PAGE,
            page_label="Why each rule is right",
        ),
        Station(
            key="implement",
            title="Implement it: your own `Value` and `backward()`",
            short="Implement",
            todo="Warm up on “Write the rules yourself” (one rule line at a time), then write the whole class: "
            "`__add__` and `__mul__` with their `_backward` closures, and `backward()`. It is done when every "
            "check passes.",
            done=_implemented,
            solved_by={"code": SOLUTION},
            page=IMPLEMENT_PAGE,
            page_label="Implement it",
            needs_example=False,
        ),
        Station(
            key="backward",
            title="`backward()`: topological order, seed, reverse",
            short="backward()",
            todo="`backward()` sorts the nodes so each comes after its inputs, sets z.grad = 1, then calls "
            "`_backward` from the output back. Say in which order, then step through it.",
            question=questions.BACKWARD,
            done=question_done(questions.BACKWARD, "the order of `_backward` calls"),
            page=FLOW_PAGE,
            page_label="Watch gradients flow",
        ),
        Station(
            key="by_hand",
            title="By hand first",
            short="By hand",
            todo="Work out z and its gradients dz/dx and dz/dy on paper, then type them in: a number or a formula "
            "in x and y. The engine's numbers stay hidden until you have entered yours.",
            done=_by_hand,
            solved_by={"hand": HAND_RIGHT},
            page=BY_HAND_PAGE,
            page_label="By hand",
        ),
        Station(
            key="trace",
            title="Check and trace",
            short="Check",
            todo="Compare your numbers with the engine and a finite difference. If one doesn't match, trace it "
            "one edge at a time; the bug checklist below says what to look for.",
            question=questions.TRACE,
            done=_traced,
            solved_by={"hand": HAND_RIGHT},
            page=BY_HAND_PAGE,
            page_label="By hand",
        ),
        Station(
            key="explain",
            title="Explain",
            short="Explain",
            todo="Answer the checkpoint questions: each answer is checked and explained with the example's numbers.",
            done=_explained,
            solved_by={"answers": {q.id: q.solved_by for q in questions.CHECKPOINTS}},
        ),
        Station(
            key="takeaway",
            title="The takeaway",
            short="Takeaway",
            todo="Write 3 to 5 sentences: what surprised you, what felt simpler than expected, what still feels "
            "fuzzy. Then download your report.",
            done=_written,
            solved_by={"takeaway": "The seed is 1. Gradients add up with +=. The order still feels fuzzy."},
            needs_example=False,
        ),
        Station(
            key="next",
            title="Next lesson: when gradients die",
            short="Next",
            todo="A preview of the next lesson: a neuron with ReLU or tanh, and where its gradient dies. "
            "It builds its own neuron; your program stays as it is.",
            done=_next_answered,
            solved_by={"answers": {questions.NEXT.id: questions.NEXT.solved_by}},
            page=NEXT_PAGE,
            page_label="Next lesson",
            needs_example=False,
        ),
    ),
)
STATIONS = LESSON.stations
LESSONS: dict[str, Lesson] = {FULL_LESSON: LESSON, RESCUE_LESSON: rescue.RESCUE}  # the versions a learner can walk
RULES_STATION = f"station {LESSON.number('rules')}"  # where the learner fills in `*`'s rule


def is_example(a: Analysis) -> bool:
    """Is this the lesson's example, z = x*y + y (at any values of x and y)?"""
    return LESSON.is_example(a)


def example_analysis(current: Analysis) -> Analysis:
    """The current program if it is the lesson's example, else the example itself (x = 2, y = 3)."""
    return LESSON.example_analysis(current)


def example_hidden(hand: Mapping[str, str], settings: Mapping[str, object], current: Analysis) -> bool:
    """ "By hand first" holds the lesson example's numbers back: it is on (the default) and the example's
    variables' gradients have not all been entered by hand. Pages that run the example (Implement it) then
    show neither its numbers nor the learner's own on it."""
    return by_hand.engine_hidden(example_analysis(current), hand, settings)


def progress(work: Work, current: Analysis, implemented: Report | None = None) -> list[Progress]:
    """Every station of the lesson, done or not, from the work alone (and the analysis of its program).

    `implemented`: the report of a run of the work's code (lab.implement.run.run; app/state.py keeps one per
    code text); without it the "Implement it" station is not done.
    """
    return LESSON.progress(work, current, implemented)


# -- what the stations show ---------------------------------------------------------------------


def node_fields(a: Analysis, rules_known: bool = True) -> pd.DataFrame:
    """Each node as a `Value`: data, grad, _prev, _op, and what its _backward does, in the lesson's names.

    `rules_known`: the learner has filled the blank of `*`'s rule (the rules station); before that `_backward`
    says only where a node sends gradient, not the rule that is that station's work.
    """
    records = []
    for i, node in enumerate(a.graph.nodes):
        parents = [a.names[p] for p in a.graph.inputs[i]]
        if node._prev and not rules_known:
            sends = f"its {a.op_text(i)} rule sends gradient to {', '.join(dict.fromkeys(parents))} ({RULES_STATION})"
        elif node._prev:
            sends = "; ".join(
                f"{a.names[p]}.grad += {rule_text(a, EdgeFlow(p, i, slot, 0.0, 0.0, 0.0))}"
                for slot, p in enumerate(a.graph.inputs[i])
            )
        else:
            sends = "nothing: a leaf"
        records.append(
            {
                "node": a.names[i],
                "data": format_number(node.data),
                "grad": format_number(node.grad),
                "_prev": "(" + ", ".join(parents) + ")" if parents else "()",
                "_op": repr(node._op) if node._op else "''",
                "_backward": sends,
            }
        )
    return pd.DataFrame(records)


def reverse_order(a: Analysis) -> list[str]:
    """The order `backward()` visits nodes: reverse topological order, the output first."""
    return [a.names[i] for i in reversed(range(len(a.graph)))]
