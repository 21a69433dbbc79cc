"""Lesson 2 on Implement it: `tanh()` and `relu()` in the learner's own Value, and their own training loop.

Each check tests one part with the rest out of the way, as a unit test does: a method's rule is judged
by calling that one `out._backward()` directly, with out.grad = 2 (so a missing `* out.grad` shows),
never through the learner's `backward()`; `+=` by two results built from one input; the training loop
by the losses it returns, set beside the engine's own loop and each classic slip of a loop
(lab/model/training.py). A check whose part depends on a part that failed waits for it.

The learner's code runs only in the sandbox (sandbox/child.py's `probe_method` and `run_training`),
after the same whitelist as every run (sandbox/code_reader.py).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ExpressionError
from engine.parser import parse_program
from lab.implement.graphs import steps_of
from lab.model import training
from lab.model.analysis import format_number
from sandbox import code_reader, runner

PASS, FAIL, WAIT = "pass", "fail", "wait"
OUT_GRAD = 2.0  # out.grad when a rule is called alone: not 1, so a missing `* out.grad` shows
SECOND_GRAD = 3.0  # the second result's grad when one input is used twice
TANH_AT = (0.5, -1.0, 2.0)
RELU_AT = (2.0, -1.0, 0.0)  # above 0, below 0, and exactly 0 (where the convention speaks)
METHODS = ("tanh", "relu")
TRAIN_SETUP = training.FIT
CLOSE = 1e-9

n = format_number

METHOD_SKELETONS = {
    "tanh": """\
    def tanh(self):
        t = math.tanh(self.data)
        # make out, remembering (self,) and 'tanh'
        # then its _backward: d tanh(n)/dn = 1 - t**2, times out.grad
        ...
""",
    "relu": """\
    def relu(self):
        # make out: self.data when it is above 0, else 0, remembering (self,) and 'relu'
        # then its _backward: the slope is 1 above 0 and 0 below, times out.grad
        ...
""",
}
TRAIN_SKELETON = """\

def train(w, b, points, lr, steps):
    # fit o = tanh(w*x + b) to the points: the loss is the sum of (o - y)**2 over the points
    # (numbers as Values: w * Value(x); and your Value has no `-`: d = o + Value(-y), then d * d)
    # each step: build the loss, set w.grad and b.grad back to 0, loss.backward(),
    # then move w and b a step of lr against their gradient
    losses = []
    for step in range(steps):
        ...
        losses.append(loss.data)
    return losses
"""


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    status: str  # PASS, FAIL or WAIT
    message: str
    line: int | None = None


@dataclass(frozen=True)
class Lesson2Report:
    problem: str | None  # refused or failed before any check: in the learner's words, with the line
    problem_line: int | None
    checks: tuple[Check, ...]
    losses: tuple[float | None, ...]  # the learner's losses, for the plot (empty when not run)
    output: str = ""
    dying: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)  # activation -> w, x, b grads

    @property
    def all_pass(self) -> bool:
        return self.problem is None and bool(self.checks) and all(c.status == PASS for c in self.checks)

    def passed(self, key: str) -> bool:
        return any(c.key == key and c.status == PASS for c in self.checks)


# -- the learner's code, where things are ---------------------------------------------------------


def _class_value(tree: ast.Module) -> ast.ClassDef | None:
    return next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == "Value"), None)


def _function(body: Sequence[ast.stmt], name: str) -> ast.FunctionDef | None:
    return next((s for s in body if isinstance(s, ast.FunctionDef) and s.name == name), None)


def _grad_line(method: ast.FunctionDef | None) -> int | None:
    """The line that adds to a grad inside the method's nested `_backward` (else the method's first line)."""
    if method is None:
        return None
    for node in ast.walk(method):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, (ast.Assign, ast.AugAssign)) and any(
            isinstance(t, ast.Attribute) and t.attr == "grad" and node is not method for t in targets
        ):
            return node.lineno
    return method.lineno


def _record_line(method: ast.FunctionDef | None) -> int | None:
    """The line that makes `out` (a call of Value) in the method."""
    if method is None:
        return None
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value":
            return node.lineno
    return method.lineno


def _backward_call_line(train: ast.FunctionDef | None) -> int | None:
    if train is None:
        return None
    for node in ast.walk(train):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "backward":
            return node.lineno
    return train.lineno


def _step_line(train: ast.FunctionDef | None) -> int | None:
    """The line that moves a weight: an update of `.data` inside train."""
    if train is None:
        return None
    for node in ast.walk(train):
        target = node.target if isinstance(node, ast.AugAssign) else None
        if isinstance(node, ast.Assign):
            target = node.targets[0]
        if isinstance(target, ast.Attribute) and target.attr == "data":
            return node.lineno
    return train.lineno


@dataclass(frozen=True)
class Places:
    methods: Mapping[str, ast.FunctionDef | None]
    train: ast.FunctionDef | None

    @classmethod
    def of(cls, tree: ast.Module) -> Places:
        value = _class_value(tree)
        body = value.body if value is not None else []
        return cls({m: _function(body, m) for m in METHODS}, _function(tree.body, "train"))


# -- lesson 2's skeleton, added to the learner's own class -----------------------------------------


def with_skeleton(code: str) -> str:
    """The learner's code with lesson 2's parts added where they go: `tanh` and `relu` at the end of their
    class Value (each only if it is not there yet), `train` at the end of the file, `import math` at the top."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    value = _class_value(tree)
    if value is None:
        return code
    lines = code.splitlines()
    places = Places.of(tree)
    methods = "".join("\n" + METHOD_SKELETONS[m] for m in METHODS if places.methods[m] is None)
    end = value.end_lineno or len(lines)
    lines[end:end] = methods.rstrip("\n").split("\n") if methods else []
    text = "\n".join(lines).rstrip("\n") + "\n"
    if places.train is None:
        text += TRAIN_SKELETON
    if not any(isinstance(s, ast.Import) and any(a.name == "math" for a in s.names) for s in tree.body):
        text = "import math\n\n" + text
    return text


