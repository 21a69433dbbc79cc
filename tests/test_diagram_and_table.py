"""The diagram's DOT text and the values table, on the lesson example."""

import re

from lab.analysis import analyse
from lab.diagram import MAX_DIAGRAM_NODES, Highlight, to_dot, too_big_to_draw
from lab.table import table_csv, values_table

LESSON = "x = 2\ny = 3\nz = x*y + y"


def records(dot: str) -> dict[str, str]:
    return dict(re.findall(r'(v\d+(?:_\d+)?) \[shape=record.*?label="\{ (.*?) \}"', dot))


def test_each_value_is_a_record_of_label_data_and_grad():
    dot = to_dot(analyse(LESSON))
    assert records(dot) == {
        "v0": "x | data 2 | grad 3",
        "v1": "y | data 3 | grad 3",
        "v2": "a | data 6 | grad 1",
        "v3": "z | data 9 | grad 1",
    }
    assert "rankdir=LR" in dot


def test_reused_node_draws_one_edge_per_use():
    dot = to_dot(analyse(LESSON))
    assert dot.count("v1 -> op") == 2
    assert dot.count("v0 -> op") == 1


def test_a_plus_a_draws_two_edges():
    dot = to_dot(analyse("a = 2\nb = a + a"))
    assert dot.count("v0 -> op1") == 2


def test_same_program_gives_the_same_dot_every_time():
    assert to_dot(analyse(LESSON)) == to_dot(analyse(LESSON))


def test_kinds_are_coloured_and_marked():
    a = analyse("x = 2\nz = 3 * x")
    assert a.names == ("3", "x", "z")
    dot = to_dot(a, Highlight(mismatch={1}, current=2))
    assert 'fillcolor="#fee2e2", color="#dc2626"' in dot and 'class="variable mismatch"' in dot
    assert 'class="output current"' in dot
    assert 'class="constant"' in dot


def test_hidden_grads_show_a_question_mark():
    dot = to_dot(analyse(LESSON), Highlight(hide_grads=True))
    assert "grad ?" in dot and "grad 3" not in dot


def test_flowing_edges_get_their_label():
    dot = to_dot(analyse(LESSON), Highlight(flowing={(0, 2, 0)}, edge_labels={(0, 2, 0): "+3"}))
    assert re.search(r'v0 -> op2 \[color="#ea580c", penwidth=3, class="flowing", label="\+3"', dot)


def test_labels_with_record_characters_are_escaped():
    a = analyse(LESSON)
    dot = to_dot(a, Highlight(notes={0: "should be {3} | <4>"}))
    assert "should be \\\\{3\\\\} \\\\| \\\\<4\\\\>" in dot


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


def test_nodes_not_computed_yet_show_a_question_mark_for_data():
    dot = to_dot(analyse(LESSON), Highlight(unknown_data={2, 3}))
    assert records(dot)["v2"] == "a | data ? | grad 1"
    assert records(dot)["v0"] == "x | data 2 | grad 3"


def test_a_constant_used_many_times_is_drawn_beside_each_use():
    a = analyse("x = 1\ns = x * 0.5\ns = s * 0.5\ns = s * 0.5")
    half = a.names.index("0.5")
    assert a.graph.uses[half] == 3
    dot = to_dot(a)
    assert [f"v{half}", f"v{half}_2", f"v{half}_3"] == [k for k in records(dot) if k.startswith(f"v{half}")]
    assert dot.count(f"v{half} -> op") == 1 and f"v{half}_2 -> op" in dot and f"v{half}_3 -> op" in dot


def test_layout_work_grows_with_long_edges_not_with_constants():
    from lab.diagram import layout_work

    chain_of_constants = "\n".join(["s = 1"] + ["s = s * 1.01 + 0.5"] * 60)
    reuses_a_variable = "\n".join(["x = 1", "s = x"] + ["s = s * 1.01 + x"] * 60)
    assert layout_work(analyse(chain_of_constants)) == 0
    assert layout_work(analyse(reuses_a_variable)) > 1000
