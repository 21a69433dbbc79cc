"""The sandbox's whitelist reader: what a Value class needs is read; the rest is refused at its line."""

from __future__ import annotations

import pytest

from engine.errors import ExpressionError
from lab.implement.run import SKELETON
from sandbox import code_reader
from tests.implement_solutions import BUGS, SOLUTION


def refused(code: str | bytes) -> ExpressionError:
    with pytest.raises(ExpressionError) as error:
        code_reader.check(code)
    return error.value


def test_the_lessons_solution_the_skeleton_and_every_buggy_variant_are_read() -> None:
    for code in (SOLUTION, SKELETON, *(bug[0] for bug in BUGS.values())):
        code_reader.check(code)


ALLOWED = [
    "import math\nclass Value:\n    def tanh(self):\n        t = math.tanh(self.data)\n        return t\n",
    "from math import exp\nx = exp(1.0)\n",
    "x = [i * i for i in range(3) if i]\ny = {i: i for i in x}\nz = {1, 2}\nw = (1, 2)\n",
    "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n += 1\n    inner()\n",
    "f = lambda: None\nprint(f'{1 + 1:>4} {f!r}')\n",
    "x = 1\nwhile x < 10:\n    x *= 2\n    if x == 4:\n        continue\n    elif x > 8:\n        break\n",
    "assert isinstance(1, int), 'one'\nif False:\n    raise ValueError('no')\n",
    "class Value:\n    def __init__(self, d):\n        self.data = d\n"
    "    def __repr__(self):\n        return f'V({self.data})'\n",
    "class Value:\n    @staticmethod\n    def zero():\n        return 0\n",
    "s = '%s and %d' % ('a', 1)\nt = 'a.__class__ is just text'\n",
]


@pytest.mark.parametrize("code", ALLOWED)
def test_what_a_value_class_needs_is_allowed(code: str) -> None:
    code_reader.check(code)


REFUSED = {
    # code: (line, words in the message)
    "import os": (1, "only `import math`"),
    "x = 1\nimport os.path": (2, "only `import math`"),
    "from os import path": (1, "only `import math`"),
    "from math import *": (1, "name what you use"),
    "from . import math": (1, "only `import math`"),
    "from .math import exp": (1, "`from .math import ...` is not allowed"),
    "from ..math import exp": (1, "`from ..math import ...` is not allowed"),
    "__import__('os')": (1, "start with `__`"),
    "x = ().__class__": (1, "start with `__`"),
    "x = ().__class__.__bases__[0].__subclasses__()": (1, "start with `__`"),
    "x = getattr(1, '__cl' + 'ass__')": (1, "`getattr`"),
    "setattr(1, 'a', 2)": (1, "`setattr`"),
    "delattr(1, 'a')": (1, "`delattr`"),
    "g = None\nf = g.gi_frame": (2, "looks inside Python"),
    "f = 1\nf = f.f_back": (2, "looks inside Python"),
    "f = 1\nf = f.f_globals": (2, "looks inside Python"),
    "t = 1\nt = t.tb_frame": (2, "looks inside Python"),
    "c = 1\nc = c.co_code": (2, "looks inside Python"),
    "c = 1\nc = c.cr_frame": (2, "looks inside Python"),
    "c = 1\nc = c.f_locals": (2, "looks inside Python"),
    "c = int\nc = c.mro()": (2, "looks inside Python"),
    # whole families, members Python added late included
    "c = 1\nc = c.co_qualname": (2, "looks inside Python"),
    "c = 1\nc = c.co_exceptiontable": (2, "looks inside Python"),
    "f = 1\nf.f_trace_lines = True": (2, "looks inside Python"),
    "f = 1\nf = f.f_trace_opcodes": (2, "looks inside Python"),
    "g = 1\ng = g.gi_suspended": (2, "looks inside Python"),
    "a = 1\na = a.ag_suspended": (2, "looks inside Python"),
    "t = 1\nt = t.tb_next": (2, "looks inside Python"),
    "s = '{0.__class__}'.format(1)": (1, "`.format`"),
    "s = '{x}'.format_map({})": (1, "`.format_map`"),
    "s = format(1, 'x')": (1, "`format`"),
    "eval('1')": (1, "`eval`"),
    "exec('1')": (1, "`exec`"),
    "compile('1', '', 'eval')": (1, "`compile`"),
    "open('/etc/passwd')": (1, "`open`"),
    "globals()": (1, "`globals`"),
    "locals()": (1, "`locals`"),
    "vars()": (1, "`vars`"),
    "dir()": (1, "`dir`"),
    "type(1)": (1, "`type`"),
    "class Value(object):\n    pass": (1, "`object`"),
    "breakpoint()": (1, "`breakpoint`"),
    "input()": (1, "`input`"),
    "help()": (1, "`help`"),
    "memoryview(b'')": (1, "`memoryview`"),
    "exit()": (1, "stops Python"),
    "quit()": (1, "stops Python"),
    "raise SystemExit": (1, "stops Python"),
    "x = 1\ntry:\n    pass\nexcept Exception:\n    pass": (2, "`try`"),
    "with x:\n    pass": (1, "`with`"),
    "x = 1\ndel x": (2, "`del`"),
    "def f():\n    global x": (2, "`global`"),
    "def f():\n    yield 1": (2, "`yield`"),
    "async def f():\n    pass": (1, "`async def`"),
    "class Value(metaclass=M):\n    pass": (1, "metaclass"),
    "def __add__(self, other):\n    pass": (1, "start with `__`"),
    "class Value:\n    x = 1\n    __slots__ = ('data',)": (3, "start with `__`"),
    "class Value:\n    def f(self):\n        return self.__dict__": (3, "start with `__`"),
    "def f(__x):\n    pass": (1, "start with `__`"),
    "match 1:\n    case 1:\n        pass": (1, "not allowed"),
    "x = 1\ny = super()": (2, "`super`"),
    "class Value:\n    def __del__(self):\n        pass": (2, "`__del__` is not allowed"),
    "class Value:\n    def __getattr__(self, name):\n        return 1": (2, "`__getattr__` is not allowed"),
    "class Value:\n    def __setattr__(self, name, v):\n        pass": (2, "`__setattr__` is not allowed"),
}


