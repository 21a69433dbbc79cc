"""Every limit has a name and a number; hitting it says which one, with its number, and what still works.

For each limit: input just under it works, input just over it gets a message naming the limit and its
number, and the page keeps the last good graph (or, for the diagram, still shows the table). The sizes
of the inputs are counted by hand in each test's comment, not taken from the code's output.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from apptest_helpers import open_dashboard, open_share_box
from streamlit.testing.v1 import AppTest

from app import ui
from app.state import LESSON_PROGRAM
from engine.errors import ExpressionError
from engine.parser import MAX_BRACKETS, MAX_DEPTH, MAX_NODES, MAX_TEXT_LENGTH
from lab.model import diagram
from lab.model.analysis import analyse
from lab.model.diagram import MAX_DIAGRAM_NODES, MAX_LAYOUT_WORK, layout_work, too_big_to_draw
from lab.work.share import MAX_WORK_FILE_BYTES, Work, work_from_json, work_to_json

REPO = Path(__file__).parent.parent
KEPT = "The last program that worked is still shown"


def refusal(text: str) -> str:
    with pytest.raises(ExpressionError) as caught:
        analyse(text)
    return str(caught.value)


# -- the programs, each just under or just over one limit ------------------------------------------------


def padded_program(length: int) -> str:
    """`x = 2`, `z = x*3` and a comment that makes the text exactly `length` characters long."""
    start = "x = 2\nz = x*3  # "
    return start + "a" * (length - len(start))


def updates(count: int) -> str:
    """x, the constant 1, then one node per `x += 1`: count + 2 nodes."""
    return "x = 1\n" + "x += 1\n" * count


def nested_negations(count: int) -> str:
    """z = -(-(...-(x)...)): `count` operations inside each other. An even count of minus signs gives back x."""
    return "x = 2\nz = " + "-(" * count + "x" + ")" * count


def nested_brackets(count: int) -> str:
    return "x = 2\nz = " + "(" * count + "x" + ")" * count


def squarings(count: int) -> str:
    """x, then n1 = x*x and n_i = n_(i-1) * n_(i-1): 1 + count nodes, every edge one step long (no layout work)."""
    lines = ["x = 1", "n1 = x*x"] + [f"n{i} = n{i - 1}*n{i - 1}" for i in range(2, count + 1)]
    return "\n".join(lines)


def reusing_chain(count: int) -> str:
    """n1 = x*y, then n_i = n_(i-1) * x up to n_count: x is used again on every line.

    The diagram puts a value at rank 2 * depth; drawn from x's own box, the edge x -> n_i would jump from
    depth 0 to depth i (2i - 2 hidden ranks, count * (count - 1) in all); the diagram draws x again beside
    each far use instead, so those edges are short.
    """
    lines = ["x = 1", "y = 1", "n1 = x*y"] + [f"n{i} = n{i - 1}*x" for i in range(2, count + 1)]
    return "\n".join(lines)


# -- the expression language: text length, nodes, depth, brackets -------------------------------------


def test_text_of_exactly_the_limit_works_and_one_character_more_names_the_limit():
    assert MAX_TEXT_LENGTH == 200_000
    assert analyse(padded_program(MAX_TEXT_LENGTH)).graph.output.data == 6  # 2 * 3
    message = refusal(padded_program(MAX_TEXT_LENGTH + 1))
    assert "too long" in message and "200,001 characters" in message and "the limit is 200,000" in message


def test_exactly_the_node_limit_works_and_one_node_more_names_the_limit():
    assert MAX_NODES == 20_000
    a = analyse(updates(MAX_NODES - 2))  # x, the constant 1, 19,998 updates: 20,000 nodes
    assert len(a.graph) == 20_000
    assert a.graph.output.data == 19_999  # 1 + 19,998
    message = refusal(updates(MAX_NODES - 1))
    assert "too many nodes" in message and "the limit is 20,000" in message


def test_exactly_the_depth_limit_works_and_one_operation_more_names_the_limit():
    assert MAX_DEPTH == 100
    a = analyse(nested_negations(100))
    assert a.graph.output.data == 2  # 100 minus signs: (-1)**100 * 2
    assert a.grads[0] == 1  # dz/dx = (-1)**100
    message = refusal(nested_negations(101))
    assert "too deeply nested" in message and "at most 100 operations" in message


def test_exactly_the_bracket_limit_works_and_one_bracket_more_names_the_limit():
    assert MAX_BRACKETS == 200
    assert analyse(nested_brackets(200)).graph.output.data == 2
    message = refusal(nested_brackets(201))
    assert "too deeply nested" in message and "at most 200 brackets" in message


# -- the diagram: nodes and layout work (the table still shows every node) --------------------------------


def test_exactly_the_diagram_node_limit_is_drawn_and_one_node_more_is_not():
    assert MAX_DIAGRAM_NODES == 400
    drawn = analyse(squarings(399))  # x + 399 squarings: 400 nodes
    assert len(drawn.graph) == 400 and layout_work(drawn) == 0
    assert not too_big_to_draw(drawn)
    not_drawn = analyse(squarings(400))
    assert len(not_drawn.graph) == 401
    assert too_big_to_draw(not_drawn)


def test_a_value_used_far_downstream_is_drawn_again_so_its_layout_work_stays_small():
    # without a copy of x beside each far use, x -> n_i would cost 2i - 2 hidden ranks: 89 * 88 = 7,832 for 89 lines
    chain = analyse(reusing_chain(199))
    assert len(chain.graph) == 201
    assert layout_work(chain) < MAX_LAYOUT_WORK / 100
    assert not too_big_to_draw(chain)


def test_a_layout_work_over_the_limit_is_not_drawn(monkeypatch):
    # the lesson: z = a + y uses y (depth 0) at depth 2, one rank of values further than a step: 2 * 2 - 2 = 2
    lesson = analyse(LESSON_PROGRAM)
    assert layout_work(lesson) == 2
    assert not too_big_to_draw(lesson)
    monkeypatch.setattr(diagram, "MAX_LAYOUT_WORK", 1)
    assert too_big_to_draw(lesson)


# -- the work file -------------------------------------------------------------------------------------


def work_file_of_size(size: int) -> bytes:
    """A real work file (the lesson's program), its takeaway padded so the file is exactly `size` bytes."""
    empty = work_to_json(Work(LESSON_PROGRAM)).encode()
    return work_to_json(Work(LESSON_PROGRAM, takeaway="a" * (size - len(empty)))).encode()


def test_a_work_file_of_exactly_the_limit_loads_and_one_byte_more_names_the_limit():
    assert MAX_WORK_FILE_BYTES == 1_000_000
    at_limit = work_file_of_size(MAX_WORK_FILE_BYTES)
    assert len(at_limit) == 1_000_000
    assert work_from_json(at_limit).program == LESSON_PROGRAM
    over = work_file_of_size(MAX_WORK_FILE_BYTES + 1)
    with pytest.raises(ValueError) as caught:
        work_from_json(over)
    assert "too large" in str(caught.value) and "1,000,001 bytes" in str(caught.value)
    assert "the limit is 1,000,000 bytes" in str(caught.value)


def test_the_uploader_takes_every_file_the_work_file_limit_allows():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    upload_mb = config["server"]["maxUploadSize"]
    assert upload_mb * 1024 * 1024 >= MAX_WORK_FILE_BYTES
    assert upload_mb <= 1  # and says so: "1MB per file", not Streamlit's default 200MB


# -- the page shows it ---------------------------------------------------------------------------------


@pytest.fixture
def at() -> AppTest:
    return open_dashboard("app_pages/build.py")


def dot(at: AppTest) -> str:
    charts = at.get("graphviz_chart")
    return charts[0].proto.spec if charts else ""


def type_and_build(at: AppTest, text: str) -> None:
    at.text_area(key="build:text").input(text)
    at.button(key="build:build").click()
    at.run()
    assert not at.exception


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (padded_program(MAX_TEXT_LENGTH + 1), "the limit is 200,000"),
        (updates(MAX_NODES - 1), "the limit is 20,000"),
        (nested_negations(101), "at most 100 operations"),
        (nested_brackets(201), "at most 200 brackets"),
    ],
    ids=["text length", "nodes", "depth", "brackets"],
)
def test_the_page_names_a_limit_of_the_language_and_keeps_the_last_good_graph(at, text, named):
    before = dot(at)
    assert "{ z | data 9 | grad 1 }" in before
    type_and_build(at, text)
    shown = " ".join(e.value for e in at.error)
    assert named in shown and KEPT in shown
    assert at.session_state["program"] == LESSON_PROGRAM
    assert dot(at) == before
    assert at.text_area(key="build:text").value == text  # what was typed is not lost


