"""Everything the pages show about one program, computed once per change.

`analyse(text, values)` parses the program, runs the forward pass and backpropagation with
the engine, and keeps the pieces every page needs: the graph, the backward steps, each
node's formula and kind, and finite-difference estimates for the variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from engine import operators
from engine.errors import ExpressionError, quote
from engine.parser import Built, Program, parse_program
from engine.trace import BackwardStep, Graph, backward_steps, finite_difference, graph_of

VARIABLE, CONSTANT, OPERATION, OUTPUT = "variable", "constant", "operation", "output"

# What `_op` is shown as, in tables, the diagram and sentences: each operator's record's symbol.
OP_SYMBOLS: dict[str, str] = operators.table(lambda record: record.symbol)


@dataclass
class Analysis:
    program: Program
    built: Built
    graph: Graph
    steps: list[BackwardStep]  # the correct backward pass, step by step
    formulas: list[str]  # per node: how the user wrote it
    kinds: list[str]  # per node: variable, constant, operation or output
    variables: dict[str, int]  # variable name -> node index

    @cached_property
    def finite(self) -> dict[int, float]:
        """Variable node index -> finite-difference estimate of d output / d variable.

        Computed when a page first asks: it recomputes the graph twice per variable, which
        only the hand check needs, and which takes seconds on a graph of thousands of nodes.
        """
        return finite_difference(self.graph, list(self.variables.values()))

    @property
    def output(self) -> int:
        return len(self.graph) - 1

    @property
    def names(self) -> tuple[str, ...]:
        return self.graph.names

    @property
    def grads(self) -> list[float]:
        return [node.grad for node in self.graph.nodes]

    @property
    def values(self) -> dict[str, float]:
        return {name: self.graph.nodes[i].data for name, i in self.variables.items()}

    def op_text(self, i: int) -> str:
        """`*`, `tanh`, `**2`: the operator of node i as the table and diagram show it."""
        node = self.graph.nodes[i]
        if node._op == "**":
            return f"**{format_number(node._exponent)}"
        return OP_SYMBOLS.get(node._op, node._op)


def format_number(x: float, digits: int = 4) -> str:
    """Short, readable: 3, 0.5, -1.5, 0.7071, 1.2e-07."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e12:
        return str(int(x))
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return f"{x:.{digits - 1}e}"


def analyse(text: str, values: Mapping[str, float] | None = None) -> Analysis:
    """Parse, compute and backpropagate. Raises ExpressionError for anything wrong with the input."""
    program = parse_program(text)
    built = program.build(values)
    graph = graph_of(built.output)
    try:
        steps = backward_steps(graph)  # leaves every node's .grad filled in, as backward() would
    except (ArithmeticError, ValueError) as e:
        # e.g. x**0.5 at x = 0: the value exists but its slope is infinite
        raise ExpressionError(f"a gradient cannot be computed here ({e}): its slope is infinite or undefined") from None
    for i, node in enumerate(graph.nodes):
        if not math.isfinite(node.grad):
            raise ExpressionError(f"the gradient of {quote(graph.names[i])} overflows (it is {node.grad})")
    variables = {name: graph.index_of(leaf) for name, leaf in built.variables.items() if id(leaf) in graph._index}
    kinds = []
    var_ids = set(variables.values())
    for i, node in enumerate(graph.nodes):
        if i == len(graph) - 1:
            kinds.append(OUTPUT)
        elif i in var_ids:
            kinds.append(VARIABLE)
        elif not node._prev:
            kinds.append(CONSTANT)
        else:
            kinds.append(OPERATION)
    formulas = [built.formulas.get(id(node), graph.names[i]) for i, node in enumerate(graph.nodes)]
    return Analysis(program, built, graph, steps, formulas, kinds, variables)


def gradient_scale(grads: Sequence[float]) -> float:
    """The size of a pass's gradients: the largest finite one (0 when all are 0)."""
    return max((abs(g) for g in grads if math.isfinite(g)), default=0.0)


def differs(right: float, got: float, scale: float) -> bool:
    """Is `got` another gradient than `right`? One answer for the Bug lab and Your rules.

    Relative to their size (1e-9), and absolutely only below 1e-12 of `scale` (gradient_scale of the
    right pass): a deep chain's gradients of 1e-54 are still told apart from 1e-51, and a learner's
    formula that leaves 1e-17 where the engine has 0 in a pass of gradients near 1 is not a mistake.
    A gradient that cannot be computed (NaN) differs from every number.
    """
    if math.isnan(right) or math.isnan(got):
        return not (math.isnan(right) and math.isnan(got))
    return not math.isclose(right, got, rel_tol=1e-9, abs_tol=1e-12 * scale)
