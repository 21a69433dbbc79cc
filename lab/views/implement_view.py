"""What the "Implement it" page, the Lesson and the report show of a run of the learner's own code.

A run (`lab.implement.run.run`) gives a `Report`: the checks, the problem that stopped the code (with
the learner's line), what it printed, and the learner's graphs rebuilt as engine `Value`s. This
module turns those graphs into an `Analysis` the project's diagram and table draw unchanged, and
says in words what each check found. Plain Python, no Streamlit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from engine.errors import ExpressionError
from engine.parser import parse_program
from engine.trace import BackwardStep, Graph
from lab.implement import run as implement
from lab.model.analysis import CONSTANT, OPERATION, OUTPUT, VARIABLE, Analysis, format_number
from lab.model.steps import CURRENT, DONE, WAITING, OrderItem
from lab.model.table import values_table

MAX_OUTPUT_CHARS = 5_000  # what the learner's code printed, shown on the page (the rest is cut, and says so)
UNARY = {"neg", "tanh", "relu", "exp", "log"}


def kept_code(text: str, skeleton: str) -> str:
    """What is kept of the editor's text as the learner's code: "" for the skeleton as it was, or for nothing."""
    return "" if text == skeleton or not text.strip() else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def learner_analysis(graph: Graph, steps: Sequence[BackwardStep] = ()) -> Analysis:
    """The learner's graph as an `Analysis` (no program: it was built by their code, not parsed), so that
    lab/model/diagram.py, lab/model/table.py and lab/views/flow.py draw it as they draw the engine's.

    A leaf named by a number is a constant, any other leaf a variable, the last node the output.
    `steps`: their backward pass, when it is to be stepped through.
    """
    names = graph.names
    formulas: list[str] = []
    kinds: list[str] = []
    variables: dict[str, int] = {}
    for i, node in enumerate(graph.nodes):
        parents = [names[p] for p in graph.inputs[i]]
        op = str(node._op or "?")
        if not parents:
            formulas.append(format_number(node.data) if _is_number(names[i]) else names[i])
        elif op == "**" and len(parents) == 1:
            formulas.append(f"{parents[0]}**{format_number(node._exponent)}")
        elif op in UNARY or len(parents) == 1:
            formulas.append(f"{op}({', '.join(parents)})")
        else:
            formulas.append(f" {op} ".join(parents))
        if i == len(graph) - 1:
            kinds.append(OUTPUT)
        elif parents:
            kinds.append(OPERATION)
        elif _is_number(names[i]):
            kinds.append(CONSTANT)
        else:
            kinds.append(VARIABLE)
            variables[names[i]] = i
    return Analysis(None, None, graph, list(steps), formulas, kinds, variables)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CheckLine:
    """One check as the page says it: passed or not, and the lesson's words with the numbers."""

    key: str
    passed: bool
    text: str  # Markdown-free plain words (the page and the report format them)
    line: int | None


def check_lines(report) -> list[CheckLine]:
    """Each check of the report in the lesson's words, its line named when the check failed at one."""
    lines = []
    for check in report.checks:
        text = f"{check.title}: {check.message}" if check.message else check.title
        if not check.passed and check.line and f"line {check.line}" not in text:
            text += f" (line {check.line})"
        lines.append(CheckLine(check.key, bool(check.passed), text, check.line))
    return lines


def passed_count(report) -> tuple[int, int]:
    """How many checks passed, of how many."""
    return sum(1 for c in report.checks if c.passed), len(report.checks)


def every_check_passes(report) -> bool:
    """The Lesson's station is done: the code ran and every check passed."""
    return report is not None and report.passed


def station_status(report, has_code: bool) -> tuple[bool, str]:
    """The Lesson's "Implement it" station: done or not, and a short line saying where the learner stands."""
    if not has_code or report is None:
        return False, "not started: the editor holds the skeleton"
    if report.problem is not None:
        where = f" (line {report.problem.line})" if report.problem.line else ""
        return False, f"your code stops with a problem{where}: fix it and run again"
    passed, total = passed_count(report)
    if every_check_passes(report):
        return True, f"all {total} checks pass with your `Value`"
    return False, f"{passed} of {total} checks pass"


def problem_text(problem) -> str:
    """The problem that stopped the learner's code, with their line number (never a traceback)."""
    if problem.line and f"line {problem.line}" not in problem.message.lower():
        return f"Line {problem.line}: {problem.message}"
    return problem.message


RUNNING_WORDS = "Running your code in the sandbox…"


def waiting_words(ahead: int) -> str:
    """What the page says while a run waits in line for a free runner: how many runs wait before it."""
    if ahead <= 0:
        return "Every runner is busy: waiting for a free runner (yours is next)…"
    return f"Every runner is busy: waiting for a free runner ({ahead} ahead)…"


