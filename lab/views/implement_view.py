"""What the "Implement it" page, the Lesson and the report show of a run of the learner's own code.

A run (`lab.implement.run.run`) gives a `Report`: the checks, the problem that stopped the code (with
the learner's line), what it printed, and the learner's graphs rebuilt as engine `Value`s. This
module turns those graphs into an `Analysis` the project's diagram and table draw unchanged, and
says in words what each check found. Plain Python, no Streamlit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from engine.errors import ExpressionError
from engine.parser import parse_program
from engine.trace import BackwardStep, Graph
from lab.implement.graphs import TOLERANCE, learner_backward_steps
from lab.implement.results import FAIL, PASS, WAIT
from lab.model.analysis import CONSTANT, OPERATION, OUTPUT, VARIABLE, Analysis, format_number
from lab.model.diagram import Highlight, computed_nodes
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


SYMBOLS = {PASS: "✔", FAIL: "✘", WAIT: "⋯"}  # a waiting check is never marked wrong


@dataclass(frozen=True)
class CheckLine:
    """One check as the page says it: passed, failed or waiting, and the lesson's words with the numbers."""

    key: str
    passed: bool
    text: str  # Markdown-free plain words (the page and the report format them)
    line: int | None
    state: str = PASS

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.state, "✘")


def held_checks(hidden: bool, program_is_example: bool) -> frozenset[str]:
    """The checks whose numbers "by hand first" holds back: the lesson's test, and the program from Build and see
    when it is the lesson's example; none once the example has been worked by hand (`hidden` False)."""
    if not hidden:
        return frozenset()
    return frozenset({"lesson", "program"} if program_is_example else {"lesson"})


def check_text(check, held: Collection[str] = ()) -> str:
    """A check in the lesson's words, its line named when it failed at one; a check in `held` (its numbers held
    back by "by hand first") in its words without them."""
    message = check.quiet if check.key in held and check.quiet is not None else check.message
    text = f"{check.title}: {message}" if message else check.title
    if check.state == FAIL and check.line and f"line {check.line}" not in text:
        text += f" (line {check.line})"
    return text


def check_lines(report, held: Collection[str] = ()) -> list[CheckLine]:
    """Each check of the report in the lesson's words (those in `held` without the lesson example's numbers)."""
    return [CheckLine(c.key, c.state == PASS, check_text(c, held), c.line, c.state) for c in report.checks]


def passed_count(report) -> tuple[int, int]:
    """How many checks passed, of how many."""
    return sum(1 for c in report.checks if c.state == PASS), len(report.checks)


def every_check_passes(report) -> bool:
    """The Lesson's station is done: the code ran and every check passed."""
    return report is not None and report.passed


@dataclass(frozen=True)
class Fix:
    """The "Fix this first" box: the first failing part in the lesson's order, and the rest folded under it."""

    title: str
    part: str
    message: str
    line: int | None
    code_line: str  # the learner's line, as typed ("" when the check names none)
    found: str  # the learner's numbers ("" when there are none to show)
    wanted: str  # the engine's
    folded: str  # "8 more: 5 pass, 3 wait for this fix"


def _waits_on(report, key: str, target: str) -> bool:
    by_key = {c.key: c for c in report.checks}
    seen = set()
    while key in by_key and by_key[key].state == WAIT and key not in seen:
        seen.add(key)
        key = by_key[key].waits_for
    return key == target


def folded_words(report, first) -> str:
    """ "8 more: 5 pass, 3 wait for this fix": the checks under the box."""
    others = [c for c in report.checks if c is not first]
    passing = sum(1 for c in others if c.state == PASS)
    failing = sum(1 for c in others if c.state == FAIL)
    waiting = [c for c in others if c.state == WAIT]
    parts = [f"{passing} pass"] if passing else []
    if failing:
        parts.append(f"{failing} fail{'s' if failing == 1 else ''}")
    if waiting:
        ours = sum(1 for c in waiting if _waits_on(report, c.key, first.key))
        if ours == len(waiting):
            parts.append(f"{ours} wait{'s' if ours == 1 else ''} for this fix")
        else:
            parts.append(f"{len(waiting)} wait{'s' if len(waiting) == 1 else ''} for a part to pass first")
    return f"{len(others)} more: {', '.join(parts)}" if others else ""


def first_to_fix(report, skip: Collection[str] = ()):
    """The first failing check in the lesson's order of the parts (recording, rules, backward(), the whole), those
    in `skip` left to another page part (lesson 2's checks name a slip in tanh more precisely than the program)."""
    if report is None:
        return None
    return next((c for c in report.checks if c.state == FAIL and c.key not in skip), None)


def fix_first(report, held: Collection[str] = (), skip: Collection[str] = ()) -> Fix | None:
    """The first check to fix (`first_to_fix`), as the box at the top of the results says it; None when none
    fails. The numbers of a check in `held` stay back ("by hand first")."""
    first = first_to_fix(report, skip)
    if first is None:
        return None
    quiet = first.key in held and first.quiet is not None
    message = first.quiet if quiet else first.message
    code_line = line_of(report.code, first.line)
    return Fix(
        first.title,
        first.part,
        message,
        first.line,
        code_line,
        "" if quiet else first.found,
        "" if quiet else first.wanted,
        folded_words(report, first),
    )


def line_of(code: str, line: int | None) -> str:
    lines = code.splitlines()
    return lines[line - 1].strip() if line and 1 <= line <= len(lines) else ""


MARK_CLASS = "backprop-lab-fix-line"  # the class of the editor's marker on the line to fix (styled by the page)


def editor_marks(report, code: str, held: Collection[str] = (), skip: Collection[str] = ()) -> dict[str, list[dict]]:
    """The Ace editor's annotation (the gutter's mark, with the words on hover) and full-line marker on the line
    to fix first: the line that stopped the code, else the first failing check's. Nothing when the code in the
    editor is no longer the code that ran (its lines may have moved)."""
    if report is None or report.code != code:
        return {"annotations": [], "markers": []}
    if report.problem is not None:
        line, words = report.problem.line, problem_text(report.problem)
    else:
        fix = fix_first(report, held, skip)
        line, words = (fix.line, f"{fix.title}: {fix.message}") if fix else (None, "")
    if not line or not 1 <= line <= len(code.splitlines()):
        return {"annotations": [], "markers": []}
    row = line - 1
    return {
        "annotations": [{"row": row, "column": 0, "type": "error", "text": f"Fix this first: {words}"}],
        "markers": [
            {"startRow": row, "startCol": 0, "endRow": row, "endCol": 1, "className": MARK_CLASS, "type": "fullLine"}
        ],
    }


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
    return mine == engine or math.isclose(mine, engine, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


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
        steps = learner_backward_steps(report, which)
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


def unspoiled(a: Analysis) -> Highlight:
    """The learner's graph of the lesson's example while "by hand first" holds its numbers back: the inputs'
    data (the lesson gives them), `?` for every computed value and every grad, and no mark of which differ."""
    return Highlight(hide_grads=True, unknown_data=computed_nodes(a))
