"""The derivation on one page: the gradients of a small program worked out as by hand, beside the code.

`derivation(a, hidden)` builds the sheet's content from the engine: the graph and its forward pass
(engine/trace.py's Graph), each operation's local derivatives and why (the operator records of
engine/operators.py, through engine/derivatives.py), the seed, the chain rule one edge at a time in
the order `backward()` fires (engine/trace.py's `backward_steps`), and the nodes used more than once,
whose shares add (`gradient_sources`). Every step is set beside the line of the engine's own `Value`
code that it justifies, read from engine/value.py as it is (`inspect`), so an operator added with its record and
its two methods gets its derivation too.

`sheet_html(sheet)` writes it as a notebook page in a bundled handwriting font (Kalam, SIL Open Font
Licence, from the @fontsource/kalam package: fonts/), inlined, so the page and the downloaded file
work offline; `document_html(sheet)` is the downloadable file. Print CSS keeps it to one page on A4
and on Letter (tests/browser/test_sheet_browser.py prints both and counts the pages).

With "by hand first" the numbers past the inputs are blanks (a worksheet to fill in), as every page hides
the engine's numbers until the learner has entered theirs.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.operators import OPERATORS
from engine.rule_reader import local_formula, substitute
from engine.trace import gradient_sources
from engine.value import Value
from lab.model.analysis import CONSTANT, Analysis, analyse, format_number
from lab.model.presets import LESSON_PROGRAM
from lab.model.rules import RULES, derivative_text
from lab.model.source import source_of

PAGE = "app_pages/sheet.py"  # the page that shows it (opened from the Lesson)
MAX_SHEET_NODES = 8  # about what one printed page holds: a line per node and per edge of the chain rule
BLANK = "____"  # a number the learner has not worked out yet ("by hand first")
FONT_FAMILY = "Kalam"
FONTS = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {400: "kalam-latin-400-normal.woff2", 700: "kalam-latin-700-normal.woff2"}


@dataclass(frozen=True)
class Line:
    """One handwritten line of the derivation, and the line of `Value` code it justifies."""

    maths: str
    code: str = ""  # one or more lines of engine/value.py ("" when none)
    note: str = ""  # a few words under the maths


@dataclass(frozen=True)
class Box:
    """A node of the drawn graph: its place (column = how many operations deep), its text."""

    name: str
    text: str
    column: int
    row: int


@dataclass(frozen=True)
class Sheet:
    program: str  # `z = x*y + y`: the program's operations as typed
    values: str  # `x = 2, y = 3`
    output: str
    boxes: tuple[Box, ...]
    edges: tuple[tuple[int, int], ...]  # (parent, child) node indices, one per use
    forward: tuple[Line, ...]
    local: tuple[Line, ...]
    seed: Line
    chain: tuple[Line, ...]
    paths: tuple[Line, ...]
    results: tuple[Line, ...]
    hidden: bool  # the numbers past the inputs are blanks
    paths_title: str = ""  # `Two paths into y`

    @property
    def title(self) -> str:
        """`z = x*y + y at x = 2, y = 3`."""
        return f"{self.program} at {self.values}" if self.values else self.program


@dataclass(frozen=True)
class TooBig:
    """Why the learner's program gets no sheet."""

    nodes: int

    @property
    def message(self) -> str:
        return (
            f"Your program has {self.nodes} nodes: a sheet shows one page, and one page holds a program of up "
            f"to {MAX_SHEET_NODES} nodes (a line for each node, each local derivative and each edge of the chain "
            "rule). Here is the lesson's example instead; work a few of your own nodes on paper the same way."
        )


# -- the engine's own lines --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _code_lines(function: Callable) -> tuple[str, ...]:
    """The lines of a method of engine/value.py as it is, without its `def`, decorators, docstring and comments
    (read once per function: a rule swapped for another is another function, read in its turn)."""
    lines = []
    for line in source_of(function).splitlines():
        stripped = line.split("  #", 1)[0].strip()
        if stripped and not stripped.startswith(("@", "def ", '"""', "#")):
            lines.append(stripped)
    return tuple(lines)