def capped_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> tuple[str, bool]:
    """What the code printed, at most `limit` characters; True when some was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


SAME, DIFFERS = "✓ same", "✘ differs"


@functools.lru_cache(maxsize=16)
def _engine_by_label(program: str) -> Mapping[str, tuple[float, float]]:
    """Label -> the engine's data and grad after its backward(), for a program (read-only: shared by sessions)."""
    try:
        built = parse_program(program).build()
    except ExpressionError:
        return {}
    built.output.backward()
    return {node.label: (node.data, node.grad) for node in built.output.topological_order() if node.label}


def engine_values(graph: Graph, program: str) -> dict[int, tuple[float, float]]:
    """The engine's data and grad for each node of the learner's graph that `program` has (matched by label):
    the numbers their graph is checked against."""
    engine = _engine_by_label(program)
    return {i: engine[node.label] for i, node in enumerate(graph.nodes) if node.label in engine}


def _same(mine: float, engine: float) -> bool:
    return mine == engine or math.isclose(mine, engine, rel_tol=implement.TOLERANCE, abs_tol=implement.TOLERANCE)


def engine_beside(
    graph: Graph, engine: Mapping[int, tuple[float, float]], differs
) -> dict[int, tuple[float | None, float | None]]:
    """For the diagram: the engine's data and grad beside each differing node's own (None where they agree),
    so it reads `grad 2, engine 3`."""
    beside = {}
    for i in sorted(differs):
        if i not in engine:
            continue
        node, (data, grad) = graph.nodes[i], engine[i]
        beside[i] = (None if _same(node.data, data) else data, None if _same(node.grad, grad) else grad)
    return beside


def learner_table(a: Analysis, differs, engine: Mapping[int, tuple[float, float]]) -> pd.DataFrame:
    """The values table of the learner's graph with the engine's numbers beside theirs, and a last column that
    says in words which nodes' numbers are the engine's."""
    df = values_table(a)[["node", "op", "formula", "data", "grad", "uses"]]
    df = df.rename(columns={"data": "your data", "grad": "your grad"})
    df.insert(4, "engine's data", [engine.get(i, (math.nan, math.nan))[0] for i in range(len(df))])
    df.insert(6, "engine's grad", [engine.get(i, (math.nan, math.nan))[1] for i in range(len(df))])
    df["as the engine?"] = [DIFFERS if i in differs else SAME for i in range(len(df))]
    return df


def call_order(a: Analysis, steps: Sequence[BackwardStep]) -> list[str]:
    """The nodes whose `_backward` the learner's `backward()` called, in their order (after the seed, step 0)."""
    return [a.names[s.node] for s in steps[1:]]


def my_step_sentence(a: Analysis, step: BackwardStep, grads_after: Sequence[float]) -> str:
    """One `_backward` call of the learner's own objects, with the grads before and after it (their code's
    numbers: not the engine's rule, which their code may not follow)."""
    out = a.names[step.node]
    if not step.flows:
        seed = format_number(float(grads_after[step.node]))
        then = "." if seed == "1" else " (the engine seeds it with 1)."
        return f"Your backward() starts: {out}.grad is {seed}{then}"
    parts = []
    for parent in dict.fromkeys(f.parent for f in step.flows):
        after = float(grads_after[parent])
        added = sum(f.contribution for f in step.flows if f.parent == parent)
        before = after - added
        parts.append(f"{a.names[parent]}.grad {format_number(before)} → {format_number(after)}")
    return f"your {out}._backward() ({out} = {a.formulas[step.node]}): " + ", ".join(parts)


@dataclass(frozen=True)
class MyValue:
    """What "My Value" on Watch gradients flow steps through: the learner's own `backward()` on one graph."""

    a: Analysis  # the learner's graph (their objects), its `steps` their `_backward` calls in their order
    which: str  # "program" (the current program) or "lesson" (the lesson's example)
    note: str  # which graph it is, in words


def my_value(report) -> MyValue | None:
    """The learner's own backward pass on the current program, or on the lesson's example when their class cannot
    build the program; None when their code never got as far as a `_backward` call."""
    if report is None:
        return None
    for which, graph in (("program", report.program_graph), ("lesson", report.lesson_graph)):
        if graph is None:
            continue
        steps = implement.learner_backward_steps(report, which)
        if len(steps) < 2:  # the seed alone: their backward() called no _backward
            continue
        if which == "program":
            note = "Your own `backward()` on your program: each step is one `_backward` call of your objects."
        else:
            why = report.program_note or "it was not run with your class"
            note = f"Your own `backward()` on the lesson's example, z = x*y + y, not on your program: {why}."
        return MyValue(learner_analysis(graph, steps), which, note)
    return None


def call_order_items(a: Analysis, step: int) -> tuple[OrderItem, ...]:
    """The learner's `_backward` calls in their order (step 1 onwards), the one of this step marked."""
    return tuple(
        OrderItem(a.names[s.node], CURRENT if k == step else DONE if k < step else WAITING)
        for k, s in enumerate(a.steps[1:], start=1)
    )


def engine_order(a: Analysis) -> list[str]:
    """The nodes whose `_backward` the engine's backward() calls on this graph: reverse topological order, leaves
    left out (the graph is drawn in topological order)."""
    return [a.names[i] for i in reversed(range(len(a.graph))) if a.graph.inputs[i]]
