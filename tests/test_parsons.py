"""`backward()` as a Parsons puzzle (lab/views/parsons.py): each arrangement checked at once, in the example's numbers.

By hand, for z = x*y + y at x = 2, y = 3 (a = x*y = 6, z = a + y = 9): backward() fires z, then a.
z sends 1 to a and 1 to y; a (grad 1) sends y.data * 1 = 3 to x and x.data * 1 = 2 to y: x.grad = 3, y.grad = 3.
- Seed after the loop: z fires with grad 0 and sends 0 on: x.grad = 0, y.grad = 0.
- topo.append(v) before the loop over the children: topo = [z, a, x, y], reversed y, x, a, z: a fires while a.grad
  is 0 (x gets 0, y gets 0 from it), then z sends y its 1: x.grad = 0, y.grad = 1.
On a = x*y, b = a + x, z = a*b (x = 2, y = 3: a = 6, b = 8, z = 48), where a is used twice: dz/da = b + a = 14,
dz/dx = y*14 + a = 48, dz/dy = x*14 = 28. If a fires twice (each time with its complete grad 14), x gets 3*14 once more
(90) and y 2*14 once more (56).
"""

import re

import pytest

from lab.views import parsons as p

SOLUTION = list(p.solution())


def placed(*pairs: tuple[str, int]) -> tuple[p.Placed, ...]:
    return tuple(p.Placed(line_id, level) for line_id, level in pairs)


def without(arrangement, line_id):
    return [x for x in arrangement if x.id != line_id]


def at_level(arrangement, line_id, level):
    return tuple(p.Placed(x.id, level) if x.id == line_id else x for x in arrangement)


def moved(arrangement, line_id, before_id):
    """`line_id` taken out and put back just before `before_id` (at its own level)."""
    line = next(x for x in arrangement if x.id == line_id)
    rest = without(arrangement, line_id)
    i = next(k for k, x in enumerate(rest) if x.id == before_id)
    return (*rest[:i], line, *rest[i:])


def test_the_lessons_own_backward_is_right_and_the_puzzle_as_given_is_not():
    assert p.check(tuple(SOLUTION)).right
    given = p.start()
    assert sorted(x.id for x in given) == sorted(x.id for x in SOLUTION)  # every line, once
    assert {x.level for x in given} == {1}  # the indenting is the learner's to do
    assert [x.id for x in given] != [x.id for x in SOLUTION] and not p.check(given).right
    assert p.start() == given  # the same shuffle on every visit


@pytest.mark.parametrize(
    "arrangement",
    [
        moved(SOLUTION, "visited", "topo"),  # visited = set() first
        moved(SOLUTION, "seed", "topo"),  # the seed before the search
        moved(SOLUTION, "add", "append"),  # visited.add(v) after the loop over the children: still once each
    ],
    ids=["visited_first", "seed_first", "mark_visited_late"],
)
def test_any_order_that_computes_the_right_thing_is_right(arrangement):
    assert p.check(arrangement).right


def test_a_seed_after_the_loop_is_named_with_the_zeros_it_leaves_and_the_hand_numbers_only_after_by_hand():
    late_seed = tuple(without(SOLUTION, "seed")) + placed(("seed", 1))
    before = p.check(late_seed, reveal=False)
    assert not before.right
    assert "z.grad is still 0" in before.message and "x.grad = 0, y.grad = 0" in before.message
    assert "instead of" not in before.message  # the hand calculation's 3 and 3 are not given away
    assert before.line == 13  # `self.grad = 1`, now the last line
    after = p.check(late_seed, reveal=True)
    assert "x.grad = 0, y.grad = 0 instead of 3, 3" in after.message


def test_a_misordered_puzzle_gets_the_order_it_makes_and_its_gradients():
    preorder = moved(SOLUTION, "append", "for_child")  # topo.append(v) before the children are visited
    verdict = p.check(preorder)
    assert not verdict.right
    assert "in the order y, x, a, z" in verdict.message
    assert "x.grad = 0, y.grad = 1" in verdict.message


