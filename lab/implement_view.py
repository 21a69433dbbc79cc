"""What the "Implement it" page, the Lesson and the report show of a run of the learner's own code.

A run (`lab.implement.run`) gives a `Report`: the checks, the problem that stopped the code (with
the learner's line), what it printed, and the learner's graphs rebuilt as engine `Value`s. This
module turns those graphs into an `Analysis` the project's diagram and table draw unchanged, and
says in words what each check found. Plain Python, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.trace import BackwardStep, Graph
from lab.analysis import CONSTANT, OPERATION, OUTPUT, VARIABLE, Analysis, format_number

MAX_OUTPUT_CHARS = 5_000  # what the learner's code printed, shown on the page (the rest is cut, and says so)
DIFFERS_NOTE = "✘ differs"  # the diagram's words on a node whose numbers differ (not colour alone)
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
    lab/diagram.py, lab/table.py and lab/flow.py draw it as they draw the engine's.

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


def waiting_words(running: int, waiting: int, capacity: int) -> str:
    """What the page says while a run waits for a runner and runs (`lab.implement.runner_busy()`)."""
    if waiting or running >= capacity:
        queue = f", after the {waiting} run{'s' if waiting != 1 else ''} waiting before it" if waiting else ""
        return f"Every runner is busy ({running} runs): yours starts when one is free{queue}…"
    return "Running your code in the sandbox…"


def capped_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> tuple[str, bool]:
    """What the code printed, at most `limit` characters; True when some was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def differs_notes(differs) -> dict[int, str]:
    """The note under each node whose numbers differ from the engine's (so it is not told by colour alone)."""
    return dict.fromkeys(sorted(differs), DIFFERS_NOTE)


def call_order(a: Analysis, steps: Sequence[BackwardStep]) -> list[str]:
    """The nodes whose `_backward` the learner's `backward()` called, in their order (after the seed, step 0)."""
    return [a.names[s.node] for s in steps[1:]]


def report_markdown(code: str, report) -> str:
    """The code and the checks' results, as the report's Markdown section."""
    lines = ["## Your own Value (Implement it)", ""]
    if not code:
        lines.append("Not started: the editor still holds the lesson's skeleton.")
        return "\n".join(lines) + "\n"
    fence = "````" if "```" in code else "```"
    lines += [f"{fence}python", code.rstrip("\n"), fence, ""]
    if report is None:
        lines.append("Not run yet.")
        return "\n".join(lines) + "\n"
    if report.problem is not None:
        lines += [f"**Stopped:** {problem_text(report.problem)}", ""]
        if report.problem.code_line:
            lines += ["    " + report.problem.code_line, ""]
    passed, total = passed_count(report)
    if total:
        lines.append(f"**Checks:** {passed} of {total} pass.")
        lines.append("")
        lines += [f"- {'✔' if c.passed else '✘'} {c.text}" for c in check_lines(report)]
    if report.program_note:
        lines += ["", f"Your program: {report.program_note}"]
    return "\n".join(lines) + "\n"
