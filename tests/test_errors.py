"""engine/errors.py: learner text in messages is markdown inline code, shown exactly as typed, and short."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


TEMPLATES = [
    "z = {n}(x)",  # unknown function
    "x = 2\nz = x.{n}",  # attribute
    "x = 2\nz = x.{n}()",  # unknown method
    "z = {n} * 2",  # no value (or a reserved name)
    "{n} = 1\n{n} = 2\nz = {n} * 2",  # a variable's number twice
    "z = {n} * 2\n{n} = 3",  # used before it is assigned
    "x = 2\nz = x ** {n}",  # a name as exponent
    "x = 2\n{n}.data = 3\nz = x",  # setting an attribute
    "z = Value({n})",  # Value of a name
    "z = Value(2.0, label='{n}') * {n}_",
]


def outside_code(message: str) -> str:
    """The message with its code spans (`...`, `` ... ``) taken out: what markdown would format."""
    return re.sub(r"(`+).*?\1", "", message)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(TEMPLATES), st.from_regex(r"_{0,2}[a-z]{1,3}_{0,2}", fullmatch=True))
def test_every_message_keeps_learner_names_inside_code_spans(template, name):
    text = template.format(n=name)
    try:
        parse(text, {})
    except ExpressionError as error:
        rest = outside_code(error.message)
        assert "__" not in rest, error.message
        if "_" in name:
            assert name not in rest, error.message
