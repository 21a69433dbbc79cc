"""The diagram's DOT text and the values table, on the lesson example."""

import math
from collections import Counter

import graphviz
from dot_reader import read_dot, record_fields

from lab.model.analysis import analyse
from lab.model.diagram import (
    FAST_LAYOUT_NODES,
    MAX_DIAGRAM_NODES,
    Highlight,
    digraph,
    drawn_node_count,
    layout_work,
    notebook_code,
    sources,
    to_dot,
    too_big_to_draw,
)
from lab.model.presets import PRESETS
from lab.model.python_code import code_names
from lab.model.table import table_csv, values_table

LESSON = "x = 2\ny = 3\nz = x*y + y"


def records(dot: str) -> dict[str, str]:
    """DOT id -> the record's fields joined as `x | data 2 | grad 3`, read back with an independent DOT reader."""
    d = read_dot(dot)
    return {name: " | ".join(d.fields(name)) for name, attrs in d.nodes.items() if attrs.get("shape") == "record"}


def test_each_value_is_a_record_of_label_data_and_grad():
    dot = to_dot(analyse(LESSON))
    assert records(dot) == {
        "v0": "x | data 2 | grad 3",
        "v1": "y | data 3 | grad 3",
        "v2": "a | data 6 | grad 1",
        "v3": "z | data 9 | grad 1",
    }
    assert read_dot(dot).graph["rankdir"] == "LR"


def test_the_diagram_is_a_graphviz_digraph_whose_source_is_the_dot():
    a = analyse(LESSON)
    d = digraph(a)
    assert isinstance(d, graphviz.Digraph)
    assert d.source == to_dot(a)


def test_every_node_and_edge_of_the_graph_is_in_the_dot():
    # z = x*y + y: x and y feed a = x*y (the op circle op2), a and y feed z's circle op3
    d = read_dot(to_dot(analyse(LESSON)))
    assert {n: d.nodes[n]["label"] for n in ("op2", "op3")} == {"op2": "*", "op3": "+"}
    assert sorted((s, t) for s, t, _ in d.edges) == sorted(
        [("v0", "op2"), ("v1", "op2"), ("op2", "v2"), ("v2", "op3"), ("v1", "op3"), ("op3", "v3")]
    )


def test_reused_node_draws_one_edge_per_use():
    d = read_dot(to_dot(analyse(LESSON)))
    assert [t for s, t, _ in d.edges if s == "v1"] == ["op2", "op3"]
    assert [t for s, t, _ in d.edges if s == "v0"] == ["op2"]


def test_a_plus_a_draws_two_edges():
    d = read_dot(to_dot(analyse("a = 2\nb = a + a")))
    assert [(s, t) for s, t, _ in d.edges if s == "v0"] == [("v0", "op1"), ("v0", "op1")]


def test_same_program_gives_the_same_dot_every_time():
    assert to_dot(analyse(LESSON)) == to_dot(analyse(LESSON))


def test_kinds_are_coloured_and_marked():
    a = analyse("x = 2\nz = 3 * x")
    assert a.names == ("3", "x", "z")
    d = read_dot(to_dot(a, Highlight(mismatch={1}, current=2)))
    assert (d.nodes["v1"]["fillcolor"], d.nodes["v1"]["color"]) == ("#fee2e2", "#dc2626")  # red: differs
    assert d.classes("v1") == {"variable", "mismatch"}
    assert d.classes("v2") == {"output", "current"}
    assert d.nodes["v2"]["fillcolor"] == "#ffedd5"  # orange: this step
    assert d.classes("v0") == {"constant"} and d.nodes["v0"]["fillcolor"] == "#f3f4f6"
    assert d.classes("op2") == {"op"}
    plain = read_dot(to_dot(a))
    assert plain.nodes["v1"]["fillcolor"] == "#dbeafe" and plain.nodes["v2"]["fillcolor"] == "#dcfce7"


def test_hidden_grads_show_a_question_mark():
    fields = records(to_dot(analyse(LESSON), Highlight(hide_grads=True)))
    assert all(text.endswith("grad ?") for text in fields.values())


def test_flowing_edges_get_their_label_and_class():
    d = read_dot(to_dot(analyse(LESSON), Highlight(flowing={(0, 2, 0)}, edge_labels={(0, 2, 0): "+3"})))
    flowing = [(s, t, attrs) for s, t, attrs in d.edges if attrs.get("class") == "flowing"]
    assert [(s, t, attrs["label"], attrs["color"]) for s, t, attrs in flowing] == [("v0", "op2", "+3", "#ea580c")]


def test_labels_with_record_characters_and_quotes_read_back_unchanged():
    a = analyse("x = -0.00000015\nz = x * 2")
    note = 'should be {3} | <4> "or" \\ so'
    d = read_dot(to_dot(a, Highlight(notes={0: note})))
    assert d.fields("v0") == ["x", "data -1.500e-07", "grad 2", note]


