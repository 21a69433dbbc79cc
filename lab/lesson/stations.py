"""The lesson's 90 minutes as stations, and whether each is done, from the learner's real work.

Nothing here is ticked by a "done" button: a station is done when the work shows it (a hand
check that passes on the example, questions answered right, a takeaway of 3 to 5 sentences).
Everything is computed from a `Work` (what the link and the work file carry), so progress
comes back with the work after a reload, from a link, or from a loaded file.

The lesson's example is `x = 2, y = 3, z = x*y + y`. A program of the same shape (the same
nodes and operations over variables x and y, at any values, in any spelling) counts as the
example; when the learner has built something else, the stations that are about the example
use the example itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from engine.trace import EdgeFlow
from lab.implement.run import Report
from lab.lesson import questions, rescue, takeaway
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.explain import rule_text
from lab.model.presets import LESSON_PROGRAM
from lab.views import handcheck, neuron
from lab.views.implement_view import station_status
from lab.work.share import Work

NEXT_QUESTION = "station:next"  # answered on the next lesson's page (lab/views/neuron.py)

COMPARE_PAGE = "app_pages/handcheck.py"
FLOW_PAGE = "app_pages/flow.py"
RULES_PAGE = "app_pages/why_rules.py"
BUGS_PAGE = "app_pages/bugs.py"
NEXT_PAGE = "app_pages/next_lesson.py"
OWN_RULES_PAGE = "app_pages/own_rules.py"
IMPLEMENT_PAGE = "app_pages/implement.py"


@dataclass(frozen=True)
class Station:
    number: int
    key: str
    title: str
    todo: str  # one or two sentences: what to do
    page: str | None = None  # where it happens, if not right here
    page_label: str = ""
    needs_example: bool = True  # about the lesson's example
    short: str = ""  # its name on the row of station buttons (a word or two)


STATIONS: tuple[Station, ...] = (
    Station(
        1,
        "graph",
        "Every number is a node",
        "Each number of z = x*y + y is a `Value` with `data`, `grad`, `_prev`, `_op` and `_backward`. "
        "Look at the table and the diagram, then answer: which nodes are in z._prev?",
        short="Graph",
    ),
    Station(
        2,
        "rules",
        "The `+` and `*` rules, and why `+=`",
        "Each operator's backward rule is its partial derivative times out.grad. Fill the blank of `*`'s rule; "
        "see every rule checked against a finite difference on its own page.",
        RULES_PAGE,
        "Why each rule is right",
        short="Rules",
    ),
    Station(
        3,
        "implement",
        "Implement it: your own `Value` and `backward()`",
        "Warm up on “Write the rules yourself” (one rule line at a time), then write the whole class: `__add__` and "
        "`__mul__` with their `_backward` closures, and `backward()`. It is done when every check passes.",
        IMPLEMENT_PAGE,
        "Implement it",
        needs_example=False,
        short="Implement",
    ),
    Station(
        4,
        "backward",
        "`backward()`: topological order, seed, reverse",
        "`backward()` sorts the nodes so each comes after its inputs, sets z.grad = 1, then calls `_backward` "
        "from the output back. Say in which order, then step through it.",
        FLOW_PAGE,
        "Watch gradients flow",
        short="backward()",
    ),
    Station(
        5,
        "by_hand",
        "By hand first",
        "Work out z and its gradients dz/dx and dz/dy on paper, then type them in: a number or a formula "
        "in x and y. The engine's numbers stay hidden until you have entered yours.",
        COMPARE_PAGE,
        "Check by hand",
        short="By hand",
    ),
    Station(
        6,
        "trace",
        "Check and trace",
        "Compare your numbers with the engine and a finite difference. If one doesn't match, trace it one "
        "edge at a time; the bug checklist below says what to look for.",
        COMPARE_PAGE,
        "Check by hand",
        short="Check",
    ),
    Station(
        7,
        "explain",
        "Explain",
        "Answer the checkpoint questions: each answer is checked and explained with the example's numbers.",
        short="Explain",
    ),
    Station(
        8,
        "takeaway",
        "The takeaway",
        "Write 3 to 5 sentences: what surprised you, what felt simpler than expected, what still feels fuzzy. "
        "Then download your report.",
        needs_example=False,
        short="Takeaway",
    ),
    Station(
        9,
        "next",
        "Next lesson: when gradients die",
        "A preview of the next lesson: a neuron with ReLU or tanh, and where its gradient dies. "
        "It builds its own neuron; your program stays as it is.",
        NEXT_PAGE,
        "Next lesson",
        needs_example=False,
        short="Next",
    ),
)


@dataclass(frozen=True)
class Progress:
    station: Station
    done: bool
    status: str  # a short line: what is done and what is left


# -- the example ------------------------------------------------------------------------------


def _shape(a: Analysis) -> tuple:
    ops = tuple(node._op for node in a.graph.nodes)
    return ops, a.graph.inputs, tuple(a.kinds), tuple(sorted(a.variables))


@lru_cache(maxsize=1)
def _example_shape() -> tuple:
    return _shape(analyse(LESSON_PROGRAM))


def is_example(a: Analysis) -> bool:
    """Is this the lesson's example, z = x*y + y (at any values of x and y)?"""
    return _shape(a) == _example_shape()


