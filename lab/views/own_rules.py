"""Write the rules yourself: the learner's backward rules run on the expression beside the engine.

The rules are read by engine/rule_reader.py (a whitelist over `ast`, nothing is run as Python)
and swapped into the engine's own backward loop for one run (`engine.trace.backward_steps` with
`rules=`): the engine's shared BACKWARD_RULES table is never touched, so every other learner on
the server keeps the engine's rules. This module compares the gradients, names the usual
mistakes with the numbers that show them, and finds an expression that shows a mistake the
current one hides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from engine import operators
from engine import rule_reader as rr
from engine.derivatives import DERIVATIVES
from engine.errors import ExpressionError
from engine.trace import BackwardStep, backward_steps, grads_at
from lab.model import mistakes
from lab.model.analysis import Analysis, analyse, differs, format_number, gradient_scale
from lab.model.explain import backward_sentence, local_text, op_expression
from lab.model.presets import PRESETS

n = format_number
OPERATORS: list[str] = operators.names()  # every operator of engine/operators.py, in the order the page offers them
LESSON_OPERATORS = ("+", "*")
# the lesson's definition of done: the learner's + and * rules give the engine's gradients on these
DONE_PRESETS = ("lesson", "neuron", "micrograd")


def label(op: str) -> str:
    return operators.OPERATORS[op].label


def forward_line(op: str) -> str:
    """`out = self * other`, `out = tanh(self)`: what the rule's names stand for."""
    names = {"self.data": "self", "other.data": "other"}
    return f"out = {rr.formula_text(rr.forward_formula(op), names)}"


def template(op: str) -> str:
    """The blank form of a rule (shown greyed in the empty box): one line per input, no answer."""
    return "\n".join(f"{name}.grad += ..." for name in DERIVATIVES[op].inputs)


# -- reading the learner's rules -------------------------------------------------------------------


@dataclass(frozen=True)
class ReadRules:
    rules: dict[str, rr.LearnerRule]  # operator -> the learner's rule, for those that read
    errors: dict[str, str]  # operator -> why its text is not a rule (markdown)
    verdicts: dict[str, tuple[rr.LineVerdict, ...]]  # operator -> right, or which mistake, per line

    def right(self, op: str) -> bool:
        return op in self.verdicts and all(v.right for v in self.verdicts[op])


def read_rules(texts: Mapping[str, str]) -> ReadRules:
    """Read every rule the learner wrote; a text that is not a rule gets a message instead."""
    rules: dict[str, rr.LearnerRule] = {}
    errors: dict[str, str] = {}
    verdicts: dict[str, tuple[rr.LineVerdict, ...]] = {}
    for op in OPERATORS:
        text = texts.get(op, "")
        if not text.strip():
            continue
        try:
            rule = rr.read_rule(op, text)
        except ExpressionError as e:
            errors[op] = f"Your {rr.op_label(op)} rule is not read: {e}"
            continue
        rules[op] = rule
        verdicts[op] = mistakes.recognise(rule)
    return ReadRules(rules, errors, verdicts)


# -- running them ------------------------------------------------------------------------------


def _run(a: Analysis, rules: Mapping[str, rr.LearnerRule]) -> tuple[list[BackwardStep], tuple[float, ...]]:
    """The backward pass with `rules` swapped in, and every node's grad after it.

    The run leaves its grads in the nodes; the engine's are put back afterwards, because every
    other page reads node.grad from the same graph.
    """
    nodes = a.graph.nodes
    correct = grads_at(a.graph, a.steps, len(a.steps) - 1)
    try:
        steps = backward_steps(a.graph, rules=dict(rules))
        grads = tuple(node.grad for node in nodes)
    finally:
        for node, grad in zip(nodes, correct, strict=True):
            node.grad = grad
    return steps, grads


def learner_steps(a: Analysis, texts: Mapping[str, str]) -> list[BackwardStep]:
    """The backward pass of `a` step by step with the learner's rules where written (the engine's
    for the rest): the same shape as `Analysis.steps`, for "Watch gradients flow".

    A rule that cannot be computed at a node records why in that step's `failed`.
    """
    return _run(a, read_rules(texts).rules)[0]


