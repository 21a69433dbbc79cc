"""engine/errors.py: learner text in messages is markdown inline code, shown exactly as typed, and short."""

import re

import pytest

from engine.errors import QUOTE_LIMIT, ExpressionError, quote
from engine.parser import parse, parse_program


def code_span_content(markdown: str) -> str:
    """What CommonMark shows for one inline code span (the fence, then one padding space each side, dropped)."""
    match = re.fullmatch(r"(`+)(.*?)\1", markdown, re.DOTALL)
    assert match, f"not one code span: {markdown!r}"
    content = match[2]
    assert not re.search(rf"(?<!`){match[1]}(?!`)", content), "the fence appears inside"
    if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip():
        content = content[1:-1]
    return content


@pytest.mark.parametrize("text", ["__import__", "x", "a*b*c", "`x`", "a ``b`` c", "``", "$x$", "<b>x</b>", "x_1_"])
def test_quoted_text_shows_exactly_as_typed(text):
    assert code_span_content(quote(text)) == text


def test_long_text_is_cut_to_its_first_characters_and_an_ellipsis():
    quoted = quote("n" * 190_000)
    assert code_span_content(quoted) == "n" * QUOTE_LIMIT + "…"


def error_message(text: str, values=None) -> str:
    with pytest.raises(ExpressionError) as caught:
        parse(text, values)
    return caught.value.message


def test_dunder_names_and_attributes_are_quoted_as_typed_not_bold():
    assert "`__import__`" in error_message("__import__('os')")
    assert "`.__class__`" in error_message("x.__class__")
    assert "**import**" not in error_message("__import__('os')")


def test_a_190000_character_name_gives_a_short_message():
    name = "v" * 190_000
    with pytest.raises(ExpressionError) as caught:
        parse_program(f"z = {name} + 1").build()
    message = str(caught.value)
    assert len(message) < 120, message
    assert "v" * QUOTE_LIMIT + "…" in message
