"""Questions a learner answers to show they can explain the rules, with feedback in the current numbers.

Every question is about the lesson's example, `z = x*y + y` (at whatever values x and y have
now): the caller passes the analysis of a program of that shape (`lab.lesson.stations.example_analysis`).
An answer is kept as text in the learner's work (`Work.answers`, question id -> text): a choice
by its key, a number or formula as typed. A typed answer is read like a hand entry (the safe
parser, never run as Python), and a formula is checked at other points too, because a wrong
formula can be right here by luck. The numbers in every explanation come from the engine's
analysis (lab/model/analysis.py, lab/model/explain.py, engine/trace.py), never written into this file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.errors import ExpressionError
from engine.trace import EdgeFlow, Mistake, gradient_sources, grads_at
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.entries import close_enough, entry_number, other_points
from lab.model.explain import backward_sentence, gradient_sum, local_text, op_expression, rule_text
from lab.views import neuron
from lab.views.bugs import compare_mistake, suggest_preset

n = format_number
CHOICE, NUMBER, FORMULA = "choice", "number", "formula"
EXAMPLE_VALUES = {"x": 2.0, "y": 3.0}  # the lesson's example is x = 2, y = 3: its questions are judged there
TOLERANCE = 1e-3


@dataclass(frozen=True)
class Names:
    """The example's nodes by role: z = m + y with m = x * y."""

    x: int
    y: int
    m: int  # x * y
    z: int  # the output


def names_of(a: Analysis) -> Names:
    z = a.output
    m, y = a.graph.inputs[z]
    return Names(a.variables["x"], y, m, z)


@dataclass(frozen=True)
class Option:
    """One choice of a question, with its feedback: why it is wrong (None for the right one)."""

    key: str  # kept in the work as the answer
    text: Callable[[Analysis], str]
    why: Callable[[Analysis], str] | None = None


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # CHOICE, NUMBER or FORMULA
    prompt: Callable[[Analysis], str]
    explain: Callable[[Analysis], str]  # why the right answer is right, with the current numbers
    options: tuple[Option, ...] = ()  # CHOICE: the right one first (the one without a `why`)
    right_number: Callable[[Analysis], float] | None = None
    slips: Callable[[Analysis, float], str] | None = None  # a known wrong number -> what it is
    solved_by: str = ""  # a right answer, as typed (CHOICE: the right option's key); the walk test gives it
    program: str = ""  # the program it is about, when not the lesson's example (judged at its own values)

    def __post_init__(self) -> None:
        if self.kind == CHOICE:
            right = [o.key for o in self.options if o.why is None]
            if len(right) != 1:
                raise ValueError(f"question {self.id!r}: one option is right (no `why`), the others say why not")
            object.__setattr__(self, "solved_by", right[0])
        elif not self.solved_by or self.right_number is None:
            raise ValueError(f"question {self.id!r}: a typed question has its right number and a right answer")
        # Written with the right option first, shown in an order where its position says nothing: a fixed
        # order per question (a hash of its id and each option's key), so a reload never reshuffles it.
        order = sorted(self.options, key=lambda o: hashlib.sha256(f"{self.id}/{o.key}".encode()).hexdigest())
        object.__setattr__(self, "options", tuple(order))

    @property
    def right_option(self) -> str:
        return self.solved_by if self.kind == CHOICE else ""

    @property
    def keys(self) -> list[str]:
        """The options' keys, in the order they are shown."""
        return [o.key for o in self.options]

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Feedback:
    answered: bool
    right: bool
    verdict: str  # one line: right, not quite, can't read it
    explanation: str  # the answer explained with the current numbers ("" when unanswered or unreadable)
    shown: str = ""  # the answer as the learner sees it (a choice's text)

    @property
    def unreadable(self) -> bool:
        """Answered, but the answer can't be read (so there is nothing to explain)."""
        return self.answered and not self.right and not self.explanation

    @property
    def level(self) -> str:
        """How the page says it: "success" (right), "error" (wrong, explained), "warning" (can't read it)."""
        return "success" if self.right else "warning" if self.unreadable else "error"


# -- pieces of explanations ------------------------------------------------------------------


