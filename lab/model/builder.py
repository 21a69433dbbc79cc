"""The widget builder: a structured editor over the program's lines.

The program text stays the one source of truth. These plain functions read its lines as
steps (`x = 2`, `a = x * y`, ...), each line through engine/reader.py's front end (the same
`ast` reading as the parser's, never run), and return a new text with a step added, changed or
removed. They refuse, with a message a learner understands (ValueError), what is wrong
before the parser sees it: a bad or taken name, a number that is not a number, removing a
step that later steps use. Whatever they return is still built by the parser (through
`state.set_program`), which has the last word.

Lines the builder cannot take apart (pasted Python with nested expressions, or a line Python
cannot read) are still steps: they are listed, and can be changed as text or removed.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine import operators, reader
from engine.errors import ExpressionError, quote
from engine.parser import BUILTIN_NAMES, FUNCTIONS, parse_program
from engine.reader import Source
from lab.model.program_edit import NUMBER, number_text

VARIABLE, OPERATION, OTHER = "variable", "operation", "other"

# The operators the picker offers, from their records in engine/operators.py (lists kept up to date).
BINARY: list[str] = operators.names(lambda record: record.binary)
UNARY: list[str] = operators.names(lambda record: not record.binary)
OPERATORS: list[str] = operators.names()
# What the operator picker says next to each operator.
OPERATOR_NAMES: dict[str, str] = operators.table(lambda record: record.builder_label)

_NUMBER_RE = re.compile(rf"^\s*{NUMBER}\s*$")  # a number typed into an operand box
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # ASCII, as the parser wants
# Python that is no step of the graph: print(...), o.backward(), o.zero_grad() (and imports)
_OTHER_CALLS = ("print",)
_OTHER_METHODS = ("backward", "zero_grad")


@dataclass(frozen=True)
class Step:
    """One line of the program that does something."""

    line: int  # index into text.split("\n")
    text: str  # the line as written, without surrounding spaces
    name: str | None  # the node it defines (None for a bare expression or other Python)
    assign: str  # "=", "+=", ... ("" when the line is no assignment)
    expression: str  # what is right of the `=`
    kind: str  # variable, operation or other
    uses: tuple[str, ...]  # the names it reads, in order, each once
    value: float | None = None  # a variable's number
    operator: str | None = None  # a single operation: one of OPERATORS
    operands: tuple[str, ...] = ()  # ...and its operands: node names or numbers as typed

    @property
    def structured(self) -> bool:
        """True if the builder's widgets can show this step (a variable or a single operation)."""
        return self.kind == VARIABLE or self.operator is not None


def names_used(expression: str) -> tuple[str, ...]:
    """The node names an expression reads: not functions, methods, keyword arguments or strings."""
    try:
        source = reader.read(expression, mode="eval")
    except ExpressionError:
        return ()
    return _names_read(source.tree)


def _names_read(tree: ast.AST) -> tuple[str, ...]:
    """Names read (not assigned, not called as functions), in the order they are typed, each once."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in called
    ]
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return tuple(dict.fromkeys(node.id for node in found))


def _operand_text(source: Source, node: ast.expr) -> str | None:
    """A single operation's operand as the widgets show it: a name, or a number as typed (`-1.5`)."""
    if isinstance(node, ast.Name):
        return node.id
    if _is_number(node):
        return source.typed(node).replace("(", "").replace(")", "").replace(" ", "")
    return None


def _is_number(node: ast.AST) -> bool:
    """`2`, `-1.5`: a number literal with at most one sign."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _single_operation(source: Source, node: ast.expr) -> tuple[str, tuple[str, ...]] | None:
    """`x * y` -> ("*", ("x", "y")); `tanh(n)`, `n.tanh()` -> ("tanh", ("n",)); `-n` -> ("neg", ("n",)); else None."""
    operands: list[ast.expr] = []
    op = None
    binary = operators.typed_as(type(node.op)) if isinstance(node, ast.BinOp) else None
    if binary is not None and binary.binary:
        op, operands = binary.op, [node.left, node.right]
    elif isinstance(node, ast.Call) and not node.keywords and isinstance(node.func, ast.Name):
        if node.func.id in FUNCTIONS and len(node.args) == 1:
            op, operands = node.func.id, list(node.args)
    elif isinstance(node, ast.Call) and not node.args and not node.keywords and isinstance(node.func, ast.Attribute):
        if node.func.attr in FUNCTIONS and isinstance(node.func.value, ast.Name):
            op, operands = node.func.attr, [node.func.value]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Name):
        record = operators.typed_as(type(node.op))  # `-n`: neg
        if record is not None and not record.binary:
            op, operands = record.op, [node.operand]
    if op is None:
        return None
    texts = [_operand_text(source, operand) for operand in operands]
    if None in texts:
        return None
    return op, tuple(texts)


def _variable_value(node: ast.expr) -> float | None:
    """The number of `2`, `-1.5`, `Value(2.0)`, `Value(2.0, label='x')`; None for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value":
        data = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "data")]
        node = data[0] if len(data) == 1 else node
    if not _is_number(node):
        return None
    sign = -1.0 if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else 1.0
    number = node.operand if isinstance(node, ast.UnaryOp) else node
    return sign * float(number.value)


