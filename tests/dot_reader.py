"""Reads the DOT text the diagram produces back into nodes and edges, for tests.

A small reader of the DOT language as the graphviz package writes it (statements of IDs,
quoted strings, `->`, attribute lists), independent of the code that writes it: a label that
is quoted or escaped wrongly fails to read, or reads back as something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'\s*(?:(->)|"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_.#:-]+)|([\[\]=;{},]))', re.S)


@dataclass
class Dot:
    name: str
    graph: dict[str, str] = field(default_factory=dict)
    node_defaults: dict[str, str] = field(default_factory=dict)
    edge_defaults: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)  # in the order they are declared
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def classes(self, node: str) -> set[str]:
        return set(self.nodes[node].get("class", "").split())

    def fields(self, node: str) -> list[str]:
        return record_fields(self.nodes[node]["label"])


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"DOT does not read at {text[pos : pos + 40]!r}")
        pos = m.end()
        if m.group(1):
            out.append(("->", "->"))
        elif m.group(2) is not None:
            out.append(("id", m.group(2).replace('\\"', '"')))
        elif m.group(3):
            out.append(("id", m.group(3)))
        else:
            out.append((m.group(4), m.group(4)))
    return out


def read_dot(text: str) -> Dot:
    """Parse a `digraph name { ... }` (the name may be left out); raises ValueError if it is not DOT of that shape."""
    tokens = _tokens(text)
    if tokens[:1] != [("id", "digraph")] or tokens[-1][0] != "}":
        raise ValueError("not a digraph")
    named = tokens[1][0] == "id"
    if tokens[2 if named else 1][0] != "{":
        raise ValueError("not a digraph")
    dot = Dot(tokens[1][1] if named else "")
    i, end = 3 if named else 2, len(tokens) - 1

    def attributes(i: int) -> tuple[dict[str, str], int]:
        attrs: dict[str, str] = {}
        if i < end and tokens[i][0] == "[":
            i += 1
            while tokens[i][0] != "]":
                if tokens[i][0] == ",":
                    i += 1
                    continue
                key, eq, value = tokens[i], tokens[i + 1], tokens[i + 2]
                if key[0] != "id" or eq[0] != "=" or value[0] != "id":
                    raise ValueError(f"bad attribute near {key}")
                attrs[key[1]] = value[1]
                i += 3
            i += 1
        return attrs, i

    while i < end:
        kind, value = tokens[i]
        if kind == ";":
            i += 1
        elif kind == "id" and value in ("graph", "node", "edge") and tokens[i + 1][0] == "[":
            attrs, i = attributes(i + 1)
            {"graph": dot.graph, "node": dot.node_defaults, "edge": dot.edge_defaults}[value].update(attrs)
        elif kind == "id" and tokens[i + 1][0] == "=":
            dot.graph[value] = tokens[i + 2][1]
            i += 3
        elif kind == "id" and tokens[i + 1][0] == "->":
            target = tokens[i + 2]
            if target[0] != "id":
                raise ValueError("an edge needs a target")
            attrs, i = attributes(i + 3)
            dot.edges.append((value, target[1], attrs))
        elif kind == "id":
            attrs, i = attributes(i + 1)
            dot.nodes.setdefault(value, {}).update(attrs)
        else:
            raise ValueError(f"unexpected {value!r}")
    for source, target, _ in dot.edges:
        if source not in dot.nodes or target not in dot.nodes:
            raise ValueError(f"edge {source} -> {target} names a node that is not declared")
    return dot


def record_fields(label: str) -> list[str]:
    """The fields of a record label `{ a | b | c }`, with the record escapes (`\\|`, `\\{`, ...) undone."""
    text = label.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not a record label in braces: {label!r}")
    fields, current, escaped = [], [], False
    for ch in text[1:-1]:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "{}<>":
            raise ValueError(f"unescaped {ch!r} inside a record: {label!r}")
        elif ch == "|":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    fields.append("".join(current).strip())
    return fields
