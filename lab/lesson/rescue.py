"""The rescue version: the lesson in 15 minutes, as five time-boxed stations, done from the learner's work.

For a learner short on time: the graph of the example, the two rules as blanks in the lesson's own
`__add__` and `__mul__`, `backward()` as a Parsons puzzle (lab/views/parsons.py), the example by hand
and then the class the learner assembled run in the sandbox on the lesson's test, and one sentence.

Everything is kept in the learner's `Work`, where the full lesson keeps the same things, so moving on
to the full lesson keeps it and counts what matches: the graph's question is the full lesson's own
(`station:graph`), the hand entries are the example's (`Work.hand`), the sentence is the takeaway's
start (`Work.takeaway`), the assembled class becomes the learner's code when they have none of their
own. What only the rescue version has is kept in `Work.answers` under `rescue:` keys: the four blanks
(each read by the rule reader, engine/rule_reader.py: a blank is a rule), the puzzle's arrangement (read
by the sandbox's whitelist), and that the learner ran the class.

Feedback is in the example's numbers (x = 2, y = 3), and nothing is given away before it is worked
out: a wrong blank gets the numbers that lead to the right one (a nudge and what it moves), not the
blank; the gradients of the example are said only once the learner has entered theirs by hand.

The version is a `Lesson` of `Station` records (lab/lesson/records.py), like the full lesson: `RESCUE`
at the end of this file; the Lesson page draws each station with its view (app/rescue.py). Its stations
are always about the example at x = 2, y = 3. Its `Seen.implemented` is the run of the assembled class
(the caller runs it once the learner has asked: `RAN`), the class being the work's code here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from engine import rule_reader as rr
from engine.errors import ExpressionError, quote
from lab.implement.run import Report
from lab.lesson import questions, takeaway
from lab.lesson.records import Done, Lesson, Progress, Seen, Station, question_done
from lab.model import mistakes
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.presets import LESSON_PROGRAM
from lab.views import by_hand, parsons
from lab.work.share import FULL_LESSON, RESCUE_LESSON, Work

n = format_number

VERSIONS = {FULL_LESSON: "The full lesson (90 min)", RESCUE_LESSON: "The rescue version (15 min)"}

PREFIX = "rescue:"  # of the answers only the rescue version has
PUZZLE = "rescue:backward"  # the arrangement of the puzzle's lines (lab/views/parsons.py's text)
RAN = "rescue:ran"  # the learner ran their assembled class ("yes")
RAN_YES = "yes"
HAND_ROWS = (by_hand.VALUE_KEY, by_hand.grad_key("x"), by_hand.grad_key("y"))  # z, dz/dx, dz/dy
LESSON_TEST = "lesson"  # the key of the lesson's test among Implement it's checks


def started(answers: dict[str, str]) -> bool:
    """Has the learner done anything only the rescue version asks for (a blank, a move of the puzzle)?"""
    return any(key.startswith(PREFIX) and text.strip() for key, text in answers.items())


@functools.lru_cache(maxsize=1)
def _example() -> Analysis:
    return analyse(LESSON_PROGRAM)


def example() -> Analysis:
    """The lesson's example at x = 2, y = 3, fresh (it is 4 nodes; one shared between sessions could be read
    while another's Bug lab comparison changes its grads)."""
    return analyse(LESSON_PROGRAM)


# -- the blanks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blank:
    id: str  # the key of the learner's text in Work.answers
    op: str  # "+" or "*"
    slot: int  # 0: self, 1: other

    @property
    def target(self) -> str:
        return ("self", "other")[self.slot]

    @property
    def method(self) -> str:
        return {"+": "__add__", "*": "__mul__"}[self.op]


BLANKS: tuple[Blank, ...] = (
    Blank("rescue:+:self", "+", 0),
    Blank("rescue:+:other", "+", 1),
    Blank("rescue:*:self", "*", 0),
    Blank("rescue:*:other", "*", 1),
)

# The lesson's own class, with the blanks and the puzzle in their places (what the sandbox runs).
CLASS = """\
import math


class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += {+:self}
            other.grad += {+:other}

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += {*:self}
            other.grad += {*:other}

        out._backward = _backward
        return out

{backward}
"""
BLANK_MARK = "___"


