"""The Python that builds the same graph with the engine's `Value`: shown, never run by the app.

One line per node in topological order: variables as `x = Value(2.0, label='x')`, each
operation with the learner's names (`a = x * y`), numbers written where they are used
(`2.0 * x` makes the same constant node the engine made). It ends with `backward()` and
prints the output and the gradient of every variable.
"""

from __future__ import annotations

import builtins
import keyword

from engine import operators
from lab.model.analysis import CONSTANT, Analysis

_TAKEN = {"Value", "engine"}


def _number(x: float) -> str:
    return repr(float(x))


def code_names(a: Analysis) -> list[str | None]:
    """The Python name of each node in the code; None for a constant written in place.

    A node's name in the diagram when Python can use it; otherwise `n<index>` (a constant
    used twice, labelled `2`) or the name with a `_` added (a name Python already has).
    """
    graph = a.graph
    taken = {*a.names, *_TAKEN}
    names: list[str | None] = []
    used: set[str] = set()
    for i in range(len(graph)):
        if a.kinds[i] == CONSTANT and graph.uses[i] == 1:
            names.append(None)
            continue
        name = a.names[i]
        if not name.isidentifier() or keyword.iskeyword(name):
            name = f"n{i}"
            while name in taken:
                name += "_"
        while name in used or name in _TAKEN or hasattr(builtins, name):
            name += "_"
        used.add(name)
        names.append(name)
    return names


def python_code(a: Analysis) -> str:
    """Runnable Python (with `from engine import Value`) that builds this graph and backpropagates."""
    graph = a.graph
    names = code_names(a)

    def operand(j: int, wrap: bool = False) -> str:
        """How node j appears as an operand; `wrap` when a bare number would not be a Value."""
        if names[j] is not None:
            return names[j]
        text = _number(graph.nodes[j].data)
        if wrap:
            return f"Value({text})"
        return f"({text})" if text.startswith("-") else text

    lines = ["from engine import Value", ""]
    for i, node in enumerate(graph.nodes):
        if names[i] is None:
            continue
        inputs = graph.inputs[i]
        if not inputs:
            lines.append(f"{names[i]} = Value({_number(node.data)}, label={a.names[i]!r})")
            continue
        op = node._op
        record = operators.OPERATORS[op]
        if record.binary and not record.exponent:
            first_is_number = names[inputs[0]] is None
            second_is_number = names[inputs[1]] is None
            left = operand(inputs[0], wrap=first_is_number and second_is_number)
            expression = f"{left} {record.symbol} {operand(inputs[1])}"
        elif record.exponent:
            exponent = _number(node._exponent)
            expression = (
                f"{operand(inputs[0], wrap=True)} ** {f'({exponent})' if exponent.startswith('-') else exponent}"
            )
        elif not record.function:  # -a
            expression = f"{record.symbol}{operand(inputs[0], wrap=True)}"
        else:  # a function, written as the method: x.tanh()
            expression = f"{operand(inputs[0], wrap=True)}.{op}()"
        lines.append(f"{names[i]} = {expression}")
    out = names[a.output]
    lines += ["", f"{out}.backward()", f"print({out + '.data'!r}, {out}.data)"]
    for i, name in enumerate(names):
        if name is not None and i != a.output and a.kinds[i] != CONSTANT and not graph.inputs[i]:
            lines.append(f"print({name + '.grad'!r}, {name}.grad)")
    return "\n".join(lines) + "\n"
