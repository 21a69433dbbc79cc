"""The graph as a graphviz diagram in micrograd's style, as DOT text.

One record `label | data | grad` per value, a small circle per operation, inputs on the left
and the output on the right. Nodes and edges are written in the graph's topological order,
so the same program gives the same DOT (and the same layout) on every rerun.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from lab.analysis import CONSTANT, OUTPUT, VARIABLE, Analysis, format_number

MAX_DIAGRAM_NODES = 400  # above this the browser's layout gets slow: the page shows the table only
FAST_LAYOUT_FROM = 200  # layout work above which the DOT asks graphviz for a quicker, plainer layout
MAX_LAYOUT_WORK = 8_000  # above this even the quicker layout takes too long: the table only
# Graphviz's own knobs for a quicker layout: straight edges, fewer crossing-reduction passes.
FAST_LAYOUT = "splines=line, mclimit=0.1, nslimit=2, nslimit1=2, remincross=false"

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
LEGEND = [
    ("variable", VARIABLE),
    ("constant", CONSTANT),
    ("computed value", "operation"),
    ("output", OUTPUT),
    ("operation", "op"),
    ("differs", "mismatch"),
    ("this step", "current"),
]


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


def _escape(text: str) -> str:
    """Text safe inside a record label."""
    out = []
    for ch in text:
        if ch in '{}|<>"\\':
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def layout_work(a: Analysis) -> int:
    """About how hard the diagram is to lay out: how many ranks the edges jump over in total.

    Graphviz routes a long edge through one hidden node per rank it crosses, and lays those out
    too: a value used far downstream (x in every line of a 50-line chain) costs thousands of
    them, while the same number of nodes in short hops costs almost nothing.
    """
    graph = a.graph
    depth = [0] * len(graph)
    for i in range(len(graph)):
        if graph.inputs[i]:
            depth[i] = 1 + max(depth[p] for p in graph.inputs[i])
    # a value sits at rank 2 * depth, its operation circle at 2 * depth - 1; a constant is
    # drawn again beside each use (see to_dot), so its edges are always short
    return sum(2 * (depth[e.child] - depth[e.parent]) - 2 for e in graph.edges if not _drawn_per_use(a, e.parent))


def _drawn_per_use(a: Analysis, i: int) -> bool:
    """A constant used more than once gets its own box beside each use, as micrograd draws it:
    one shared box for `0.5` used in every line would pull long edges across the whole diagram."""
    return a.kinds[i] == CONSTANT and a.graph.uses[i] > 1


def to_dot(a: Analysis, highlight: Highlight | None = None) -> str:
    h = highlight or Highlight()
    graph = a.graph
    grads = h.grads if h.grads is not None else a.grads
    mismatch = set(h.mismatch)
    flowing = set(h.flowing)
    unknown = set(h.unknown_data)
    lines = [
        "digraph backprop {",
        '  graph [rankdir=LR, bgcolor="transparent", nodesep=0.25, ranksep=0.45, fontname="Helvetica"'
        + (f", {FAST_LAYOUT}" if layout_work(a) > FAST_LAYOUT_FROM else "")
        + "];",
        '  node [fontname="Helvetica", fontsize=14, penwidth=1.4];',
        '  edge [color="#6b7280", arrowsize=0.7, penwidth=1.2];',
    ]
    for i, node in enumerate(graph.nodes):
        kind = a.kinds[i]
        style = kind if kind in COLOURS else "operation"
        classes = [kind]
        if i in mismatch:
            style = "mismatch"
            classes.append("mismatch")
        if h.current == i:
            style = "current"
            classes.append("current")
        fill, border = COLOURS[style]
        grad_text = "?" if h.hide_grads else format_number(grads[i])
        data_text = "?" if i in unknown else format_number(node.data)
        fields = [_escape(a.names[i]), f"data {_escape(data_text)}", f"grad {_escape(grad_text)}"]
        if i in h.notes:
            fields.append(_escape(h.notes[i]))
        label = "{ " + " | ".join(fields) + " }"
        width = 3.0 if style in ("mismatch", "current") or kind == OUTPUT else 1.4
        tooltip = f"{a.names[i]} = {a.formulas[i]}" if node._prev else f"{a.names[i]}: {kind}"
        attrs = (
            f"shape=record, style=filled, fillcolor={_quote(fill)}, color={_quote(border)}, "
            f"penwidth={width}, label={_quote(label)}, tooltip={_quote(tooltip)}, class={_quote(' '.join(classes))}"
        )
        lines.append(f"  v{i} [{attrs}];")
        if _drawn_per_use(a, i):
            lines.extend(f"  v{i}_{use} [{attrs}];" for use in range(2, graph.uses[i] + 1))
        if node._prev:
            op_fill, op_border = COLOURS["op"]
            lines.append(
                f"  op{i} [shape=circle, style=filled, fillcolor={_quote(op_fill)}, color={_quote(op_border)}, "
                f'fontsize=12, width=0.45, fixedsize=true, label={_quote(a.op_text(i))}, class="op"];'
            )
            lines.append(f"  op{i} -> v{i};")
    use_count: dict[int, int] = {}
    for edge in graph.edges:
        key = (edge.parent, edge.child, edge.slot)
        source = f"v{edge.parent}"
        if _drawn_per_use(a, edge.parent):
            use_count[edge.parent] = use_count.get(edge.parent, 0) + 1
            if use_count[edge.parent] > 1:
                source = f"v{edge.parent}_{use_count[edge.parent]}"
        attrs = []
        if key in flowing:
            attrs += [f"color={_quote(FLOW_COLOUR)}", "penwidth=3", 'class="flowing"']
        if key in h.edge_labels:
            attrs += [f"label={_quote(h.edge_labels[key])}", f"fontcolor={_quote(FLOW_COLOUR)}", "fontsize=16"]
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {source} -> op{edge.child}{suffix};")
    lines.append("}")
    return "\n".join(lines)


def natural_size(a: Analysis) -> tuple[float, float]:
    """About how wide and tall graphviz lays the diagram out, in points (an estimate from the text).

    Each value sits one rank right of its operation circle, which sits right of its inputs,
    so a rank's width is its widest record and the height follows its busiest rank.
    """
    graph = a.graph
    depth = [0] * len(graph)
    for i in range(len(graph)):
        if graph.inputs[i]:
            depth[i] = 1 + max(depth[p] for p in graph.inputs[i])
    widest: dict[int, float] = {}
    count: dict[int, int] = {}
    grads = a.grads  # a list made on each call: once here, not once per node
    for i, node in enumerate(graph.nodes):
        fields = [a.names[i], f"data {format_number(node.data)}", "grad " + format_number(grads[i])]
        width = sum(0.56 * 14 * len(text) + 16 for text in fields)
        widest[2 * depth[i]] = max(widest.get(2 * depth[i], 0.0), width)
        count[2 * depth[i]] = count.get(2 * depth[i], 0) + 1
        if node._prev:
            widest[2 * depth[i] - 1] = 32.4
    ranks = len(widest)
    width = sum(widest.values()) + 32.4 * max(ranks - 1, 0) + 16
    height = max(count.values()) * (36 + 18) + 16
    return width, height


def too_big_to_draw(a: Analysis) -> bool:
    return len(a.graph) > MAX_DIAGRAM_NODES or layout_work(a) > MAX_LAYOUT_WORK