def method_text(op: str, filled: dict[str, str] | None = None) -> str:
    """The lesson's `__add__` or `__mul__` as in the class, with its blanks (`___`, or what fills them)."""
    method = {"+": "__add__", "*": "__mul__"}[op]
    start = CLASS.index(f"    def {method}(")
    end = CLASS.index("return out", start) + len("return out")
    text = CLASS[start:end]
    for b in BLANKS:
        if b.op == op:
            text = text.replace("{" + f"{op}:{b.target}" + "}", (filled or {}).get(b.id, BLANK_MARK))
    return "\n".join(line.removeprefix("    ") for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class BlankFeedback:
    answered: bool
    right: bool
    message: str  # "" when not answered

    @property
    def level(self) -> str:
        return "success" if self.right else "error" if self.answered else "info"


def _node(op: str) -> int:
    """The example's node made by `op`: a = x * y for `*`, z = a + y for `+`."""
    a = _example()
    return next(i for i, node in enumerate(a.graph.nodes) if node._op == op)


def _env(op: str, grad: float = 1.0) -> dict[str, float]:
    a = _example()
    i = _node(op)
    node = a.graph.nodes[i]
    env = {"out.data": node.data, rr.GRAD: grad}
    for name, p in zip(("self", "other"), a.graph.inputs[i], strict=True):
        env[f"{name}.data"] = a.graph.nodes[p].data
    return env


def _nudge(op: str, slot: int, h: float = 1e-3) -> float:
    """How much the node moves when input `slot` is nudged by h (the forward formula, at the example)."""
    env = _env(op)
    forward = rr.forward_formula(op)
    name = ("self", "other")[slot] + ".data"
    return rr.evaluate(forward, {**env, name: env[name] + h}) - rr.evaluate(forward, env)


def _per_unit(formula: rr.Formula, op: str) -> float | None:
    """What the formula sends per unit of out.grad at the example; None when it is not out.grad times a number."""
    try:
        one, two, zero = (rr.evaluate(formula, _env(op, g)) for g in (1.0, 2.0, 0.0))
    except (ArithmeticError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (one, two, zero)) or abs(zero) > 1e-12 or abs(two - 2 * one) > 1e-9:
        return None
    return one


@functools.lru_cache(maxsize=512)  # pure: a rerun of the page judges the same blanks again
def blank_feedback(blank: Blank, text: str | None, reveal: bool = False) -> BlankFeedback:
    """The blank's text read by the rule reader and judged at the example, with the example's numbers.

    `reveal`: the learner has done the example by hand (the sum's own value, z, may then be said)."""
    if text is None or not text.strip():
        return BlankFeedback(False, False, "")
    a = _example()
    i = _node(blank.op)
    parent = a.graph.inputs[i][blank.slot]
    out, into = a.names[i], a.names[parent]
    where = f"{out} = {a.formulas[i]} (x = 2, y = 3)"
    shown = quote(text.strip())
    try:
        formula = rr.read_rule_formula(blank.op, text.strip())
    except ExpressionError as e:
        return BlankFeedback(True, False, f"Can't read {shown}: {e}.")
    line = rr.RuleLine(blank.slot, blank.target, "+=", formula, text.strip())
    kind = mistakes.recognise(rr.LearnerRule(blank.op, (line,)))[0].kind  # the catalog of classic mistakes
    nudge = _nudge(blank.op, blank.slot)
    local = rr.evaluate(rr.local_formula(blank.op, blank.slot), _env(blank.op))
    moves = f"nudge {into} by 0.001 and {out} moves by {n(nudge)}: {n(local)} per unit"
    if kind == rr.RIGHT:
        return BlankFeedback(
            True,
            True,
            f"Right: at {where}, {moves}, so {into}.grad gets {n(local)} × out.grad ({out}.grad), the chain rule.",
        )
    if kind == mistakes.NO_OUT_GRAD.id:
        return BlankFeedback(
            True,
            False,
            f"{shown} is {n(local)} here: how {out} moves with {into}, the local derivative. But the grad is how the "
            f"output moves with {into}, and {into} reaches it through {out}: multiply by out.grad ({out}.grad), "
            "the chain rule.",
        )
    per_unit = _per_unit(formula, blank.op)
    uses_out = "out.data" in rr.variables_of(formula)
    if per_unit is None:
        sends = f"{shown} does not grow with out.grad: the rule passes on out.grad, times a number"
    elif uses_out and not reveal:
        sends = f"{shown} uses out.data, {out}'s own value: that is what {out} is, not how it moves with {into}"
    else:
        sends = f"{shown} sends {into} {n(per_unit)} × out.grad here"
    if per_unit is not None and math.isclose(per_unit, local) and not uses_out:
        sends = (
            f"{shown} sends {into} {n(per_unit)} × out.grad: the right number at x = 2, y = 3, by luck. The rule "
            "must hold at every value: which of self.data, other.data is that number here"
        )
        return BlankFeedback(True, False, f"Not quite: at {where}, {sends}?")
    if kind == mistakes.SWAPPED.id:
        own = a.graph.nodes[parent].data
        sends = f"{shown} sends {into} its own data: {n(own)} × out.grad"
    ask = f"Which input's data is {n(local)} here?" if blank.op == "*" else f"So how much of out.grad does {into} get?"
    return BlankFeedback(True, False, f"Not quite: at {where}, {sends}. But {moves}. {ask}")


def blanks_right(answers: dict[str, str], op: str | None = None) -> bool:
    """Are the blanks (of `op`, or all four) right?"""
    return all(blank_feedback(b, answers.get(b.id)).right for b in BLANKS if op is None or b.op == op)


# -- the puzzle, the class, the run ---------------------------------------------------------------


def arrangement(answers: dict[str, str]) -> tuple[parsons.Arrangement, str]:
    """The learner's arrangement of the puzzle, and why their kept one could not be read ("" when it could)."""
    try:
        return parsons.kept(answers.get(PUZZLE)), ""
    except parsons.PuzzleError as e:
        return parsons.start(), f"{e}, so the puzzle starts again as given"


def puzzle_verdict(answers: dict[str, str], reveal: bool = False) -> parsons.Verdict | None:
    """The puzzle checked (None: not touched yet)."""
    if not answers.get(PUZZLE):
        return None
    arranged, problem = arrangement(answers)
    if problem:
        return parsons.Verdict(False, problem[0].upper() + problem[1:] + ".")
    return parsons.check(arranged, reveal)


def assembled(answers: dict[str, str]) -> str | None:
    """The lesson's class with the learner's blanks and their backward(), when every piece is right; else None."""
    if not blanks_right(answers):
        return None
    verdict = puzzle_verdict(answers)
    if verdict is None or not verdict.right:
        return None
    arranged, _ = arrangement(answers)
    backward = "\n".join("    " + line for line in parsons.code(arranged).splitlines())
    text = CLASS.replace("{backward}", backward)
    for b in BLANKS:
        text = text.replace("{" + f"{b.op}:{b.target}" + "}", answers[b.id].strip())
    return text


def lesson_test(report: Report) -> tuple[bool, str]:
    """The lesson's test among a run's checks: passed, and its message (or the problem that stopped the run)."""
    if report.problem is not None:
        return False, report.problem.message
    check = next((c for c in report.checks if c.key == LESSON_TEST), None)
    if check is None:
        return False, "the lesson's test did not run"
    return check.passed, check.message


def class_numbers(report: Report) -> list[tuple[str, float]]:
    """What the learner's own objects hold on the lesson's example: z.data, x.grad, y.grad (as their run sent them)."""
    graph = report.lesson_graph
    if graph is None:
        return []
    by_label = {node.label: node for node in graph.nodes}
    wanted = (("z", "data"), ("x", "grad"), ("y", "grad"))
    return [(f"{label}.{what}", getattr(by_label[label], what)) for label, what in wanted if label in by_label]


# -- by hand --------------------------------------------------------------------------------------


def hand_check(hand: dict[str, str]) -> by_hand.HandCheck:
    """The learner's hand entries for the example, checked at x = 2, y = 3."""
    return by_hand.check(example(), hand)


def hand_rows(check: by_hand.HandCheck) -> list[by_hand.RowCheck]:
    return [c for c in check.checks if c.row.key in HAND_ROWS]


def hand_entered(hand: dict[str, str]) -> bool:
    entries = by_hand.entries_of(hand, _example())
    return all(entries.get(key, "").strip() for key in HAND_ROWS)


def hand_right(hand: dict[str, str]) -> bool:
    return all(c.status == by_hand.PASS for c in hand_rows(hand_check(hand)))


# -- the stations, as records ----------------------------------------------------------------------


def _blanks_done(seen: Seen) -> Done:
    right = sum(blank_feedback(b, seen.work.answers.get(b.id)).right for b in BLANKS)
    return right == len(BLANKS), f"{right} of {len(BLANKS)} blanks right"


def _puzzle_done(seen: Seen) -> Done:
    verdict = puzzle_verdict(seen.work.answers)
    if verdict is None:
        return False, "not started"
    return verdict.right, "in order" if verdict.right else "not in order yet"


def _by_hand_and_run_done(seen: Seen) -> Done:
    rows = hand_rows(hand_check(seen.work.hand))
    matching = sum(c.status == by_hand.PASS for c in rows)
    ran, ran_status = False, "not run yet"
    if seen.implemented is not None and seen.work.answers.get(RAN) == RAN_YES:
        ran, _ = lesson_test(seen.implemented)
        ran_status = "the lesson's test passes" if ran else "the lesson's test does not pass yet"
    return matching == len(rows) and ran, f"{matching} of {len(rows)} by hand match; {ran_status}"


def _sentence_done(seen: Seen) -> Done:
    count = takeaway.count_sentences(seen.work.takeaway)
    return count >= 1, f"{count} sentence{'s' if count != 1 else ''}"


SOLVED_BLANKS = {
    "rescue:+:self": "out.grad",
    "rescue:+:other": "out.grad",
    "rescue:*:self": "other.data * out.grad",
    "rescue:*:other": "self.data * out.grad",
}
SOLVED_PUZZLE = {PUZZLE: parsons.to_text(parsons.solution())}
SOLVED_HAND = {by_hand.VALUE_KEY: "9", by_hand.grad_key("x"): "y", by_hand.grad_key("y"): "x + 1"}


def _solved_class() -> str:
    text = assembled({**SOLVED_BLANKS, **SOLVED_PUZZLE})
    assert text is not None
    return text


RESCUE = Lesson(
    id=RESCUE_LESSON,
    title="The rescue version: backprop in 15 minutes",
    example=LESSON_PROGRAM,
    stations=(
        Station(
            key="rescue_graph",
            title="The graph of z = x*y + y",
            short="Graph",
            todo="Every number is a `Value` node that remembers the nodes it was computed from (`_prev`). Look at "
            "the diagram and answer one question.",
            question=questions.GRAPH,
            done=question_done(questions.GRAPH, "z._prev"),
            minutes=2,
            needs_example=False,
        ),
        Station(
            key="rescue_rules",
            title="The two rules, as blanks",
            short="Rules",
            todo="Fill each blank of the lesson's own `__add__` and `__mul__`: what each input's grad gets from "
            "`out.grad`. Each blank is checked as you leave it.",
            done=_blanks_done,
            solved_by={"answers": SOLVED_BLANKS},
            minutes=3,
            needs_example=False,
        ),
        Station(
            key="rescue_backward",
            title="`backward()` as a puzzle",
            short="backward()",
            todo="The lines of `backward()` are shuffled. Put them in order and indent them with the arrows: "
            "depth-first search for the order, the seed, the reversed loop. Each move is checked at once.",
            done=_puzzle_done,
            solved_by={"answers": SOLVED_PUZZLE},
            minutes=4,
            needs_example=False,
        ),
        Station(
            key="rescue_run",
            title="By hand, then run your class",
            short="By hand + run",
            todo="At x = 2, y = 3 work out z, dz/dx and dz/dy on paper and type them in. Then run the class you "
            "assembled (your blanks, your `backward()`) in the sandbox on the lesson's test.",
            done=_by_hand_and_run_done,
            solved_by={
                "hand": SOLVED_HAND,
                "answers": {**SOLVED_BLANKS, **SOLVED_PUZZLE, RAN: RAN_YES},
                "code": _solved_class(),
            },
            minutes=4,
            needs_example=False,
        ),
        Station(
            key="rescue_sentence",
            title="One sentence",
            short="Takeaway",
            todo="In one sentence: what is backpropagation, now that you have done it?",
            done=_sentence_done,
            solved_by={"takeaway": "Backpropagation is the chain rule, applied from the output back, node by node."},
            minutes=2,
            needs_example=False,
        ),
    ),
)
STATIONS = RESCUE.stations
TOTAL_MINUTES = sum(s.minutes or 0 for s in STATIONS)


def progress(work: Work, run: Report | None = None) -> list[Progress]:
    """Each station of the rescue version, done or not, from the work (and the run of its assembled class)."""
    return RESCUE.progress(work, example(), run)
