"""engine/reader.py: the one front end every reader of learner Python starts from."""

import ast
import re
import sys

import pytest

import engine.reader as reader
from engine.errors import ExpressionError
from engine.reader import Source, Whitelist, read


def refusal(text, **options) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        read(text, **options)
    return caught.value


def test_the_docstring_example_whitelist_works_as_documented():
    example = re.search(r"\n    import ast\n.*?\n\n    Sums\(read", reader.__doc__, re.DOTALL)
    code = "\n".join(line[4:] for line in example.group(0).splitlines()[1:-1])
    namespace: dict = {}
    exec(compile(code, "docstring", "exec"), namespace)  # the test runs the documented example
    sums = namespace["Sums"]
    assert sums(read("x + 2\nx + y")).visit_tree() == [("+", "x", 2), ("+", "x", "y")]
    with pytest.raises(ExpressionError) as caught:
        sums(read("z = 1\nx * 2")).visit_tree()
    assert (caught.value.line, caught.value.col) == (1, 1)  # the assignment is not in the whitelist
    assert "an assignment is not allowed here" in caught.value.message
    with pytest.raises(ExpressionError) as caught:
        sums(read("x + 1\n  \nx * 2")).visit_tree()
    assert (caught.value.line, caught.value.col) == (3, 1)
    assert caught.value.message == "only + is allowed here, not *"
    with pytest.raises(ExpressionError, match="a for loop is not allowed here"):
        sums(read("for i in x: pass")).visit_tree()


def test_a_whole_program_with_a_class_and_backward_is_read_not_run():
    program = (
        "class Value:\n"
        "    def __init__(self, data, _children=()):\n"
        "        self.data = data\n"
        "        self.grad = 0.0\n"
        "    def backward(self):\n"
        "        for node in reversed(topo):\n"
        "            node._backward()\n"
    )
    source = read(program, what="your program")
    assert isinstance(source.tree, ast.Module)
    assert isinstance(source.tree.body[0], ast.ClassDef)


def test_text_that_is_not_a_string_is_refused():
    assert "your program must be text, not bytes" in refusal(b"x", what="your program").message


def test_text_over_the_limit_names_the_limit():
    assert read("x" * 50, max_length=50)
    error = refusal("x" * 51, max_length=50, what="the rule")
    assert error.message == "the rule is too long: 51 characters (the limit is 50)"


def test_a_nul_character_is_refused_at_its_place():
    error = refusal("x = 1\ny = x\0 + 1")
    assert "NUL" in error.message and (error.line, error.col) == (2, 6)


def test_a_lone_surrogate_is_refused_at_its_place_with_words_not_a_traceback():
    error = refusal("x = 1\ny = '\ud800'")
    assert "not text" in error.message and "U+D800" in error.message
    assert (error.line, error.col) == (2, 6)


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("z = 2x", "`2x`: put * between a number and a name: write `2*x`", 1, 5),
        ("x = 1\nz = 3.5y + 1", "`3.5y`: put * between a number and a name: write `3.5*y`", 2, 5),
        ("z = x * * 2", "syntax error: something is missing or out of place here", 1, 9),
        ("z = (2 +", "syntax error: '(' was never closed", 1, 5),
        ("if = 2", "`if` is a Python keyword; pick another name for the variable", 1, 1),
    ],
)
def test_a_syntax_error_says_what_is_wrong_in_a_learners_words_with_line_and_column(text, message, line, col):
    error = refusal(text)
    assert (error.message, error.line, error.col) == (message, line, col)


def test_a_reader_can_name_a_plain_syntax_error_in_its_own_words():
    assert refusal("a b", invalid="this line is not a formula").message == "this line is not a formula"


def test_nesting_deeper_than_the_limit_is_refused_where_it_happens():
    assert read("-(" * 10 + "x" + ")" * 10, max_depth=10)
    error = refusal("y = 1\nz = " + "-(" * 11 + "x" + ")" * 11, max_depth=10)
    assert error.message.startswith("too deeply nested: at most 10 operations")
    assert error.line == 2


def test_statements_inside_statements_count_as_nesting():
    text = "".join("    " * i + f"if x{i}:\n" for i in range(6)) + "    " * 6 + "pass\n"
    assert read(text, max_depth=6)
    assert refusal(text, max_depth=5).message.startswith("too deeply nested")


