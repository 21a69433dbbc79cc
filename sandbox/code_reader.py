"""Read a learner's `Value` class and `backward()` with a whitelist, before anything runs it.

`check(code)` returns the syntax tree when every piece of the code is on the whitelist, and
raises engine.errors.ExpressionError with the line (and column) of the first piece that is not.
It is built on the project's one front end, engine/reader.py (length, NUL, lone surrogates,
syntax errors in a learner's words, nesting depth, ASCII names), like the expression parser and
the rule reader.
This is the first of the sandbox's defenses; the second is the limited process
(sandbox/child.py), which holds even if something slips through here.

Allowed: what a `Value` class and `backward()` need: class and function definitions, nested
functions, lambda, if/for/while, return, pass/break/continue, assert/raise, assignments
(including `+=`), calls, lists, sets, tuples, dicts, comprehensions, `isinstance`, `nonlocal`,
f-strings, `import math` (and `from math import ...`).

Refused, with the line named: any other import; any name or attribute that starts with `__`
(defining a dunder method, `def __add__`, is fine); introspection attributes (`gi_frame`,
`f_globals`, `f_back`, `tb_frame`, `co_code` and their kin); `eval`, `exec`, `compile`,
`open`, `getattr`, `setattr`, `delattr`, `globals`, `vars`, `locals`, `dir`, `type`, `object`,
`breakpoint`, `input`, `help`, `memoryview`, `exit`, `quit`, ...; `format` and `.format`;
try/with/global/del/yield/async; class keywords (`metaclass=`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, TypeVar

from engine import reader
from engine.errors import ExpressionError, quote
from engine.reader import Source, Whitelist

T = TypeVar("T")
ATTEMPTS = 3  # of ast.parse, when another thread's parse upset it (see `retrying`)
MAX_CODE_BYTES = 200_000  # the code, in UTF-8 bytes
MAX_DEPTH = 100  # operations and blocks nested inside each other (the front end counts them)

ALLOWED_MODULES = ("math",)

# Names that reach the interpreter's machinery, files or the learner's terminal.
REFUSED_NAMES = {
    "eval": "runs text as code",
    "exec": "runs text as code",
    "compile": "makes code from text",
    "open": "opens files",
    "getattr": "reads an attribute by its name as text",
    "setattr": "sets an attribute by its name as text",
    "delattr": "deletes an attribute by its name as text",
    "hasattr": "looks up an attribute by its name as text",
    "globals": "looks inside the interpreter",
    "locals": "looks inside the interpreter",
    "vars": "looks inside objects",
    "dir": "looks inside objects",
    "type": "makes classes and looks inside objects (use `isinstance`)",
    "object": "is Python's base class (write `class Value:`)",
    "super": "reaches Python's base class",
    "breakpoint": "starts the debugger",
    "input": "waits for typing",
    "help": "starts the help system",
    "memoryview": "reads raw memory",
    "bytearray": "is not needed here",
    "format": "can read attributes by their names as text",
    "exit": "stops Python (nothing to stop here: your code is run, then checked)",
    "quit": "stops Python (nothing to stop here: your code is run, then checked)",
    "SystemExit": "stops Python (nothing to stop here: your code is run, then checked)",
    "KeyboardInterrupt": "is not needed here",
    "BaseException": "is not needed here",
    "GeneratorExit": "is not needed here",
}

# Special methods that run at times the checks do not choose (an object's deletion, every attribute
# read or write, class creation): a Value never needs them.
_REFUSED_METHOD_WORDS = """
    __del__ __getattribute__ __getattr__ __setattr__ __delattr__ __init_subclass__ __set_name__
    __class_getitem__ __new__ __reduce__ __reduce_ex__ __getstate__ __setstate__ __instancecheck__
    __subclasscheck__ __prepare__ __dir__ __format__ __get__ __set__ __delete__ __mro_entries__
    """
REFUSED_METHODS = frozenset(_REFUSED_METHOD_WORDS.split())

# Attributes that lead from an object to frames, code and the interpreter's globals: whole families by their
# prefix (a frame's f_*, code's co_*, a generator's gi_*, a coroutine's cr_*, an async generator's ag_*, a
# traceback's tb_*: Python adds members to them, like `co_qualname` and `f_trace_lines`), and a few by name.
INTROSPECTION_PREFIXES = ("f_", "co_", "gi_", "cr_", "ag_", "tb_", "func_", "im_")
_INTROSPECTION_WORDS = "mro format format_map cell_contents"
INTROSPECTION = frozenset(_INTROSPECTION_WORDS.split())

# Refused with these words (anything else not on the whitelist: in the front end's words).
REFUSED_STATEMENTS: dict[type[ast.AST], str] = {
    ast.AsyncFunctionDef: "`async def`",
    ast.AsyncFor: "`async for`",
    ast.AsyncWith: "`async with`",
    ast.With: "a `with` statement",
    ast.Try: "`try`/`except`",
    ast.Delete: "`del`",
    ast.Global: "`global`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield from`",
    ast.Await: "`await`",
}


def check(code: object) -> ast.Module:
    """The code's syntax tree, when all of it is on the whitelist; else ExpressionError(message, line, col)."""
    source = read(code)
    try:
        _Whitelist(source).visit_tree()
    except RecursionError:  # a chain of thousands of `.x` (not counted as nesting by the front end)
        raise ExpressionError("the code is nested too deeply to read") from None
    assert isinstance(source.tree, ast.Module)
    return source.tree


