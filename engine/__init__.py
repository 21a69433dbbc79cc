"""Backprop Lab's autodiff engine: scalars only, standard library only."""

from engine.value import BACKWARD_RULES, Value

__all__ = ["BACKWARD_RULES", "Value"]
