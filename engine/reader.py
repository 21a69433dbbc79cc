"""The one safe front end for everything a learner types as Python: read it, never run it.

Every reader of learner text (the expression language in engine/parser.py, a backward rule in
engine/rule_reader.py, a whole program with a `Value` class read by sandbox/code_reader.py) starts
here. `read()` does the part they all need, the same way each time:

- the text must be `str`, at most `max_length` characters, with no NUL character and no lone
  surrogate (text that cannot be UTF-8): each refused with a message and, where it has one, a place;
- `ast.parse` only reads the text into a tree (nothing is run; tried again when another thread's
  parse upset CPython 3.11's shared depth counter, python/cpython#106905); a SyntaxError becomes an
  `ExpressionError` with line and column in a learner's words (`2x` says "write 2*x", a keyword
  used as a name says so, too many brackets names the limit);
- the tree's nesting is measured without recursion: more than `max_depth` operations inside each
  other is refused where it happens, so a reader may then walk the tree recursively;
- names are plain ASCII: a full-width `ｘ` would look like `x` and be another name.

It returns a `Source`: the text, its lines and its tree, and the three things every message
needs: `where(node)` (1-based line and column, in characters), `typed(node)` (the text exactly as
typed) and `shown(node)` (that text as markdown inline code, shortened: `engine.errors.quote`).
`refuse(node, message)` raises the ExpressionError at the node's place.

`Whitelist` is a small base for a whitelist walk: `visit(node)` calls the subclass's method
`read_<NodeType>` (`read_BinOp`, `read_Name`, ...) and refuses any other node with words for what
it is (`describe(node)`: "a for loop", "a list [...]"). A whitelist built on it:

    import ast

    from engine.reader import Whitelist, operator_symbol, read

    class Sums(Whitelist):
        '''Numbers and names joined by `+`, nothing else.'''

        def read_Module(self, node):
            return [self.visit(statement) for statement in node.body]

        def read_Expr(self, node):
            return self.visit(node.value)

        def read_BinOp(self, node):
            if not isinstance(node.op, ast.Add):
                self.refuse(node, f"only + is allowed here, not {operator_symbol(node.op)}")
            return ("+", self.visit(node.left), self.visit(node.right))

        def read_Name(self, node):
            return node.id

        def read_Constant(self, node):
            return node.value

    Sums(read("x + 2\\nx + y")).visit_tree()   # [("+", "x", 2), ("+", "x", "y")]
    Sums(read("x * 2")).visit_tree()           # ExpressionError: line 1, column 1: only + is allowed ...
    Sums(read("for i in x: pass")).visit_tree()  # ExpressionError: line 1, column 1: a for loop is not allowed here

A reader with its own dispatch (the parser's statement-by-statement walk) uses `Source` alone.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import unicodedata
from collections.abc import Iterable
from typing import Any, NoReturn

from engine.errors import ExpressionError, quote

MAX_TEXT_LENGTH = 200_000  # characters, unless a reader asks for another limit
MAX_DEPTH = 100  # operations nested inside each other, unless a reader asks for another limit
MAX_BRACKETS = 200  # brackets inside each other: Python's own parser stops at this many

# What counts as one level of nesting: operations, and statements that hold other statements.
NESTING: tuple[type[ast.AST], ...] = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Compare,
    ast.IfExp,
    ast.BoolOp,
    ast.Lambda,
    ast.Subscript,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)

# Every operator Python has, as the learner typed it (the readers allow some and name the others).
OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.USub: "-",
    ast.UAdd: "+",
    ast.Not: "not",
    ast.Invert: "~",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}

# What a piece of Python is, in a learner's words: for "... is not allowed here".
DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Subscript: "indexing with [...]",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "comparisons (<, ==, ...)",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "'... if ... else ...'",
    ast.List: "a list [...]",
    ast.Tuple: "a tuple (a, b)",
    ast.Dict: "a dict {...}",
    ast.Set: "a set {...}",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'",
    ast.Slice: "a slice",
    ast.Attribute: "an attribute (.name)",
    ast.Call: "a call",
    ast.Name: "a name",
    ast.Constant: "a constant",
    ast.BinOp: "an operation",
    ast.UnaryOp: "an operation",
    ast.If: "an if statement",
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.FunctionDef: "a function definition (def)",
    ast.AsyncFunctionDef: "a function definition (def)",
    ast.ClassDef: "a class definition",
    ast.Return: "return",
    ast.With: "a with statement",
    ast.AsyncWith: "a with statement",
    ast.Try: "try/except",
    ast.Delete: "del",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Assert: "assert",
    ast.Raise: "raise",
    ast.AnnAssign: "a type annotation",
    ast.Pass: "pass",
    ast.Break: "break",
    ast.Continue: "continue",
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.Assign: "an assignment",
    ast.AugAssign: "an assignment",
    ast.Expr: "an expression",
}
if hasattr(ast, "Match"):  # Python 3.10+
    DESCRIPTIONS[ast.Match] = "a match statement"


def describe(node: ast.AST) -> str:
    """What the node is, in a learner's words: "a for loop", "a tuple (a, b)"; "this" if unnamed."""
    return DESCRIPTIONS.get(type(node), "this")