def _sources(a: Analysis) -> dict[int, list[EdgeFlow]]:
    return gradient_sources(a.graph, a.steps)


def _flow(a: Analysis, parent: int, child: int) -> EdgeFlow:
    return next(f for f in _sources(a)[parent] if f.child == child)


def _edge(a: Analysis, f: EdgeFlow) -> str:
    """`from a = x * y: x.data * a.grad = 2 * 1 = 2`."""
    numbers = n(f.incoming) if local_text(a, f) == "1" else f"{n(f.local)} * {n(f.incoming)}"
    result = "" if numbers == n(f.contribution) else f" = {n(f.contribution)}"
    return f"from {a.names[f.child]} = {op_expression(a, f.child)}: {rule_text(a, f)} = {numbers}{result}"


def _grad(a: Analysis, i: int) -> str:
    return n(a.graph.nodes[i].grad)


def _data(a: Analysis, i: int) -> str:
    return n(a.graph.nodes[i].data)


# -- the checkpoint questions (answered together on the Explain station) ------------------------


def _seed_explain(a: Analysis) -> str:
    v = names_of(a)
    z, x = a.names[v.z], a.names[v.x]
    gx = a.graph.nodes[v.x].grad
    no_seed = compare_mistake(a, Mistake.NO_SEED)
    return (
        f"{z}.grad is d{z}/d{z}: a number changes one for one with itself, so it is 1. Every other gradient "
        f"is the seed times local derivatives, e.g. {gradient_sum(a, v.x, _sources(a)[v.x])}. "
        f"Seed it with 2 and every gradient doubles ({x}.grad would be {n(2 * gx)}); leave it at 0 "
        f"(the bug 'no seed') and {x}.grad stays {n(no_seed.buggy[v.x])}."
    )


def _plus_equals_explain(a: Analysis) -> str:
    v = names_of(a)
    y = a.names[v.y]
    flows = _sources(a)[v.y]
    overwrite = compare_mistake(a, Mistake.OVERWRITE)
    edges = "; ".join(_edge(a, f) for f in flows)
    last = flows[-1]
    return (
        f"{y} is used {len(flows)} times, so its gradient arrives along {len(flows)} edges: {edges}. "
        f"With `+=` they add up: {gradient_sum(a, v.y, flows)}. With `=` each use overwrites the one before, "
        f"and the last to fire ({a.names[last.child]}) leaves {y}.grad = {n(overwrite.buggy[v.y])} "
        f"instead of {n(overwrite.correct[v.y])}."
    )


def _order_explain(a: Analysis) -> str:
    v = names_of(a)
    z, m = a.names[v.z], a.names[v.m]
    order = ", ".join(a.names[i] for i in reversed(range(len(a.graph))))
    into_m = _flow(a, v.m, v.z)
    return (
        f"Reverse topological order here is {order}. {m} fires only after {z} (the only node that uses it) has "
        f"sent it {rule_text(a, into_m)} = {n(into_m.contribution)}, so {m}.grad = {_grad(a, v.m)} is complete when "
        f"{m}'s rule passes it on to its inputs. A node that fired before all its uses had sent their part would "
        "pass on an incomplete gradient."
    )


def _order_wrong(a: Analysis) -> str:
    suggestion = suggest_preset(Mistake.WRONG_ORDER)
    if suggestion is None:
        return "Order matters as soon as a node fires before every use of it has sent its part."
    _name, title, program = suggestion
    report = compare_mistake(analyse(program), Mistake.WRONG_ORDER)
    return (
        f"Order does matter: in this small example every order that starts at {a.names[a.output]} happens to work, "
        f"but on “{title}” a backward pass without topological sort gets {len(report.wrong)} gradients wrong "
        "(see it in the Bug lab: wrong order)."
    )


def _dz_dy_explain(a: Analysis) -> str:
    v = names_of(a)
    z, y = a.names[v.z], a.names[v.y]
    flows = _sources(a)[v.y]
    symbolic = " + ".join(local_text(a, f).replace(".data", "") for f in flows)
    return (
        f"{y} is used twice, and its gradient is the sum over both uses: {gradient_sum(a, v.y, flows)}. "
        f"In symbols: `+` sends {y} its out.grad times 1 and `*` sends it the other input's data, so "
        f"d{z}/d{y} = {symbolic} ({_grad(a, v.y)} here)."
    )