@dataclass(frozen=True)
class Comparison:
    """The expression backpropagated with the learner's rules beside the engine, node by node."""

    analysis: Analysis
    read: ReadRules
    steps: list[BackwardStep]  # the pass with the learner's rules
    learner: tuple[float, ...]  # each node's grad with the learner's rules
    engine: tuple[float, ...]  # each node's grad from the engine
    wrong: tuple[int, ...]  # nodes whose grad differs
    failed: dict[int, str]  # node -> why the learner's rule could not be computed there
    used: tuple[str, ...]  # operators the expression uses, in the page's order
    own: tuple[str, ...]  # of those, the ones that ran the learner's rule

    @property
    def all_right(self) -> bool:
        return not self.wrong and not self.failed


def compare(a: Analysis, texts: Mapping[str, str] | ReadRules) -> Comparison:
    read = texts if isinstance(texts, ReadRules) else read_rules(texts)
    steps, learner = _run(a, read.rules)
    engine = tuple(grads_at(a.graph, a.steps, len(a.steps) - 1))
    scale = gradient_scale(engine)
    wrong = tuple(i for i in range(len(a.graph)) if differs(engine[i], learner[i], scale))
    failed = {s.node: s.failed for s in steps if s.failed}
    ops = {node._op for node in a.graph.nodes if node._prev}
    used = tuple(op for op in OPERATORS if op in ops)
    own = tuple(op for op in used if op in read.rules)
    return Comparison(a, read, steps, learner, engine, wrong, failed, used, own)


RIGHT_MARK, WRONG_MARK, FAILED_MARK = "✓", "✗", "✗ error"


def comparison_table(c: Comparison) -> pd.DataFrame:
    """node, formula, rule (whose rule made it), your grad, engine's grad, right?"""
    a = c.analysis
    wrong = set(c.wrong)
    rows = []
    for i, node in enumerate(a.graph.nodes):
        op = node._op if node._prev else ""
        whose = "" if not op else ("yours" if op in c.read.rules else "engine's")
        mark = RIGHT_MARK
        if i in c.failed:
            mark = FAILED_MARK
        elif i in wrong:
            mark = WRONG_MARK
        rows.append(
            {
                "node": a.names[i],
                "formula": a.formulas[i],
                "its rule": f"{a.op_text(i)} ({whose})" if op else "",
                "your grad": c.learner[i],
                "engine's grad": c.engine[i],
                "right?": mark,
            }
        )
    return pd.DataFrame(rows, columns=["node", "formula", "its rule", "your grad", "engine's grad", "right?"])


def notes(c: Comparison) -> dict[int, str]:
    """A line under each marked node of the diagram."""
    result = {i: f"engine: {n(c.engine[i])}" for i in c.wrong}
    for i in c.failed:
        result[i] = "cannot compute"
    return result


# -- what went wrong, in words, with the numbers ---------------------------------------------------


@dataclass(frozen=True)
class Finding:
    level: str  # "error", "warning", "success", "info"
    text: str  # markdown
    op: str | None = None
    mistake: str | None = None  # the id of a classic mistake (lab/model/mistakes.py): "overwrite", "swapped", ...


_NOT_THE_RULE = "It is not the local derivative times `out.grad`."


def _words(kind: str) -> str:
    """What a wrong line's mistake is, in one sentence: the catalog's words, or that it is not the rule."""
    return mistakes.BY_ID[kind].words if kind in mistakes.BY_ID else _NOT_THE_RULE


def _step_of(steps: Sequence[BackwardStep], node: int) -> BackwardStep | None:
    return next((s for s in steps if s.node == node and s.flows), None)


def _exposing_node(c: Comparison, op: str, slot: int) -> tuple[int, float, float, float] | None:
    """The first node of `op` where the learner's line sends something else than the engine's rule
    would with the same incoming gradient: (node, incoming, learner's, engine's)."""
    a = c.analysis
    for s in c.steps:
        if not s.flows or s.failed or a.graph.nodes[s.node]._op != op:
            continue
        flow = s.flows[slot]
        engine_step = _step_of(a.steps, s.node)
        engine_local = engine_step.flows[slot].local
        engine_sends = engine_local * flow.incoming
        if differs(engine_sends, flow.contribution, gradient_scale(a.grads)):
            return s.node, flow.incoming, flow.contribution, engine_sends
    return None


