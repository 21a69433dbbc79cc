"""Implement it's run: read the learner's code with the sandbox's whitelist, run it in a fresh limited process
(sandbox/runner.py, sandbox/child.py), and turn what their objects did into the checks' report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import ExpressionError, quote
from engine.parser import MAX_NODES as _PARSER_MAX_NODES
from engine.parser import Program, parse_program
from lab.implement import checks
from lab.implement.graphs import LearnerGraph, parsed, rebuild, steps_of
from lab.implement.limits import limits
from lab.implement.lines import Places
from lab.implement.results import Call, Problem, Report
from lab.implement.words import failed_run, problem, refused
from sandbox import code_reader, runner

# the program from Build and see is tried with the learner's class up to the child's cap on one graph
MAX_PROGRAM_NODES = limits().nodes
assert MAX_PROGRAM_NODES <= _PARSER_MAX_NODES

SKELETON = """\
class Value:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        # make out, the sum, remembering (self, other) and '+'
        # then its _backward: push out.grad to self and other
        ...

    def __mul__(self, other):
        # make out, the product, remembering (self, other) and '*'
        # then its _backward: push out.grad to self and other
        ...

    def backward(self):
        # order the nodes (a node after everything it is computed from),
        # set this node's grad to 1, then call each node's _backward, output first
        ...
"""


def run(code: str, program: str | None = "", on_wait: Callable[[int], None] | None = None) -> Report:
    """Read, run and check the learner's code; blocks, waiting for a free runner if all are busy (`on_wait(ahead)`
    is told how many runs wait before this one: sandbox/runner.py `run_job`)."""
    try:
        tree = code_reader.check(code)
    except ExpressionError as e:
        text = code if isinstance(code, str) else ""
        return Report(refused(code, e), (), "", None, None, frozenset(), None, 0.0, code=text)
    places = Places(tree)
    programs: dict[str, Program] = {"lesson": parsed(checks.LESSON)}
    learner_program, program_note = _program(program)
    if learner_program is not None:
        programs["program"] = learner_program
    backward_steps = steps_of(parsed(checks.BACKWARD_GRAPH))
    job = {
        "code": code,
        # what the learner's code prints is kept from its top level and from the lesson's test alone: once
        "graphs": [
            {"key": key, "steps": steps_of(p), "capture": key == "lesson", "record": True}
            for key, p in programs.items()
        ],
        "parts": checks.job_parts(backward_steps),
    }
    try:
        outcome = runner.run_job(job, on_wait=on_wait)
    except runner.RunFailed as e:
        return Report(failed_run(e), (), "", None, None, frozenset(), program_note, 0.0, code=code)
    result = outcome.result
    # text that cannot be UTF-8 (a lone surrogate printed by the learner) becomes "?": the page can show it
    output = str(result.get("output", "")).encode("utf-8", "replace").decode("utf-8")
    if result.get("output_cut"):
        output += f"\n… output cut at {limits().output_chars // 1000} kB"
    stopped = result.get("problem")
    if stopped:
        return Report(
            problem(stopped, code), (), output, None, None, frozenset(), program_note, outcome.seconds, code=code
        )
    try:
        return _report(code, places, programs, result, output, program_note, outcome.seconds, backward_steps)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError):
        # plain data, but not what child.py writes: only code that got past every defense could do that
        stopped = Problem("your code could not be checked: its run gave back something unexpected", None, None)
        return Report(stopped, (), output, None, None, frozenset(), program_note, outcome.seconds, code=code)


def _program(text: str | None) -> tuple[Program | None, str | None]:
    """The program from Build and see, to run with the learner's class, or why it is not run."""
    if not text or not text.strip():
        return None, None
    try:
        program = code_reader.retrying(parse_program, text)
    except ExpressionError as e:
        return None, f"the program from Build and see could not be read ({e}), so it was not run"
    if len(program._steps) > MAX_PROGRAM_NODES:
        return None, (
            f"the program from Build and see has {len(program._steps):,} nodes; "
            f"your Value is tried on programs up to {MAX_PROGRAM_NODES:,}"
        )
    if program.variables and None in program.variables.values():
        unset = [name for name, number in program.variables.items() if number is None]
        return None, (
            f"the program from Build and see gives no number to {', '.join(quote(n) for n in unset)}, so it was not run"
        )
    return program, None


def _report(
    code: str,
    places: Places,
    programs: dict[str, Program],
    result: dict[str, Any],
    output: str,
    program_note: str | None,
    seconds: float,
    backward_steps: list[list[Any]],
) -> Report:
    graphs = {
        key: LearnerGraph(key, p, result["graphs"].get(key, {}), checks.LESSON if key == "lesson" else None)
        for key, p in programs.items()
    }
    evidence = checks.Evidence(code, places, result.get("parts", {}), graphs, backward_steps)
    with_program = False
    program_graph = None
    program_differs: frozenset[int] = frozenset()
    program_calls: tuple[Call, ...] = ()
    if "program" in graphs:
        g = graphs["program"]
        if "missing" in g.facts:
            missing = g.facts["missing"]
            lines = [
                f"line {s.where.lineno}"
                for s in programs["program"]._steps
                if checks.METHOD_OF.get(s.op, s.op) in missing
            ]
            where = f" (the program's {lines[0]} needs it)" if lines else ""
            program_note = (
                f"your Value has no {', '.join(quote(m) for m in missing)}{where}, "
                "so the program from Build and see was not run with it"
            )
        else:
            # the lesson's example itself, numbers and all, is the lesson's test already: not judged twice
            with_program = steps_of(programs["program"]) != steps_of(programs["lesson"])
            program_graph, program_differs, program_calls = rebuild(g)
    lesson_graph, lesson_differs, lesson_calls = rebuild(graphs["lesson"])
    return Report(
        problem=None,
        checks=checks.judge_all(evidence, with_program),
        output=output,
        lesson_graph=lesson_graph,
        program_graph=program_graph,
        differs=program_differs if program_graph is not None else lesson_differs,
        program_note=program_note,
        seconds=seconds,
        lesson_differs=lesson_differs,
        program_differs=program_differs,
        lesson_calls=lesson_calls,
        program_calls=program_calls,
        code=code,
    )
