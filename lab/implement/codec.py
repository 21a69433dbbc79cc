"""The report of a run as JSON-safe data and back (the session's work file and the room keep it that way)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine.trace import Graph, graph_of
from engine.value import Value
from lab.implement.results import Call, CheckResult, Problem, Report

_CHECK_FIELDS = ("key", "title", "passed", "message", "line", "state", "part", "waits_for", "found", "wanted", "quiet")


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-safe data; `report_from_dict` reads it back."""
    return {
        "problem": None if report.problem is None else vars(report.problem).copy(),
        "checks": [{name: getattr(c, name) for name in _CHECK_FIELDS} for c in report.checks],
        "passed": report.passed,
        "output": report.output,
        "lesson_graph": _graph_to_dict(report.lesson_graph),
        "program_graph": _graph_to_dict(report.program_graph),
        "differs": sorted(report.differs),
        "lesson_differs": sorted(report.lesson_differs),
        "program_differs": sorted(report.program_differs),
        "program_note": report.program_note,
        "seconds": report.seconds,
        "lesson_calls": [_call_to_dict(c) for c in report.lesson_calls],
        "program_calls": [_call_to_dict(c) for c in report.program_calls],
        "code": report.code,
    }


def _check_from_dict(c: Mapping[str, Any]) -> CheckResult:
    quiet = c.get("quiet")
    line = c["line"]
    return CheckResult(
        key=str(c["key"]),
        title=str(c["title"]),
        passed=bool(c["passed"]),
        message=str(c["message"]),
        line=int(line) if line is not None else None,
        state=str(c.get("state", "")),
        part=str(c.get("part", "")),
        waits_for=str(c.get("waits_for", "")),
        found=str(c.get("found", "")),
        wanted=str(c.get("wanted", "")),
        quiet=None if quiet is None else str(quiet),
    )


def report_from_dict(d: Mapping[str, Any]) -> Report:
    """A report from `report_to_dict`'s data. Raises ValueError when the data is not such a report."""
    try:
        problem = d.get("problem")
        return Report(
            problem=None
            if problem is None
            else Problem(str(problem["message"]), problem["line"], problem["code_line"]),
            checks=tuple(_check_from_dict(c) for c in d.get("checks", [])),
            output=str(d.get("output", "")),
            lesson_graph=_graph_from_dict(d.get("lesson_graph")),
            program_graph=_graph_from_dict(d.get("program_graph")),
            differs=frozenset(int(i) for i in d.get("differs", [])),
            program_note=d.get("program_note"),
            seconds=float(d.get("seconds", 0.0)),
            lesson_differs=frozenset(int(i) for i in d.get("lesson_differs", [])),
            program_differs=frozenset(int(i) for i in d.get("program_differs", [])),
            lesson_calls=tuple(_call_from_dict(c) for c in d.get("lesson_calls", [])),
            program_calls=tuple(_call_from_dict(c) for c in d.get("program_calls", [])),
            code=str(d.get("code", "")),
        )
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as e:
        raise ValueError(f"not a report of Implement it ({type(e).__name__}: {e})") from None


def json_number(x: float) -> float | str:
    return x if math.isfinite(x) else repr(x)  # nan, inf: JSON has no such numbers


def number_from_json(x: Any) -> float:
    return float(x) if isinstance(x, (int, float, str)) and not isinstance(x, bool) else math.nan


def _graph_to_dict(graph: Graph | None) -> list[dict[str, Any]] | None:
    if graph is None:
        return None
    return [
        {
            "data": json_number(node.data),
            "grad": json_number(node.grad),
            "op": node._op,
            "label": node.label,
            "exponent": node._exponent,
            "prev": list(graph.inputs[i]),
        }
        for i, node in enumerate(graph.nodes)
    ]


def _graph_from_dict(nodes: Any) -> Graph | None:
    if not nodes:
        return None
    values: list[Value] = []
    for node in nodes:
        value = Value(number_from_json(node["data"]), tuple(values[p] for p in node["prev"]), str(node["op"]))
        value.label = str(node["label"])
        value.grad = number_from_json(node["grad"])
        value._exponent = node.get("exponent")
        values.append(value)
    return graph_of(values[-1])


def call_to_dict(call: Call) -> dict[str, Any]:
    return {
        "node": call.node,
        "grad": json_number(call.grad),
        "inputs": list(call.inputs),
        "before": [json_number(x) for x in call.before],
        "after": [json_number(x) for x in call.after],
    }


_call_to_dict = call_to_dict


def call_from_dict(c: Mapping[str, Any]) -> Call:
    return Call(
        int(c["node"]),
        number_from_json(c["grad"]),
        tuple(int(i) for i in c["inputs"]),
        tuple(number_from_json(x) for x in c["before"]),
        tuple(number_from_json(x) for x in c["after"]),
    )


_call_from_dict = call_from_dict