def operator_symbol(op: ast.AST) -> str:
    """`ast.Add()` -> "+", `ast.FloorDiv()` -> "//"."""
    return OPERATOR_SYMBOLS.get(type(op), type(op).__name__)


# -- the text and its tree ------------------------------------------------------------------------


class Source:
    """Learner text read into a tree, with what a message about any of its nodes needs."""

    def __init__(self, text: str, tree: ast.AST):
        self.text = text
        self.tree = tree
        self.lines = lines_of(text)

    def where(self, node: ast.AST | None) -> tuple[int | None, int | None]:
        """1-based (line, column in characters) of a node; ast counts columns in UTF-8 bytes."""
        return position(node, self.lines)

    def typed(self, node: ast.AST | None) -> str:
        """The node's text exactly as the learner typed it."""
        return typed(node, self.lines)

    def shown(self, node: ast.AST | None) -> str:
        """The node's text as markdown inline code, shortened if long: for a message."""
        return quote(self.typed(node))

    def error(self, node: ast.AST | None, message: str) -> ExpressionError:
        return ExpressionError(message, *self.where(node))

    def refuse(self, node: ast.AST | None, message: str) -> NoReturn:
        """Raise the ExpressionError `message` at the node's line and column."""
        raise self.error(node, message)


def read(
    text: object,
    *,
    mode: str = "exec",
    what: str = "the text",
    max_length: int = MAX_TEXT_LENGTH,
    max_depth: int = MAX_DEPTH,
    nesting: tuple[type[ast.AST], ...] = NESTING,
    invalid: str = "syntax error: something is missing or out of place here",
) -> Source:
    """Check and parse learner text (never run it); every way it can fail is an ExpressionError.

    `what` names the text in messages ("the rule"); `mode` is "exec" (statements) or "eval"
    (one expression); `invalid` is what a plain "invalid syntax" says.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"{what} must be text, not {type(text).__name__}")
    if len(text) > max_length:
        raise ExpressionError(f"{what} is too long: {len(text):,} characters (the limit is {max_length:,})")
    _check_characters(text, what)
    try:
        tree = _parse(text, mode)
    except SyntaxError as error:
        raise syntax_error(error, text, invalid) from None
    except (RecursionError, MemoryError):
        raise too_deep(max_depth, None) from None
    except ValueError as error:  # anything _check_characters did not foresee
        raise ExpressionError(f"{what} cannot be read: {error}") from None
    source = Source(text, tree)
    deep = too_deep_node(tree, max_depth, nesting)
    if deep is not None:
        raise too_deep(max_depth, *source.where(deep))
    if not text.isascii():
        check_ascii_names(source)
    return source


PARSE_ATTEMPTS = 3  # of ast.parse, when another thread's parse upset it (see `_parse`)
_ast_parse = ast.parse  # by this name, so a test can upset this module's parse alone


def _parse(text: str, mode: str) -> ast.AST:
    """`ast.parse`, tried again when CPython 3.11 raises its spurious "AST constructor recursion depth
    mismatch": the counter behind it is shared by every thread, and Streamlit runs each session in a
    thread of its own (python/cpython#106905). If it keeps failing, the learner reads why, not a traceback."""
    for _ in range(PARSE_ATTEMPTS):
        try:
            return _ast_parse(text, mode=mode)
        except SystemError as error:
            if "recursion depth mismatch" not in str(error):
                raise
    raise ExpressionError("the text could not be read just now (the server was busy): try again")


def _check_characters(text: str, what: str) -> None:
    if "\0" in text:
        line, col = line_col_of_index(text, text.index("\0"))
        raise ExpressionError(f"{what} contains a NUL character (\\0); delete it", line, col)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line, col = line_col_of_index(text, error.start)
        raise ExpressionError(
            f"{what} contains a character that is not text (a lone surrogate, U+{ord(text[error.start]):04X}); "
            "delete it or type it again",
            line,
            col,
        ) from None


def too_deep(max_depth: int, line: int | None, col: int | None = None) -> ExpressionError:
    return ExpressionError(
        f"too deeply nested: at most {max_depth} operations inside each other; "
        "split it into steps (a = ..., then b = a + ...)",
        line,
        col,
    )


def too_deep_node(tree: ast.AST, max_depth: int, nesting: tuple[type[ast.AST], ...] = NESTING) -> ast.AST | None:
    """The first node (one with a place in the text) more than `max_depth` nesting nodes deep, or None.

    An explicit stack, no recursion: the tree may be far deeper than Python's recursion limit.
    """
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, placed = stack.pop()
        placed = node if hasattr(node, "lineno") else placed  # an operator such as ast.Add has no place
        if depth > max_depth:
            return placed
        inner = depth + 1 if isinstance(node, nesting) else depth
        stack.extend((child, inner, placed) for child in reversed(list(ast.iter_child_nodes(node))))
    return None


def depth_of(tree: ast.AST, nesting: tuple[type[ast.AST], ...] = NESTING) -> int:
    """How deeply nesting nodes are inside each other (no recursion)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        inner = depth + 1 if isinstance(node, nesting) else depth
        deepest = max(deepest, inner)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return deepest


# -- syntax errors in a learner's words -------------------------------------------------------------

# a number with a name right after it: `2x`, `3.5y`
_NUMBER_THEN_NAME = re.compile(
    r"(?<![\w.])(?P<number>\d[\d_]*(?:\.\d*)?|\.\d+)(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
)


def syntax_error(error: SyntaxError, text: str, invalid: str = "syntax error: something is missing") -> ExpressionError:
    """Python's SyntaxError as an ExpressionError in a learner's words, at its line and column."""
    line = error.lineno if isinstance(error.lineno, int) and error.lineno > 0 else None
    col = error.offset if isinstance(error.offset, int) and error.offset > 0 and line else None
    message = error.msg or "invalid syntax"
    lines = lines_of(text)
    typed_line = lines[line - 1] if line is not None and line <= len(lines) else ""
    if "too many nested parentheses" in message:
        return ExpressionError(
            f"too deeply nested: at most {MAX_BRACKETS} brackets inside each other; "
            "split it into steps (a = ..., then b = a + ...)",
            line,
            col,
        )
    if "Exceeds the limit" in message:
        return ExpressionError("a number is too long (more than 4300 digits)", line, None)
    if "decimal literal" in message:
        product = _number_then_name(typed_line, col)
        if product is not None:
            number, name, start = product
            return ExpressionError(
                f"{quote(number + name)}: put * between a number and a name: write {quote(number + '*' + name)}",
                line,
                start,
            )
    if line is not None:
        keyword_use = keyword_used_as_name(typed_line)
        if keyword_use:
            word, word_col = keyword_use
            return ExpressionError(
                f"{quote(word)} is a Python keyword; pick another name for the variable", line, word_col
            )
    if message == "invalid syntax" or message.startswith("invalid syntax."):
        message = invalid
    elif message == "unexpected indent":
        message = "syntax error: unexpected indent (start every line at the left edge)"
    else:
        message = f"syntax error: {message}"
    return ExpressionError(message, line, col)


def _number_then_name(line: str, col: int | None) -> tuple[str, str, int] | None:
    """(number, name, 1-based column) of the `2x` nearest the error's column."""
    found = list(_NUMBER_THEN_NAME.finditer(line))
    if not found:
        return None
    at = (col or 1) - 1
    match = next((m for m in found if m.start() <= at < m.end()), found[0])
    return match["number"], match["name"], match.start() + 1


def keyword_used_as_name(line: str) -> tuple[str, int] | None:
    """A keyword where a name should be: `if = 2`, `x + in`. Returns (keyword, 1-based column)."""
    for match in re.finditer(r"[A-Za-z_]\w*", line):
        word = match.group()
        if not keyword.iskeyword(word):
            continue
        before = line[: match.start()].rstrip()
        after = line[match.end() :].lstrip()
        assigned = re.match(r"([-+*/]|\*\*)?=(?!=)", after) is not None
        operand = before != "" and before[-1] in "=+-*/(,"
        if assigned or operand:
            return word, match.start() + 1
    return None


def decimal_comma(source: Source, node: ast.AST) -> str | None:
    """`2,0` or `2,5 * x` (a whole number, a comma, digits): the message "use a dot", else None."""
    if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
        return None
    whole, rest = node.elts
    if not (isinstance(whole, ast.Constant) and isinstance(whole.value, int) and not isinstance(whole.value, bool)):
        return None
    digits = re.match(r"\d+(?![\w.])", source.typed(rest))
    if digits is None:
        return None
    decimal = f"{source.typed(whole)}.{digits.group()}"
    return f"{quote(source.typed(node))}: use a dot for decimals: {quote(decimal)} (a comma makes two numbers)"


# -- names ------------------------------------------------------------------------------------------


def check_ascii_names(source: Source) -> None:
    """Names are plain ASCII. Python reads `ｘ` (full-width) as `x`, but the text, a label and the
    sidebar would not: two variables that print alike. Refusing is simpler than folding every name
    the same way everywhere (labels, the hand check's keys, editing a value in the text).

    The names are taken from Python's own tokenizer, as typed: the tree holds them already folded.
    """
    try:
        for token in tokenize.generate_tokens(io.StringIO(source.text).readline):
            if token.type == tokenize.NAME and not token.string.isascii():
                line, col = token.start
                raise ExpressionError(non_ascii_message(token.string), line, col + 1)
    except (tokenize.TokenError, SyntaxError):  # ast.parse read it, so this is not expected
        return


def non_ascii_message(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name)
    hint = f"type {quote(folded)}" if folded.isascii() and folded.isidentifier() else "for example x1 or w_2"
    return f"the name {quote(name)} has letters outside a-z, A-Z: use a-z, A-Z, digits and _ ({hint})"


# -- places and text of nodes --------------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    """The lines as Python's parser counts them."""
    return re.split(r"\r\n|\r|\n", text)


def line_col_of_index(text: str, index: int) -> tuple[int, int]:
    before = lines_of(text[:index])
    return len(before), len(before[-1]) + 1


def position(node: ast.AST | None, lines: list[str]) -> tuple[int | None, int | None]:
    """1-based (line, column in characters) of a node; ast counts columns in UTF-8 bytes."""
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    if line is None or offset is None or not 1 <= line <= len(lines):
        return line, None
    prefix = lines[line - 1].encode("utf-8", "surrogatepass")[:offset]
    return line, len(prefix.decode("utf-8", "ignore")) + 1


def typed(node: ast.AST | None, lines: list[str]) -> str:
    """The text of a node exactly as the learner typed it (for messages; `quote` shortens it)."""
    line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
    if None in (line, end_line, start, end) or not 1 <= line <= end_line <= len(lines):
        return ast.unparse(node) if node is not None else ""
    # ast counts columns in UTF-8 bytes
    chunk = [text.encode("utf-8", "surrogatepass") for text in lines[line - 1 : end_line]]
    chunk[-1] = chunk[-1][:end]
    chunk[0] = chunk[0][start:]
    return "\n".join(part.decode("utf-8", "replace") for part in chunk)


# -- a base for a whitelist walk ---------------------------------------------------------------------


class Whitelist:
    """Walk a `Source`'s tree accepting only what the subclass has a `read_<NodeType>` method for."""

    def __init__(self, source: Source):
        self.source = source

    def visit_tree(self) -> Any:
        return self.visit(self.source.tree)

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"read_{type(node).__name__}", None)
        if method is None:
            self.refuse(node, self.not_allowed(node))
        return method(node)

    def visit_all(self, nodes: Iterable[ast.AST]) -> list[Any]:
        return [self.visit(node) for node in nodes]

    def not_allowed(self, node: ast.AST) -> str:
        """The message for a node the whitelist has no method for (override for other words)."""
        return decimal_comma(self.source, node) or f"{describe(node)} is not allowed here"

    def refuse(self, node: ast.AST | None, message: str) -> NoReturn:
        self.source.refuse(node, message)

    def where(self, node: ast.AST | None) -> tuple[int | None, int | None]:
        return self.source.where(node)

    def typed(self, node: ast.AST | None) -> str:
        return self.source.typed(node)

    def shown(self, node: ast.AST | None) -> str:
        return self.source.shown(node)