def test_the_depth_check_does_not_recurse(monkeypatch):
    # a tree 5,000 levels deep, measured with Python's recursion limit far below that
    tree: ast.expr = ast.Name("x", ast.Load())
    for _ in range(5_000):
        tree = ast.UnaryOp(ast.USub(), tree)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        deep = reader.too_deep_node(tree, 4_000)
        depth = reader.depth_of(tree)
    finally:
        sys.setrecursionlimit(limit)
    assert depth == 5_000
    assert deep is not None


def test_a_very_long_chain_is_refused_quickly_not_with_a_crash():
    error = refusal("x" + "+x" * 60_000)
    assert error.message.startswith("too deeply nested")


@pytest.mark.parametrize(
    ("text", "col"),
    [("ｘ = 1", 1), ("z = 1 + ｙ", 9), ("z = x.ｄata", 7), ("def ｆ(): pass", 5), ("z = f(ａ=1)", 7)],
)
def test_names_outside_ascii_are_refused_at_their_place(text, col):
    error = refusal(text)
    assert "letters outside a-z" in error.message and (error.line, error.col) == (1, col)


def test_non_ascii_text_inside_strings_and_comments_is_fine_and_columns_count_characters():
    source = read("s = 'héllo'  # ça va\nz = s + bad")
    node = source.tree.body[1].value.right
    assert source.where(node) == (2, 9)
    assert source.typed(source.tree.body[0].value) == "'héllo'"


def test_a_column_after_a_two_byte_letter_on_the_same_line_counts_characters():
    source = read("s = 'héllo' + bad")  # ast's col_offset of `bad` is 15: é is 2 bytes in UTF-8
    node = source.tree.body[0].value.right
    assert source.where(node) == (1, 15)
    assert source.typed(node) == "bad"


def test_source_quotes_the_typed_segment_as_code_and_refuses_at_the_node():
    source = read("x = 1\nz = __import__('os')")
    call = source.tree.body[1].value
    assert source.typed(call) == "__import__('os')"
    assert source.shown(call) == "`__import__('os')`"
    with pytest.raises(ExpressionError) as caught:
        source.refuse(call, f"{source.shown(call)} is not allowed")
    assert (caught.value.line, caught.value.col, caught.value.message) == (2, 5, "`__import__('os')` is not allowed")


def test_a_decimal_comma_gets_use_a_dot():
    source = read("z = 2,0\nw = 2, 5\nv = (1, x)")
    hint = reader.decimal_comma(source, source.tree.body[0].value)
    assert hint == "`2,0`: use a dot for decimals: `2.0` (a comma makes two numbers)"
    assert "`2.5`" in reader.decimal_comma(source, source.tree.body[1].value)
    assert reader.decimal_comma(source, source.tree.body[2].value) is None


def test_a_whitelist_names_what_it_does_not_have_a_method_for():
    class Nothing(Whitelist):
        def read_Module(self, node):
            return self.visit_all(node.body)

        def read_Expr(self, node):
            return self.visit(node.value)

    refused = [("x = [1]", "an assignment"), ("while x: pass", "a while loop"), ("2,0", "use a dot"), ("x", "a name")]
    for text, words in refused:
        with pytest.raises(ExpressionError, match=words):
            Nothing(read(text)).visit_tree()
    assert isinstance(read("x").tree, ast.Module) and isinstance(Source("x", ast.parse("x")), Source)


def test_a_parse_upset_by_another_thread_is_tried_again(monkeypatch):
    # CPython 3.11's ast shares a depth counter between threads (python/cpython#106905)
    real = ast.parse
    failures = iter([True, True])

    def upset_twice(text, mode="exec"):
        if next(failures, False):
            raise SystemError("AST constructor recursion depth mismatch (before=1, after=2)")
        return real(text, mode=mode)

    monkeypatch.setattr(reader, "_ast_parse", upset_twice)
    assert isinstance(read("z = x * y").tree, ast.Module)

    def always_upset(text, mode="exec"):
        raise SystemError("AST constructor recursion depth mismatch (before=1, after=2)")

    monkeypatch.setattr(reader, "_ast_parse", always_upset)
    assert "try again" in refusal("z = x * y").message