def test_nodes_not_computed_yet_show_a_question_mark_for_data():
    dot = to_dot(analyse(LESSON), Highlight(unknown_data={2, 3}))
    assert records(dot)["v2"] == "a | data ? | grad 1"
    assert records(dot)["v0"] == "x | data 2 | grad 3"


def test_a_constant_used_many_times_is_drawn_beside_each_use():
    a = analyse("x = 1\ns = x * 0.5\ns = s * 0.5\ns = s * 0.5")
    half = a.names.index("0.5")
    assert a.graph.uses[half] == 3
    d = read_dot(to_dot(a))
    assert [f"v{half}", f"v{half}_2", f"v{half}_3"] == [k for k in d.nodes if k.startswith(f"v{half}")]
    assert [s for s, _, _ in d.edges if s.startswith(f"v{half}")] == [f"v{half}", f"v{half}_2", f"v{half}_3"]


def test_layout_work_grows_with_long_edges_not_with_constants():
    chain_of_constants = "\n".join(["s = 1"] + ["s = s * 1.01 + 0.5"] * 60)
    reuses_a_variable = "\n".join(["x = 1", "s = x"] + ["s = s * 1.01 + x"] * 60)
    assert layout_work(analyse(chain_of_constants)) == 0
    assert layout_work(analyse(reuses_a_variable)) < 10  # x is drawn again beside each far use


