"""Read a typed expression, or a small program, into a graph of engine `Value`s, safely.

Nothing the user types is run as Python. The text goes through `ast.parse`, which only reads
it into a tree; a whitelist walk over that tree (`_Reader`) turns each allowed piece into a
`_Step` ("multiply node 3 by node 4"). `Program.build` then runs the steps with the real
`Value` operators, so the graph is exactly the one the engine builds.

The language, one statement a line (`;` also separates statements):
- `x = 2`, `x = -3.5`, `x = Value(2.0)`, `x = Value(2.0, label='x')`: a variable and its number;
  a name that is used but never assigned (`x*y + y`) is a variable that needs a number.
- `a = x * y`, `z = tanh(a) + 1`, `c += c + 1`: numbers, names, `+ - * / **` (number exponent),
  unary `-`/`+`, `tanh(x) relu(x) exp(x) log(x)` and `x.tanh()` ... `x.log()`.
- Pasted lesson code also has lines that are skipped and listed in `Program.notes`: imports,
  `print(...)`, `draw_dot(...)`, `o.backward()`, `o.zero_grad()`, `o.label = ...`, `o.grad = ...`.
The last statement that computes something is the output.

Labels: a variable is one leaf named after itself; each distinct constant is one leaf labelled
with its number (`2`, `-1`, `0.5`); an assigned node takes the name (`a = x*y` -> "a"); a name
bound again labels its last node plainly and the earlier ones c_1, c_2 ...; other nodes get
a, b, c ... (skipping every name in the program, and l), then n1, n2 ...

Limits, so that any text is handled in well under a second: MAX_TEXT_LENGTH characters,
MAX_DEPTH operations nested inside each other in one statement, MAX_NODES nodes.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from engine import operators, reader
from engine.errors import ExpressionError, quote
from engine.reader import Source, Whitelist, lines_of, position, typed
from engine.value import MAX_EXACT_EXPONENT, Value

MAX_TEXT_LENGTH = reader.MAX_TEXT_LENGTH  # characters
MAX_NODES = 20_000  # nodes in the graph
MAX_DEPTH = reader.MAX_DEPTH  # operations nested inside each other in one statement
MAX_BRACKETS = reader.MAX_BRACKETS  # brackets inside each other: Python's own parser stops at this many

# tanh(x), and also x.tanh(): every operator whose record (engine/operators.py) is typed as a function
FUNCTIONS: list[str] = operators.names(lambda record: record.function)
FIELDS = ("data", "grad")  # `y.data`, `a.grad`: the lesson's notation, allowed where `notation` says
SKIPPED_FUNCTIONS = ("print", "draw_dot")  # `print(...)` lines are skipped
SKIPPED_METHODS = ("backward", "zero_grad")  # `o.backward()` lines are skipped
SKIPPED_ATTRIBUTES = ("label", "grad")  # `o.label = 'o'` lines are skipped
LOOKS_LIKE_A_DIGIT = frozenset("lOI")  # automatic labels skip these (l and I read as 1, O as 0)
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))


# -- the public API ------------------------------------------------------------------------


@dataclass
class Built:
    """The graph of one program at one set of values."""

    output: Value
    variables: dict[str, Value]  # name -> the one leaf of that variable
    formulas: dict[int, str]  # id(node) -> how the user wrote it: "x * y", "tanh(n)", "2", "x"
    nodes_by_label: dict[str, Value]  # every node of the output's graph, and every variable


@dataclass(frozen=True)
class Program:
    """A checked program: its variables with their numbers from the text, ready to build."""

    text: str
    variables: dict[str, float | None]  # in order of first appearance; None: the text gives no number
    output_name: str
    notes: tuple[str, ...]  # lines skipped on purpose, e.g. "skipped line 13: print(...)"
    _steps: tuple[_Step, ...] = field(default=(), repr=False, compare=False)
    _output: int = field(default=0, repr=False, compare=False)

    def build(self, values: Mapping[str, float] | None = None) -> Built:
        """Build the graph; `values` override (or supply) the variables' numbers."""
        numbers_by_name = _variable_numbers(self, values)
        nodes: list[Value] = []
        formulas: dict[int, str] = {}
        variables: dict[str, Value] = {}
        for step in self._steps:
            if step.op == "variable":
                node = Value(numbers_by_name[step.label], label=step.label)
                variables[step.label] = node
            elif step.op == "constant":
                node = Value(step.number, label=step.label)
            else:
                node = _compute(step, [nodes[i] for i in step.args], self.text)
                node.label = step.label
            nodes.append(node)
            formulas[id(node)] = step.formula
        output = nodes[self._output]
        nodes_by_label = {node.label: node for node in output.topological_order()}
        nodes_by_label.update((name, node) for name, node in variables.items() if name not in nodes_by_label)
        return Built(output, variables, formulas, nodes_by_label)