def test_an_append_outside_the_if_fires_a_shared_node_twice_on_the_second_graph():
    verdict = p.check(at_level(SOLUTION, "append", 2))  # right on z = x*y + y: only leaves are reached twice there
    assert not verdict.right
    assert "a is used twice" in verdict.message and "runs twice" in verdict.message
    assert "x.grad = 90, y.grad = 56 instead of 48, 28" in verdict.message
    assert "outside `if v not in visited:`" in verdict.message


@pytest.mark.parametrize(
    ("line_id", "level", "message"),
    [
        ("fire", 1, "line 12, `for node in reversed(topo):`, opens a block: the line under it (line 13)"),
        ("recurse", 3, "line 7, `for child in v._prev:`, opens a block: the line under it (line 8)"),
        ("visited", 2, "line 3, `visited = set()`: this line is further right than the line above allows"),
        ("add", 4, "line 7, `for child in v._prev:`: this line goes back left to a level where no block above it is"),
    ],
)
def test_a_wrongly_indented_puzzle_is_named_at_its_line_by_the_whitelist_reader(line_id, level, message):
    verdict = p.check(at_level(SOLUTION, line_id, level))
    assert not verdict.right and message in verdict.message


def test_a_visited_set_made_inside_build_topo_fires_the_shared_node_twice():
    inside = moved(SOLUTION, "visited", "if")
    inside = at_level(inside, "visited", 2)  # `visited = set()` now starts every build_topo call afresh
    verdict = p.check(inside)
    assert "a is used twice" in verdict.message and "x.grad = 90, y.grad = 56" in verdict.message


def test_a_line_used_before_it_is_set_or_where_it_does_not_exist_is_named():
    late_topo = moved(SOLUTION, "topo", "loop")  # topo = [] after build_topo(self) has appended to it
    verdict = p.check(late_topo)
    assert "line 8, `topo.append(v)`: `topo` is used here before it is set" in verdict.message and verdict.line == 8
    before_loop = at_level(moved(SOLUTION, "fire", "start"), "fire", 1)  # node._backward() before the loop
    assert "line 13, `for node in reversed(topo):`, opens a block: a line under it" in p.check(before_loop).message
    before_loop = placed(*((x.id, x.level) for x in before_loop[:-1]), ("loop", 1), ("seed", 2))
    assert "line 10, `node._backward()`: `node` is used here before it is set" in p.check(before_loop).message


def test_a_seed_inside_the_loop_gives_the_right_numbers_but_is_named():
    inside = moved(SOLUTION, "seed", "fire")
    verdict = p.check(at_level(inside, "seed", 2))
    assert not verdict.right and "`self.grad = 1` runs 4 times" in verdict.message  # once per node of topo


def test_marking_visited_before_the_check_leaves_topo_empty():
    first = at_level(moved(SOLUTION, "add", "if"), "add", 2)
    assert "topo stays empty" in p.check(first).message


def test_moves_stop_at_the_edges_and_levels():
    given = p.start()
    assert p.move(given, 0, p.UP) == given and p.move(given, len(given) - 1, p.DOWN) == given
    assert p.move(given, 0, p.OUT) == given  # level 1 is the leftmost: inside `def backward(self):`
    deep = given
    for _ in range(p.MAX_LEVEL + 2):
        deep = p.move(deep, 0, p.IN)
    assert deep[0].level == p.MAX_LEVEL
    assert p.move(given, 0, p.DOWN)[:2] == (given[1], given[0])


def test_the_arrangement_is_kept_as_its_text_and_read_back():
    assert p.from_text(p.to_text(tuple(SOLUTION))) == tuple(SOLUTION)
    assert p.kept("") == p.start()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("    import os", "is not one of the puzzle's lines"),
        ("  topo = []", "is not at one of the puzzle's levels"),
        (p.to_text(tuple(SOLUTION[:-1])), "`node._backward()` is missing"),
        (p.to_text(tuple(SOLUTION)) + "\n    topo = []", "`topo = []` is there twice"),
    ],
)
def test_kept_text_that_is_not_the_puzzle_is_refused_with_a_message(text, message):
    with pytest.raises(p.PuzzleError, match=re.escape(message)):
        p.from_text(text)
