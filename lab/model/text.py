"""Our sentences on a page: Markdown that keeps `*` and `_` as characters, HTML with `code` parts."""

from __future__ import annotations

import html
import re


def with_code(text: str) -> str:
    """Escaped HTML of a message, its `formula` parts as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


_MARKDOWN = re.compile(r"([*_<>$~\\\[\]])")


def markdown_safe(text: str) -> str:
    """Our sentences for st.markdown: `*` and `_` outside `code` stay characters (`x*y` is not italics)."""
    parts = text.split("`")
    return "`".join(part if i % 2 else _MARKDOWN.sub(r"\\\1", part) for i, part in enumerate(parts))