def parse(text: str, values: Mapping[str, float] | None = None) -> Value:
    """The output node of `text` at `values`."""
    return parse_program(text).build(values).output


def parse_program(text: str, notation: Mapping[str, float | None] | None = None) -> Program:
    """Check `text` (syntax, names, structure) without computing anything.

    `notation` lets a formula use the lesson's `name.data` and `name.grad` (a prediction such as
    `y.data * a.grad`): each allowed one by its text, "y.data" -> None to read it as the variable y
    itself, or -> a number to read it as that number (a leaf labelled "a.grad"). Any other `.data`
    or `.grad` says what to type instead.
    """
    source = reader.read(text, max_length=MAX_TEXT_LENGTH, max_depth=MAX_DEPTH)
    program_reader = _Reader(source, notation)
    program_reader.read()
    return program_reader.program()


# -- step 1: text -> Python syntax tree: engine/reader.py (length, characters, syntax, depth, names) --


# -- step 2: syntax tree -> steps (whitelist) ------------------------------------------------


@dataclass
class _Step:
    """One node to build: a variable, a constant, or an operation on earlier steps."""

    op: str  # "variable", "constant", or an operator of engine/operators.py: "+", "**", "neg", "tanh", ...
    args: tuple[int, ...] = ()  # indices of the operands' steps
    number: float = 0.0  # the constant, or the exponent of **
    label: str = ""
    name: str = ""  # the name it was assigned to, if any; its label is made from it
    formula: str = ""
    where: ast.AST | None = None  # the text this step came from, for error messages
    operands: tuple[ast.AST, ...] = ()  # the operands' text, for error messages
    method: bool = False  # written x.tanh() rather than tanh(x)
    exponent_text: str = ""