def _overwrite_why(c: Comparison, op: str) -> str:
    """Why `=` in the learner's `op` rule gives the engine's numbers here, said truly with the numbers.

    `=` and `+=` differ only where the gradient written to already holds something. So either no input
    of an `op` node here is used more than once, or each such input's `op` use fires while its gradient
    is still 0: backward goes from the output, and this use comes first (or the uses before it sent 0).
    """
    a = c.analysis
    rule = c.read.rules[op]
    overwriting = {line.slot for line in rule.lines if line.assign == "="}
    word = rr.op_label(op)
    shared = []  # (step index, flow): an `=` write to a node used more than once
    for k, s in enumerate(c.steps):
        if not s.flows or s.failed or a.graph.nodes[s.node]._op != op:
            continue
        shared += [(k, f) for f in s.flows if f.slot in overwriting and a.graph.uses[f.parent] > 1]
    if not shared:
        inputs = DERIVATIVES[op].inputs
        if len(overwriting) == len(inputs):
            which = f"no input of a {word} node here is used more than once"
        else:
            written = " and ".join(f"`{inputs[slot]}`" for slot in sorted(overwriting))
            which = f"the input your `=` writes ({written}) is used only once at every {word} node here"
        return (
            f"{which}, so each `=` writes to a gradient that holds nothing yet, and `=` and `+=` give the same numbers"
        )
    k, flow = shared[0]
    before = grads_at(a.graph, c.steps, k - 1)[flow.parent] if k > 0 else 0.0
    if before != 0:
        return "the numbers here happen to agree"
    y, out = a.names[flow.parent], a.names[flow.child]
    earlier = [f for s in c.steps[:k] for f in s.flows if f.parent == flow.parent]
    later = [(s, f) for s in c.steps[k + 1 :] for f in s.flows if f.parent == flow.parent]
    if earlier:
        first = (
            f"the uses of {y} that fire before it sent 0 in all, so {y}.grad is still 0 when your rule fires at "
            f"`{out} = {op_expression(a, flow.child)}`"
        )
    else:
        first = (
            f"your {word} rule at `{out} = {op_expression(a, flow.child)}` is the first of its uses to fire "
            f"(backward goes from the output), while {y}.grad is still 0"
        )
    sent = n(flow.contribution)
    added = f"({sent})" if flow.contribution < 0 else sent
    text = (
        f"`{y}` is used {a.graph.uses[flow.parent]} times, but {first}: `{y}.grad = {sent}` "
        f"writes what `{y}.grad += {sent}` would, 0 + {added} = {sent}"
    )
    if later:
        step, other = later[0]
        other_op = a.graph.nodes[step.node]._op
        whose = f"your {rr.op_label(other_op)} rule" if other_op in c.read.rules else "the engine's rule"
        fired = f"`{a.names[step.node]} = {op_expression(a, step.node)}`"
        if len(later) == 1:
            then = f"Its other use, {fired}, fires later and sends {n(other.contribution)} ({whose})"
        else:
            then = f"Its other uses fire later (the next, {fired}, sends {n(other.contribution)} with {whose})"
        text += (
            f". {then}, so {y}.grad ends at {n(c.learner[flow.parent])} either way. "
            f"Where a {word} node fires after another use of its input, `=` throws that gradient away"
        )
    return text


def _line_finding(c: Comparison, op: str, verdict: rr.LineVerdict) -> Finding | None:
    """What one wrong line does on this expression, with the numbers; None if nothing shows here."""
    a = c.analysis
    exposed = _exposing_node(c, op, verdict.slot)
    if exposed is None:
        return None
    node, incoming, got, want = exposed
    step = _step_of(a.steps, node)
    flow = step.flows[verdict.slot]
    out, parent = a.names[node], a.names[flow.parent]
    engine_text = local_text(a, flow)
    engine_symbols = f"{out}.grad" if engine_text == "1" else f"{engine_text} * {out}.grad"
    engine_numbers = n(incoming) if engine_text == "1" else f"{n(flow.local)} * {n(incoming)}"
    text = (
        f"At `{out} = {op_expression(a, node)}` ({out}.grad = {n(incoming)}), your {rr.op_label(op)} rule sends "
        f"{n(got)} to {parent}.grad; the engine's `{engine_symbols}` = {engine_numbers} = {n(want)}. "
        f"Your `{verdict.target}.grad` line: {_words(verdict.kind)}"
    )
    return Finding("error", text, op, verdict.kind)


