"""The graph as a graphviz diagram in micrograd's style, built with `graphviz.Digraph`.

One record `label | data | grad` per value, a small circle per operation, inputs on the left
and the output on the right. Nodes and edges are added in the graph's topological order, so
the same program gives the same DOT (and the same layout) on every rerun.

A value used far from where it is made (x on every line of an unrolled loop) is drawn again,
dashed, beside each far use, as a constant is drawn beside each of its uses: a long edge costs
graphviz one hidden node per rank it crosses, and thousands of them take the browser a minute.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import graphviz

from engine.trace import Edge
from lab.model.analysis import CONSTANT, OUTPUT, VARIABLE, Analysis, format_number
from lab.model.python_code import code_names, python_code

MAX_DIAGRAM_NODES = 400  # above this the browser's layout gets slow: the page shows the table only
FAST_LAYOUT_FROM = 200  # layout work above which graphviz is asked for a quicker, plainer layout
FAST_LAYOUT_NODES = 150  # ... and so is a diagram of more boxes and circles than this (a long unrolled loop)
MAX_LAYOUT_WORK = 8_000  # above this even the quicker layout takes too long: the table only
FAR_USE = 2  # a use more than this many values downstream of where the value is drawn gets its own copy
# Graphviz's own knobs for a quicker layout: straight edges, fewer crossing-reduction passes.
FAST_LAYOUT = {"splines": "line", "mclimit": "0.1", "nslimit": "2", "nslimit1": "2", "remincross": "false"}
# Edges between a value's own box and its operations pull harder than a copy's edge: the chain of an
# unrolled loop stays straight, the copies sit beside it (with equal pulls it drifts down a step a line).
MAIN_WEIGHT = "4"
FONT_SIZE = "14"  # every text of the diagram: its size on screen is set by how the page scales the drawing

# fill, border: light fills keep the text readable on a projector
COLOURS = {
    VARIABLE: ("#dbeafe", "#2563eb"),
    CONSTANT: ("#f3f4f6", "#9ca3af"),
    "operation": ("#ffffff", "#4b5563"),
    OUTPUT: ("#dcfce7", "#15803d"),
    "mismatch": ("#fee2e2", "#dc2626"),
    "current": ("#ffedd5", "#ea580c"),
    "op": ("#ede9fe", "#7c3aed"),
}
FLOW_COLOUR = "#ea580c"
# A mark is never told by its colour alone (a projector washes colour out; a colour-blind learner cannot tell
# red from green): a symbol is written beside the node too, outside its record (an xlabel, placed after the
# layout), so the drawing does not move when the mark moves from step to step.
MARK_SYMBOLS = {"mismatch": "✘", "current": "▶"}
MARK_WORDS = {"mismatch": "differs", "current": "this step"}
LEGEND = [
    ("variable", VARIABLE),
    ("constant", CONSTANT),
    ("computed value", "operation"),
    ("output", OUTPUT),
    ("operation", "op"),
    *((f"{MARK_SYMBOLS[mark]} {MARK_WORDS[mark]}", mark) for mark in ("mismatch", "current")),
]
LEGEND_TEXT = [text for text, _ in LEGEND]
USED_AGAIN = "used again"  # the legend's and tooltip's words for a dashed copy of a value


def computed_nodes(a: Analysis) -> list[int]:
    """The values an operation made (not the variables and constants the program gives): what "by hand first"
    holds back as `data ?` until the learner has worked them out."""
    return [i for i, node in enumerate(a.graph.nodes) if node._prev]


@dataclass(frozen=True)
class Highlight:
    """What to mark on top of the plain diagram."""

    grads: Sequence[float] | None = None  # grads to show instead of the nodes' own (a step of a trace)
    hide_grads: bool = False  # "by hand first": show `grad ?`
    mismatch: Collection[int] = ()  # node indices drawn in red
    current: int | None = None  # the node whose step this is
    flowing: Collection[tuple[int, int, int]] = ()  # edges (parent, child, slot) that carry gradient now
    edge_labels: Mapping[tuple[int, int, int], str] = field(default_factory=dict)
    notes: Mapping[int, str] = field(default_factory=dict)  # extra line under a node's record, e.g. "should be 3"
    unknown_data: Collection[int] = ()  # nodes the forward pass has not computed yet: `data ?`
    # the engine's data and grad written beside a node's own where they differ (None where the same):
    # `grad 2, engine 3` (the learner's own Value on Implement it)
    engine: Mapping[int, tuple[float | None, float | None]] = field(default_factory=dict)


def _marks(h: Highlight, i: int) -> list[str]:
    """The marks on node i: "mismatch", "current" (each drawn in its colour and written beside the node once)."""
    return [mark for mark, on in (("mismatch", i in h.mismatch), ("current", h.current == i)) if on]


def record_texts(a: Analysis, i: int, h: Highlight, grads: Sequence[float]) -> list[str]:
    """The fields of node i's record as drawn: its name, `data ...`, `grad ...` (with the engine's number
    beside a differing one), and a note under it if there is one."""
    engine_data, engine_grad = h.engine.get(i, (None, None))
    data_text = "?" if i in h.unknown_data else format_number(a.graph.nodes[i].data)
    grad_text = "?" if h.hide_grads else format_number(grads[i])
    if engine_data is not None and i not in h.unknown_data:
        data_text += f", engine {format_number(engine_data)}"
    if engine_grad is not None and not h.hide_grads:
        grad_text += f", engine {format_number(engine_grad)}"
    fields = [a.names[i], f"data {data_text}", f"grad {grad_text}"]
    if i in h.notes:
        fields.append(h.notes[i])
    return fields


def mark_text(h: Highlight, i: int) -> str:
    """What is written beside node i (its xlabel): "✘ differs", "▶ this step", or nothing."""
    return ", ".join(f"{MARK_SYMBOLS[mark]} {MARK_WORDS[mark]}" for mark in _marks(h, i))


def record_field(text: str) -> str:
    """Text safe inside one field of a record label: `{ } | < >` and backslash are record syntax.

    (The graphviz package quotes the whole label and escapes its double quotes itself.)
    """
    return "".join("\\" + ch if ch in "{}|<>\\" else ch for ch in text)


def depths(a: Analysis) -> list[int]:
    """How many operations lie between each node and the leaves: a value sits at rank 2 * depth."""
    graph = a.graph
    depth = [0] * len(graph)
    for i in range(len(graph)):
        if graph.inputs[i]:
            depth[i] = 1 + max(depth[p] for p in graph.inputs[i])
    return depth


def homes(a: Analysis, depth: Sequence[int]) -> list[int]:
    """Where each value's own box sits, as a depth: a computed value at its own, a leaf right before
    its first use (graphviz puts a node with no inputs next to what it feeds)."""
    graph = a.graph
    home = list(depth)
    placed: set[int] = set()
    for e in graph.edges:
        if not graph.inputs[e.parent] and e.parent not in placed:
            placed.add(e.parent)
            home[e.parent] = depth[e.child] - 1
    return home


def sources(a: Analysis) -> list[str]:
    """Per edge (in graph.edges order): the DOT id of the box it leaves, `v3`, or a copy of it, `v3_2`.

    A constant used more than once gets its own box beside each use, as micrograd draws it. Any
    other value gets a copy (dashed) beside each use that lies more than FAR_USE values downstream
    of its own box (see `homes`).
    """
    graph = a.graph
    depth = depths(a)
    home = homes(a, depth)
    boxes: dict[int, int] = {}  # node -> how many boxes it has so far
    names = []
    for e in graph.edges:
        p = e.parent
        if a.kinds[p] == CONSTANT:
            again = p in boxes
        else:
            again = depth[e.child] - home[p] > FAR_USE
        if again:
            boxes[p] = boxes.get(p, 1) + 1
            names.append(f"v{p}_{boxes[p]}")
        else:
            boxes.setdefault(p, 1)
            names.append(f"v{p}")
    return names


def layout_work(a: Analysis) -> int:
    """About how hard the diagram is to lay out: how many ranks its edges jump over in total.

    Graphviz routes a long edge through one hidden node per rank it crosses, and lays those out
    too: a value used far downstream costs one per rank, unless it is drawn again beside that use
    (see `sources`), which makes the edge short. A value sits at rank 2 * depth, its operation
    circle at 2 * depth - 1.
    """
    graph = a.graph
    depth = depths(a)
    home = homes(a, depth)
    work = 0
    for e, source in zip(graph.edges, sources(a), strict=True):
        if source == f"v{e.parent}":
            work += max(0, 2 * (depth[e.child] - home[e.parent]) - 2)
    return work


def drawn_node_count(a: Analysis) -> int:
    """How many boxes and circles the diagram has: a record per value, a circle per operation, the copies."""
    graph = a.graph
    copies = {s for e, s in zip(graph.edges, sources(a), strict=True) if s != f"v{e.parent}"}
    return len(graph) + sum(1 for node in graph.nodes if node._prev) + len(copies)


def _edge_key(e: Edge) -> tuple[int, int, int]:
    return (e.parent, e.child, e.slot)


def digraph(a: Analysis, highlight: Highlight | None = None) -> graphviz.Digraph:
    """The diagram as a `graphviz.Digraph`: hand it to `st.graphviz_chart`, or read its `.source` (DOT)."""
    h = highlight or Highlight()
    graph = a.graph
    grads = h.grads if h.grads is not None else a.grads
    flowing = set(h.flowing)
    edge_sources = sources(a)
    copies: dict[int, list[str]] = {}
    for e, source in zip(graph.edges, edge_sources, strict=True):
        if source != f"v{e.parent}" and source not in copies.get(e.parent, []):
            copies.setdefault(e.parent, []).append(source)

    graph_attr = {"rankdir": "LR", "bgcolor": "transparent", "nodesep": "0.2", "ranksep": "0.3"}
    graph_attr["fontname"] = "Helvetica"
    graph_attr["forcelabels"] = "true"  # every mark's xlabel is drawn, even where it overlaps
    if layout_work(a) > FAST_LAYOUT_FROM or drawn_node_count(a) > FAST_LAYOUT_NODES:
        graph_attr.update(FAST_LAYOUT)
    dot = graphviz.Digraph(
        "backprop",
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": FONT_SIZE, "penwidth": "1.4", "margin": "0.07,0.04"},
        edge_attr={"color": "#6b7280", "arrowsize": "0.7", "penwidth": "1.2"},
    )
    for i, node in enumerate(graph.nodes):
        kind = a.kinds[i]
        marks = _marks(h, i)
        style = marks[-1] if marks else kind if kind in COLOURS else "operation"
        classes = [kind, *marks]
        fill, border = COLOURS[style]
        label = "{ " + " | ".join(record_field(text) for text in record_texts(a, i, h, grads)) + " }"
        width = "3.0" if marks or kind == OUTPUT else "1.4"
        tooltip = f"{a.names[i]} = {a.formulas[i]}" if node._prev else f"{a.names[i]}: {kind}"
        attrs = {"shape": "record", "style": "filled", "fillcolor": fill, "color": border, "penwidth": width}
        if marks:
            attrs["xlabel"] = mark_text(h, i)
        dot.node(f"v{i}", label, tooltip=tooltip, **attrs, **{"class": " ".join(classes)})
        for copy in copies.get(i, []):
            if kind == CONSTANT:  # a number is the same number wherever it is drawn
                dot.node(copy, label, tooltip=tooltip, **attrs, **{"class": " ".join(classes)})
            else:
                dot.node(
                    copy,
                    label,
                    tooltip=f"{a.names[i]} ({USED_AGAIN})",
                    **{**attrs, "style": "filled,dashed"},
                    **{"class": " ".join([*classes, "copy"])},
                )
        if node._prev:
            op_fill, op_border = COLOURS["op"]
            dot.node(
                f"op{i}",
                a.op_text(i),
                shape="circle",
                style="filled",
                fillcolor=op_fill,
                color=op_border,
                width="0.45",
                fixedsize="true",
                **{"class": "op"},
            )
            dot.edge(f"op{i}", f"v{i}", weight=MAIN_WEIGHT)
    for e, source in zip(graph.edges, edge_sources, strict=True):
        key = _edge_key(e)
        attrs = {} if source != f"v{e.parent}" else {"weight": MAIN_WEIGHT}
        if key in flowing:
            attrs.update({"color": FLOW_COLOUR, "penwidth": "3", "class": "flowing"})
        if key in h.edge_labels:
            attrs.update({"label": h.edge_labels[key], "fontcolor": FLOW_COLOUR, "fontsize": "16"})
        dot.edge(source, f"op{e.child}", **attrs)
    return dot


def to_dot(a: Analysis, highlight: Highlight | None = None) -> str:
    """The diagram's DOT text (what the DOT download holds)."""
    return digraph(a, highlight).source