class _Reader(Whitelist):
    """Walks the syntax tree statement by statement, accepting only the whitelist."""

    def __init__(self, source: Source, notation: Mapping[str, float | None] | None = None):
        super().__init__(source)
        self.text = source.text
        self.tree = source.tree
        self.notation = notation or {}  # "y.data" -> None (the variable y) or a number
        self.fields: dict[str, int] = {}  # "a.grad" -> its leaf
        self.steps: list[_Step] = []
        self.statement_start = 0  # the first step of the statement being read
        self.output: int | None = None
        self.bound: dict[str, int] = {}  # name -> the step it means now
        self.bound_on_line: dict[str, int] = {}  # name -> where it first got a value
        self.free_uses: dict[str, ast.Name] = {}  # variable that the text never assigns -> its first use
        self.variables: dict[str, float | None] = {}
        self.constants: dict[float, int] = {}  # number -> its step
        self.names: set[str] = set(FUNCTIONS)  # every name in the program: auto labels skip them
        self.notes: list[str] = []

    # -- the whole program --

    def read(self) -> None:
        for statement in self.tree.body:
            skipped = _skipped(statement)
            if skipped is not None:
                self.notes.append(f"skipped line {statement.lineno}: {skipped}")
                continue
            self.statement_start = len(self.steps)
            self.output = self._statement(statement)

    def program(self) -> Program:
        if self.output is None:
            raise ExpressionError("nothing to compute: type an expression like x*y + y")
        self._label_steps()
        return Program(
            text=self.text,
            variables=dict(self.variables),
            output_name=self.steps[self.output].label,
            notes=tuple(self.notes),
            _steps=tuple(self.steps),
            _output=self.output,
        )

    # -- statements --

    def _statement(self, statement: ast.stmt) -> int:
        """Read one statement; returns the step of the node it computes."""
        if isinstance(statement, ast.Expr):
            return self._expression(statement.value)
        if isinstance(statement, ast.Assign):
            return self._assign(statement)
        if isinstance(statement, ast.AugAssign):
            return self._augmented_assign(statement)
        what = reader.describe(statement)
        what = "this kind of statement" if what == "this" else what
        self.refuse(
            statement,
            f"{what} is not allowed here: write assignments like z = x*y + y, one a line",
        )

    def _assign(self, statement: ast.Assign) -> int:
        if len(statement.targets) != 1:
            self.refuse(statement, "assign one name at a time (a = ..., then b = ...)")
        target = statement.targets[0]
        if isinstance(target, ast.Attribute):
            self.refuse(
                target,
                f"setting {quote('.' + target.attr)} is not allowed: give a variable its number with x = 2.0",
            )
        if not isinstance(target, ast.Name):
            self.refuse(target, "only a plain name can be assigned to, like z = x*y + y")
        name = target.id
        self._check_name(name, target)
        definition = self._variable_definition(statement.value)
        if definition is not None:
            number, label = definition
            if label is not None and label != name:
                called = f"the variable is called {quote(name)}"
                self.notes.append(f"line {statement.lineno}: {called}; label {quote(repr(label))} is not used")
            return self._define_variable(name, number, target)
        step = self._expression(statement.value)
        self._bind(name, step, target)
        return step

    def _augmented_assign(self, statement: ast.AugAssign) -> int:
        """`c += e` is `c = c + e`: a new node, and c now means it."""
        target = statement.target
        if not isinstance(target, ast.Name):
            self.refuse(target, "only a plain name can be updated, like c += 1")
        symbol = _binary_operator(statement.op)
        if symbol is None:
            raise self._operator_error(statement.op, statement)
        current = self._load(target)
        if operators.OPERATORS[symbol].exponent:
            exponent, text = self._exponent(statement.value, statement)
            step = self._add(_Step("**", (current,), number=exponent, exponent_text=text), statement, (target,))
        else:
            value = self._expression(statement.value)
            step = self._add(_Step(symbol, (current, value)), statement, (target, statement.value))
        self._bind(target.id, step, target)
        return step

    def _variable_definition(self, value: ast.expr) -> tuple[float, str | None] | None:
        """(number, label) for `2`, `-3.5`, `Value(2.0, label='x')`; None for anything else."""
        if _is_signed_number(value):
            return self._number(value), None
        if _is_value_call(value):
            return self._value_call(value)
        return None

    # -- names --

    def _load(self, node: ast.Name) -> int:
        """The node a name means here; a name not assigned before is a variable."""
        name = node.id
        if name in self.bound:
            return self.bound[name]
        self._check_name(name, node)
        self.free_uses[name] = node
        return self._new_variable(name, None, node)

    def _define_variable(self, name: str, number: float | None, where: ast.expr) -> int:
        """`x = 2`, `x = Value(2.0)`, `Value(2.0, label='x')`: a variable with its number."""
        self._check_not_used_before(name, where)
        if name in self.bound_on_line:
            self.refuse(
                where,
                f"{quote(name)} already has a value from line {self.bound_on_line[name]}; "
                "a variable gets its number once, so give this one another name",
            )
        return self._new_variable(name, number, where)

    def _new_variable(self, name: str, number: float | None, where: ast.expr) -> int:
        """The one leaf of variable `name`, with its number from the text (or None)."""
        self.names.add(name)
        self.variables[name] = number
        step = self._add(_Step("variable", label=name), where)
        self.bound[name] = step
        self.bound_on_line[name] = where.lineno
        return step

    def _bind(self, name: str, step: int, target: ast.Name) -> None:
        """`name = <step>`: a node made by this statement takes the name as its label."""
        self._check_not_used_before(name, target)
        self.names.add(name)
        if step >= self.statement_start and self.steps[step].op not in ("variable", "constant"):
            self.steps[step].name = name
        self.bound[name] = step
        self.bound_on_line.setdefault(name, target.lineno)

    def _check_not_used_before(self, name: str, assignment: ast.expr) -> None:
        """A name the text assigns must not have been used (as a variable) before that."""
        use = self.free_uses.get(name)
        if use is None:
            return
        if use.lineno < assignment.lineno:
            message = f"{quote(name)} is used before it is assigned (it is assigned on line {assignment.lineno})"
        else:
            message = f"{quote(name)} is used before it has a value"
        self.refuse(use, message)

    def _check_name(self, name: str, where: ast.AST) -> None:
        """A variable's name must not be a function, `Value`, a built-in, or a dunder."""
        if name in FUNCTIONS:
            problem = f"{quote(name)} is a function name"
        elif name == "Value":
            problem = "`Value` makes a number, like `Value(2.0)`"
        elif name in BUILTIN_NAMES:
            problem = f"{quote(name)} is a Python built-in name"
        elif keyword.iskeyword(name):
            problem = f"{quote(name)} is a Python keyword"
        elif name.startswith("__"):
            problem = f"{quote(name)} starts with `__`"
        else:
            return
        self.refuse(where, f"{problem}; pick another name for the variable")

    # -- expressions (engine/reader.py has already refused nesting deeper than MAX_DEPTH) --

    def _expression(self, node: ast.expr) -> int:
        """Read one expression; returns the step of its node."""
        if isinstance(node, ast.Constant):
            return self._constant(self._number(node), node)
        if isinstance(node, ast.Name):
            return self._load(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute) and node.attr in FIELDS:
            return self._field(node)
        if isinstance(node, ast.Attribute):
            self.refuse(
                node,
                f"{quote('.' + node.attr)} cannot be used here: only "
                + ", ".join(f".{name}()" for name in FUNCTIONS[:-1])
                + f" and .{FUNCTIONS[-1]}() are allowed",
            )
        hint = reader.decimal_comma(self.source, node)
        self.refuse(node, hint or f"{reader.describe(node)} cannot be used in an expression")

    def _field(self, node: ast.Attribute) -> int:
        """`y.data`, `a.grad`: allowed by `notation` (a variable, or a number here), else what to type instead."""
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        key = f"{owner}.{node.attr}"
        if owner is not None and key in self.notation:
            number = self.notation[key]
            if number is None:  # a variable's data is the variable itself
                return self._load(node.value)
            if key not in self.fields:
                self.names.add(key)
                self.fields[key] = self._add(_Step("constant", number=float(number), label=key), node)
            return self.fields[key]
        typed = self.shown(node)
        if owner is None:
            self.refuse(node, f"{typed} cannot be used here: write a name or a number")
        if node.attr == "data":
            self.refuse(node, f"{typed}: write {quote(owner)} for its value (a formula here uses the names themselves)")
        self.refuse(node, f"{typed} cannot be used here: type the number {quote(key)} has, or a formula that gives it")

    def _unary(self, node: ast.UnaryOp) -> int:
        if _is_signed_number(node):  # -2 is the constant -2, not neg(2)
            return self._constant(self._number(node), node)
        if isinstance(node.op, ast.UAdd):
            return self._expression(node.operand)
        record = operators.typed_as(type(node.op))
        if record is not None and not record.binary:  # `-x`: neg
            operand = self._expression(node.operand)
            return self._add(_Step(record.op, (operand,)), node, (node.operand,))
        word = "not" if isinstance(node.op, ast.Not) else "~"
        self.refuse(node, f"'{word}' is not allowed: use + - * / **")

    def _binary(self, node: ast.BinOp) -> int:
        symbol = _binary_operator(node.op)
        if symbol is None:
            raise self._operator_error(node.op, node)
        if operators.OPERATORS[symbol].exponent:
            base = self._expression(node.left)
            exponent, text = self._exponent(node.right, node)
            return self._add(_Step("**", (base,), number=exponent, exponent_text=text), node, (node.left,))
        left = self._expression(node.left)
        right = self._expression(node.right)
        return self._add(_Step(symbol, (left, right)), node, (node.left, node.right))

    def _exponent(self, node: ast.expr, power: ast.AST) -> tuple[float, str]:
        """The number after **, and how it was written; a variable there is an error."""
        number = self._constant_number(node)
        if number is None:
            self.refuse(
                power,
                f"the exponent of ** must be a number like 2 or 0.5, not {quote(self.typed(node))} "
                "(the engine's ** takes a number exponent, not a Value)",
            )
        if abs(number) >= MAX_EXACT_EXPONENT:
            self.refuse(
                power,
                f"the exponent {quote(self.typed(node))} is too large for the power rule: "
                "beyond 2**53 (about 9e15) a float cannot tell n - 1 from n",
            )
        text = _source(node, self.text)
        return number, f"({text})" if isinstance(node, ast.BinOp) else text

    def _call(self, node: ast.Call) -> int:
        function = node.func
        if isinstance(function, ast.Name) and function.id in FUNCTIONS:
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                message = f"{function.id}(...) takes exactly one argument, like {function.id}(x)"
                self.refuse(node, message)
            argument = self._expression(node.args[0])
            return self._add(_Step(function.id, (argument,)), node, (node.args[0],))
        if _is_value_call(node):
            number, label = self._value_call(node)
            if label is None:
                return self._constant(number, node)
            self._check_name(label, node)
            return self._define_variable(label, number, node)
        if isinstance(function, ast.Attribute) and function.attr in FUNCTIONS:
            if node.args or node.keywords:
                message = f"write {function.attr}(x) or x.{function.attr}(), not {quote(self.typed(node))}"
                self.refuse(node, message)
            receiver = self._expression(function.value)
            return self._add(_Step(function.attr, (receiver,), method=True), node, (function.value,))
        self.refuse(node, _unknown_call_message(function))

    def _value_call(self, node: ast.Call) -> tuple[float, str | None]:
        """`Value(2.0)`, `Value(data=2.0)`, `Value(2.0, label='x')` -> (2.0, label or None)."""
        usage = "Value(...) takes a number and, if you like, a label: Value(2.0, label='x')"
        keywords = {argument.arg: argument.value for argument in node.keywords}
        if None in keywords or set(keywords) - {"data", "label"} or len(node.keywords) != len(keywords):
            self.refuse(node, usage)
        arguments = [*node.args, *([keywords["data"]] if "data" in keywords else [])]
        if len(arguments) != 1 or isinstance(arguments[0], ast.Starred):
            self.refuse(node, usage)
        number = self._constant_number(arguments[0])
        if number is None:
            message = f"Value(...) needs a number like Value(2.0), not {quote(self.typed(arguments[0]))}"
            self.refuse(node, message)
        label = keywords.get("label")
        if label is None:
            return number, None
        if not (isinstance(label, ast.Constant) and isinstance(label.value, str)):
            self.refuse(label, "the label of Value(...) must be text in quotes, like label='x'")
        if not label.value.isidentifier():
            message = f"the label {quote(repr(label.value))} is not a name: use letters, digits and _"
            self.refuse(label, message)
        if not label.value.isascii():
            self.refuse(label, reader.non_ascii_message(label.value))
        return number, label.value

    def _operator_error(self, operator: ast.AST, where: ast.AST) -> ExpressionError:
        symbol = reader.operator_symbol(operator)
        return ExpressionError(f"the operator {symbol} is not allowed: use + - * / **", *self.where(where))

    # -- numbers --

    def _number(self, node: ast.expr) -> float:
        """The float of a number literal (with signs); anything else is an error."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, (bool, str, bytes)) or value is None or value is Ellipsis:
            what = "text in quotes" if isinstance(value, (str, bytes)) else quote(self.typed(node))
            self.refuse(node, f"{what} is not a number: only numbers like 2 or 0.5 are allowed")
        if isinstance(value, complex):
            self.refuse(node, "complex numbers are not allowed")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.refuse(node, "this number is too large (the limit is about 1.8e308)")
        return sign * number

    def _constant_number(self, node: ast.expr) -> float | None:
        """The value of an expression made of numbers only (`2`, `-1`, `1/2`); None if it has names."""
        allowed = (ast.Constant, ast.UnaryOp, ast.BinOp, ast.operator, ast.unaryop)
        if not all(isinstance(part, allowed) for part in ast.walk(node)):
            return None
        return self._evaluate_numbers(node)

    def _evaluate_numbers(self, node: ast.expr) -> float:
        """Numbers only, computed with floats, so `9**9**9**9` overflows at once."""
        if isinstance(node, ast.Constant) or _is_signed_number(node):
            return self._number(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.UAdd, ast.USub)):
                self.refuse(node, "only + - * / ** are allowed between numbers")
            value = self._evaluate_numbers(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        symbol = _binary_operator(node.op)
        if symbol is None:
            raise self._operator_error(node.op, node)
        left = self._evaluate_numbers(node.left)
        right = self._evaluate_numbers(node.right)
        source = quote(self.typed(node))
        try:
            result = operators.OPERATORS[symbol].number(left, right)
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in {source}", *self.where(node)) from None
        except OverflowError:
            result = math.inf
        except ValueError:  # `**`: a negative number to a fractional power
            result = complex(0, 1)
        if isinstance(result, complex):
            message = f"{source} is not a real number (a negative number to a fractional power)"
            self.refuse(node, message)
        if not math.isfinite(result):
            self.refuse(node, f"overflow in {source}: the number is too large")
        return result

    def _constant(self, number: float, where: ast.AST) -> int:
        """The one leaf of this constant (one per distinct number in the program)."""
        if number not in self.constants:
            self.constants[number] = self._add(_Step("constant", number=number, label=_number_text(number)), where)
        return self.constants[number]

    # -- steps and labels --

    def _add(self, step: _Step, where: ast.AST, operands: tuple[ast.AST, ...] = ()) -> int:
        if len(self.steps) >= MAX_NODES:
            self.refuse(where, f"too many nodes: the limit is {MAX_NODES:,}")
        step.where = where
        step.operands = operands
        self.steps.append(step)
        return len(self.steps) - 1

    def _label_steps(self) -> None:
        """Label every operation: its assigned name, or a, b, ... n1, n2 ...

        A name bound more than once (`c += c + 1`) labels its LAST node plainly, the one that
        `print(c.data)` means; the earlier ones are c_1, c_2 ... (a variable keeps its plain
        name, so then every node gets a number). Done once the whole program is read, so the
        labels can skip every name in it.
        """
        taken = {step.label for step in self.steps if step.label}
        bindings: dict[str, list[_Step]] = {}
        for step in self.steps:
            if not step.label and step.name:
                bindings.setdefault(step.name, []).append(step)
        for name, steps in bindings.items():
            if name not in taken:
                steps[-1].label = name
                taken.add(name)
            number = 0
            for step in steps:
                while not step.label:
                    number += 1
                    label = f"{name}_{number}"
                    if label not in taken and label not in self.names:
                        step.label = label
                        taken.add(label)
        automatic = (label for label in _automatic_labels() if label not in taken and label not in self.names)
        for step in self.steps:
            if not step.label:
                step.label = next(automatic)
                taken.add(step.label)
        for step in self.steps:
            step.formula = self._formula(step)

    def _formula(self, step: _Step) -> str:
        """How the node was written, in its operands' labels: "x * y", "tanh(n)", "c ** 2"."""
        if step.op in ("variable", "constant"):
            return step.label
        labels = [self.steps[i].label for i in step.args]
        wrapped = [f"({label})" if label.startswith("-") else label for label in labels]
        record = operators.OPERATORS[step.op]
        if record.exponent:
            return f"{wrapped[0]} {record.symbol} {step.exponent_text}"
        if record.function:
            return f"{wrapped[0]}.{step.op}()" if step.method else f"{step.op}({labels[0]})"
        if not record.binary:
            return f"{record.symbol}{wrapped[0]}"
        return f"{wrapped[0]} {record.symbol} {wrapped[1]}"


