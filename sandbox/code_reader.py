"""Read a learner's `Value` class and `backward()` with a whitelist, before anything runs it.

`check(code)` returns the syntax tree when every piece of the code is on the whitelist, and
raises engine.errors.ExpressionError with the line (and column) of the first piece that is not.
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

from engine.errors import ExpressionError, quote

MAX_CODE_BYTES = 200_000  # the code, in UTF-8 bytes
MAX_DEPTH = 100  # syntax nested inside itself

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

# Attributes that lead from an object to frames, code and the interpreter's globals.
_INTROSPECTION_WORDS = """
    gi_frame gi_code gi_yieldfrom gi_running gi_suspended cr_frame cr_code cr_await cr_origin cr_running
    ag_frame ag_code ag_await ag_running f_globals f_locals f_builtins f_back f_code f_trace f_lasti f_lineno
    tb_frame tb_next tb_lasti tb_lineno co_code co_consts co_names co_varnames co_filename co_lnotab
    func_globals func_code func_closure im_func im_self mro format format_map cell_contents
"""
INTROSPECTION = frozenset(_INTROSPECTION_WORDS.split())
INTROSPECTION_PREFIXES = ("gi_", "cr_", "ag_", "co_", "tb_", "f_back", "f_glob", "f_loc", "f_code", "f_built")

STATEMENTS: dict[type, str | None] = {  # None: allowed
    ast.ClassDef: None,
    ast.FunctionDef: None,
    ast.Return: None,
    ast.Assign: None,
    ast.AugAssign: None,
    ast.AnnAssign: None,
    ast.For: None,
    ast.While: None,
    ast.If: None,
    ast.Expr: None,
    ast.Pass: None,
    ast.Break: None,
    ast.Continue: None,
    ast.Nonlocal: None,
    ast.Assert: None,
    ast.Raise: None,
    ast.Import: None,
    ast.ImportFrom: None,
    ast.AsyncFunctionDef: "`async def`",
    ast.AsyncFor: "`async for`",
    ast.AsyncWith: "`async with`",
    ast.With: "a `with` statement",
    ast.Try: "`try`/`except`",
    ast.Delete: "`del`",
    ast.Global: "`global`",
}
EXPRESSIONS_REFUSED = {
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield from`",
    ast.Await: "`await`",
}


def check(code: object) -> ast.Module:
    """The code's syntax tree, when all of it is on the whitelist; else ExpressionError(message, line, col)."""
    tree = read(code)
    _Whitelist(code if isinstance(code, str) else "").visit(tree)
    return tree


def read(code: object) -> ast.Module:
    """The front end: text (or UTF-8 bytes) -> syntax tree, with length, NUL, encoding and depth checks."""
    if isinstance(code, bytes):
        try:
            code = code.decode("utf-8")
        except UnicodeDecodeError as e:
            line = code[: e.start].count(b"\n") + 1
            raise ExpressionError("the code has a character that is not UTF-8 text; retype that line", line) from None
    if not isinstance(code, str):
        raise ExpressionError(f"the code must be text, not {type(code).__name__}")
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError as e:  # a lone surrogate: not text
        line = code[: e.start].count("\n") + 1
        raise ExpressionError("the code has a character that is not UTF-8 text; retype that line", line) from None
    if size > MAX_CODE_BYTES:
        raise ExpressionError(f"the code is too long: {size:,} bytes (the limit is {MAX_CODE_BYTES:,})")
    if "\0" in code:
        before = code[: code.index("\0")]
        line = before.count("\n") + 1
        raise ExpressionError(
            "the code contains a NUL character (\\0); delete it", line, len(before) - before.rfind("\n")
        )
    try:
        return ast.parse(code, filename="<your code>", mode="exec")
    except SyntaxError as e:
        line = e.lineno if isinstance(e.lineno, int) and e.lineno > 0 else None
        col = e.offset if isinstance(e.offset, int) and e.offset > 0 and line else None
        message = e.msg or "invalid syntax"
        if message == "invalid syntax" or message.startswith("invalid syntax."):
            message = "something is missing or out of place here"
        raise ExpressionError(f"syntax error: {message}", line, col) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the code is nested too deeply to read") from None
    except ValueError as e:
        raise ExpressionError(f"the code cannot be read: {e}") from None