def _is_other(statement: ast.stmt) -> bool:
    """Python that is no step of the graph: an import, print(...), o.backward(), o.zero_grad()."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    function = statement.value.func
    if isinstance(function, ast.Name):
        return function.id in _OTHER_CALLS
    return isinstance(function, ast.Attribute) and function.attr in _OTHER_METHODS


def parse_step(line: int, text: str) -> Step:
    """What one (non-blank) line of a program does, read by engine/reader.py (never run).

    A line Python cannot read is a step with nothing taken apart (the parser says what is wrong).
    """
    text = text.strip()
    try:
        source = reader.read(text)
    except ExpressionError:
        return Step(line, text, None, "", text, OPERATION, ())
    body = source.tree.body
    statement = body[0] if len(body) == 1 else None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        name, assign, value = statement.targets[0].id, "=", statement.value
    elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        name, assign, value = statement.target.id, reader.operator_symbol(statement.op) + "=", statement.value
    else:
        kind = OTHER if statement is not None and _is_other(statement) else OPERATION  # a bare expression: unnamed
        return Step(line, text, None, "", text, kind, _names_read(source.tree))
    expression = source.typed(value)
    uses = _names_read(value)
    if assign != "=":
        uses = (name, *(u for u in uses if u != name))  # `c += 1` reads c
        return Step(line, text, name, assign, expression, OPERATION, uses)
    number = _variable_value(value)
    if number is not None:
        return Step(line, text, name, assign, expression, VARIABLE, uses, value=number)
    single = _single_operation(source, value)
    if single is not None:
        return Step(line, text, name, assign, expression, OPERATION, uses, operator=single[0], operands=single[1])
    return Step(line, text, name, assign, expression, OPERATION, uses)


def steps(text: str) -> list[Step]:
    """The program's steps, one per line that is not blank or a comment."""
    found = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append(parse_step(i, stripped))
    return found


def node_names(text: str) -> list[str]:
    """Every name a step defines, in order, each once: what a new operation can use."""
    names: list[str] = []
    for step in steps(text):
        if step.name and step.name not in names:
            names.append(step.name)
    return names