def _overwrite_finding(c: Comparison, op: str) -> Finding | None:
    """`=` shows where a node used twice ends with only part of its gradient."""
    a = c.analysis
    wrong = set(c.wrong)
    for s in c.steps:
        if not s.flows or a.graph.nodes[s.node]._op != op:
            continue
        for flow in s.flows:
            p = flow.parent
            if p in wrong and a.graph.uses[p] > 1:
                name = a.names[p]
                return Finding(
                    "error",
                    f"`{name}` is used {a.graph.uses[p]} times, so its gradient is the sum of what every use sends: "
                    f"the engine's {name}.grad is {n(c.engine[p])}, yours {n(c.learner[p])}. Your {rr.op_label(op)} "
                    f"rule writes `{name}.grad = ...` (`=` instead of `+=`), which throws away what the other uses "
                    "had already sent. Write `+=`.",
                    op,
                    mistakes.OVERWRITE.id,
                )
    return None


def findings(c: Comparison) -> list[Finding]:
    """What the learner's rules do on this expression: each mistake named, with the numbers that show it."""
    a = c.analysis
    result: list[Finding] = []
    for node, why in c.failed.items():
        op = a.graph.nodes[node]._op
        result.append(
            Finding(
                "error",
                f"At `{a.names[node]} = {op_expression(a, node)}`, your {rr.op_label(op)} rule cannot be computed: "
                f"{why}. Its inputs get no gradient (shown as –).",
                op,
            )
        )
    for op in c.own:
        for verdict in c.read.verdicts[op]:
            if verdict.kind != rr.RIGHT:
                found = _line_finding(c, op, verdict)
                if found:
                    result.append(found)
        if any(v.overwrite for v in c.read.verdicts[op]):
            found = _overwrite_finding(c, op)
            if found:
                result.append(found)
    if c.wrong and not result:
        first = c.wrong[0]
        result.append(
            Finding(
                "error",
                f"{a.names[first]}.grad is {n(c.learner[first])} with your rules, {n(c.engine[first])} with the "
                "engine's. Step through the pass to see where it starts.",
            )
        )
    return result


def without_numbers(found: Sequence[Finding]) -> list[Finding]:
    """The findings while "by hand first" hides this expression's gradients: each mistake named in words, with no
    number of the pass (they would give away the gradients the learner is to work out by hand)."""
    result = []
    for f in found:
        if f.mistake is not None:
            words = _words(f.mistake)
            text = f"Your {rr.op_label(f.op)} rule: {words[:1].lower()}{words[1:]}"
            result.append(Finding(f.level, text, f.op, f.mistake))
        elif f.op is None:  # the gradients that differ, with their numbers
            result.append(Finding(f.level, "Some gradients differ from the engine's with your rules.", None, None))
        else:  # a rule that cannot be computed: said without gradients
            result.append(f)
    return result


@dataclass(frozen=True)
class Hidden:
    """A mistake in a rule that the current expression does not show, and where it would."""

    op: str
    mistake: str
    why: str  # why it does not show here
    program: str | None  # an expression where it shows
    title: str | None


def _candidates(op: str) -> list[tuple[str, str]]:
    """(title, program): the lesson's example and the presets first, then small ones made for `op`."""
    found = [(p.title, p.program) for p in PRESETS.values()]
    inputs = DERIVATIVES[op].inputs
    if len(inputs) == 2:
        body = f"z = 3 * (x {op} y) + x"
    elif op == "**":
        body = "z = 3 * x**3 + x"
    elif op == "neg":
        body = "z = 3 * -x + x"
    else:
        body = f"z = 3 * {op}(x) + x"
    found.append(
        (f"an example made for {label(op)}", f"x = 1.5\ny = 0.5\n{body}" if "y" in body else f"x = 0.5\n{body}")
    )
    return found


@lru_cache(maxsize=256)
def _shows(program: str, op: str, text: str) -> bool:
    """Whether the learner's rule `text` for `op` gives a wrong gradient on `program` (engine's rules elsewhere)."""
    try:
        a = analyse(program)
        c = compare(a, {op: text})
    except (ExpressionError, ArithmeticError, ValueError):
        return False
    return bool(c.wrong)