def refuse(node: ast.AST, message: str) -> ExpressionError:
    """The error for a piece of code that is not allowed: the message and where it is."""
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    return ExpressionError(message, line, None if col is None else col + 1)


class _Whitelist(ast.NodeVisitor):
    """Walks every node; anything not allowed raises at its line."""

    def __init__(self, code: str):
        self.depth = 0
        self.class_depth = 0  # > 0 directly inside a class body

    def visit(self, node: ast.AST) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise refuse(node, f"the code is nested too deeply (more than {MAX_DEPTH} levels)")
        try:
            super().visit(node)
        finally:
            self.depth -= 1

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt):
            refused = STATEMENTS.get(type(node), "this kind of statement")
            if refused is not None:
                raise refuse(node, f"{refused} is not allowed in your Value code")
        if type(node) in EXPRESSIONS_REFUSED:
            raise refuse(node, f"{EXPRESSIONS_REFUSED[type(node)]} is not allowed in your Value code")
        # Every other node kind is looked at below through its names and attributes.
        saved = self.class_depth
        if not isinstance(node, ast.ClassDef):
            self.class_depth = 0
        try:
            super().generic_visit(node)
        finally:
            self.class_depth = saved

    # -- definitions --

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_name(node.name, node)
        if node.keywords:
            raise refuse(node, f"class {quote(node.name)}: keywords like `metaclass=` are not allowed")
        for item in (*node.bases, *node.decorator_list):
            self.visit(item)
        saved = self.class_depth
        self.class_depth = 1
        try:
            for statement in node.body:
                self.visit(statement)
        finally:
            self.class_depth = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        is_dunder = node.name.startswith("__") and node.name.endswith("__") and len(node.name) > 4
        if not (is_dunder and self.class_depth):  # `def __add__` in a class defines a method: fine
            self._check_name(node.name, node)
        self._function_body(node)

    def _function_body(self, node: ast.FunctionDef | ast.Lambda) -> None:
        saved = self.class_depth
        self.class_depth = 0
        try:
            arguments = node.args
            for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                self._check_name(argument.arg, argument)
            for argument in (arguments.vararg, arguments.kwarg):
                if argument is not None:
                    self._check_name(argument.arg, argument)
            for default in (*arguments.defaults, *arguments.kw_defaults):
                if default is not None:
                    self.visit(default)
            if isinstance(node, ast.Lambda):
                self.visit(node.body)
            else:
                for item in (*node.decorator_list, *node.body):
                    self.visit(item)
                if node.returns is not None:
                    self.visit(node.returns)
        finally:
            self.class_depth = saved

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function_body(node)

    # -- imports --

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in ALLOWED_MODULES:
                raise refuse(node, f"`import {alias.name}` is not allowed: only `import math` is")
            if alias.asname:
                self._check_name(alias.asname, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or node.module not in ALLOWED_MODULES:
            raise refuse(node, f"`from {node.module or '.'} import ...` is not allowed: only `import math` is")
        for alias in node.names:
            if alias.name == "*":
                raise refuse(node, "`from math import *` is not allowed: name what you use (`from math import exp`)")
            self._check_name(alias.name, node)
            if alias.asname:
                self._check_name(alias.asname, node)

    # -- names and attributes --

    def visit_Name(self, node: ast.Name) -> None:
        self._check_name(node.id, node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        if name.startswith("__"):
            raise refuse(node, f"{quote('.' + name)}: names that start with `__` are not allowed")
        if name in INTROSPECTION or name.startswith(INTROSPECTION_PREFIXES):
            raise refuse(node, f"{quote('.' + name)} looks inside Python itself and is not allowed")
        self.visit(node.value)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self._check_name(node.arg, node.value)
        self.visit(node.value)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self._check_name(name, node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:  # only reachable via try: refused before
        raise refuse(node, "`try`/`except` is not allowed in your Value code")

    def _check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("__"):
            raise refuse(node, f"{quote(name)}: names that start with `__` are not allowed")
        if name in REFUSED_NAMES:
            raise refuse(node, f"{quote(name)} {REFUSED_NAMES[name]}, so it is not allowed here")