def example_analysis(current: Analysis) -> Analysis:
    """The current program if it is the lesson's example, else the example itself (x = 2, y = 3).

    A fresh analysis each time (it is 4 nodes): one shared between sessions could be read by one while
    another's Bug lab comparison briefly changes its grads.
    """
    return current if is_example(current) else analyse(LESSON_PROGRAM)


# -- done-ness --------------------------------------------------------------------------------


def _question(qid: str, a: Analysis, work: Work, what: str) -> tuple[bool, str]:
    result = questions.feedback(questions.ALL[qid], a, work.answers.get(qid))
    if result.right:
        return True, f"{what}: answered right"
    if result.answered:
        return False, f"{what}: not right yet, try again"
    return False, f"{what}: not answered yet"


def hand_check(work: Work, a: Analysis) -> handcheck.HandCheck:
    """The learner's hand entries against `a` (on the Lesson: the example's analysis, from example_analysis)."""
    return handcheck.check(a, work.hand, handcheck.tolerance_from(work.settings.get("tolerance")))


def progress(work: Work, current: Analysis, implemented: Report | None = None) -> list[Progress]:
    """Every station, done or not, from the work alone (and the analysis of its program).

    `implemented`: the report of a run of the work's code (lab.implement.run.run; app/state.py keeps one per code
    text); without it the "Implement it" station is not done.
    """
    a = example_analysis(current)
    result: list[Progress] = []
    by_key = {s.key: s for s in STATIONS}

    done, status = _question("station:graph", a, work, "z._prev")
    result.append(Progress(by_key["graph"], done, status))

    done, status = _question("station:rules", a, work, "the blank in `*`'s rule")
    if not done and rescue.blanks_right(work.answers, "*"):  # the rescue version's blanks hold this one
        done, status = True, "the blanks of `*`'s rule: filled right in the rescue version"
    result.append(Progress(by_key["rules"], done, status))

    done, status = station_status(implemented, bool(work.code))
    result.append(Progress(by_key["implement"], done, status))

    done, status = _question("station:backward", a, work, "the order of `_backward` calls")
    result.append(Progress(by_key["backward"], done, status))

    check = hand_check(work, a)
    required = [c for c in check.checks if c.row.required]
    matching = sum(1 for c in required if c.status == handcheck.PASS)
    hand_done = check.verdict_kind == "success"
    if hand_done:
        status = f"your {len(required)} answers match the engine"
    elif check.failing or check.unreadable:
        status = f"{matching} of {len(required)} match; {len(check.failing) + len(check.unreadable)} to look at again"
    else:
        status = f"{matching} of {len(required)} entered and matching"
    result.append(Progress(by_key["by_hand"], hand_done, status))

    traced, trace_status = _question("station:trace", a, work, "the edge into the product")
    if hand_done:
        status = f"the engine and the finite difference agree with you; {trace_status}"
    else:
        status = f"first make the hand check match; {trace_status}"
    result.append(Progress(by_key["trace"], hand_done and traced, status))

    right, answered = questions.checkpoint_score(a, work.answers)
    total = len(questions.CHECKPOINTS)
    status = f"{right} of {total} right" + (f", {answered - right} to try again" if answered > right else "")
    result.append(Progress(by_key["explain"], right == total, status))

    count = takeaway.count_sentences(work.takeaway)
    status = f"{count} sentence{'s' if count != 1 else ''} (3 to 5 asked)"
    result.append(Progress(by_key["takeaway"], takeaway.is_done(work.takeaway), status))

    done, status = neuron.next_question_done(work.answers)
    result.append(Progress(by_key["next"], done, status))
    return result


def first_not_done(steps: list[Progress]) -> int:
    """The index of the first station still to do (the last one when all are done)."""
    return next((i for i, p in enumerate(steps) if not p.done), len(steps) - 1)


# -- what the stations show ---------------------------------------------------------------------


def node_fields(a: Analysis, rules_known: bool = True) -> pd.DataFrame:
    """Each node as a `Value`: data, grad, _prev, _op, and what its _backward does, in the lesson's names.

    `rules_known`: the learner has filled the blank of `*`'s rule (station 2); before that `_backward` says
    only where a node sends gradient, not the rule that is station 2's work.
    """
    records = []
    for i, node in enumerate(a.graph.nodes):
        parents = [a.names[p] for p in a.graph.inputs[i]]
        if node._prev and not rules_known:
            sends = f"its {a.op_text(i)} rule sends gradient to {', '.join(dict.fromkeys(parents))} (station 2)"
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


_MARKDOWN = re.compile(r"([*_<>$~\\\[\]])")


def markdown_safe(text: str) -> str:
    """Our sentences for st.markdown: `*` and `_` outside `code` stay characters (`x*y` is not italics)."""
    parts = text.split("`")
    return "`".join(part if i % 2 else _MARKDOWN.sub(r"\\\1", part) for i, part in enumerate(parts))