def hidden_mistakes(c: Comparison, texts: Mapping[str, str], program: str) -> list[Hidden]:
    """Rules that are wrong but give the right numbers here, each with an expression where they would not."""
    result = []
    for op, verdicts in c.read.verdicts.items():
        if all(v.right for v in verdicts):
            continue
        if op in c.used and any(f.op == op for f in findings(c)):
            continue  # it shows here already
        kinds = [v.kind for v in verdicts if v.kind != rr.RIGHT] or [mistakes.OVERWRITE.id]
        kind = kinds[0]
        why = (
            f"your expression does not use {rr.op_label(op)}"
            if op not in c.used
            else _overwrite_why(c, op)
            if kind == mistakes.OVERWRITE.id
            else (mistakes.BY_ID[kind].hides if kind in mistakes.BY_ID else "") or "the numbers here happen to agree"
        )
        suggestion = next(
            (
                (title, prog)
                for title, prog in _candidates(op)
                if prog.strip() != program.strip() and _shows(prog, op, texts[op])
            ),
            (None, None),
        )
        result.append(Hidden(op, kind, why, suggestion[1], suggestion[0]))
    return result


# -- the lesson's definition of done ---------------------------------------------------------------


@dataclass(frozen=True)
class DoneCheck:
    title: str
    right: bool
    wrong: int  # how many nodes differ


@dataclass(frozen=True)
class Done:
    missing: tuple[str, ...]  # of + and *, the rules not written (or not read)
    checks: tuple[DoneCheck, ...]

    @property
    def done(self) -> bool:
        return not self.missing and all(check.right for check in self.checks)


@lru_cache(maxsize=256)
def _done_check(program: str, plus: str, times: str) -> tuple[bool, int]:
    c = compare(analyse(program), {"+": plus, "*": times})
    return c.all_right, len(c.wrong)


def lesson_done(texts: Mapping[str, str]) -> Done:
    """Do the learner's + and * rules give the engine's gradients on the lesson's example and two presets?"""
    return _lesson_done(texts.get("+", ""), texts.get("*", ""))


@lru_cache(maxsize=256)
def _lesson_done(plus: str, times: str) -> Done:  # a frozen result: safe to share between sessions
    texts = {"+": plus, "*": times}
    read = read_rules(texts)
    missing = tuple(op for op in LESSON_OPERATORS if op not in read.rules)
    if missing:
        return Done(missing, ())
    checks = []
    for name in DONE_PRESETS:
        preset = PRESETS[name]
        right, wrong = _done_check(preset.program, texts["+"], texts["*"])
        checks.append(DoneCheck(preset.title, right, wrong))
    return Done((), tuple(checks))


def titles(items: Sequence[str]) -> str:
    """`a, b and c`; a title that starts a sentence ("The lesson's example") is lower-cased inside one."""
    items = [item[0].lower() + item[1:] if item.startswith("The ") else item for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- a step of the learner's pass, in words (for "Watch gradients flow") ------------------------------


def step_sentence(a: Analysis, step: BackwardStep, grads_after: Sequence[float], texts: Mapping[str, str]) -> str:
    """One step of `learner_steps` in words, with the learner's own formula where their rule fired.

    `a = x * y, your rule: x.grad = y.data * a.grad = 3 * 1 = 3; y.grad = x.data * a.grad = 2`
    A step of an operator without a rule of the learner's reads as the engine's (lab.model.explain).
    """
    node = a.graph.nodes[step.node]
    rule = read_rules(texts).rules.get(node._op) if step.flows else None
    if rule is None:
        return backward_sentence(a, step, grads_after)
    out = a.names[step.node]
    head = f"{out} = {op_expression(a, step.node)}, your rule"
    if step.failed:
        return f"{head} cannot be computed here: {step.failed}. Its inputs get no gradient (–)."
    names = {"out.data": f"{out}.data", "out.grad": f"{out}.grad"}
    for name, p in zip(DERIVATIVES[node._op].inputs, a.graph.inputs[step.node], strict=True):
        names[f"{name}.data"] = f"{a.names[p]}.data"
    exponent = {"n": node._exponent} if node._exponent is not None else {}
    parts = []
    for line in rule.lines:
        flow = step.flows[line.slot]
        formula = rr.formula_text(rr.substitute(line.formula, exponent), names, number=n)
        parts.append(f"{a.names[flow.parent]}.grad {line.assign} {formula} = {n(flow.contribution)}")
    sentence = f"{head}: " + "; ".join(parts)
    totals = [
        f"{a.names[p]}.grad is now {n(grads_after[p])}"
        for p in dict.fromkeys(f.parent for f in step.flows)
        if any(line.assign == "+=" for line in rule.lines)
        and not math.isclose(grads_after[p], sum(f.contribution for f in step.flows if f.parent == p))
    ]
    if totals:
        sentence += ", so " + " and ".join(totals)
    return sentence
