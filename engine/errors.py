"""The one error the parser raises: what is wrong, in words a learner understands, and where."""

from __future__ import annotations


class ExpressionError(ValueError):
    """Bad input. `line` and `col` are 1-based, or None when the problem has no place in the text."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.col}: {self.message}"