def read(code: object) -> Source:
    """The front end (engine/reader.py), after two checks of its own: UTF-8 bytes are decoded
    (others refused at their line), and the limit is counted in UTF-8 bytes."""
    if isinstance(code, bytes):
        try:
            code = code.decode("utf-8")
        except UnicodeDecodeError as e:
            line = code[: e.start].count(b"\n") + 1
            raise ExpressionError("the code has a character that is not UTF-8 text; retype that line", line) from None
    if isinstance(code, str):
        size = len(code.encode("utf-8", "surrogatepass"))
        if size > MAX_CODE_BYTES:
            raise ExpressionError(f"the code is too long: {size:,} bytes (the limit is {MAX_CODE_BYTES:,})")
    return retrying(reader.read, code, what="the code", max_length=MAX_CODE_BYTES, max_depth=MAX_DEPTH)


def retrying(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(...)` (one that calls ast.parse), tried again when CPython 3.11's ast raises its spurious
    "AST constructor recursion depth mismatch": its depth counter is shared by every thread, and
    Streamlit runs each session in a thread of its own (python/cpython#106905)."""
    for _ in range(ATTEMPTS - 1):
        try:
            return function(*args, **kwargs)
        except SystemError as e:
            if "recursion depth mismatch" not in str(e):
                raise
    return function(*args, **kwargs)


# Nodes that are allowed as they are: their parts are looked at one by one.
PLAIN: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Return,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.For,
    ast.While,
    ast.If,
    ast.Expr,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Assert,
    ast.Raise,
    ast.BoolOp,
    ast.NamedExpr,
    ast.BinOp,
    ast.UnaryOp,
    ast.IfExp,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Compare,
    ast.Call,
    ast.FormattedValue,
    ast.JoinedStr,
    ast.Constant,
    ast.Subscript,
    ast.Starred,
    ast.List,
    ast.Tuple,
    ast.Slice,
    ast.comprehension,
    ast.expr_context,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)


class _Whitelist(Whitelist):
    """Every node is visited; a node kind not allowed, a refused name or attribute raises at its line."""

    def __init__(self, source: Source):
        super().__init__(source)
        self.in_class = False  # directly inside a class body: `def __add__` defines a method

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, PLAIN):
            self.in_class = False
            self.visit_all(ast.iter_child_nodes(node))
            return
        super().visit(node)

    def not_allowed(self, node: ast.AST) -> str:
        words = REFUSED_STATEMENTS.get(type(node)) or reader.describe(node)
        return f"{words} is not allowed in your Value code"

    # -- definitions --

    def read_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_name(node.name, node)
        if node.keywords:
            self.refuse(node, f"class {quote(node.name)}: keywords like `metaclass=` are not allowed")
        self.in_class = False
        self.visit_all((*node.bases, *node.decorator_list))
        for statement in node.body:
            self.in_class = True
            self.visit(statement)
        self.in_class = False

    def read_FunctionDef(self, node: ast.FunctionDef) -> None:
        is_dunder = node.name.startswith("__") and node.name.endswith("__") and len(node.name) > 4
        if node.name in REFUSED_METHODS:
            self.refuse(node, f"defining {quote(node.name)} is not allowed here (a Value does not need it)")
        if not (is_dunder and self.in_class):  # `def __add__` in a class defines a method: fine
            self._check_name(node.name, node)
        self.in_class = False
        self.visit_all(node.decorator_list)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.visit_all(node.body)

    def read_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.visit(node.body)

    def read_arguments(self, node: ast.arguments) -> None:
        self.visit_all(ast.iter_child_nodes(node))

    def read_arg(self, node: ast.arg) -> None:
        self._check_name(node.arg, node)
        if node.annotation is not None:
            self.visit(node.annotation)

    # -- imports --

    def read_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in ALLOWED_MODULES:
                self.refuse(node, f"`import {alias.name}` is not allowed: only `import math` is")
            if alias.asname:
                self._check_name(alias.asname, node)

    def read_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or node.module not in ALLOWED_MODULES:
            where = "." * node.level + (node.module or "")  # `from .math` is a file of that name, not math
            self.refuse(node, f"`from {where} import ...` is not allowed: only `import math` is")
        for alias in node.names:
            if alias.name == "*":
                self.refuse(node, "`from math import *` is not allowed: name what you use (`from math import exp`)")
            self._check_name(alias.name, node)
            if alias.asname:
                self._check_name(alias.asname, node)

    # -- names and attributes --

    def read_Name(self, node: ast.Name) -> None:
        self._check_name(node.id, node)

    def read_Attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        if name.startswith("__"):
            self.refuse(node, f"{quote('.' + name)}: names that start with `__` are not allowed")
        if name in INTROSPECTION or name.startswith(INTROSPECTION_PREFIXES):
            self.refuse(node, f"{quote('.' + name)} looks inside Python itself and is not allowed")
        self.visit(node.value)

    def read_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self._check_name(node.arg, node.value)
        self.visit(node.value)

    def read_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self._check_name(name, node)

    def _check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("__"):
            self.refuse(node, f"{quote(name)}: names that start with `__` are not allowed")
        if name in REFUSED_NAMES:
            self.refuse(node, f"{quote(name)} {REFUSED_NAMES[name]}, so it is not allowed here")
