"""Examples the tests share, each written once, with where its numbers come from.

micrograd's README example (github.com/karpathy/micrograd, README.md "Example usage"): its published
outputs are g = 24.7041, dg/da = 138.8338 and dg/db = 645.5773, printed to four decimals.
"""

from __future__ import annotations

from typing import Any

# The lines that build the graph, exactly as the README has them.
MICROGRAD_PROGRAM = """\
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f"""

# The whole example as published, import and prints included (what a learner pastes).
MICROGRAD_README = f"""\
from micrograd.engine import Value

{MICROGRAD_PROGRAM}
print(f'{{g.data:.4f}}') # prints 24.7041, the outcome of this forward pass
g.backward()
print(f'{{a.grad:.4f}}') # prints 138.8338, i.e. the numerical value of dg/da
print(f'{{b.grad:.4f}}') # prints 645.5773, i.e. the numerical value of dg/db
"""

# Its published numbers, as the README prints them (four decimals).
MICROGRAD_G = "24.7041"
MICROGRAD_A_GRAD = "138.8338"
MICROGRAD_B_GRAD = "645.5773"


def micrograd_example(Value: Any) -> tuple[Any, Any, Any]:
    """The README's example built with a micrograd-style `Value` class, after `g.backward()`: (a, b, g)."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g