def _mul_explain(a: Analysis) -> str:
    v = names_of(a)
    m = a.names[v.m]
    to_x, to_y = _flow(a, v.x, v.m), _flow(a, v.y, v.m)
    return (
        f"`*` sends each input the other input's data times out.grad (d({op_expression(a, v.m)})/d{a.names[v.x]} "
        f"= {a.names[v.y]}): {a.names[v.x]}.grad += {rule_text(a, to_x)} = {n(to_x.local)} * {n(to_x.incoming)} "
        f"= {n(to_x.contribution)}, and {a.names[v.y]}.grad += {rule_text(a, to_y)} = {n(to_y.local)} * "
        f"{n(to_y.incoming)} = {n(to_y.contribution)} ({m}.grad = {_grad(a, v.m)} when {m} fires)."
    )


def _mul_slip(a: Analysis, answer: float) -> str:
    v = names_of(a)
    swapped = a.graph.nodes[v.x].data * _flow(a, v.x, v.m).incoming
    right = _flow(a, v.x, v.m).contribution
    if close_enough(answer, swapped, TOLERANCE) and not close_enough(swapped, right, TOLERANCE):
        m, x = a.names[v.m], a.names[v.x]
        return f"{n(answer)} is {x}.data * {m}.grad: the operands swapped, a common slip."
    return ""


def three_uses_analysis(a: Analysis) -> Analysis:
    """The example with y used three times, at the current values: z = x*y + y + y."""
    v = names_of(a)
    x, y, z = a.names[v.x], a.names[v.y], a.names[v.z]
    return analyse(f"{x} = {a.graph.nodes[v.x].data!r}\n{y} = {a.graph.nodes[v.y].data!r}\n{z} = {x}*{y} + {y} + {y}")


def _three_explain(a: Analysis) -> str:
    b = three_uses_analysis(a)
    y = b.variables["y"]
    flows = _sources(b)[y]
    overwrite = compare_mistake(b, Mistake.OVERWRITE)
    return (
        f"One term per use: {'; '.join(_edge(b, f) for f in flows)}. "
        f"`+=` adds them all up: {gradient_sum(b, y, flows)}. "
        f"With `=` only the last use's part would be left: {n(overwrite.buggy[y])}."
    )


def _three_slip(a: Analysis, answer: float) -> str:
    b = three_uses_analysis(a)
    y = b.variables["y"]
    if close_enough(answer, compare_mistake(b, Mistake.OVERWRITE).buggy[y], TOLERANCE):
        return f"{n(answer)} is what `=` instead of `+=` would leave: only the last use's part."
    if close_enough(answer, a.graph.nodes[names_of(a).y].grad, TOLERANCE):
        return f"{n(answer)} is {a.names[names_of(a).y]}.grad with two uses; the third use sends its part too."
    return ""


def _seed_prompt(a: Analysis) -> str:
    return f"Why does `backward()` start by setting `{a.names[a.output]}.grad = 1`?"


def _p(text: str) -> Callable[[Analysis], str]:
    """A fixed text that may name the example's nodes: {x}, {y}, {m}, {z}."""

    def words(a: Analysis) -> str:
        v = names_of(a)
        return text.format(x=a.names[v.x], y=a.names[v.y], m=a.names[v.m], z=a.names[v.z])

    return words