def rule_line(op: str, slot: int) -> str:
    """The line of the operator's backward rule that gives input `slot` its share:
    `self.grad += other.data * out.grad` (from engine/value.py, as it is now)."""
    name = OPERATORS[op].inputs[slot]
    found = [line for line in _code_lines(RULES[op].backward) if re.match(rf"{name}\.grad\s*\+?=", line)]
    if found:
        return found[0]
    return f"{name}.grad += {OPERATORS[op].local[slot]} * out.grad"  # a rule written another way: its record


def forward_line(op: str) -> str:
    """The line of the operator's method that makes the new node: `return Value(self.data * other.data, ...)`."""
    found = [line for line in _code_lines(RULES[op].forward) if "Value(" in line]
    return found[-1] if found else f"out = Value({OPERATORS[op].forward}, ...)"


def seed_line() -> str:
    """`self.grad = 1.0` from `Value.backward()`."""
    found = [line for line in _code_lines(Value.backward) if re.match(r"self\.grad\s*=", line)]
    return found[0] if found else "self.grad = 1.0"


# -- the maths, as a hand writes it -------------------------------------------------------------------------

_TIMES = {2: "twice", 3: "three times"}
_COUNT = {2: "two", 3: "three", 4: "four", 5: "five"}
_SUPERSCRIPTS = {"2": "²", "3": "³"}


def handwritten(text: str) -> str:
    """`x * y` -> `x · y`, `o**2` -> `o²`."""
    text = re.sub(r"\*\*1\b(?!\.)", "", text)  # x**1 (the power rule's n - 1 at n = 2) is x
    text = re.sub(r"\*\*(\d)\b", lambda m: _SUPERSCRIPTS.get(m.group(1), "^" + m.group(1)), text)
    return text.replace("**", "^").replace(" * ", " · ")


def d(top: str, bottom: str) -> str:
    return f"∂{top}/∂{bottom}"


def _names(a: Analysis, child: int) -> dict[str, str]:
    """The record's words for this node's names: self.data -> `x`, out.data -> `a`."""
    names = {"out.data": a.names[child]}
    for word, p in zip(OPERATORS[a.graph.nodes[child]._op].inputs, a.graph.inputs[child], strict=False):
        names[f"{word}.data"] = a.names[p] if a.kinds[p] != CONSTANT else format_number(a.graph.nodes[p].data)
    return names


def local_symbol(a: Analysis, child: int, slot: int) -> str:
    """d child / d its `slot`-th input in this node's names: `y`, `1`, `1 - o²`, `1 if o > 0 else 0`."""
    node = a.graph.nodes[child]
    formula = local_formula(node._op, slot)
    if node._exponent is not None:
        formula = substitute(formula, {"n": node._exponent})
    return handwritten(derivative_text(formula, _names(a, child)))


def _factor(symbol: str) -> str:
    """A local derivative about to be multiplied: `y`, `-1`, but `(1 / y)`, `(2 · x)`."""
    return symbol if re.fullmatch(r"-?[\w.²³]+", symbol) else f"({symbol})"


def _bracketed(a: Analysis, i: int) -> str:
    """`(x · y)`, `tanh(n)`: the node's expression, as the top of a local derivative."""
    text = _expression(a, i)
    return text if text.endswith(")") and not text.startswith("-") else f"({text})"


def _expression(a: Analysis, i: int) -> str:
    node = a.graph.nodes[i]
    names = [a.names[p] if a.kinds[p] != CONSTANT else format_number(a.graph.nodes[p].data) for p in a.graph.inputs[i]]
    if node._op == "**":
        return handwritten(f"{names[0]}**{format_number(node._exponent)}")
    if node._op == "neg":
        return f"-{names[0]}"
    if len(names) == 2:
        return handwritten(f"{names[0]} {OPERATORS[node._op].symbol} {names[1]}")
    return f"{OPERATORS[node._op].symbol}({names[0]})"


# -- the sheet ---------------------------------------------------------------------------------------------


def fits(a: Analysis) -> bool:
    return len(a.graph) <= MAX_SHEET_NODES


