"""The widget builder: a structured editor over the program's lines.

The program text stays the one source of truth. These plain functions read its lines as
steps (`x = 2`, `a = x * y`, ...) and return a new text with a step added, changed or
removed. They refuse, with a message a learner understands (ValueError), what is wrong
before the parser sees it: a bad or taken name, a number that is not a number, removing a
step that later steps use. Whatever they return is still built by the parser (through
`state.set_program`), which has the last word.

Lines the builder cannot take apart (pasted Python with nested expressions) are still
steps: they are listed, and can be changed as text or removed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.errors import ExpressionError, quote
from engine.parser import BUILTIN_NAMES, FUNCTIONS, parse_program
from lab.program_edit import NUMBER, number_text

VARIABLE, OPERATION, OTHER = "variable", "operation", "other"

BINARY = ("+", "-", "*", "/", "**")
UNARY = ("neg", *FUNCTIONS)
OPERATORS = BINARY + UNARY
# What the operator picker says next to each operator.
OPERATOR_NAMES = {
    "+": "+  add",
    "-": "-  subtract",
    "*": "*  multiply",
    "/": "/  divide",
    "**": "**  power (number exponent)",
    "neg": "-  negate",
    "tanh": "tanh",
    "relu": "relu",
    "exp": "exp",
    "log": "log",
}
RESERVED = (*FUNCTIONS, "Value")  # names of functions a program can call: not free for nodes

_NUMBER_RE = re.compile(rf"^\s*{NUMBER}\s*$")
_ASSIGN_RE = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*(?P<assign>[-+*/]?=)(?!=)\s*(?P<expression>.*?)\s*$")
_VALUE_CALL_RE = re.compile(rf"^Value\(\s*(?:data\s*=\s*)?(?P<number>{NUMBER})\s*(?:,[^()]*)?\)$")
# Tokens of a line: strings (skipped), numbers (so `2e5` is not a name), names, anything else.
_TOKEN_RE = re.compile(
    r"""(?P<string>'[^']*'?|"[^"]*"?)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<other>\S)"""
)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # ASCII, as the parser wants
# Python that is no step of the graph: imports, backward(), print(...), zero_grad() ...
_OTHER_RE = re.compile(r"^(?:from\s|import\s|print\s*\(|[A-Za-z_]\w*\.(?:backward|zero_grad)\s*\()")
_OPERAND = r"(?:[A-Za-z_]\w*|\(\s*-\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\)|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_BINARY_RE = re.compile(rf"^(?P<a>{_OPERAND})\s*(?P<op>\*\*|[-+*/])\s*(?P<b>{_OPERAND})$")
_CALL_RE = re.compile(rf"^(?P<op>{'|'.join(FUNCTIONS)})\(\s*(?P<a>{_OPERAND})\s*\)$")
_METHOD_RE = re.compile(rf"^(?P<a>[A-Za-z_]\w*)\.(?P<op>{'|'.join(FUNCTIONS)})\(\s*\)$")
_NEG_RE = re.compile(r"^-\s*(?P<a>[A-Za-z_]\w*)$")


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
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN_RE.finditer(expression)]
    found: list[str] = []
    for i, (kind, text) in enumerate(tokens):
        if kind != "name" or keyword.iskeyword(text):
            continue
        before = tokens[i - 1][1] if i > 0 else ""
        after = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if before == "." or after in ("(", "="):
            continue  # a method, a function call or a keyword argument like label=
        if text not in found:
            found.append(text)
    return tuple(found)


def _single_operation(expression: str) -> tuple[str, tuple[str, ...]] | None:
    """`x * y` -> ("*", ("x", "y")); `tanh(n)`, `n.tanh()` -> ("tanh", ("n",)); else None."""
    expression = expression.strip()
    if m := _BINARY_RE.match(expression):
        return m["op"], (_operand_text(m["a"]), _operand_text(m["b"]))
    if m := _CALL_RE.match(expression):
        return m["op"], (_operand_text(m["a"]),)
    if m := _METHOD_RE.match(expression):
        return m["op"], (m["a"],)
    if m := _NEG_RE.match(expression):
        return "neg", (m["a"],)
    return None


def _operand_text(text: str) -> str:
    return text.replace("(", "").replace(")", "").replace(" ", "")


def _variable_value(expression: str) -> float | None:
    """The number of `2`, `-1.5`, `Value(2.0)`, `Value(2.0, label='x')`; None for anything else."""
    expression = expression.strip()
    if _NUMBER_RE.match(expression):
        return float(expression)
    if m := _VALUE_CALL_RE.match(expression):
        return float(m["number"])
    return None


def parse_step(line: int, text: str) -> Step:
    """What one (non-blank) line of a program does."""
    text = text.strip()
    m = _ASSIGN_RE.match(text)
    if m is None:
        kind = OTHER if _OTHER_RE.match(text) else OPERATION  # a bare expression is an (unnamed) operation
        return Step(line, text, None, "", text, kind, names_used(text))
    name, assign, expression = m["name"], m["assign"], m["expression"]
    uses = names_used(expression)
    if assign != "=":
        uses = (name, *(u for u in uses if u != name))  # `c += 1` reads c
    value = _variable_value(expression) if assign == "=" else None
    if value is not None:
        return Step(line, text, name, assign, expression, VARIABLE, uses, value=value)
    single = _single_operation(expression) if assign == "=" else None
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
    if name in RESERVED:
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
    if op == "**":
        if parts[1] in names:
            raise ValueError("the exponent of ** must be a number, like 2 or -1, not a node")
        if parts[0] not in names:
            raise ValueError("the base of ** must be a node: the engine raises a Value to a number power")
        return f"{result} = {parts[0]} ** {parts[1]}"
    if op in BINARY:
        return f"{result} = {parts[0]} {op} {parts[1]}"
    if op == "neg":
        return f"{result} = -{parts[0]}"
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
