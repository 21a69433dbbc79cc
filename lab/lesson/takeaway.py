"""The lesson's written takeaway: its prompts, and counting its sentences sensibly.

A sentence ends at `.`, `!` or `?` followed by a space, a line break or the end of the text;
at a blank line; and where a list item (`- `, `* `, `1. `) starts. Not at the dot of `x.grad`
or `3.5` (no space after it), not after `e.g.`, `i.e.` and friends, and not at an ellipsis
that runs on in lower case (`it was... odd`).
"""

from __future__ import annotations

import re

PROMPTS = (
    "What surprised you?",
    "What felt simpler than expected?",
    "What still feels fuzzy?",
)
MIN_SENTENCES, MAX_SENTENCES = 3, 5

# abbreviations whose dot does not end a sentence (compared in lower case, with their dots)
ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "eg.", "ie.", "cf.", "vs.", "approx.", "ca.", "resp.", "fig.", "eq.", "no.", "mr.", "dr."}
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_END = re.compile(r"[.!?]+[\"')\]]*$")
_WORD = re.compile(r"\w", re.UNICODE)


def _pieces(text: str) -> list[str]:
    """The text cut at blank lines and before list items: each piece holds one or more sentences."""
    pieces: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or _LIST_ITEM.match(line):
            if current:
                pieces.append(" ".join(current))
            current = []
            line = _LIST_ITEM.sub("", line)
        if line.strip():
            current.append(line.strip())
    if current:
        pieces.append(" ".join(current))
    return pieces


def _sentences_in(piece: str) -> int:
    words = piece.split()
    count = 0
    has_words = False
    for i, word in enumerate(words):
        has_words = has_words or bool(_WORD.search(word))
        if i == len(words) - 1:
            break  # the piece's end is a sentence end anyway
        if not _END.search(word) or word.lower() in ABBREVIATIONS or word.lower().rstrip(",") in ABBREVIATIONS:
            continue
        if word.rstrip("\"')]").endswith("...") and words[i + 1][:1].islower():
            continue  # an ellipsis that runs on: "it was... odd"
        if has_words:
            count += 1
            has_words = False
    return count + (1 if has_words else 0)


def count_sentences(text: str) -> int:
    """How many sentences `text` has (0 for blank text, or text without a single letter or digit)."""
    return sum(_sentences_in(piece) for piece in _pieces(text))


def is_done(text: str) -> bool:
    """The lesson asks for 3 to 5 sentences."""
    return MIN_SENTENCES <= count_sentences(text) <= MAX_SENTENCES


def message(text: str) -> tuple[str, str]:
    """(kind, words) to show under the box: "info", "warning" (gently) or "success"."""
    count = count_sentences(text)
    said = f"{count} sentence{'s' if count != 1 else ''}"
    if count == 0:
        return (
            "info",
            f"Write {MIN_SENTENCES} to {MAX_SENTENCES} sentences: one for each question above is a good start.",
        )
    if count < MIN_SENTENCES:
        return "warning", f"{said} so far. A few more? The lesson asks for {MIN_SENTENCES} to {MAX_SENTENCES}."
    if count > MAX_SENTENCES:
        return "warning", (
            f"{said}: that's more than the {MAX_SENTENCES} the lesson asks for. Can you keep the ones that matter most?"
        )
    return "success", f"{said}: just right."
