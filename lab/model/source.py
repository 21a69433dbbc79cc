"""The engine's own code, read from engine/value.py as it is right now (never a copy)."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable

from engine import operators
from engine.value import BACKWARD_RULES, Value


def source_of(function: Callable) -> str:
    """The engine's own code of a method, as it is in engine/value.py right now."""
    return textwrap.dedent(inspect.getsource(function)).rstrip()


def forward_source(op: str) -> str:
    """The method that computes the forward value, e.g. `Value.__mul__`."""
    return source_of(getattr(Value, operators.OPERATORS[op].method))


def backward_source(op: str) -> str:
    """The operator's backward rule, e.g. `Value._mul_backward`, found through BACKWARD_RULES."""
    return source_of(BACKWARD_RULES[op])


def dispatch_source() -> str:
    """How backward() reaches a rule: `Value._backward`, which looks the rule up by `_op`."""
    return source_of(Value._backward)
