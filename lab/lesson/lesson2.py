"""Lesson 2: a nonlinearity in your own Value, how gradient flow dies, and the leap to training.

Written in the same records as lesson 1 (lab/lesson/records.py): each station is one record with how
it is marked done beside it, each question holds its options and feedback. The numbers come from the
engine (the lecture's neuron, micrograd's own example: x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8814,
o = tanh(x1*w1 + x2*w2 + b) = 0.7071) and from lab/model/training.py's loop; the learner's own code is
checked by lab/implement/lesson2.py. Scalars only, no NumPy: the lesson's own guardrail.
"""

from __future__ import annotations

import math

from lab.implement import lesson2 as implement_lesson2
from lab.implement.lesson2 import Lesson2Report
from lab.implement.results import Report
from lab.lesson import takeaway
from lab.lesson.questions import CHOICE, NUMBER, Option, Question
from lab.lesson.records import Done, Lesson, Seen, Station, question_done
from lab.lesson.solution import LESSON2_SOLUTION
from lab.model import training
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.presets import PRESETS
from lab.views import by_hand

n = format_number

NEURON = PRESETS["neuron"].program  # micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b)
IMPLEMENT_PAGE = "app_pages/implement.py"
BY_HAND_PAGE = "app_pages/by_hand.py"
FLOW_PAGE = "app_pages/flow.py"
NEXT_PAGE = "app_pages/next_lesson.py"
TAKEAWAY = "lesson2:takeaway"  # lesson 2's takeaway, kept among the work's answers under this key

# the neuron by hand, as a learner would write it (formulas in the variables, or the numbers)
HAND_RIGHT = {
    "value": "tanh(x1*w1 + x2*w2 + b)",
    "grad:x1": "-1.5",
    "grad:w1": "1",
    "grad:x2": "0.5",
    "grad:w2": "0",
    "grad:b": "0.5",
}


def _node(a: Analysis, name: str):
    return a.graph.nodes[a.variables[name]] if name in a.variables else a.graph.nodes[a.names.index(name)]


# -- the questions --------------------------------------------------------------------------------


def _slope_prompt(a: Analysis) -> str:
    return (
        f"o = tanh(n) with n = {n(_node(a, 'n').data)}, so o = {n(a.graph.nodes[a.output].data)}. "
        "What is the local derivative do/dn there?"
    )


def _slope(a: Analysis) -> float:
    o = a.graph.nodes[a.output].data
    return 1 - o * o


def _slope_explain(a: Analysis) -> str:
    o = a.graph.nodes[a.output].data
    return (
        f"d tanh(n)/dn = 1 - tanh(n)² = 1 - o² = 1 - {n(o)}² = {n(1 - o * o)}. It is written with the output o, "
        "which the forward pass already has: tanh's `_backward` is `self.grad += (1 - t**2) * out.grad`."
    )


def _slope_slips(a: Analysis, number: float) -> str:
    x, o = _node(a, "n").data, a.graph.nodes[a.output].data
    if math.isclose(number, 1 - x * x, rel_tol=1e-3):
        return "That is 1 - n²: the slope is 1 - o², with o = tanh(n), the output."
    if math.isclose(number, o, rel_tol=1e-3):
        return "That is o itself, tanh's value: the question asks for its slope."
    return ""


SLOPE = Question(
    "lesson2:slope",
    NUMBER,
    _slope_prompt,
    _slope_explain,
    right_number=_slope,
    slips=_slope_slips,
    solved_by="0.5",
    program=NEURON,
)


def _dead_explain(a: Analysis) -> str:
    n_value = _node(a, "n").data
    return (
        f"n = w*x + b = {n(n_value)} is below 0: relu's output is 0 there, and flat, so its rule sends "
        "(o.data > 0) * o.grad = 0 to n, and w.grad = x.data * n.grad = 0. Exactly 0: gradient descent cannot "
        "move w or b, and the neuron stays dead for every input that keeps n below 0."
    )


DEAD = Question(
    "lesson2:dead",
    NUMBER,
    lambda a: (
        f"A ReLU neuron: x = {n(_node(a, 'x').data)}, w = {n(_node(a, 'w').data)}, "
        f"b = {n(_node(a, 'b').data)}, o = relu(w*x + b). What gradient reaches w?"
    ),
    _dead_explain,
    right_number=lambda a: _node(a, "w").grad,
    slips=lambda a, number: (
        "That is x: it is what w.grad would be if relu passed the gradient on."
        if math.isclose(number, _node(a, "x").data)
        else ""
    ),
    solved_by="0",
    program=training.DYING["relu"],
)


