"""The one error the parser raises: what is wrong, in words a learner understands, and where."""

from __future__ import annotations

import re

QUOTE_LIMIT = 40  # characters of learner text shown in a message; longer text is cut with "…"


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


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Learner text as markdown inline code, exactly as typed (`__import__` stays `__import__`).

    Messages are shown with markdown, where `__x__` would turn bold. Inside a code span nothing is
    markdown; the fence is one backtick longer than any run of backticks in the text, and a space
    pads text that starts or ends with a backtick (markdown drops one such space on each side).
    Text longer than `limit` is cut: its first `limit` characters and "…".
    """
    text = " ".join(str(text).split())  # one line: a code span cannot hold a line break
    if len(text) > limit:
        text = text[:limit] + "…"
    if not text:
        return "(nothing)"
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    if text[0] == "`" or text[-1] == "`":
        text = f" {text} "
    return f"{fence}{text}{fence}"
