"""Ready-made programs, each with the one thing it teaches."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lab.model.analysis import Analysis, analyse
from lab.model.identity import program_id


@dataclass(frozen=True)
class Preset:
    title: str
    program: str
    teaches: str
    note: str = ""  # said under the diagram while this preset's program is shown (at any values)


def note_for(a: Analysis) -> str:
    """The note of the preset whose program `a` is (the same graph at any values), or ""."""
    key = program_id(a)
    return next((note for preset_key, note in _notes() if preset_key == key), "")


@functools.lru_cache(maxsize=1)
def _notes() -> tuple[tuple[str, str], ...]:
    return tuple((program_id(analyse(p.program)), p.note) for p in PRESETS.values() if p.note)


LESSON_PROGRAM = "x = 2\ny = 3\nz = x*y + y"  # the lesson's example: written here once, read everywhere

PRESETS: dict[str, Preset] = {
    "lesson": Preset(
        "The lesson's example",
        LESSON_PROGRAM,
        "z = x*y + y at x = 2, y = 3: y is used twice, so its gradient adds up from both uses (dz/dy = 1 + 2 = 3).",
    ),
    "neuron": Preset(
        "The lecture's neuron",
        "x1 = 2\nx2 = 0\nw1 = -3\nw2 = 1\nb = 6.8813735870195432\nn = x1*w1 + x2*w2 + b\no = tanh(n)",
        "o = tanh(x1*w1 + x2*w2 + b): tanh's rule is 1 - o², and x2 = 0 means w2 gets no gradient at all.",
    ),
    "dead_relu": Preset(
        "A ReLU whose gradient dies",
        "x = -2\nw = 3\nb = 1\nn = w*x + b\no = relu(n)",
        "n = w*x + b is below zero, so relu outputs 0 and passes gradient 0 back: w, x and b get exactly 0.",
    ),
    "micrograd": Preset(
        "micrograd's README example",
        "a = Value(-4.0)\n"
        "b = Value(2.0)\n"
        "c = a + b\n"
        "d = a * b + b**3\n"
        "c += c + 1\n"
        "c += 1 + c + (-a)\n"
        "d += d * 2 + (b + a).relu()\n"
        "d += 3 * d + (b - a).relu()\n"
        "e = c - d\n"
        "f = e**2\n"
        "g = f / 2.0\n"
        "g += 10.0 / f",
        "Python as you would write it with Value, += included: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773.",
        "Each distinct number is one node here: the two 1s are one node, so are the two 2s, where micrograd makes a "
        "Value per literal. So the diagram has fewer constants, and such a node's grad is the sum over its uses; "
        "a's and b's are the same.",
    ),
    "mixed": Preset(
        "A bigger mixed expression",
        "x = 1.5\n"
        "y = -0.5\n"
        "w = 0.8\n"
        "p = x*w + y\n"
        "s = 1 / (1 + exp(-p))\n"
        "r = log(x**2 + 1)\n"
        "t = tanh(r - y)\n"
        "L = (s - t)**2 + relu(w - x) + 0.1*x/w",
        "Every operator at once, numbers on both sides, x and w used many times: "
        "check a few gradients against the finite-difference estimate.",
    ),
}