# -- the checks -------------------------------------------------------------------------------------


def _close(mine: float | None, expected: float, within: float = CLOSE) -> bool:
    return mine is not None and math.isfinite(mine) and abs(mine - expected) <= within * max(1.0, abs(expected))


def _tanh_grad(x: float, out_grad: float = OUT_GRAD) -> float:
    t = math.tanh(x)
    return (1 - t * t) * out_grad


def _relu_grad(x: float, out_grad: float = OUT_GRAD) -> float:
    return out_grad if x > 0 else 0.0  # the engine's convention: (out.data > 0), so 0 at exactly 0


EXPECTED = {"tanh": (TANH_AT, _tanh_grad), "relu": (RELU_AT, _relu_grad)}


def _recording(name: str, facts: Mapping[str, Any], line: int | None) -> Check:
    title = f"`{name}()` records its input in `out._prev` and its `_op`"
    if facts.get("missing"):
        return Check(f"{name}:record", title, FAIL, f"your Value has no `{name}()` yet: add it to the class", None)
    if facts.get("not_value"):
        return Check(f"{name}:record", title, FAIL, f"`{name}()` returned a {facts['not_value']}: return out", line)
    first = (facts.get("alone") or [{}])[0]
    if "error" in facts and not facts.get("alone"):
        return Check(f"{name}:record", title, FAIL, _error_words(facts["error"]), facts["error"].get("line") or line)
    if not first.get("prev_has") or first.get("prev_size") != 1:
        return Check(
            f"{name}:record",
            title,
            FAIL,
            f"`out._prev` should hold the one input: write `Value(..., (self,), '{name}')`",
            line,
        )
    if not first.get("op"):
        return Check(f"{name}:record", title, FAIL, f"`out._op` is empty: give it `'{name}'`", line)
    if not first.get("callable"):
        return Check(f"{name}:record", title, FAIL, f"`{name}()` never sets `out._backward`", line)
    return Check(f"{name}:record", title, PASS, f"`a = Value(x); out = a.{name}()`: out._prev holds a, out._op is set")


def _rule(name: str, facts: Mapping[str, Any], line: int | None) -> Check:
    key, title = f"{name}:rule", f"`{name}()`'s rule alone: `out._backward()` with out.grad = {n(OUT_GRAD)}"
    if "error" in facts:
        return Check(key, title, FAIL, _error_words(facts["error"]), facts["error"].get("line") or line)
    inputs, rule = EXPECTED[name]
    notes = []
    for x, got in zip(inputs, facts.get("alone", []), strict=False):
        mine, right = got.get("grad"), rule(x)
        if _close(mine, right):
            continue
        if name == "relu" and x == 0 and _close(mine, OUT_GRAD):
            notes.append(
                "at exactly 0 your rule sends the gradient on (a slope of 1 there); the engine's convention is "
                "`out.data > 0`, so 0 at 0. Both are fair choices at the kink: nothing else depends on it."
            )
            continue
        return Check(key, title, FAIL, _rule_slip(name, x, mine, right), line)
    words = "at " + ", ".join(f"x = {n(x)}" for x in inputs) + ": a.grad is the slope times out.grad"
    return Check(key, title, PASS, " ".join([words, *notes]))