def derivation(a: Analysis, hidden: bool = False) -> Sheet:
    """The derivation of `a`'s gradients, step by step, with the numbers from the engine.

    `hidden`: every number past the inputs' values is a blank (by hand first).
    """
    g, names, out = a.graph, a.names, a.output
    z = names[out]

    def num(x: float) -> str:
        return BLANK if hidden else format_number(x)

    def shown(i: int) -> str:
        return names[i] if a.kinds[i] != CONSTANT else format_number(g.nodes[i].data)

    operations = [i for i in range(len(g)) if not g.is_leaf(i)]
    variables = [i for i in range(len(g)) if g.is_leaf(i) and a.kinds[i] != CONSTANT]

    # the graph, forward: each operation from its inputs
    forward = []
    for i in operations:
        node = g.nodes[i]
        numbers = _expression_numbers(a, i, num)
        forward.append(Line(f"{names[i]} = {_expression(a, i)} = {numbers} = {num(node.data)}", forward_line(node._op)))

    # each node's local derivatives, and why (the record's words, once per operator)
    local = []
    worded: set[str] = set()
    for i in operations:
        node = g.nodes[i]
        parts = []
        for slot, p in enumerate(g.inputs[i]):
            if a.kinds[p] == CONSTANT:
                continue
            symbol = local_symbol(a, i, slot)
            flow_local = _local_number(a, i, slot)
            value = "" if symbol == format_number(flow_local) else f" = {num(flow_local)}"
            parts.append(f"{d(_bracketed(a, i), names[p])} = {symbol}{value}")
        record = OPERATORS[node._op]
        note = ""
        if record.op not in worded:
            worded.add(record.op)
            rule = RULES[record.op]
            note = f"{record.name}, out = {handwritten(rule.forward_text)}: {handwritten(rule.words)}"
        code = "\n".join(f"∂out/∂{word} = {formula}" for word, formula in zip(record.inputs, record.local, strict=True))
        local.append(Line(",   ".join(parts) if parts else f"{names[i]} has only constant inputs", code, note))

    seed = Line(f"{d(z, z)} = 1", seed_line(), f"{z} changes one for one with itself: every path starts here.")

    # the chain rule, edge by edge, in the order backward() fires
    chain = []
    for step in a.steps[1:]:
        for flow in step.flows:
            if a.kinds[flow.parent] == CONSTANT:
                continue
            p, c = names[flow.parent], names[flow.child]
            symbol = local_symbol(a, flow.child, flow.slot)
            upstream = d(z, c)
            assign = "+=" if g.uses[flow.parent] > 1 else "="
            factor = _factor(symbol)
            symbolic = f"{factor} · {upstream}"
            constant = re.fullmatch(r"-?[0-9.]+", symbol) is not None  # a rule's own number: nothing to work out
            numbers = f"{symbol if constant else num(flow.local)} · {num(flow.incoming)}"
            result = "" if numbers == num(flow.contribution) else f" = {num(flow.contribution)}"
            words = OPERATORS[g.nodes[flow.child]._op].inputs
            mapping = ", ".join(f"{w} = {shown(q)}" for w, q in zip(words, g.inputs[flow.child], strict=False))
            chain.append(
                Line(
                    f"{d(z, p)} {assign} {symbolic} = {numbers}{result}",
                    f"{rule_line(g.nodes[flow.child]._op, flow.slot)}\n# {mapping}, out = {c}",
                )
            )

    # the nodes used more than once: one share per path, and they add
    sources = gradient_sources(g, a.steps)
    paths = []
    counts = []
    for i in variables + [i for i in operations if i != out]:
        flows = sources[i]
        if len(flows) < 2:
            continue
        counts.append(f"{_COUNT.get(len(flows), len(flows))} paths into {names[i]}")
        via = " + ".join(f"(via {names[f.child]}) {num(f.contribution)}" for f in flows)
        total = sum(f.contribution for f in flows)
        code = "\n".join(dict.fromkeys(rule_line(g.nodes[f.child]._op, f.slot) for f in flows))
        paths.append(
            Line(
                f"{d(z, names[i])} = {via} = {num(total)}",
                code,
                _paths_note(names[i], z, len(flows), first=not paths),
            )
        )

    results = [Line(f"{z} = {num(g.nodes[out].data)}")] + [
        Line(f"{d(z, names[i])} = {num(g.nodes[i].grad)}") for i in variables
    ]
    values = ", ".join(f"{names[i]} = {format_number(g.nodes[i].data)}" for i in variables)
    boxes = _boxes(a, num)
    edges = tuple((e.parent, e.child) for e in g.edges)
    paths_title = "; ".join(counts)
    paths_title = paths_title[0].upper() + paths_title[1:] if paths_title else ""
    return Sheet(
        _program_title(a),
        values,
        z,
        boxes,
        edges,
        tuple(forward),
        tuple(local),
        seed,
        tuple(chain),
        tuple(paths),
        tuple(results),
        hidden,
        paths_title,
    )