CHECKPOINTS: tuple[Question, ...] = (
    Question(
        "seed",
        CHOICE,
        _seed_prompt,
        _seed_explain,
        options=(
            Option("self", _p("Because d{z}/d{z} = 1: the output changes one for one with itself.")),
            Option(
                "value",
                _p("Because the output's value is 1."),
                lambda a: f"{a.names[a.output]}'s value is {_data(a, a.output)}; the seed is a gradient, not a value.",
            ),
            Option(
                "any",
                _p("Any number would do: 1 is just a convention."),
                lambda a: "Not any number: every gradient is a multiple of the seed.",
            ),
        ),
    ),
    Question(
        "plus_equals",
        NUMBER,
        _p("{y} is used twice in {z} = {x}*{y} + {y}. If the rules wrote `=` instead of `+=`, what would {y}.grad be?"),
        _plus_equals_explain,
        right_number=lambda a: compare_mistake(a, Mistake.OVERWRITE).buggy[names_of(a).y],
        slips=lambda a, answer: (
            f"{n(answer)} is the right {a.names[names_of(a).y]}.grad, with `+=`; the question asks what `=` leaves."
            if close_enough(answer, a.graph.nodes[names_of(a).y].grad, TOLERANCE)
            else ""
        ),
        solved_by="2",
    ),
    Question(
        "order",
        CHOICE,
        _p("Why does `backward()` call `_backward` in reverse topological order ({z} first)?"),
        _order_explain,
        options=(
            Option(
                "complete",
                _p(
                    "So that a node's grad is complete (every use has sent its part) before its own `_backward` "
                    "passes it on."
                ),
            ),
            Option(
                "convention",
                _p("The output is computed last, so it is simply where the list ends; any order works."),
                _order_wrong,
            ),
            Option(
                "leaves",
                _p("So that the variables {x} and {y} get their gradients first."),
                _p("{x} and {y} get theirs last: they are leaves."),
            ),
        ),
    ),
    Question(
        "dz_dy",
        FORMULA,
        _p("What is d{z}/d{y}, as a formula in {x} and {y}?"),
        _dz_dy_explain,
        right_number=lambda a: a.graph.nodes[names_of(a).y].grad,
        solved_by="x + 1",
    ),
    Question(
        "mul_sends",
        NUMBER,
        lambda a: (
            f"When {a.names[names_of(a).m]} = {op_expression(a, names_of(a).m)} fires, "
            f"{a.names[names_of(a).m]}.grad is {_grad(a, names_of(a).m)}. "
            f"What does its rule add to {a.names[names_of(a).x]}.grad?"
        ),
        _mul_explain,
        right_number=lambda a: _flow(a, names_of(a).x, names_of(a).m).contribution,
        slips=_mul_slip,
        solved_by="3",
    ),
    Question(
        "three_uses",
        NUMBER,
        _p("A node used three times: if it were {z} = {x}*{y} + {y} + {y}, what would {y}.grad be?"),
        _three_explain,
        right_number=lambda a: three_uses_analysis(a).grads[three_uses_analysis(a).variables["y"]],
        slips=_three_slip,
        solved_by="4",
    ),
)


# -- the stations' own questions ------------------------------------------------


def _graph_explain(a: Analysis) -> str:
    v = names_of(a)
    z, m = a.names[v.z], a.names[v.m]
    return (
        f"{z} = {op_expression(a, v.z)} was computed from {m} and {a.names[v.y]}: {z}._prev = ({m}, "
        f"{a.names[v.y]}) and {z}._op = '+'. {m} = {op_expression(a, v.m)} keeps {a.names[v.x]} and "
        f"{a.names[v.y]} in its own _prev."
    )  # (no value or gradient: the station comes before By hand, which asks for them)


def _rules_explain(a: Analysis) -> str:
    v = names_of(a)
    to_x, into_y = _flow(a, v.x, v.m), _flow(a, v.y, v.z)
    return (
        f"d(self * other)/d self = other.data, so self.grad += other.data * out.grad. Here: "
        f"{a.names[v.x]}.grad += {rule_text(a, to_x)} = {n(to_x.local)} * {n(to_x.incoming)} = "
        f"{n(to_x.contribution)}. `+` has local derivative 1, so it passes out.grad on unchanged: "
        f"{a.names[v.y]}.grad += {rule_text(a, into_y)} = {n(into_y.contribution)}. `+=` because a node "
        "used twice collects gradient from both uses."
    )


def _backward_explain(a: Analysis) -> str:
    sentences = [backward_sentence(a, s, grads_at(a.graph, a.steps, s.number)) for s in a.steps]
    return " Then ".join(s if s.endswith(".") else f"{s}." for s in sentences)