def check_name(name: str, taken: Sequence[str] = ()) -> str:
    """The name, stripped, if a new node may have it; otherwise ValueError saying why."""
    name = (name or "").strip()
    if not name:
        raise ValueError("give the new node a name, like x or a")
    if not _NAME_RE.match(name):
        raise ValueError(
            f"{quote(name)} can't be a name: a name starts with a letter (a-z, A-Z) or _, "
            "then letters, digits or _ (like x1 or w_2)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        like = quote(name + "1")
        raise ValueError(f"{quote(name)} is a Python keyword, so it can't be a name: pick another, like {like}")
    if name in FUNCTIONS or name == "Value":  # names of functions a program can call: not free for nodes
        raise ValueError(f"{quote(name)} is the name of a function, so it can't be a node's name: pick another")
    if name in BUILTIN_NAMES or name.startswith("__"):
        raise ValueError(f"{quote(name)} is a name Python already uses, so it can't be a node's name: pick another")
    if name in taken:
        raise ValueError(f"there is already a node called {quote(name)}: pick another name")
    return name


def _operand(text: str, names: Sequence[str]) -> str:
    """An operand as it goes into the line: an existing node's name or a number."""
    text = str(text).strip()
    if text in names:
        return text
    if _NUMBER_RE.match(text):
        written = number_text(float(text))
        return f"({written})" if written.startswith("-") else written
    if not text:
        raise ValueError("pick an operand: a node, or type a number")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise ValueError(f"{quote(text)} is not a number the graph can use: type a finite number like 2 or -1.5")
    if _NAME_RE.match(text):
        raise ValueError(f"there is no node called {quote(text)} yet: add it as a variable first, or type a number")
    raise ValueError(f"{quote(text)} is neither a node nor a number: pick a node, or type a number like 2 or -0.5")


def operation_line(result: str, op: str, operands: Sequence[str], names: Sequence[str] = ()) -> str:
    """`result = a op b` (or `result = tanh(a)`, `result = -a`), with every part checked."""
    if op not in OPERATORS:
        raise ValueError(f"{quote(op)} is not an operator the engine knows: pick one of {', '.join(OPERATORS)}")
    needed = 2 if op in BINARY else 1
    if len(operands) < needed:
        raise ValueError(f"{op} needs {needed} operand{'s' if needed > 1 else ''}")
    parts = [_operand(x, names) for x in operands[:needed]]
    record = operators.OPERATORS[op]
    if record.exponent:
        if parts[1] in names:
            raise ValueError("the exponent of ** must be a number, like 2 or -1, not a node")
        if parts[0] not in names:
            raise ValueError("the base of ** must be a node: the engine raises a Value to a number power")
        return f"{result} = {parts[0]} {record.symbol} {parts[1]}"
    if record.binary:
        return f"{result} = {parts[0]} {record.symbol} {parts[1]}"
    if not record.function:  # `-a`
        return f"{result} = {record.symbol}{parts[0]}"
    return f"{result} = {op}({parts[0]})"


def _lines(text: str) -> list[str]:
    return text.split("\n") if text.strip() else []


def add_variable(text: str, name: str, value: float) -> str:
    """The program with a new variable `name = value`, placed before the first operation."""
    name = check_name(name, node_names(text))
    line = f"{name} = {number_text(float(value))}"
    lines = _lines(text)
    first_operation = next((s.line for s in steps(text) if s.kind != VARIABLE), len(lines))
    lines.insert(first_operation, line)
    return "\n".join(lines)


def add_operation(text: str, result: str, op: str, operands: Sequence[str]) -> str:
    """The program with a new last step `result = ...`: it becomes the output."""
    names = node_names(text)
    result = check_name(result, names)
    line = operation_line(result, op, operands, names)
    lines = _lines(text)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join([*lines, line])


def users(text: str, index: int) -> list[Step]:
    """The later steps that read the node step `index` defines (until a step defines it anew)."""
    all_steps = steps(text)
    name = all_steps[index].name
    if name is None:
        return []
    found = []
    for later in all_steps[index + 1 :]:
        if name in later.uses:
            found.append(later)
        if later.name == name:
            break  # from here on the name means the new node
    return found


def _used_by(step: Step, found: Sequence[Step]) -> str:
    names = []
    for s in found:
        label = s.name or s.text
        if label not in names:
            names.append(label)
    them = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{step.text} is used by {them}; remove or change {them} first"


def _step(text: str, index: int) -> Step:
    all_steps = steps(text)
    if not 0 <= index < len(all_steps):
        raise ValueError(f"there is no step {index + 1}: the program has {len(all_steps)} steps")
    return all_steps[index]


def remove_step(text: str, index: int) -> str:
    """The program without step `index`. Refuses (ValueError) if later steps use its node."""
    step = _step(text, index)
    found = users(text, index)
    if found:
        raise ValueError(_used_by(step, found))
    lines = text.split("\n")
    del lines[step.line]
    return "\n".join(lines)


def replace_step(text: str, index: int, new_line: str) -> str:
    """The program with step `index` written as `new_line`.

    Refuses (ValueError) an empty line, more than one line, a name that is not allowed, a name
    another step already has, and renaming a node that later steps use.
    """
    step = _step(text, index)
    new_line = (new_line or "").strip()
    if not new_line:
        raise ValueError("the step is empty: type it like a = x * y, or remove it")
    if "\n" in new_line:
        raise ValueError("a step is one line: add more steps with the widgets, or type them in 'Type it'")
    try:
        reader.read(new_line)
    except ExpressionError as error:
        raise ValueError(f"the step cannot be read: {error.message}") from None
    new = parse_step(step.line, new_line)
    if new.name != step.name:
        if new.name is not None:
            others = [s.name for i, s in enumerate(steps(text)) if i != index and s.name]
            check_name(new.name, others)
        found = users(text, index)
        if found:
            raise ValueError(
                f"{step.name} is used by {', '.join(dict.fromkeys(s.name or s.text for s in found))}, "
                f"so it can't be renamed: change those steps first"
            )
    lines = text.split("\n")
    lines[step.line] = new_line
    return "\n".join(lines)


def new_program(name: str, value: float) -> str:
    """A fresh program with one variable: where building from scratch starts."""
    return f"{check_name(name)} = {number_text(float(value))}"


def give_values(text: str, known: Mapping[str, float], default: float = 1.0) -> tuple[str, list[str]]:
    """Typed `z = x*y + y` names x and y without numbers: put `x = 2` lines first so it builds.

    A variable keeps its number from `known` (the program shown so far), else gets `default`.
    Returns the new text and the names that got the default. Text that does not parse comes
    back unchanged (building it says what is wrong).
    """
    try:
        program = parse_program(text)
    except ExpressionError:
        return text, []
    missing = [name for name, number in program.variables.items() if number is None]
    if not missing:
        return text, []
    lines = [f"{name} = {number_text(known.get(name, default))}" for name in missing]
    return "\n".join([*lines, text]), [name for name in missing if name not in known]
