"""Small, safe edits of a program's text (the program text is what the dashboard keeps)."""

from __future__ import annotations

import math
import re

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def number_text(x: float) -> str:
    """A number as a learner would type it: 2, 0.5, 6.881373587019543 (full precision, no trailing .0)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a number the graph can use: type a finite number like 2 or -1.5")
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _definition(name: str) -> re.Pattern[str]:
    # `x = 2`, `x = Value(2.0)`, `x = Value(2.0, label='x')`, `x = Value(data=2.0)`
    return re.compile(
        rf"^(?P<head>\s*{re.escape(name)}\s*=\s*(?:Value\(\s*(?:data\s*=\s*)?)?)(?P<number>{NUMBER})(?P<tail>.*)$"
    )


def set_variable_value(text: str, name: str, value: float) -> str:
    """The program with variable `name` set to `value`.

    Rewrites the number of the line that defines it (`x = 2`, `x = Value(2.0)`); a variable the
    program never defines gets a new first line `name = value`.
    """
    lines = text.split("\n")
    pattern = _definition(name)
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match:
            lines[i] = match["head"] + number_text(value) + match["tail"]
            return "\n".join(lines)
    return f"{name} = {number_text(value)}\n{text}"