def _saturated_w(a: Analysis) -> str:
    return n(_node(a, "w").grad)


SATURATED = Question(
    "lesson2:saturated",
    CHOICE,
    lambda a: (
        f"A tanh neuron with n = w*x + b = {n(_node(a, 'n').data)}: o = {n(a.graph.nodes[a.output].data)}. "
        "What happens to the gradient that reaches w?"
    ),
    lambda a: (
        f"1 - o² = {n(1 - a.graph.nodes[a.output].data ** 2)}, so w.grad = x * (1 - o²) = {_saturated_w(a)}: "
        "not 0, but so small that a step of gradient descent hardly moves w. tanh's gradient fades; "
        "relu's stops."
    ),
    options=(
        Option("nearly", lambda a: "It is nearly 0: the neuron learns very slowly."),
        Option(
            "exactly",
            lambda a: "It is exactly 0: the neuron is dead.",
            lambda a: f"Not exactly: w.grad = {_saturated_w(a)}. tanh is never perfectly flat; relu below 0 is.",
        ),
        Option(
            "one",
            lambda a: "It is about x: tanh passes it on.",
            lambda a: (
                f"tanh is almost flat out here (1 - o² = {n(1 - a.graph.nodes[a.output].data ** 2)}): "
                "it passes on almost nothing."
            ),
        ),
    ),
    program=training.DYING["tanh"],
)


def _step_numbers() -> dict[str, float]:
    return training.first_step(training.FIT)


def _step_prompt(a: Analysis) -> str:
    s, fit = _step_numbers(), training.FIT
    return (
        f"One step of gradient descent: w = {n(fit.w)}, the loss's w.grad = {n(s['w.grad'])}, "
        f"learning rate lr = {n(fit.lr)}. What is w after the step?"
    )


def _step_explain(a: Analysis) -> str:
    s, fit = _step_numbers(), training.FIT
    return (
        f"w ← w − lr · w.grad = {n(fit.w)} − {n(fit.lr)} · ({n(s['w.grad'])}) = {n(s['w'])}. "
        "w.grad says which way the loss grows, so the step goes against it, and lr says how far."
    )


def _step_slips(a: Analysis, number: float) -> str:
    s, fit = _step_numbers(), training.FIT
    if math.isclose(number, fit.w + fit.lr * s["w.grad"], rel_tol=1e-3):
        return "That is w + lr · w.grad: a step up the loss. Step against the gradient."
    if math.isclose(number, fit.w - s["w.grad"], rel_tol=1e-3):
        return "That is w − w.grad: the step is lr times the gradient."
    return ""


STEP = Question(
    "lesson2:step",
    NUMBER,
    _step_prompt,
    _step_explain,
    right_number=lambda a: _step_numbers()["w"],
    slips=_step_slips,
    solved_by=repr(training.first_step(training.FIT)["w"]),
    program=NEURON,
)

QUESTIONS = (SLOPE, DEAD, SATURATED, STEP)


# -- how each station is marked done -------------------------------------------------------------


def report_of(seen: Seen) -> Lesson2Report | None:
    found = seen.runs.get("lesson2")
    return found if isinstance(found, Lesson2Report) else None


def _checks_done(keys: tuple[str, ...], what: str):
    def done(seen: Seen) -> Done:
        report = report_of(seen)
        if report is None:
            return False, f"run your code on Implement it to check {what}"
        if report.problem:
            return False, "your code stops before it can be checked: see Implement it"
        checks = [c for c in report.checks if c.key.split(":")[0] in keys]
        passed = sum(c.status == "pass" for c in checks)
        if checks and passed == len(checks):
            return True, f"{what}: " + ("its check passes" if len(checks) == 1 else f"all {len(checks)} checks pass")
        waiting = next((c for c in checks if c.status == "wait"), None)
        if waiting is not None and not any(c.status == "fail" for c in checks):
            return False, f"{what}: {waiting.message}"
        return False, f"{what}: {passed} of {len(checks)} checks pass"

    return done


def neuron_check(seen: Seen) -> by_hand.HandCheck:
    return by_hand.check(analyse(NEURON), seen.work.hand, seen.work.tolerance)