# Special methods Python calls at times the checks do not choose (every attribute read or write, an object's
# deletion, class creation, pickling, formatting, descriptors): a Value never needs one of them.
UNCHOSEN_METHODS = [
    "__getattribute__",
    "__getattr__",
    "__setattr__",
    "__delattr__",
    "__del__",
    "__new__",
    "__init_subclass__",
    "__set_name__",
    "__class_getitem__",
    "__reduce__",
    "__reduce_ex__",
    "__getstate__",
    "__setstate__",
    "__instancecheck__",
    "__subclasscheck__",
    "__prepare__",
    "__dir__",
    "__format__",
    "__get__",
    "__set__",
    "__delete__",
    "__mro_entries__",
]


@pytest.mark.parametrize("name", UNCHOSEN_METHODS)
def test_defining_a_special_method_python_calls_on_its_own_is_refused(name: str) -> None:
    error = refused(f"class Value:\n    def {name}(self, *args):\n        return 1\n")
    assert error.line == 2 and f"`{name}` is not allowed" in error.message, error.message


@pytest.mark.parametrize("code", sorted(REFUSED))
def test_refused_code_is_named_at_its_line(code: str) -> None:
    line, words = REFUSED[code]
    error = refused(code)
    assert error.line == line, str(error)
    assert words in error.message, error.message


def test_defining_dunder_methods_in_the_class_is_fine_but_not_outside_it() -> None:
    code_reader.check("class Value:\n    def __add__(self, other):\n        return self\n")
    assert refused("def __add__(a, b):\n    return a\n").line == 1


def test_code_over_200_kb_is_refused() -> None:
    code_reader.check("x = 1\n" + "#" * (code_reader.MAX_CODE_BYTES - 7))
    error = refused("x = 1\n" + "#" * code_reader.MAX_CODE_BYTES)
    assert "too long" in error.message and "200,000" in error.message


def test_the_limit_counts_bytes_not_characters() -> None:
    error = refused("# " + "é" * (code_reader.MAX_CODE_BYTES // 2))  # 2 bytes each
    assert "too long" in error.message


def test_a_nul_character_is_refused_with_its_line_and_column() -> None:
    error = refused("x = 1\ny = 2\0\n")
    assert (error.line, error.col) == (2, 6)


def test_bytes_that_are_not_utf8_are_refused_with_their_line() -> None:
    error = refused(b"x = 1\ny = '\xff'\n")
    assert error.line == 2 and "UTF-8" in error.message
    assert code_reader.read("x = 'é'\n".encode()) is not None


def test_a_lone_surrogate_is_refused_with_its_line() -> None:
    error = refused("x = 1\n\ny = '\udcff'\n")  # what undecodable bytes become in Python text
    assert (error.line, error.col) == (3, 6) and "not text" in error.message


def test_a_syntax_error_gets_its_line_and_column() -> None:
    error = refused("class Value:\n    def f(self)\n        pass\n")
    assert error.line == 2 and error.message.startswith("syntax error")


def test_deep_nesting_is_refused_not_crashed() -> None:
    error = refused("x = " + "(1 + " * 150 + "1" + ")" * 150)
    assert "nested" in error.message or "syntax error" in error.message
    error = refused("x = " + "-" * 500 + "1")
    assert "nested" in error.message


def test_text_of_the_wrong_type_is_refused() -> None:
    assert "text" in refused(42).message  # type: ignore[arg-type]


def test_a_parse_upset_by_another_thread_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython 3.11's ast shares a depth counter between threads: a parse can fail with a spurious
    SystemError while another session's thread parses (python/cpython#106905)."""
    real = code_reader.reader.read
    failures = [SystemError("AST constructor recursion depth mismatch (before=27, after=20)")]

    def upset_once(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(code_reader.reader, "read", upset_once)
    assert code_reader.check(SOLUTION).body
    monkeypatch.setattr(code_reader.reader, "read", lambda *a, **k: (_ for _ in ()).throw(SystemError("other")))
    with pytest.raises(SystemError):
        code_reader.check(SOLUTION)