# -- step 3: steps -> Values (Program.build) ------------------------------------------------


def _variable_numbers(program: Program, values: Mapping[str, float] | None) -> dict[str, float]:
    """Each variable's number: from `values` if given there, else from the text."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ExpressionError("the values must be a mapping from variable names to numbers")
    result = {}
    for step in program._steps:
        if step.op != "variable":
            continue
        name = step.label
        number = values[name] if name in values else program.variables[name]
        if number is None:
            where = position(step.where, lines_of(program.text))
            raise ExpressionError(f"{quote(name)} has no value: give it a number", *where)
        result[name] = _checked_number(name, number)
    return result


def _checked_number(name: str, number: object) -> float:
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        shown = quote(repr(number)) if len(repr(number)) <= 20 else type(number).__name__
        raise ExpressionError(f"the value of {quote(name)} must be a number, not {shown}")
    try:
        number = float(number)
    except (OverflowError, ValueError, TypeError):
        raise ExpressionError(f"the value of {quote(name)} is too large") from None
    if math.isnan(number):
        raise ExpressionError(f"the value of {quote(name)} is NaN (not a number): give it a real number")
    if math.isinf(number):
        raise ExpressionError(f"the value of {quote(name)} is infinite: give it a finite number")
    return number


def _compute(step: _Step, operands: list[Value], text: str) -> Value:
    """One operation with the engine's own operator, or an ExpressionError that says why not."""

    def error(problem: str, operand: int | None = None, hint: str = "") -> ExpressionError:
        lines = lines_of(text)
        message = f"{problem} in {quote(typed(step.where, lines))}"
        operand_node = step.operands[operand] if operand is not None else None
        if operand_node is not None and not _is_signed_number(operand_node):  # "1 / 0": no need to say 0 is 0
            message += f": {quote(typed(operand_node, lines))} is {operands[operand].data:g}"
        return ExpressionError(message + hint, *position(step.where, lines))

    first = operands[0]
    if step.op == "/" and operands[1].data == 0:
        raise error("division by zero", 1)
    if step.op == "log" and first.data <= 0:
        raise error("log of a number that is not positive", 0, " (log needs a number above 0)")
    if step.op == "**" and first.data == 0 and step.number < 0:
        raise error("division by zero", 0)
    if step.op == "**" and first.data < 0 and not step.number.is_integer():
        raise error("a negative number to a fractional power", 0, f" (it has no real power {step.number:g})")
    try:
        result = _engine_operation(step, operands)
    except (ArithmeticError, ValueError):  # e.g. math.exp(1000), 10.0 ** 400
        result = None
    if result is None or not math.isfinite(result.data):
        raise error("overflow", None, " (the result is too large for a number)")
    return result


