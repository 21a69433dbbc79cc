"""Predict, then reveal: what the learner says a step will do, before the page shows it.

A backward step asks, per edge, what that `_backward` call adds to the input's grad
(`x.grad += ?`); the seed (step 0) asks for the output's grad; a forward step asks for the
node's value (`a.data = ?`). An entry is a number or a formula in the variables, read by the
same safe parser as the hand check's entries, and right within the hand check's tolerance.

A prediction is kept (app/state.py) under a key made of the program at its values
(lab/model/identity.py), the pass, the step and the edge or node, so another program or another
value starts a new pass and the old one's predictions stay with the program they belong to. A
step is revealed once each of its predictions is kept.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from engine.errors import ExpressionError
from engine.parser import Program
from engine.trace import BackwardStep, EdgeFlow
from lab.model.analysis import Analysis, format_number
from lab.model.entries import close_enough, number_at, read_entry
from lab.model.explain import forward_sentence, gradient_sum, local_text, rule_numbers, rule_text
from lab.model.identity import program_id
from lab.model.steps import BACKWARD, FORWARD, last_step
from lab.model.text import with_code

RIGHT, WRONG, UNREADABLE, EMPTY = "right", "wrong", "unreadable", "empty"
SEED, EDGE, VALUE = "seed", "edge", "value"  # what a blank asks: the output's grad, what an edge adds, a node's data


@dataclass(frozen=True)
class Blank:
    """One number the learner predicts at a step: what an edge adds, the seed, or a node's value."""

    key: str  # where the prediction is kept: "<program id>|<pass>|<step>|<what>"
    label: str  # what the input box asks: "x.grad += ?", "z.grad = ?", "a.data = ?"
    answer: float  # the right number
    kind: str  # SEED, EDGE or VALUE
    step: int
    node: int  # the node whose grad (seed) or data (forward) is asked, or the edge's input
    flow: EdgeFlow | None = None  # the edge, for a backward step after the seed


@dataclass(frozen=True)
class Judged:
    """A prediction compared with the right number."""

    blank: Blank
    entry: str  # what the learner typed, stripped
    number: float | None  # the entry's number here (None when empty or unreadable)
    status: str  # RIGHT, WRONG, UNREADABLE or EMPTY
    message: str  # in words: why it can't be read, or what the entry is

    @property
    def right(self) -> bool:
        return self.status == RIGHT


@dataclass(frozen=True)
class Score:
    right: int
    predicted: int

    def __str__(self) -> str:
        if not self.predicted:
            return "No predictions checked yet in this pass."
        return f"{self.right} of {self.predicted} right so far"


def pass_key(a: Analysis, mode: str) -> str:
    """What every prediction key of this program's pass starts with: "<program id at its values>|<pass>|"."""
    return f"{program_id(a, at_values=True)}|{mode}|"


def blanks(a: Analysis, mode: str, step: int, steps: Sequence[BackwardStep] | None = None) -> list[Blank]:
    """What the learner predicts at `step` of the pass. A forward step of an input asks nothing: its value is given."""
    return _blanks(a, pass_key(a, mode), mode, step, a.steps if steps is None else steps)


def every_blank(a: Analysis, mode: str, steps: Sequence[BackwardStep] | None = None) -> Iterator[Blank]:
    """The blanks of the whole pass, step by step (the program's id worked out once, not once a step)."""
    steps = a.steps if steps is None else steps
    key = pass_key(a, mode)
    for step in range(last_step(a, mode, steps) + 1):
        yield from _blanks(a, key, mode, step, steps)


def _blanks(a: Analysis, key: str, mode: str, step: int, steps: Sequence[BackwardStep]) -> list[Blank]:
    prefix = f"{key}{step}|"
    if mode == FORWARD:
        if a.graph.is_leaf(step):
            return []
        name = a.names[step]
        return [Blank(prefix + f"{name}.data", f"{name}.data = ?", a.graph.nodes[step].data, VALUE, step, step)]
    if mode != BACKWARD:
        raise ValueError(f"mode is {BACKWARD!r} or {FORWARD!r}, not {mode!r}")
    trace = steps[step]
    if not trace.flows:  # the seed
        name = a.names[trace.node]
        return [Blank(prefix + f"{name}.grad", f"{name}.grad = ?", trace.changed[trace.node], SEED, step, trace.node)]
    result = []
    child = a.names[trace.node]
    for f in trace.flows:
        parent = a.names[f.parent]
        label = f"{parent}.grad += ?"
        if sum(1 for g in trace.flows if g.parent == f.parent) > 1:  # `a + a`: one box per slot
            label += f"  (input {f.slot + 1} of {child})"
        result.append(Blank(prefix + f"{parent}.grad#{f.slot}", label, f.contribution, EDGE, step, f.parent, f))
    return result


def _read(entry: str, a: Analysis, blank: Blank) -> Program:
    """An edge's prediction may be written in the lesson's own notation, `y.data * a.grad`: every value's data
    (the forward pass is done) and the grad of the node that fires (final when it fires), nothing else."""
    if blank.kind == EDGE and blank.flow is not None:
        return read_entry(entry, a, notation=True, grads=(a.names[blank.flow.child],))
    return read_entry(entry, a)