def test_the_page_names_the_diagram_node_limit_and_still_shows_the_table(at):
    type_and_build(at, squarings(400))
    notes = " ".join(i.value for i in at.info)
    assert "401 nodes" in notes and "drawn up to 400 nodes" in notes and "the table lists every node" in notes
    assert not at.get("graphviz_chart")
    assert len(at.dataframe[0].value) == 401


def test_the_page_names_the_layout_work_limit_and_still_shows_the_table(at, monkeypatch):
    monkeypatch.setattr(diagram, "MAX_LAYOUT_WORK", 1)  # the lesson's layout work is 2 (see above)
    monkeypatch.setattr(ui, "MAX_LAYOUT_WORK", 1)
    at.run()
    notes = " ".join(i.value for i in at.info)
    assert "layout work is 2" in notes and "up to a layout work of 1" in notes
    assert "the table lists every node" in notes
    assert not at.get("graphviz_chart")
    assert len(at.dataframe[0].value) == 4


def test_the_page_draws_a_diagram_just_under_both_diagram_limits(at):
    type_and_build(at, reusing_chain(89))
    assert "{ n89 | data 1 | grad 1 }" in dot(at)
    type_and_build(at, squarings(399))
    assert "{ n399 | data 1 | grad 1 }" in dot(at)
    assert not at.info


def test_the_page_names_the_work_file_limit_and_keeps_the_program(at):
    open_share_box(at)  # the uploader is in that box
    before = dot(at)
    over = work_file_of_size(MAX_WORK_FILE_BYTES + 1)
    at.get("file_uploader")[0].upload("backprop-lab-work.json", over, "application/json").run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "the limit is 1,000,000 bytes" in shown and KEPT in shown
    assert at.session_state["program"] == LESSON_PROGRAM
    assert dot(at) == before
