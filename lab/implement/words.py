"""Problems in the learner's words: errors with their line and code, syntax errors as the lesson says them,
a misspelt attribute with the closest one their object has, the sandbox's limits with their figures."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from engine.errors import ExpressionError, quote
from engine.reader import lines_of
from lab.implement.limits import limits
from lab.implement.results import Problem
from sandbox import runner

CODE_LINE_SHOWN = 80  # characters of a line of the learner's code quoted in a message


def line_text(code: str, line: int | None) -> str:
    lines = lines_of(code)  # as Python's parser counts them
    if line is None or not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()


def at(code: str, line: int | None) -> str:
    """ "line 3, `while True: pass`: " (the start of a message about that line)."""
    if line is None:
        return ""
    text = line_text(code, line)
    return f"line {line}, {quote(text, CODE_LINE_SHOWN)}: " if text else f"line {line}: "


def number(x: float | None) -> str:
    if x is None:
        return "not a number"
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


# Python's words for a syntax error, and the lesson's: what to look for on that line.
SYNTAX_WORDS = (
    ("expected ':'", "a line that opens a block (`class`, `def`, `for`, `if`) ends with a colon, `:`"),
    ("was never closed", "a bracket opened here is never closed: count the `(` and `)`"),
    ("unmatched", "a closing bracket here has no opening one"),
    (
        "unindent does not match",
        "this line's indentation matches no line above it: in the lesson's class a "
        "method's `def` is indented 4 spaces and its body 8",
    ),
    (
        "expected an indented block",
        "the line after a `def`, `class`, `for` or `if` is indented one step more (4 spaces) than it",
    ),
    (
        "unexpected indent",
        "this line is indented more than the line above it, and no block (`def`, `for`, `if`) opens there",
    ),
    ("unterminated string", "a string starts here but is not closed: a `'` or `\"` is missing"),
    ("unterminated triple-quoted", "a string starts here with three quotes and is never closed"),
    ("inconsistent use of tabs", "this line mixes tabs and spaces: indent with spaces only"),
    ("cannot assign to", "the left side of `=` must be a name or an attribute (`out.grad = ...`)"),
    ("'return' outside function", "`return` belongs inside a method (indent it under its `def`)"),
)


def syntax_words(message: str) -> str:
    """A syntax error from engine/reader.py ("syntax error: expected ':'") in the lesson's words."""
    detail = message.removeprefix("syntax error: ")
    for python, lesson in SYNTAX_WORDS:
        if python in detail:
            return f"Python cannot read this line: {lesson} (Python says: {detail})"
    return message


def refused(code: Any, e: ExpressionError) -> Problem:
    """Code the whitelist or the parser refused, with its line."""
    text = code if isinstance(code, str) else ""
    line = e.line
    words = syntax_words(e.message) if e.message.startswith("syntax error") else e.message
    message = f"{at(text, line)}{words}" if line else words
    return Problem(message, line, line_text(text, line) or None)


def error_words() -> dict[str, str]:
    figures = limits()
    return {
        "TimeUp": f"your code ran too long ({figures.cpu_timer:g} s of CPU time, or {figures.wall_timer:g} s in all) "
        "and was stopped here: an endless loop?",
        "MemoryError": f"your code needed more than {figures.memory_mb} MB of memory here and was stopped",
        "RecursionError": "too many calls inside each other here (more than about 1,000): "
        "a function that calls itself without end?",
        "SystemExit": "this stops Python: nothing to stop here (your code is run, then checked)",
        "KeyboardInterrupt": "this stops Python: nothing to stop here",
    }


def _attribute_words(error: Mapping[str, Any]) -> str:
    name = str(error["name"])
    kind = str(error.get("object", ""))
    owner = "your Value" if kind == "Value" else f"a {kind}" if kind and kind != "NoneType" else "None"
    words = f"{quote(name)}: {owner} has no attribute {quote(name)}"
    suggest = error.get("suggest")
    if isinstance(suggest, str) and suggest:
        words = f"{quote(name)}: did you mean {quote(suggest)}? ({owner} has no attribute {quote(name)})"
    elif kind in ("float", "int"):
        words += " (a plain number, not a Value)"
    return words


def error_text(error: Mapping[str, Any], code: str) -> str:
    """An error the child reported ({"kind", "message", "line", ...}) with the learner's line and code."""
    kind = str(error.get("kind", "Error"))
    message = str(error.get("message", ""))
    line = error.get("line") if isinstance(error.get("line"), int) else None
    named = error_words()
    if kind in named:
        words = named[kind]
    elif kind == "AttributeError" and isinstance(error.get("name"), str):
        words = _attribute_words(error)
    elif kind == "NameError":
        words = f"NameError: {message} (only a small set of Python's built-in names is available here)"
    elif kind == "TypeError" and "str" in message:
        words = f"TypeError: {message} (is `data` text? `Value(2.0)` keeps the number: `self.data = data`)"
    elif kind == "SyntaxError":
        words = syntax_words(f"syntax error: {message}")
    else:
        words = f"{kind}: {message}" if message else kind
    return f"{at(code, line)}{words}"


def problem(error: Mapping[str, Any], code: str) -> Problem:
    """What stopped the learner's code before any check (at its top level, or a limit)."""
    line = error.get("line") if isinstance(error.get("line"), int) else None
    if error.get("kind") == "NoValue":
        return Problem("your code has no class named `Value`: the checks build `Value(2.0)`", None, None)
    return Problem(error_text(error, code), line, line_text(code, line) or None)


def failed_run(e: runner.RunFailed) -> Problem:
    figures = limits()
    if e.reason == "timeout":
        message = f"your code ran longer than {figures.wall_seconds:g} s and was stopped (an endless loop?)"
    elif e.reason == "too_much_output":
        message = "your code printed too much and was stopped"
    elif e.reason == "crashed" and "SIGXCPU" in e.detail:
        message = f"your code used more than {figures.cpu_seconds:g} s of CPU and was stopped (an endless loop?)"
    else:
        message = f"your code could not be run to the end ({e.reason}: {e.detail})"
    return Problem(message, None, None)


def lines_named(text: str) -> set[int]:
    """The line numbers a message names ("line 12")."""
    return {int(n) for n in re.findall(r"\bline (\d+)", text)}