NOTEBOOK_DRAW = """
# Draw it as micrograd's draw_dot does (pip install graphviz; in Jupyter the last line shows it)
import graphviz

{labels}

def draw_dot(root):
    dot = graphviz.Digraph(graph_attr={{"rankdir": "LR"}}, node_attr={{"shape": "record"}})
    seen, stack = set(), [root]
    while stack:  # every node reachable from root, each once
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        dot.node(str(id(v)), "{{ %s | data %.4g | grad %.4g }}" % (v.label, v.data, v.grad))
        if v._prev:
            dot.node(str(id(v)) + v._op, v._op, shape="circle")
            dot.edge(str(id(v)) + v._op, str(id(v)))
            for child in v._prev:  # one edge per use: a + a has two
                dot.edge(str(id(child)), str(id(v)) + v._op)
                stack.append(child)
    return dot


draw_dot({output})
"""


def notebook_code(a: Analysis) -> str:
    """Python a learner can take home: builds the graph with the engine's `Value` and draws it with graphviz."""
    names = code_names(a)
    # the engine labels the variables; the computed values get their names from the program here
    labels = "".join(
        f"{name}.label = {a.names[i]!r}\n" for i, name in enumerate(names) if name is not None and a.graph.inputs[i]
    )
    return python_code(a) + NOTEBOOK_DRAW.format(labels=labels, output=names[a.output])


