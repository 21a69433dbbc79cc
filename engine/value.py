"""A scalar value that remembers how it was computed, and backpropagation over it.

The shape follows the lesson (and micrograd): every number is a ``Value`` with
``data``, ``grad``, ``_prev``, ``_op`` and a ``_backward`` that pushes its gradient
to the values it was computed from.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine import operators


class Value:
    """One node of the graph: a number, its gradient, and how it was computed."""

    # __slots__ keeps a node small (no per-node __dict__): a large graph is mostly nodes.
    __slots__ = ("_exponent", "_op", "_prev", "data", "grad", "label")

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "", label: str = ""):
        self.data = float(data)
        self.grad = 0.0  # d output / d this node; filled in by backward()
        # A tuple, not the lesson's set: it keeps the children in order and keeps both
        # edges of `a + a`, so the diagram and the traces are the same on every run.
        self._prev = _children
        self._op = _op
        self._exponent = None  # only for `**`: the number exponent
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- the two operators of the lesson ------------------------------------------------
    # Each operator computes its value; the method right under it is its backward rule,
    # the rule of `out = self * other`: it pushes out.grad to the inputs self and other.
    # `_backward()` (below) calls the rule of the operator that made a node.

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+")

    @staticmethod
    def _add_backward(out: Value) -> None:
        self, other = out._prev
        self.grad += out.grad
        other.grad += out.grad

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*")

    @staticmethod
    def _mul_backward(out: Value) -> None:
        self, other = out._prev
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    # -- more operators -----------------------------------------------------------------

    def __sub__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data - other.data, (self, other), "-")

    @staticmethod
    def _sub_backward(out: Value) -> None:
        self, other = out._prev
        self.grad += out.grad
        other.grad += -1.0 * out.grad

    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data / other.data, (self, other), "/")

    @staticmethod
    def _div_backward(out: Value) -> None:
        self, other = out._prev
        self.grad += (1.0 / other.data) * out.grad
        other.grad += (-self.data / other.data / other.data) * out.grad  # -self/other², without other² underflowing

    def __pow__(self, other: float) -> Value:
        if isinstance(other, (Value, bool)) or not isinstance(other, (int, float)):
            raise TypeError("the exponent of ** must be a number, not a Value")
        if abs(other) >= MAX_EXACT_EXPONENT:
            raise ValueError(f"the exponent {other:g} is too large: use one below 2**53 (about 9e15)")
        data = self.data ** float(other)
        if isinstance(data, complex):
            raise ValueError(f"{self.data:g} ** {other:g} is not a real number")
        out = Value(data, (self,), "**")
        out._exponent = float(other)
        return out

    @staticmethod
    def _pow_backward(out: Value) -> None:
        (self,) = out._prev
        n = out._exponent
        if n == 0:  # x**0 is the constant 1: slope 0, even at x = 0, where n * x**(n-1) would divide by 0
            return
        self.grad += (n * self.data ** (n - 1)) * out.grad

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg")

    @staticmethod
    def _neg_backward(out: Value) -> None:
        (self,) = out._prev
        self.grad += -1.0 * out.grad

    def tanh(self) -> Value:
        return Value(math.tanh(self.data), (self,), "tanh")

    @staticmethod
    def _tanh_backward(out: Value) -> None:
        (self,) = out._prev
        self.grad += (1 - out.data**2) * out.grad

    def relu(self) -> Value:
        return Value(self.data if self.data > 0 else 0.0, (self,), "relu")

    @staticmethod
    def _relu_backward(out: Value) -> None:
        (self,) = out._prev
        self.grad += (1.0 if out.data > 0 else 0.0) * out.grad

    def exp(self) -> Value:
        return Value(math.exp(self.data), (self,), "exp")

    @staticmethod
    def _exp_backward(out: Value) -> None:
        (self,) = out._prev
        self.grad += out.data * out.grad

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log is only defined for positive numbers, not {self.data:g}")
        return Value(math.log(self.data), (self,), "log")

    @staticmethod
    def _log_backward(out: Value) -> None:
        (self,) = out._prev
        self.grad += (1.0 / self.data) * out.grad

    # numbers on the left: 2 * x, 1 - x, 1 / x keep the number as the first child
    def __radd__(self, other: float) -> Value:
        return Value(other) + self

    def __rmul__(self, other: float) -> Value:
        return Value(other) * self

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) / self

    # -- backpropagation ----------------------------------------------------------------

    def _backward(self) -> None:
        """Push this node's grad to the nodes it was computed from (its operator's rule)."""
        if self._prev:
            BACKWARD_RULES[self._op](self)

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its children.

        The lesson's build_topo (depth-first, a node after its children), with an explicit
        stack instead of recursion, so a chain of a million nodes does not hit Python's
        recursion limit. A node goes on the stack under a marker, its children on top:
        when the marker comes off again, all its children are in topo.
        """
        topo: list[Value] = []
        visited: set[Value] = set()
        stack: list[Value | object] = [self]
        while stack:
            node = stack.pop()
            if node is _CHILDREN_DONE:
                topo.append(stack.pop())
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(_CHILDREN_DONE)
                for child in reversed(node._prev):  # reversed: the first child comes off first
                    if child not in visited:
                        stack.append(child)
        return topo

    def backward(self) -> None:
        """Fill in .grad of every node with d self / d node. Accumulates, like PyTorch."""
        topo = self.topological_order()
        self.grad = 1.0  # d self / d self = 1
        for node in reversed(topo):
            node._backward()

    def zero_grad(self) -> None:
        """Set .grad of this node and every node it depends on back to 0."""
        for node in self.topological_order():
            node.grad = 0.0


# From 2**53 on, floats are spaced 2 or more apart: n - 1 rounds to n (1e16 - 1 == 1e16), so the
# power rule's x**(n-1) would get the wrong sign for a negative x. `**` refuses such exponents.
MAX_EXACT_EXPONENT = 2.0**53

_CHILDREN_DONE = object()  # a marker for topological_order's stack

# The backward rule of each operator, by the `_op` string its forward method records: the method
# that its record in engine/operators.py names (a plain dict, refilled when an operator is added).
BACKWARD_RULES: dict[str, Callable[[Value], None]] = operators.table(lambda record: getattr(Value, record.rule))