def _engine_operation(step: _Step, operands: list[Value]) -> Value:
    """The operation exactly as the engine spells it: the method its record names (a - b is Value's
    own `-`, not a + (-b)); `**` with its number exponent."""
    record = operators.OPERATORS[step.op]
    if record.exponent:
        return operands[0] ** step.number
    return getattr(Value, record.method)(*operands)


def _binary_operator(op: ast.AST) -> str | None:
    """The engine's operator typed with this operator between two operands (`ast.Mult` -> "*"), or None."""
    record = operators.typed_as(type(op))
    return record.op if record is not None and record.binary else None


def _functions_text() -> str:
    """`tanh(x), relu(x), exp(x), log(x) and x.tanh(), x.relu(), x.exp(), x.log()`, from the records."""
    return ", ".join(f"{name}(x)" for name in FUNCTIONS) + " and " + ", ".join(f"x.{name}()" for name in FUNCTIONS)


# -- small helpers -----------------------------------------------------------------------------


def _skipped(statement: ast.stmt) -> str | None:
    """What a line of pasted lesson code is, if it is one that is skipped on purpose."""
    if isinstance(statement, ast.Import):
        return "import " + ", ".join(alias.name for alias in statement.names)
    if isinstance(statement, ast.ImportFrom):
        return f"from {statement.module or '.'} import ..."
    if isinstance(statement, ast.Expr):
        value = statement.value
        if isinstance(value, ast.Call):
            function = value.func
            if isinstance(function, ast.Name) and function.id in SKIPPED_FUNCTIONS:
                return f"{function.id}(...)"
            if isinstance(function, ast.Attribute) and function.attr in SKIPPED_METHODS:
                return f"{_short(function.value)}.{function.attr}()"
    targets = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AugAssign):
        targets = [statement.target]
    if targets and all(isinstance(t, ast.Attribute) and t.attr in SKIPPED_ATTRIBUTES for t in targets):
        target = targets[0]
        return f"{_short(target.value)}.{target.attr} = ..."
    return None