def natural_size(a: Analysis, highlight: Highlight | None = None) -> tuple[float, float]:
    """About how wide and tall graphviz lays the diagram out, in points (an estimate from the text as drawn
    with `highlight`: its notes, the engine's numbers and the marks written beside a node make it wider).

    Each value sits one rank right of its operation circle, which sits right of its inputs,
    so a rank's width is its widest record and the height follows its busiest rank.
    """
    h = highlight or Highlight()
    graph = a.graph
    depth = depths(a)
    widest: dict[int, float] = {}
    count: dict[int, int] = {}
    grads = h.grads if h.grads is not None else a.grads  # a list made on each call: once here, not once per node
    for i, node in enumerate(graph.nodes):
        width = sum(0.5 * 14 * len(text) + 10 for text in record_texts(a, i, h, grads))
        width += 0.5 * 14 * len(mark_text(h, i))  # the mark sits beside the record
        widest[2 * depth[i]] = max(widest.get(2 * depth[i], 0.0), width)
        count[2 * depth[i]] = count.get(2 * depth[i], 0) + 1
        if node._prev:
            widest[2 * depth[i] - 1] = 32.4
    ranks = len(widest)
    width = sum(widest.values()) + 21.6 * max(ranks - 1, 0) + 16
    height = max(count.values()) * (36 + 14) + 16
    return width, height


def too_big_to_draw(a: Analysis) -> bool:
    return len(a.graph) > MAX_DIAGRAM_NODES or layout_work(a) > MAX_LAYOUT_WORK