def _neuron_by_hand(seen: Seen) -> Done:
    check = neuron_check(seen)
    required = [c for c in check.checks if c.row.required]
    matching = sum(1 for c in required if c.status == by_hand.PASS)
    if check.verdict_kind == "success":
        return True, f"your {len(required)} answers match the engine"
    return False, f"{matching} of {len(required)} entered and matching"


def _dies(seen: Seen) -> Done:
    right = [question_done(q, q.id)(seen)[0] for q in (DEAD, SATURATED)]
    return all(right), f"{sum(right)} of 2 questions right"


def _written(seen: Seen) -> Done:
    text = seen.work.answers.get(TAKEAWAY, "")
    count = takeaway.count_sentences(text)
    return takeaway.is_done(text), f"{count} sentence{'s' if count != 1 else ''} (3 to 5 asked)"


def check_code(code: str, implemented: Report | None) -> dict[str, object]:
    """Lesson 2's checks of the learner's code, for `Seen.runs`; its training loop waits for lesson 1's checks
    (Implement it's own report of the same code)."""
    return {"lesson2": implement_lesson2.check(code, lesson1_ok=implemented is not None and implemented.passed)}


LESSON = Lesson(
    id="lesson2",
    title="When gradients die, and the leap to training",
    example=NEURON,
    check_code=check_code,
    stations=(
        Station(
            key="l2:nonlin",
            title="tanh and ReLU in your own `Value`",
            short="tanh, relu",
            todo="Add `tanh()` and `relu()` to your class from lesson 1, each with its `_backward`: the slope times "
            "out.grad, with `+=`. Each rule is checked on its own, by calling that `_backward` directly.",
            done=_checks_done(("tanh", "relu"), "tanh() and relu()"),
            solved_by={"code": LESSON2_SOLUTION},
            page=IMPLEMENT_PAGE,
            page_label="Implement it",
            needs_example=False,
        ),
        Station(
            key="l2:slope",
            title="tanh's slope, by hand",
            short="Slope",
            todo="Before any code shows it: work out tanh's local derivative at the neuron's n, from its output o.",
            question=SLOPE,
            done=question_done(SLOPE, "tanh's slope"),
            needs_example=False,
        ),
        Station(
            key="l2:neuron",
            title="By hand first: a neuron",
            short="Neuron",
            todo="The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b). Work out o and the gradient of each input and "
            "weight on paper, then type them in on “By hand”: the engine's numbers stay hidden until you have.",
            done=_neuron_by_hand,
            solved_by={"hand": HAND_RIGHT},
            page=BY_HAND_PAGE,
            page_label="By hand",
        ),
        Station(
            key="l2:dies",
            title="How gradient flow dies",
            short="Dying",
            todo="A ReLU pushed below 0 passes back exactly 0; a tanh driven far out passes back almost nothing. "
            "Answer both questions, then see it with your own class and step through it on Watch it flow.",
            done=_dies,
            solved_by={"answers": {DEAD.id: DEAD.solved_by, SATURATED.id: SATURATED.solved_by}},
            needs_example=False,
        ),
        Station(
            key="l2:step",
            title="One step of gradient descent, by hand",
            short="One step",
            todo="Training is this step, again and again: w ← w − lr · w.grad. Work one out.",
            question=STEP,
            done=question_done(STEP, "one step"),
            needs_example=False,
        ),
        Station(
            key="l2:train",
            title="Train a neuron with your own `Value`",
            short="Train",
            todo="Write `train(w, b, points, lr, steps)`: build the loss, set the grads back to 0, backward(), step. "
            "Your loop runs in the sandbox on your class and its losses are set beside the engine's.",
            done=_checks_done(("train",), "your train()"),
            solved_by={"code": LESSON2_SOLUTION},
            page=IMPLEMENT_PAGE,
            page_label="Implement it",
            needs_example=False,
        ),
        Station(
            key="l2:takeaway",
            title="The takeaway",
            short="Takeaway",
            todo="Write 3 to 5 sentences: what surprised you, what felt simpler than expected, what still feels "
            "fuzzy. Then download your report.",
            done=_written,
            solved_by={"answers": {TAKEAWAY: "Relu can die. Tanh fades. The grads must be reset every step."}},
            needs_example=False,
        ),
    ),
)