def _paths_note(name: str, z: str, uses: int, first: bool) -> str:
    times = _TIMES.get(uses, f"{uses} times")
    if not first:
        return f"{name} is used {times}: its shares add too."
    return (
        f"{name} is used {times}, so a nudge of {name} moves {z} along {uses} paths at once: the shares add. "
        "That is why every rule writes +=, never =."
    )


def lesson_sheet(hidden: bool = False) -> Sheet:
    return derivation(analyse(LESSON_PROGRAM), hidden)


def _local_number(a: Analysis, child: int, slot: int) -> float:
    for step in a.steps:
        for flow in step.flows:
            if flow.child == child and flow.slot == slot:
                return flow.local
    return float("nan")


def _expression_numbers(a: Analysis, i: int, num: Callable[[float], str]) -> str:
    """`2 · 3`, `tanh(-5)`: node i's expression with its inputs' numbers (an operation's own as `num` shows it)."""
    node = a.graph.nodes[i]

    def value(p: int) -> str:
        return format_number(a.graph.nodes[p].data) if a.graph.is_leaf(p) else num(a.graph.nodes[p].data)

    shown = [value(p) for p in a.graph.inputs[i]]
    if node._op == "**":
        return handwritten(f"{shown[0]}**{format_number(node._exponent)}")
    if node._op == "neg":
        return f"-({shown[0]})"
    if len(shown) == 2:
        return handwritten(f"{shown[0]} {OPERATORS[node._op].symbol} {shown[1]}")
    return f"{OPERATORS[node._op].symbol}({shown[0]})"


def _program_title(a: Analysis) -> str:
    """`z = x*y + y` for the lesson's example; else the program's operations, `;`-separated."""
    lines = [line for line in a.program.text.splitlines() if line.strip()]
    number = r"[-+0-9.eE]+"
    ops = [
        line.strip()
        for line in lines
        if not re.fullmatch(rf"\s*\w+\s*=\s*({number}|Value\(\s*{number}\s*(,.*)?\))\s*", line)
    ]
    return "; ".join(ops) if ops else a.names[a.output]


def _boxes(a: Analysis, num: Callable[[float], str]) -> tuple[Box, ...]:
    g = a.graph
    column = [0] * len(g)
    for i in range(len(g)):
        if g.inputs[i]:
            column[i] = 1 + max(column[p] for p in g.inputs[i])
    rows: dict[int, int] = {}
    boxes = []
    for i in range(len(g)):
        row = rows.get(column[i], 0)
        rows[column[i]] = row + 1
        node = g.nodes[i]
        if g.is_leaf(i):
            text = f"{a.names[i]} = {format_number(node.data)}" if a.kinds[i] != CONSTANT else format_number(node.data)
        else:
            text = f"{a.names[i]} = {_expression(a, i)} = {num(node.data)}"
        boxes.append(Box(a.names[i], text, column[i], row))
    return tuple(boxes)


# -- the page ------------------------------------------------------------------------------------------------

# How many ruled lines one printed page holds at full size (Letter, the shorter of the two, at 10 mm margins);
# a sheet that needs more is written smaller (--scale), never cut.
PAGE_LINES = 39.0
MATHS_CHARS, NOTE_CHARS, CODE_CHARS = 44, 64, 46  # about what one line of each holds at full size


