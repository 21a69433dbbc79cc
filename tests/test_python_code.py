"""The Python shown beside the graph rebuilds the same graph with Value.

The code is run here, in the test only, to check it; the app only shows it.
"""

import pytest

from engine import Value
from lab.model.analysis import analyse
from lab.model.presets import PRESETS
from lab.model.python_code import code_names, python_code


def run(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # the test checks the shown code; the app never runs it
    return namespace


def assert_same_graph(text: str) -> None:
    a = analyse(text)
    code = python_code(a)
    namespace = run(code)
    names = code_names(a)
    index_of = {id(namespace[name]): i for i, name in enumerate(names) if name is not None}
    for i, name in enumerate(names):
        if name is None:
            continue
        node = namespace[name]
        assert node.data == a.graph.nodes[i].data, name
        assert node.grad == a.graph.nodes[i].grad, name
        assert node._op == a.graph.nodes[i]._op, name
        # the same children in the same order (a number written inline has no Python name)
        children = [index_of.get(id(child)) for child in node._prev]
        assert children == [j if names[j] is not None else None for j in a.graph.inputs[i]], name
    assert len(namespace[code_names(a)[a.output]].topological_order()) == len(a.graph)


def test_the_lesson_example_as_python_reads_like_the_lesson():
    code = python_code(analyse("x = 2\ny = 3\nz = x*y + y"))
    lines = code.splitlines()
    assert lines[0] == "from engine import Value"
    assert "x = Value(2.0, label='x')" in lines
    assert "y = Value(3.0, label='y')" in lines
    assert "z.backward()" in lines
    assert lines.index("x = Value(2.0, label='x')") < lines.index("z.backward()")


def test_running_the_lesson_code_gives_z_9_and_gradients_3_and_3(capsys):
    namespace = run(python_code(analyse("x = 2\ny = 3\nz = x*y + y")))
    assert namespace["z"].data == 9
    assert namespace["x"].grad == 3
    assert namespace["y"].grad == 3
    printed = capsys.readouterr().out
    assert "z.data 9.0" in printed and "x.grad 3.0" in printed and "y.grad 3.0" in printed


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_presets_code_rebuilds_the_same_data_and_gradients(key):
    assert_same_graph(PRESETS[key].program)


def test_micrograds_example_as_code_prints_the_published_numbers():
    namespace = run(python_code(analyse(PRESETS["micrograd"].program)))
    nodes = [v for v in namespace.values() if isinstance(v, Value)]
    output = max(nodes, key=lambda v: len(v.topological_order()))
    assert round(output.data, 4) == 24.7041
    assert round(namespace["a"].grad, 4) == 138.8338
    assert round(namespace["b"].grad, 4) == 645.5773


@pytest.mark.parametrize(
    "text",
    [
        "x = 2\nz = 2*x",
        "x = 2\nz = 1 - x",
        "x = 2\nz = x - 1",
        "x = 2\nz = 1 / x",
        "x = 2\nz = -x + x**-1",
        "x = 2\nz = x ** 0.5",
        "x = 0.3\nz = tanh(x) * relu(x) + exp(x) / log(x + 2)",
        "x = 2\nz = x + x",
        "x = 2\nz = x * -3",
    ],
)
def test_numbers_on_either_side_and_every_operator_rebuild_the_same_graph(text):
    assert_same_graph(text)


def test_the_code_has_one_line_per_variable_and_operation_in_topological_order():
    a = analyse("x = 2\ny = 3\na = x * y\nz = a + y")
    lines = [line for line in python_code(a).splitlines() if " = " in line]
    assert lines == ["x = Value(2.0, label='x')", "y = Value(3.0, label='y')", "a = x * y", "z = a + y"]


def test_a_number_used_twice_is_one_node_with_a_python_name():
    a = analyse("x = 3\nz = 2*x + 2")
    code = python_code(a)
    assert "= Value(2.0, label='2')" in code
    assert_same_graph("x = 3\nz = 2*x + 2")


def test_a_name_bound_again_keeps_the_diagrams_label():
    code = python_code(analyse("c = 1\nc += c + 1\nz = c * 2"))
    assert "c_1 = c + " in code  # the variable c keeps its name; the node made from it is c_1
    assert_same_graph("c = 1\nc += c + 1\nz = c * 2")