def _rule_slip(name: str, x: float, mine: float | None, right: float) -> str:
    """What a wrong a.grad most likely is, in the lesson's words."""
    base = f"`a = Value({n(x)}); out = a.{name}(); out.grad = {n(OUT_GRAD)}; out._backward()` gave a.grad = {n(mine)}"
    if mine is None:
        return f"{base}: not a number"
    if name == "tanh":
        t = math.tanh(x)
        if _close(mine, (1 - x * x) * OUT_GRAD):
            return (
                f"{base}, which is `(1 - x**2) * out.grad`: the slope of tanh is `1 - t**2` with t = tanh(x) = {n(t)}"
            )
        if _close(mine, 1 - t * t):
            return f"{base}: the slope `1 - t**2` = {n(1 - t * t)} is right, but it is not multiplied by `out.grad`"
        if _close(mine, OUT_GRAD * t):
            return f"{base}, which is `t * out.grad`: the slope is `1 - t**2`, not t"
        return f"{base}; the rule gives `(1 - t**2) * out.grad` = {n(right)}"
    if x < 0 and _close(mine, OUT_GRAD):
        return f"{base}: below 0 relu's output is flat (0 for every nearby input), so its slope there is 0"
    if x > 0 and _close(mine, 1.0):
        return f"{base}: the slope 1 is right, but it is not multiplied by `out.grad`"
    return f"{base}; the rule gives `(out.data > 0) * out.grad` = {n(right)}"


def _twice(name: str, facts: Mapping[str, Any], line: int | None) -> Check:
    key, title = f"{name}:twice", f"`+=` in `{name}()`: one input used by two results gets both"
    x = EXPECTED[name][0][0]
    slope = EXPECTED[name][1](x, 1.0)
    mine, right = facts.get("twice"), slope * (OUT_GRAD + SECOND_GRAD)
    if _close(mine, right):
        return Check(key, title, PASS, f"a.grad = {n(slope)} * {n(OUT_GRAD)} + {n(slope)} * {n(SECOND_GRAD)}")
    if _close(mine, slope * SECOND_GRAD):
        return Check(
            key,
            title,
            FAIL,
            f"a.grad = {n(mine)}: only the second result's share. Write `self.grad += ...`, not `=`",
            line,
        )
    return Check(key, title, FAIL, f"a.grad = {n(mine)} after both rules; they add up to {n(right)}", line)


def _training(result: Mapping[str, Any], places: Places) -> Check:
    key, title = "train", "your `train()`: gradient descent on o = tanh(w*x + b)"
    setup = TRAIN_SETUP
    line = places.train.lineno if places.train else None
    if result.get("missing"):
        return Check(key, title, FAIL, "there is no function `train(w, b, points, lr, steps)` yet", None)
    if "error" in result:
        return Check(key, title, FAIL, _error_words(result["error"]), result["error"].get("line") or line)
    if result.get("not_list"):
        return Check(key, title, FAIL, f"train() returned a {result['not_list']}: return the list of losses", line)
    kinds = result.get("kinds", [])
    if any(k == "object" for k in kinds):
        return Check(key, title, FAIL, "the list holds Values: append `loss.data`, the number, not `loss`", line)
    losses = [x for x in result.get("losses", [])]
    if len(losses) != setup.steps or None in losses:
        return Check(
            key, title, FAIL, f"train() gave {result.get('length', len(losses))} losses for {setup.steps} steps", line
        )
    right, slip = training.diagnose(losses, setup)
    start = f"the loss went from {n(losses[0])} to {n(losses[-1])} in {setup.steps} steps"
    if right:
        return Check(key, title, PASS, f"{start}: the engine's own loop gives the same numbers")
    if slip is training.Slip.NO_ZERO:
        name, why = training.SLIP_WORDS[slip]
        return Check(key, title, FAIL, f"{start}: {name}. {why}", _backward_call_line(places.train))
    if slip is training.Slip.UPHILL:
        name, why = training.SLIP_WORDS[slip]
        return Check(key, title, FAIL, f"{start}: {name}. {why}", _step_line(places.train))
    engine = training.train(setup).losses
    first_off = next(
        i for i, (a, b) in enumerate(zip(losses, engine, strict=True)) if not training.same_losses([a], [b])
    )
    return Check(
        key,
        title,
        FAIL,
        f"{start}; from step {first_off} on they differ from the engine's loop ({n(losses[first_off])} where it "
        f"has {n(engine[first_off])}). Print w.grad and b.grad in the loop and compare with one step by hand.",
        line,
    )