def _trace_explain(a: Analysis) -> str:
    v = names_of(a)
    flows = _sources(a)[v.y]
    return (
        "One edge at a time: " + "; ".join(_edge(a, f) for f in flows) + f". Together: {gradient_sum(a, v.y, flows)}."
    )


GRAPH = Question(
    "station:graph",
    CHOICE,
    _p("Which nodes are in {z}._prev?"),
    _graph_explain,
    options=(
        Option("my", _p("({m}, {y})")),
        Option("xy", _p("({x}, {y})"), _p("{x} is not used by {z} directly: {m} = {x}*{y} is.")),
        Option(
            "xyy",
            _p("({x}, {y}, {y})"),
            _p("_prev lists the nodes {z} was computed from, one step back: {m} and {y}."),
        ),
        Option(
            "none",
            _p("none: {z} is the output"),
            _p("The output has a _prev like any computed node; it is just used by nothing."),
        ),
    ),
)
RULES = Question(
    "station:rules",
    CHOICE,
    _p("Fill the blank in `*`'s rule: `self.grad += ____ * out.grad`"),
    _rules_explain,
    options=(
        Option("other", _p("other.data")),
        Option(
            "self",
            _p("self.data"),
            _p("self.data is the slip of swapping the operands: d(self*other)/d self is other."),
        ),
        Option("out", _p("out.data"), _p("out.data is the product itself, not its derivative.")),
        Option("one", _p("1"), _p("1 is the local derivative of `+`, not of `*`.")),
    ),
)
BACKWARD = Question(
    "station:backward",
    CHOICE,
    _p("After `{z}.grad = 1`, in which order does `backward()` call `_backward`?"),
    _backward_explain,
    options=(
        Option("zm", _p("{z} first, then {m} (the leaves {x} and {y} have nothing to pass on)")),
        Option(
            "mz",
            _p("{m} first, then {z}: the order they were computed in"),
            _p("That is the forward order. Backward is its reverse: {z} must send {m} its gradient first."),
        ),
        Option(
            "xy",
            _p("{x} and {y} first: they are the inputs"),
            _p("The leaves come last in reverse topological order, and their _backward does nothing."),
        ),
    ),
)
TRACE = Question(
    "station:trace",
    NUMBER,
    _p("Trace {y}.grad one edge at a time: along the edge into {m} = {x} * {y}, how much gradient does {y} get?"),
    _trace_explain,
    right_number=lambda a: _flow(a, names_of(a).y, names_of(a).m).contribution,
    slips=lambda a, answer: (
        f"{n(answer)} is {a.names[names_of(a).y]}.grad in total, from both edges; this edge sends only part."
        if close_enough(answer, a.graph.nodes[names_of(a).y].grad, TOLERANCE)
        and not close_enough(answer, _flow(a, names_of(a).y, names_of(a).m).contribution, TOLERANCE)
        else ""
    ),
    solved_by="2",
)
STATION_QUESTIONS: dict[str, Question] = {q.id: q for q in (GRAPH, RULES, BACKWARD, TRACE)}


# -- the next lesson's question (asked on its page, about a neuron of its own) -----------------------


def _next_explain(a: Analysis) -> str:
    tanh = neuron.neuron("tanh", neuron.QUESTION_PRE)
    return (
        f"n = w*x + b = {n(a.graph.nodes[a.graph.inputs[a.output][0]].data)} is below 0, so relu's rule sends "
        f"(o.data > 0) * o.grad = 0 to n, and w.grad = x.data * n.grad = {n(neuron.X)} * 0 = "
        f"{n(neuron.reaching(a)['w'])}. Exactly 0, for any w, x and b that keep n below 0. "
        f"With tanh at the same n, w.grad = {n(neuron.reaching(tanh)['w'])}: "
        "alive (tanh's gradient only fades, and only for large |n|)."
    )


NEXT = Question(
    "station:next",
    NUMBER,
    lambda a: (
        f"A ReLU neuron has pre-activation n = w*x + b = {n(neuron.QUESTION_PRE)}, with x = {n(neuron.X)}. "
        "What gradient reaches w?"
    ),
    _next_explain,
    right_number=lambda a: neuron.reaching(a)["w"],
    solved_by="0",
    program=neuron.program("relu", neuron.QUESTION_PRE),
)