def _lines(text: str, per_line: float) -> int:
    return sum(max(1, -(-len(part) // int(per_line))) for part in text.splitlines()) if text else 0


def line_units(line: Line, size: float = 1.0) -> float:
    """How many ruled lines a row takes at this size, about: the maths and its note beside the code (smaller
    type); smaller type puts more characters on a line."""
    left = _lines(line.maths, MATHS_CHARS / size) + 0.8 * _lines(line.note, NOTE_CHARS / size)
    right = 0.7 * _lines(line.code, CODE_CHARS / size)
    return max(left, right) + 0.1  # and its ruled line


def units(sheet: Sheet, size: float = 1.0) -> float:
    """The sheet's writing in ruled lines at this size, about (a little more rather than less); the drawing apart."""
    rows = (*sheet.forward, *sheet.local, sheet.seed, *sheet.chain, *sheet.paths)
    headings = 5 + bool(sheet.paths)
    return 3 + sheet.hidden + 1.2 * headings + sum(line_units(line, size) for line in rows) + 2


def graph_lines(sheet: Sheet) -> float:
    """The drawing's height in full-size ruled lines: it keeps its own size (narrowed to the page's width)."""
    width, height = _graph_size(sheet)
    return height * min(1.0, GRAPH_WIDTH / width) / PRINT_LINE_PX + 0.5


MAX_SCALE, MIN_SCALE = 1.0, 0.45  # a short sheet keeps its full size (larger would spill onto a second Letter page)
PRINT_LINE_PX = 21.75  # a ruled line in print at full size: 14.5 px type, 1.5 lines


def scale(sheet: Sheet) -> float:
    """The largest size (in steps of 0.02) at which the sheet's writing and drawing fill at most one page."""
    size = MAX_SCALE
    while size > MIN_SCALE and size * units(sheet, size) + graph_lines(sheet) > PAGE_LINES:
        size -= 0.02
    return round(size, 2)


@functools.lru_cache(maxsize=4)
def font_css(weights: tuple[int, ...] = tuple(FONT_FILES)) -> str:
    """@font-face rules with the bundled handwriting font inlined (base64): nothing is fetched from anywhere."""
    rules = []
    for weight in weights:
        name = FONT_FILES[weight]
        data = base64.b64encode((FONTS / name).read_bytes()).decode("ascii")
        rules.append(
            f"@font-face{{font-family:'{FONT_FAMILY}';font-style:normal;font-weight:{weight};font-display:block;"
            f"src:url(data:font/woff2;base64,{data}) format('woff2')}}"
        )
    return "".join(rules)


INK = "#14235a"  # on the paper: 13:1
PAPER = "#fffdf6"
NOTE_INK = "#3d3d4f"
RULE_LINE = "#cfdcef"
MARGIN_LINE = "#e2a3a3"

SHEET_CSS = f"""
.sheet{{--scale:1;--lh:1.5em;box-sizing:border-box;max-width:200mm;margin:0 auto;color:{INK};background-color:{PAPER};
font-family:'{FONT_FAMILY}','Comic Sans MS',cursive;font-size:calc(17px * var(--scale));line-height:var(--lh);
padding:1em 1.4em 1em 3.2em;border:1px solid #d8d2bf;box-shadow:0 2px 6px rgba(0,0,0,.12);
background-image:linear-gradient(to right,transparent 2.3em,{MARGIN_LINE} 2.3em,{MARGIN_LINE} calc(2.3em + 1.5px),
transparent calc(2.3em + 1.5px));-webkit-print-color-adjust:exact;print-color-adjust:exact}}
.sheet h1,.sheet h2{{font-size:1.45em;font-weight:700;margin:0;padding:0;line-height:1.3;color:{INK}}}
.sheet .subtitle{{font-size:1.1em;margin:0 0 .2em 0}}
.sheet h3{{font-size:1.08em;font-weight:700;margin:.35em 0 0 0;padding:0;line-height:var(--lh);color:{INK};
text-decoration:underline;text-decoration-thickness:1px;text-underline-offset:3px}}
.sheet .row{{display:grid;grid-template-columns:minmax(0,1.2fr) minmax(0,1fr);column-gap:1em;align-items:baseline;
border-bottom:1px solid {RULE_LINE}}}
.sheet h1,.sheet h2,.sheet .subtitle,.sheet h3{{border-bottom:1px solid {RULE_LINE}}}
.sheet code{{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:.85em}}
.sheet .maths{{white-space:pre-wrap}}
.sheet .note{{display:block;width:fit-content;font-size:.8em;line-height:1.35;color:{NOTE_INK};background:{PAPER}}}
.sheet .code{{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:.7em;line-height:1.45;
white-space:pre-wrap;margin:0;color:#1d1d1d;background:{PAPER};padding:0 .3em;border:0;
border-left:2px solid {MARGIN_LINE};width:fit-content}}
.sheet .code .comment{{color:#4d4d4d}}
.sheet .colhead{{font-size:.8em;color:{NOTE_INK};margin:0}}
.sheet img.graph{{display:block;max-width:100%;height:auto;margin:.2em 0 .2em .5em}}
.sheet .result{{margin-top:.4em;font-weight:700;font-size:1.12em;border:2px solid {INK};border-radius:10px;
padding:0 .6em;display:inline-block}}
.sheet .blank-note{{font-size:.85em;color:{NOTE_INK}}}
@page{{margin:10mm}}
@media print{{
  .sheet{{max-width:none;margin:0;border:0;box-shadow:none;font-size:calc(14.5px * var(--scale))}}
  html,body{{background:#fff}}
  [data-testid="stHeader"],[data-testid="stSidebar"],[data-testid="stSidebarCollapsedControl"],
  [data-testid="stToolbar"],[data-testid="stDecoration"],[data-testid="stBottom"]{{display:none !important}}
  [data-testid="stMain"] [data-testid="stElementContainer"]:not(:has(.sheet)),
  [data-testid="stMain"] [data-testid="stLayoutWrapper"]:not(:has(.sheet)){{display:none !important}}
  .stApp,[data-testid="stAppViewContainer"],[data-testid="stMain"],[data-testid="stMainBlockContainer"],
  [data-testid="stAppScrollToBottomContainer"]{{position:static !important;overflow:visible !important;
  height:auto !important;min-height:0 !important;padding:0 !important;margin:0 !important;max-width:none !important}}
}}
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _code_html(code: str) -> str:
    lines = []
    for line in code.splitlines():
        if line.startswith("#"):
            lines.append(f'<span class="comment">{_esc(line)}</span>')
        else:
            lines.append(_esc(line))
    return "\n".join(lines)


def _row(line: Line) -> str:
    note = f'<span class="note">{_esc(line.note)}</span>' if line.note else ""
    code = f'<pre class="code">{_code_html(line.code)}</pre>' if line.code else "<span></span>"
    return f'<div class="row"><div class="maths">{_esc(line.maths)}{note}</div>{code}</div>'


GRAPH_FONT_PX, CHAR_WIDTH, BOX_HEIGHT, ROW_GAP, COLUMN_GAP = 16, 8.0, 28, 12, 42


GRAPH_WIDTH = 680  # px: the sheet's text width on screen and in print; a wider drawing is drawn smaller


def _layout(sheet: Sheet) -> tuple[list[float], list[float], list[float], int]:
    """Each box's width, each column's x and width, and the number of rows."""
    width_of = [len(box.text) * CHAR_WIDTH + 16 for box in sheet.boxes]
    columns = max(box.column for box in sheet.boxes) + 1
    column_width = [
        max((w for w, b in zip(width_of, sheet.boxes, strict=True) if b.column == c), default=0) for c in range(columns)
    ]
    x_of = [sum(column_width[:c]) + COLUMN_GAP * c for c in range(columns)]
    return width_of, x_of, column_width, max(box.row for box in sheet.boxes) + 1


def _graph_size(sheet: Sheet) -> tuple[float, float]:
    _, x_of, column_width, rows = _layout(sheet)
    skips = any(sheet.boxes[c].column - sheet.boxes[p].column > 1 for p, c in sheet.edges)
    return x_of[-1] + column_width[-1] + 4, rows * BOX_HEIGHT + (rows - 1) * ROW_GAP + 8 + (16 if skips else 0)


def graph_svg(sheet: Sheet) -> str:
    """The graph drawn as a hand would: a box per node, an arrow per use (two for a node used twice)."""
    width_of, x_of, _, rows = _layout(sheet)
    width, height = _graph_size(sheet)

    def place(i: int) -> tuple[float, float]:
        box = sheet.boxes[i]
        column_rows = sum(1 for b in sheet.boxes if b.column == box.column)
        offset = (rows - column_rows) * (BOX_HEIGHT + ROW_GAP) / 2
        return x_of[box.column] + 2, 4 + offset + box.row * (BOX_HEIGHT + ROW_GAP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f"height=\"{height:.0f}\"><style>{font_css(weights=(400,))}text{{font-family:'{FONT_FAMILY}',cursive}}</style>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,1 L9,5 L0,9" fill="none" stroke="{INK}" stroke-width="1.5"/>'
        "</marker></defs>"
    ]
    seen: dict[tuple[int, int], int] = {}
    for parent, child in sheet.edges:
        k = seen.get((parent, child), 0)
        seen[(parent, child)] = k + 1
        px, py = place(parent)
        cx, cy = place(child)
        x1, y1 = px + width_of[parent], py + BOX_HEIGHT / 2 + 6 * k
        x2, y2 = cx - 2, cy + BOX_HEIGHT / 2 + 6 * k
        bend = max(20.0, (x2 - x1) / 2)
        c1, c2 = (x1 + bend, y1), (x2 - bend, y2)
        if sheet.boxes[child].column - sheet.boxes[parent].column > 1:  # past other columns: round under them
            c1, c2 = (x1 + bend / 2, height + 6), (x2 - bend / 2, height + 6)
        parts.append(
            f'<path d="M{x1:.1f},{y1:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {x2:.1f},{y2:.1f}" '
            f'fill="none" stroke="{INK}" stroke-width="1.3" marker-end="url(#arrow)"/>'
        )
    for i, box in enumerate(sheet.boxes):
        x, y = place(i)
        stroke = 2.2 if box.name == sheet.output else 1.3
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width_of[i]:.1f}" height="{BOX_HEIGHT}" rx="8" fill="{PAPER}" '
            f'stroke="{INK}" stroke-width="{stroke}"/>'
            f'<text x="{x + 8:.1f}" y="{y + BOX_HEIGHT / 2 + 5:.1f}" font-size="{GRAPH_FONT_PX}" fill="{INK}">'
            f"{_esc(box.text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def graph_img(sheet: Sheet) -> str:
    """The drawing as an image (the page's HTML may hold no SVG of its own), with the graph in words for a reader."""
    width, height = _graph_size(sheet)
    data = base64.b64encode(graph_svg(sheet).encode("utf-8")).decode("ascii")
    words = "; ".join(box.text for box in sheet.boxes)
    return (
        f'<img class="graph" src="data:image/svg+xml;base64,{data}" width="{width:.0f}" height="{height:.0f}" '
        f'alt="The graph: {html.escape(words)}">'
    )


def sheet_html(sheet: Sheet, heading: str = "h2") -> str:
    """The sheet as an <article>, with its style and font: for the page (st.html) and inside the file."""
    out = sheet.output
    sections = [
        f"<{heading}>The derivation, by hand</{heading}>",
        f'<p class="subtitle"><code>{_esc(sheet.program)}</code>{" at " + _esc(sheet.values) if sheet.values else ""}: '
        f"the gradient of {_esc(out)} with respect to every node, "
        "one step at a time, each beside the line of the <code>Value</code> code that does it.</p>",
    ]
    if sheet.hidden:
        sections.append(
            f'<p class="blank-note">{BLANK} : a number you work out by hand first (your entries on By hand '
            "fill the sheet in).</p>"
        )
    sections.append("<h3>1. The graph, forward: each node from its inputs</h3>")
    sections.append(graph_img(sheet))
    sections.extend(_row(line) for line in sheet.forward)
    sections.append("<h3>2. Each node's local derivatives (how its output moves when one input is nudged)</h3>")
    sections.extend(_row(line) for line in sheet.local)
    sections.append(f"<h3>3. The seed: backward() starts at {_esc(out)}</h3>")
    sections.append(_row(sheet.seed))
    sections.append(
        f"<h3>4. The chain rule, edge by edge (in the order backward() fires): "
        f"{_esc(d(out, 'input'))} = local · {_esc(d(out, 'node'))}</h3>"
    )
    sections.extend(_row(line) for line in sheet.chain)
    if sheet.paths:
        sections.append(f"<h3>5. {_esc(sheet.paths_title)}: why they add</h3>")
        sections.extend(_row(line) for line in sheet.paths)
    result = " ;   ".join(line.maths for line in sheet.results)
    sections.append(f'<p class="result">{_esc(result)}</p>')
    body = "".join(sections)
    return (
        f"<style>{font_css()}{SHEET_CSS}</style>"
        f'<article class="sheet" lang="en" style="--scale:{scale(sheet):.3f}">{body}</article>'
    )


def document_html(sheet: Sheet) -> str:
    """The downloadable file: one HTML page, the font inside it, nothing to fetch."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>The derivation, by hand: {_esc(sheet.title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{margin:0;padding:1rem;background:#f1efe8}@media print{body{padding:0;background:#fff}}</style>"
        f"</head><body>{sheet_html(sheet, heading='h1')}</body></html>"
    )
