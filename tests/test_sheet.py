"""The derivation sheet: its steps, numbers and code lines, checked against the lesson's hand calculation.

By hand, for z = x*y + y at x = 2, y = 3: a = x*y = 6, z = a + y = 9; dz/dz = 1; dz/da = 1;
dz/dx = y * dz/da = 3; y is used twice, so dz/dy = 1 (through z) + x * dz/da = 2 (through a) = 3 = x + 1.
"""

from __future__ import annotations

import re

from engine.value import BACKWARD_RULES, Value
from lab.model.analysis import analyse
from lab.views import sheet
from tests.test_operators import new_operator

LESSON = "x = 2\ny = 3\nz = x*y + y"
DENSEST_FITTING = "x = 2\ny = 3\na = x*y\nb = a*x\nc = b*y\nd = c*a\nz = d*b + x"  # 8 nodes, 12 edges


def lines_of(s: sheet.Sheet) -> dict[str, sheet.Line]:
    return {line.maths: line for line in (*s.forward, *s.local, s.seed, *s.chain, *s.paths, *s.results)}


def test_the_lesson_sheet_gives_the_hand_calculation():
    s = sheet.lesson_sheet()
    assert s.title == "z = x*y + y at x = 2, y = 3"
    assert [line.maths for line in s.results] == ["z = 9", "∂z/∂x = 3", "∂z/∂y = 3"]
    assert [line.maths for line in s.forward] == ["a = x · y = 2 · 3 = 6", "z = a + y = 6 + 3 = 9"]


def test_each_node_has_its_local_derivatives_in_its_own_names():
    s = sheet.lesson_sheet()
    assert [line.maths for line in s.local] == [
        "∂(x · y)/∂x = y = 3,   ∂(x · y)/∂y = x = 2",
        "∂(a + y)/∂a = 1,   ∂(a + y)/∂y = 1",
    ]
    # the why, in the operator record's own words, once per operator
    assert s.local[0].note.startswith("multiplication, out = a · b: Nudging a")
    assert s.local[1].note.startswith("addition, out = a + b:")


def test_the_seed_sits_beside_the_line_of_backward_that_sets_it():
    s = sheet.lesson_sheet()
    assert s.seed.maths == "∂z/∂z = 1"
    assert s.seed.code == "self.grad = 1.0"


def test_each_edge_of_the_chain_rule_sits_beside_the_rule_line_that_does_it():
    s = sheet.lesson_sheet()
    chain = [(line.maths, line.code.splitlines()[0]) for line in s.chain]
    # in the order backward() fires: z's rule first (both edges), then a's
    assert chain == [
        ("∂z/∂a = 1 · ∂z/∂z = 1 · 1 = 1", "self.grad += out.grad"),
        ("∂z/∂y += 1 · ∂z/∂z = 1 · 1 = 1", "other.grad += out.grad"),
        ("∂z/∂x = y · ∂z/∂a = 3 · 1 = 3", "self.grad += other.data * out.grad"),
        ("∂z/∂y += x · ∂z/∂a = 2 · 1 = 2", "other.grad += self.data * out.grad"),
    ]
    assert s.chain[2].code.splitlines()[1] == "# self = x, other = y, out = a"


def test_the_two_paths_into_y_add_and_say_why():
    s = sheet.lesson_sheet()
    assert s.paths_title == "Two paths into y"
    (path,) = s.paths
    assert path.maths == "∂z/∂y = (via z) 1 + (via a) 2 = 3"
    assert path.code.splitlines() == ["other.grad += out.grad", "other.grad += self.data * out.grad"]
    assert "used twice" in path.note and "+=" in path.note


def test_the_code_lines_are_read_from_the_engine_as_it_is(monkeypatch):
    """A rule written another way shows that way: the sheet reads engine/value.py, it keeps no copy."""

    def _mul_backward(out):
        self, other = out._prev
        self.grad += out.grad * other.data
        other.grad += out.grad * self.data

    monkeypatch.setattr(Value, "_mul_backward", staticmethod(_mul_backward))
    monkeypatch.setitem(BACKWARD_RULES, "*", _mul_backward)  # the record stays; only the method changed
    codes = [line.code.splitlines()[0] for line in sheet.lesson_sheet().chain]
    assert codes[2] == "self.grad += out.grad * other.data"