def next_feedback(answer: str | None) -> Feedback:
    return feedback(NEXT, None, answer)


ALL: dict[str, Question] = {**{q.id: q for q in CHECKPOINTS}, **STATION_QUESTIONS, NEXT.id: NEXT}


# -- checking an answer ------------------------------------------------------------------------


def option_text(q: Question, a: Analysis, key: str) -> str:
    option = q.option(key)
    return option.text(a) if option is not None else key


def _check_typed(q: Question, a: Analysis, answer: str) -> Feedback:
    assert q.right_number is not None
    try:
        here, is_formula = entry_number(answer, a)
    except (ExpressionError, ArithmeticError, ValueError) as e:
        return Feedback(True, False, f"Can't read `{answer.strip()}`: {e}.", "", answer)
    right = q.right_number(a)
    if not close_enough(here, right, TOLERANCE):
        slip = q.slips(a, here) if q.slips else ""
        verdict = f"Not quite: your answer is {n(here)} here." + (f" {slip}" if slip else "")
        return Feedback(True, False, verdict, q.explain(a), answer)
    if is_formula:
        for other in other_points(a):
            try:
                theirs, _ = entry_number(answer, other)
            except (ExpressionError, ArithmeticError, ValueError):
                continue
            expected = q.right_number(other)
            if not close_enough(theirs, expected, TOLERANCE):
                where = ", ".join(f"{k} = {n(v)}" for k, v in other.values.items())
                verdict = (
                    f"Right here, but not in general: at {where} `{answer.strip()}` gives {n(theirs)}, "
                    f"and the engine has {n(expected)}."
                )
                return Feedback(True, False, verdict, q.explain(a), answer)
        if q.kind == FORMULA:
            return Feedback(True, True, "Right, here and at other points.", q.explain(a), answer)
    if q.kind == FORMULA:
        return Feedback(
            True, False, f"{n(here)} is the right number here; the question asks for a formula.", q.explain(a), answer
        )
    return Feedback(True, True, "Right.", q.explain(a), answer)


def on_the_example(a: Analysis) -> Analysis:
    """The example's program (`a`, of the example's shape) at the example's own values, x = 2 and y = 3.

    The questions are about the lesson's example: a value nudged in the sidebar must not un-grade an answer
    given for it (with x = 2.5, `=` would leave y.grad = 2.5, but the question was answered, rightly, with 2).
    A fresh analysis: a shared one could be read by one session while another's Bug lab run changes its grads.
    """
    if a.values == EXAMPLE_VALUES:
        return a
    return analyse(a.program.text, EXAMPLE_VALUES)


def feedback(q: Question, a: Analysis | None, answer: str | None) -> Feedback:
    """What the learner sees under a question: right or not, and why, in the example's numbers (on_the_example).

    `a`: the lesson's example (at the learner's values); a question about a program of its own reads that."""
    a = analyse(q.program) if q.program else on_the_example(a)
    if answer is None or not answer.strip():
        return Feedback(False, False, "", "")
    if q.kind == CHOICE:
        option = q.option(answer)
        if option is None:
            return Feedback(True, False, "That is not one of the choices: pick one.", "", answer)
        shown = option.text(a)
        if option.why is None:
            return Feedback(True, True, "Right.", q.explain(a), shown)
        return Feedback(True, False, f"Not quite. {option.why(a)}", q.explain(a), shown)
    return _check_typed(q, a, answer)


def is_right(question_id: str, a: Analysis, answers: Mapping[str, str]) -> bool:
    return feedback(ALL[question_id], a, answers.get(question_id)).right


def checkpoint_score(a: Analysis, answers: Mapping[str, str]) -> tuple[int, int]:
    """(right, answered) over the checkpoint questions."""
    a = on_the_example(a)
    results = [feedback(q, a, answers.get(q.id)) for q in CHECKPOINTS]
    return sum(r.right for r in results), sum(r.answered for r in results)