def test_big_graphs_are_not_drawn():
    lines = ["x = 1", "s = x"] + [f"s = s + x * {i + 1}" for i in range(MAX_DIAGRAM_NODES // 2)]
    program = "\n".join(lines)
    assert too_big_to_draw(analyse(program))
    assert not too_big_to_draw(analyse(LESSON))


def test_values_table_has_a_row_per_node_with_uses():
    df = values_table(analyse(LESSON))
    assert list(df["node"]) == ["x", "y", "a", "z"]
    assert list(df["uses"]) == [1, 2, 1, 0]
    assert list(df["grad"]) == [3.0, 3.0, 1.0, 1.0]
    assert list(df["data"]) == [2.0, 3.0, 6.0, 9.0]
    assert list(df["formula"]) == ["x", "y", "x * y", "a + y"]


def test_values_table_can_show_grads_of_a_step_or_hide_them():
    a = analyse(LESSON)
    assert list(values_table(a, grads=[0, 1, 1, 1])["grad"]) == [0, 1, 1, 1]
    assert values_table(a, hide_grads=True)["grad"].isna().all()


def test_table_csv_has_a_header_and_a_line_per_node():
    lines = table_csv(analyse(LESSON)).strip().splitlines()
    assert lines[0] == "node,kind,op,formula,data,grad,uses"
    assert len(lines) == 5


def test_an_infinite_slope_is_a_clear_error_not_a_crash():
    import pytest

    from engine.errors import ExpressionError

    with pytest.raises(ExpressionError, match="gradient"):
        analyse("x = 0\nz = x**0.5")


def unrolled_loop(lines: int) -> str:
    """What a learner pastes when unrolling a loop: x and w used on every line."""
    steps = ["h0 = x*w"] + [f"h{k} = h{k - 1}*w + x" for k in range(1, lines)]
    return "\n".join(["x = 0.5", "w = -1.2", *steps])


def test_a_value_used_far_downstream_is_drawn_again_beside_each_far_use():
    a = analyse(unrolled_loop(50))
    x, w = a.variables["x"], a.variables["w"]
    d = read_dot(to_dot(a))
    copies = {name: attrs for name, attrs in d.nodes.items() if "copy" in d.classes(name)}
    # x's and w's later uses (all but the first two or three lines) each have a copy of their own
    x_copies = [n for n in copies if n.startswith(f"v{x}_")]
    w_copies = [n for n in copies if n.startswith(f"v{w}_")]
    assert len(x_copies) >= 45 and len(w_copies) >= 45
    for name in x_copies:
        assert d.fields(name) == d.fields(f"v{x}")  # the same name, data and grad
        assert d.nodes[name]["tooltip"] == "x (used again)"
        assert "dashed" in d.nodes[name]["style"]
        assert d.classes(name) == {"variable", "copy"}
    # every copy sends exactly one edge, into an operation of a later line: all edges short
    for name in copies:
        assert len([t for s, t, _ in d.edges if s == name]) == 1
    assert layout_work(a) < 10
    assert not too_big_to_draw(analyse(unrolled_loop(150)))  # a 300-node chain is drawn too


def test_copies_keep_the_graph_every_edge_still_leaves_the_right_value():
    a = analyse(unrolled_loop(20))
    d = read_dot(to_dot(a))
    box_of = {name: int(name[1:].split("_")[0]) for name in d.nodes if name.startswith("v")}
    drawn = sorted((box_of[s], int(t[2:])) for s, t, _ in d.edges if s.startswith("v"))
    assert drawn == sorted((e.parent, e.child) for e in a.graph.edges)


def test_lesson_values_are_drawn_once_y_with_its_two_edges():
    d = read_dot(to_dot(analyse(LESSON)))
    assert not [n for n in d.nodes if "copy" in d.classes(n)]


def test_highlights_reach_every_copy_of_a_value():
    a = analyse(unrolled_loop(10))
    x = a.variables["x"]
    far_edge = next(e for e, s in zip(a.graph.edges, sources(a), strict=True) if s.startswith(f"v{x}_"))
    key = (far_edge.parent, far_edge.child, far_edge.slot)
    d = read_dot(to_dot(a, Highlight(current=x, mismatch={x}, flowing={key}, edge_labels={key: "+1.5"})))
    boxes = [n for n in d.nodes if n == f"v{x}" or n.startswith(f"v{x}_")]
    assert len(boxes) > 3
    for name in boxes:
        assert {"current", "mismatch"} <= d.classes(name)
    flowing = [(s, t, attrs.get("label")) for s, t, attrs in d.edges if attrs.get("class") == "flowing"]
    assert flowing == [(sources(a)[a.graph.edges.index(far_edge)], f"op{far_edge.child}", "+1.5")]
    assert flowing[0][0] != f"v{x}"  # the edge leaves the copy beside its use


def run_notebook_code(a) -> dict:
    namespace: dict = {}
    exec(compile(notebook_code(a), "notebook", "exec"), namespace)  # the test runs the code the page shows
    return namespace


def test_the_notebook_code_draws_the_same_nodes_and_edges_with_the_graphviz_package():
    for program in (LESSON, PRESETS["micrograd"].program, "a = 2\nb = a + a", unrolled_loop(5)):
        a = analyse(program)
        namespace = run_notebook_code(a)
        drawn = read_dot(namespace["draw_dot"](namespace[code_names(a)[a.output]]).source)
        records = {n: d for n, d in drawn.nodes.items() if n in drawn.nodes and "shape" not in d}
        ops = {n: d["label"] for n, d in drawn.nodes.items() if d.get("shape") == "circle"}
        # one record per value and one circle per operation, as in the app's diagram
        assert len(records) == len(a.graph) and len(ops) == sum(1 for n in a.graph.nodes if n._prev)
        by_name = {}
        for node_id, attrs in records.items():
            name, data, grad = record_fields(attrs["label"])
            by_name.setdefault(name, []).append((node_id, float(data.split()[1]), float(grad.split()[1])))
        for i, node in enumerate(a.graph.nodes):
            if a.kinds[i] != "constant":
                ((_, data, grad),) = by_name[a.names[i]]
                assert math.isclose(data, node.data, rel_tol=1e-3) and math.isclose(grad, node.grad, rel_tol=1e-3)
        # as many edges into each operation as the graph has (a + a: two)
        into = Counter(t for s, t, _ in drawn.edges if t in ops)
        assert sorted(into.values()) == sorted(len(ins) for ins in a.graph.inputs if ins)
        assert len(drawn.edges) == len(a.graph.edges) + len(ops)


def test_a_long_unrolled_loop_asks_graphviz_for_the_quicker_layout_the_lesson_does_not():
    # 50 lines: 102 values, 100 operation circles and the copies of x and w: well over FAST_LAYOUT_NODES
    assert drawn_node_count(analyse(unrolled_loop(50))) > FAST_LAYOUT_NODES
    assert read_dot(to_dot(analyse(unrolled_loop(50)))).graph.get("splines") == "line"
    assert drawn_node_count(analyse(LESSON)) == 6  # x, y, a, z and two circles
    assert "splines" not in read_dot(to_dot(analyse(LESSON))).graph


def drawn_text(d, node: str) -> str:
    """All the text graphviz writes at a node: its record's fields and its outside label (xlabel)."""
    return " ".join([*d.fields(node), d.nodes[node].get("xlabel", "")])


def test_a_node_that_differs_and_the_step_that_fires_are_marked_by_a_symbol_not_by_colour_alone():
    """Red and orange wash out on a projector and are lost to a red-green colour-blind learner: each mark is a
    symbol written at the node too (the legend says the same), and no unmarked node carries it."""
    from lab.model.diagram import LEGEND_TEXT, MARK_SYMBOLS

    a = analyse(LESSON)  # x, y, a = x*y, z = a + y
    d = read_dot(to_dot(a, Highlight(mismatch={1}, current=2)))
    differs, this_step = MARK_SYMBOLS["mismatch"], MARK_SYMBOLS["current"]
    assert differs in drawn_text(d, "v1") and this_step not in drawn_text(d, "v1")
    assert this_step in drawn_text(d, "v2") and differs not in drawn_text(d, "v2")
    for plain in ("v0", "v3"):
        assert differs not in drawn_text(d, plain) and this_step not in drawn_text(d, plain)
    assert differs != this_step
    # the record itself is unchanged, so the layout does not move from one step to the next
    assert d.fields("v1") == ["y", "data 3", "grad 3"] and d.fields("v2") == ["a", "data 6", "grad 1"]
    assert f"{differs} differs" in LEGEND_TEXT and f"{this_step} this step" in LEGEND_TEXT