def _short(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else "(...)"


def _is_signed_number(node: ast.AST) -> bool:
    """`2`, `-3.5`, `+1`, `--2`: a number literal with signs in front."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _is_value_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value"


def _unknown_call_message(function: ast.expr) -> str:
    known = f"the functions are {_functions_text()}"
    if isinstance(function, ast.Name):
        if function.id in SKIPPED_FUNCTIONS:
            return f"`{function.id}(...)` can only stand on a line of its own (it is skipped); {known}"
        return f"unknown function {quote(function.id)}: {known}"
    if isinstance(function, ast.Attribute):
        return f"unknown method {quote('.' + function.attr + '()')}: {known}"
    return f"only functions can be called: {known}"


def _automatic_labels() -> Iterator[str]:
    """a, b, ..., z (not l, which reads like 1), then n1, n2, ..."""
    yield from (letter for letter in "abcdefghijklmnopqrstuvwxyz" if letter not in LOOKS_LIKE_A_DIGIT)
    number = 1
    while True:
        yield f"n{number}"
        number += 1


def _number_text(number: float) -> str:
    """Short text of a number that still tells all numbers apart: 2, 0.5, -1, 1e-06."""
    text = repr(number)
    return text[:-2] if text.endswith(".0") else text


def _source(node: ast.AST, text: str, limit: int = 60) -> str:
    """How an expression reads, for messages: normalised when small, else the text, shortened."""
    if sum(1 for _ in zip(range(50), ast.walk(node), strict=False)) < 50:
        return ast.unparse(node)
    segment = ast.get_source_segment(text, node) or "this expression"
    segment = " ".join(segment.split())
    return segment if len(segment) <= limit else segment[: limit - 1] + "…"