def test_a_new_operator_brings_its_derivation_with_its_record():
    """sigmoid, added as tests/test_operators.py adds it (two methods and one record), and nothing else."""
    with new_operator():
        s = sheet.derivation(analyse("x = 0\nz = sigmoid(x) * 2"))
        by_maths = lines_of(s)
        # sigmoid(0) = 1/2, its slope 1/2 * (1 - 1/2) = 1/4, so dz/dx = 2 * 1/4 = 0.5 (by hand)
        assert "∂z/∂x = 0.5" in by_maths
        (local,) = [line for line in s.local if line.maths.startswith("∂sigmoid(x)/∂x")]
        assert local.maths == "∂sigmoid(x)/∂x = a · (1 - a) = 0.25"
        assert local.note.startswith("logistic sigmoid, out = 1 / (1 + exp(-a)): sigmoid squashes a into (0, 1)")
        edge = next(line for line in s.chain if line.maths.startswith("∂z/∂x"))
        assert edge.code.splitlines()[0] == "self.grad += out.data * (1 - out.data) * out.grad"


def test_by_hand_first_leaves_every_number_past_the_inputs_blank():
    s = sheet.lesson_sheet(hidden=True)
    assert s.title == "z = x*y + y at x = 2, y = 3"
    assert [line.maths for line in s.results] == [
        f"z = {sheet.BLANK}",
        f"∂z/∂x = {sheet.BLANK}",
        f"∂z/∂y = {sheet.BLANK}",
    ]
    shown = " ".join(line.maths for line in (*s.forward, *s.local, *s.chain, *s.paths))
    # 6 and 9 (a and z) nowhere; 3 and 2 only as the inputs' values in the forward pass
    assert not re.search(r"\b[69]\b", shown)
    assert s.chain[2].maths == f"∂z/∂x = y · ∂z/∂a = {sheet.BLANK} · {sheet.BLANK} = {sheet.BLANK}"
    assert s.chain[0].maths == f"∂z/∂a = 1 · ∂z/∂z = 1 · {sheet.BLANK} = {sheet.BLANK}"  # the rule's own 1 stays
    assert all(box.text.endswith(sheet.BLANK) for box in s.boxes if box.name in ("a", "z"))


def test_the_learners_own_small_program_gets_its_own_numbers():
    # z = x**2 + x at x = 3: x is used twice; by hand dz/dx = 2x + 1 = 7
    s = sheet.derivation(analyse("x = 3\nz = x**2 + x"))
    by_maths = lines_of(s)
    assert "∂z/∂x = 7" in by_maths
    assert s.local[0].maths == "∂(x²)/∂x = 2 · x = 6"
    assert s.paths[0].maths.endswith("= 7")


def test_a_program_too_big_for_one_page_is_refused_with_why():
    nine = analyse(DENSEST_FITTING.replace("+ x", "+ x*y"))
    assert len(analyse(DENSEST_FITTING).graph) == sheet.MAX_SHEET_NODES
    assert len(nine.graph) > sheet.MAX_SHEET_NODES
    assert not sheet.fits(nine)
    message = sheet.TooBig(len(nine.graph)).message
    assert f"{len(nine.graph)} nodes" in message and f"up to {sheet.MAX_SHEET_NODES} nodes" in message
    assert "lesson's example instead" in message
    assert sheet.fits(analyse(LESSON))


def test_the_file_holds_its_font_and_fetches_nothing():
    page = sheet.document_html(sheet.lesson_sheet())
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("src:url(data:font/woff2;base64,") == len(sheet.FONT_FILES)
    assert not re.search(
        r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import|<link|<script""", page
    )
    assert "∂z/∂x = y · ∂z/∂a = 3 · 1 = 3" in page


def test_the_bundled_font_is_under_the_open_font_licence():
    assert "SIL Open Font License, Version 1.1" in (sheet.FONTS / "OFL.txt").read_text()
    for name in sheet.FONT_FILES.values():
        assert (sheet.FONTS / name).read_bytes()[:4] == b"wOF2"


def test_a_local_derivative_of_more_than_one_symbol_is_bracketed_where_it_multiplies():
    # z = x/y - 1 at x = 3, y = 0.5: by hand dz/dx = 1/y = 2, dz/dy = -x/y² = -3/0.25 = -12
    s = sheet.derivation(analyse("x = 3\ny = 0.5\nz = x/y - 1"))
    assert [line.maths for line in s.chain][1:] == [
        "∂z/∂x = (1 / y) · ∂z/∂a = 2 · 1 = 2",
        "∂z/∂y = (-x / y²) · ∂z/∂a = -12 · 1 = -12",
    ]
    (relu,) = sheet.derivation(analyse("x = -1\nz = relu(x)")).chain  # dead: 0 below zero
    assert relu.maths == "∂z/∂x = (1 if z > 0 else 0) · ∂z/∂z = 0 · 1 = 0"