def judge(a: Analysis, blank: Blank, entry: str, tolerance: float) -> Judged:
    """Is the entry (a number or a formula in the variables) the right number, within the tolerance?"""
    entry = (entry or "").strip()
    if not entry:
        return Judged(blank, "", None, EMPTY, "type a number or a formula in the variables")
    try:
        number = number_at(_read(entry, a, blank), a.values)
    except (ExpressionError, ArithmeticError, ValueError) as e:
        return Judged(blank, entry, None, UNREADABLE, str(e))
    yours = f"`{entry}`, which is {format_number(number)} here" if format_number(number) != entry else entry
    if close_enough(number, blank.answer, tolerance):
        return Judged(blank, entry, number, RIGHT, f"you said {yours}: right")
    return Judged(blank, entry, number, WRONG, f"you said {yours}; it is {format_number(blank.answer)}")


def unreadable(a: Analysis, shown: Sequence[Blank], entries: Mapping[str, str]) -> list[Judged]:
    """The entries that can't be checked yet (empty or unreadable): Check reveals nothing until there are none."""
    judged = [judge(a, b, entries.get(b.key, ""), 1.0) for b in shown]
    return [j for j in judged if j.status in (EMPTY, UNREADABLE)]


def problems(a: Analysis, shown: Sequence[Blank], entries: Mapping[str, str]) -> list[str]:
    """Why Check can reveal nothing yet, a phrase per box that is empty or cannot be read."""
    return [f"{j.blank.label}: {j.message}" for j in unreadable(a, shown, entries)]


def revealed(shown: Sequence[Blank], predictions: Mapping[str, str]) -> bool:
    """A step is revealed once each of its predictions is kept (a step with nothing to predict always is)."""
    return all(b.key in predictions for b in shown)


def first_unrevealed(
    a: Analysis, mode: str, predictions: Mapping[str, str], steps: Sequence[BackwardStep] | None = None
) -> int | None:
    """The first step of the pass whose predictions are not all checked (None: the whole pass is)."""
    return next((blank.step for blank in every_blank(a, mode, steps) if blank.key not in predictions), None)


def score(
    a: Analysis,
    mode: str,
    predictions: Mapping[str, str],
    tolerance: float,
    steps: Sequence[BackwardStep] | None = None,
) -> Score:
    """How many of the pass's checked predictions are right."""
    if not pass_keys(a, mode, predictions):
        return Score(0, 0)
    numbers: dict[str, float | None] = {}  # an entry's number, read once however often it was typed
    right = predicted = 0
    for blank in every_blank(a, mode, steps):
        if blank.key in predictions:
            predicted += 1
            entry = predictions[blank.key].strip()
            if entry not in numbers:
                numbers[entry] = judge(a, blank, entry, tolerance).number
            number = numbers[entry]
            right += number is not None and close_enough(number, blank.answer, tolerance)
    return Score(right, predicted)


def pass_keys(a: Analysis, mode: str, predictions: Mapping[str, str]) -> list[str]:
    """The keys of this program's predictions for this pass (to start the pass again)."""
    prefix = pass_key(a, mode)
    return [key for key in predictions if key.startswith(prefix)]


def how_it_is_made(a: Analysis, blank: Blank, steps: Sequence[BackwardStep] | None = None) -> str:
    """How the right number is made, in the words of the step's sentence and of By hand.

    An edge: `x.grad += y.data * a.grad = 3 * 1 = 3: the upstream gradient a.grad = 1 times the
    local derivative da/dx = y.data = 3`; and when the input has collected gradient from more
    than one use so far, the sum so far (`y.grad = 1 * z.grad + x.data * a.grad = ... = 3`).
    """
    steps = a.steps if steps is None else steps
    f = blank.flow
    if blank.kind == SEED:
        return gradient_sum(a, blank.node, ())
    if f is None:
        return forward_sentence(a, blank.node)
    parent, child = a.names[f.parent], a.names[f.child]
    numbers = rule_numbers(a, f)
    result = "" if numbers == format_number(f.contribution) else f" = {format_number(f.contribution)}"
    text = (
        f"{parent}.grad += {rule_text(a, f)} = {numbers}{result}: the upstream gradient {child}.grad = "
        f"{format_number(f.incoming)} times the local derivative d{child}/d{parent} = {local_text(a, f)}"
    )
    if local_text(a, f) != format_number(f.local):
        text += f" = {format_number(f.local)}"
    so_far = [g for s in steps[1 : blank.step + 1] for g in s.flows if g.parent == f.parent]
    if len(so_far) > 1:
        text += f". With +=, {parent}.grad collects every use so far: {gradient_sum(a, f.parent, so_far)}"
    return text


def verdicts_html(
    a: Analysis,
    shown: Sequence[Blank],
    predictions: Mapping[str, str],
    tolerance: float,
    steps: Sequence[BackwardStep] | None = None,
) -> str:
    """The checked predictions of a step, one line each: right or wrong, and for a wrong one how it is made."""
    lines = []
    for blank in shown:
        judged = judge(a, blank, predictions[blank.key], tolerance)
        said = blank.label.replace("?", format_number(blank.answer))
        mark, colour = ("✔", "#15803d") if judged.right else ("✘", "#b91c1c")
        line = (
            f'<div class="{judged.status}" style="margin:0.15rem 0"><b style="color:{colour}">{mark} '
            f"{html.escape(said)}</b> — {with_code(judged.message)}"
        )
        if not judged.right:
            how = how_it_is_made(a, blank, steps)
            line += f'<div style="margin-left:1.4rem;font-family:ui-monospace,monospace">{html.escape(how)}</div>'
        lines.append(line + "</div>")
    return f'<div data-testid="flow-predictions">{"".join(lines)}</div>'