def _error_words(error: Mapping[str, Any]) -> str:
    kind, message, line = error.get("kind", "Error"), error.get("message", ""), error.get("line")
    where = f"line {line}: " if line else ""
    return f"{where}{kind}: {message}" if message else f"{where}{kind}"


def _waiting(key: str, title: str, until: str) -> Check:
    return Check(key, title, WAIT, f"not checked until {until} passes")


def check(code: str, lesson1_ok: bool = True) -> Lesson2Report:
    """Read, run and check lesson 2's parts of the learner's code (blocks while the runners are busy).

    `lesson1_ok`: lesson 1's checks of the same code pass; the training loop runs on `+`, `*` and backward(),
    so until they do it waits for them instead of blaming the loop."""
    try:
        tree = code_reader.check(code)
    except ExpressionError as e:
        line = getattr(e, "line", None)
        return Lesson2Report(f"line {line}: {e}" if line else str(e), line, (), ())
    places = Places.of(tree)
    job = {
        "code": code,
        "methods": list(METHODS),
        "method_inputs": {name: list(EXPECTED[name][0]) for name in METHODS},
        "train": {
            "w": TRAIN_SETUP.w,
            "b": TRAIN_SETUP.b,
            "points": [list(p) for p in TRAIN_SETUP.points],
            "lr": TRAIN_SETUP.lr,
            "steps": TRAIN_SETUP.steps,
        },
    }
    job["graphs"] = [
        {"key": activation, "steps": steps_of(parse_program(program)), "capture": False, "record": False}
        for activation, program in training.DYING.items()
    ]
    try:
        outcome = runner.run_job(job)
    except runner.RunFailed as e:
        return Lesson2Report(f"your code could not be run: {e}", None, (), ())
    result = outcome.result
    output = str(result.get("output", ""))
    if result.get("problem"):
        problem = result["problem"]
        return Lesson2Report(_error_words(problem), problem.get("line"), (), (), output)
    results: dict[str, Any] = {name: result.get("methods", {}).get(name, {"missing": True}) for name in METHODS}
    results["train"] = result.get("train", {"missing": True})
    checks: list[Check] = []
    for name in METHODS:
        method = places.methods[name]
        record = _recording(name, results[name], _record_line(method))
        checks.append(record)
        rule_title = f"`{name}()`'s rule alone: `out._backward()` with out.grad = {n(OUT_GRAD)}"
        twice_title = f"`+=` in `{name}()`: one input used by two results gets both"
        if record.status != PASS:
            checks.append(_waiting(f"{name}:rule", rule_title, f"`{name}()` records its input"))
            checks.append(_waiting(f"{name}:twice", twice_title, f"`{name}()`'s rule"))
            continue
        rule = _rule(name, results[name], _grad_line(method))
        checks.append(rule)
        if rule.status != PASS:
            checks.append(_waiting(f"{name}:twice", twice_title, f"`{name}()`'s rule alone"))
        else:
            checks.append(_twice(name, results[name], _grad_line(method)))
    tanh_ok = all(c.status == PASS for c in checks if c.key.startswith("tanh:"))
    losses: tuple[float | None, ...] = ()
    train_title = "your `train()`: gradient descent on o = tanh(w*x + b)"
    if not lesson1_ok:
        checks.append(_waiting("train", train_title, "every check of lesson 1 (`+`, `*` and backward())"))
    elif not tanh_ok:
        checks.append(_waiting("train", train_title, "`tanh()`"))
    else:
        train = results.get("train", {"missing": True})
        checks.append(_training(train, places))
        losses = tuple(train.get("losses") or ())
    dying = {activation: _leaf_grads(result.get("graphs", {}).get(activation, {})) for activation in training.DYING}
    return Lesson2Report(None, None, tuple(checks), losses, output, dying)


def _leaf_grads(graph: Mapping[str, Any]) -> dict[str, float | None]:
    """The grads the learner's own backward() left on w, x and b ({} when their class could not build it)."""
    nodes = graph.get("nodes") or []
    return {node.get("label"): node.get("grad") for node in nodes if node.get("label") in ("w", "x", "b")}
