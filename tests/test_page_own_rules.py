"""The "Write the rules yourself" page in AppTest, on the lesson's example (z = x*y + y at x = 2, y = 3).

By hand: with `=` in the `*` rule, z fires first (y.grad = 1) and a = x*y then overwrites y.grad with
x.data * a.grad = 2, so only y is wrong (2 instead of 3).
"""

import json
import re

from apptest_helpers import open_dashboard
from dot_reader import read_dot
from streamlit.testing.v1 import AppTest

from lab.model import mistakes
from lab.model.presets import PRESETS

PAGE = "app_pages/own_rules.py"
MUL = "self.grad += other.data * out.grad\nother.grad += self.data * out.grad"
ADD = "self.grad += out.grad\nother.grad += out.grad"
MUL_OVERWRITE = "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"


def open_page() -> AppTest:
    return open_dashboard(PAGE, first="0")  # the rules at work, their numbers shown (by hand first: its own test)


def write(at: AppTest, op: str, text: str) -> None:
    if at.segmented_control(key="own_rules:operator").value != op:
        at.segmented_control(key="own_rules:operator").set_value(op).run()
    at.text_area(key=f"own_rules:rule:{op}").input(text).run()
    assert not at.exception


def marked_in_diagram(at: AppTest) -> set[str]:
    dot = at.get("graphviz_chart")[0].proto.spec
    return {m.group(1) for m in re.finditer(r'label="\{ ([^ |]+) \|.*class="[^"]*mismatch', dot)}


def test_the_page_opens_empty_never_with_the_answer():
    at = open_page()
    assert at.title[0].value == "Write the rules yourself"
    box = at.text_area(key="own_rules:rule:*")
    assert box.value == "" and "other.data" not in (box.placeholder or "")
    assert any("does not run any rule of yours" in i.value for i in at.info)
    assert marked_in_diagram(at) == set()


def test_the_right_mul_rule_passes_on_the_lesson():
    at = open_page()
    write(at, "*", MUL)
    assert not at.error
    assert any("matches the engine's" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert list(table["your grad"]) == ["3", "3", "1", "1"]
    assert set(table["right?"]) == {"✓"}


def test_overwrite_is_named_and_y_is_marked():
    at = open_page()
    write(at, "*", MUL_OVERWRITE)
    assert any("`=` instead of `+=`" in e.value and "yours 2" in e.value for e in at.error)
    assert marked_in_diagram(at) == {"y"}
    assert "grad 2 | engine: 3" in at.get("graphviz_chart")[0].proto.spec


def test_the_rule_is_kept_with_the_work_across_pages():
    at = open_page()
    write(at, "*", MUL)
    assert at.session_state["rules"] == {"*": MUL}
    at.switch_page("app_pages/build.py")
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert at.text_area(key="own_rules:rule:*").value == MUL


def test_a_learners_wrong_rule_leaves_another_learner_unaffected():
    """Two sessions in one process share its modules and caches, as two learners on one server do."""
    wrong = open_page()
    write(wrong, "*", MUL_OVERWRITE)
    assert marked_in_diagram(wrong) == {"y"}
    # the other learner, while the first one's wrong rule is in place: the engine's gradients everywhere
    other = open_dashboard("app_pages/build.py", first="0")
    drawn = read_dot(other.get("graphviz_chart")[0].proto.spec)
    records = {f[0]: f[1:] for f in (drawn.fields(n) for n, a in drawn.nodes.items() if a.get("shape") == "record")}
    assert records["x"] == ["data 2", "grad 3"] and records["y"] == ["data 3", "grad 3"], records
    other.switch_page(PAGE).run()
    assert other.text_area(key="own_rules:rule:*").value == "" and marked_in_diagram(other) == set()
    write(other, "*", MUL)
    assert any("matches the engine's" in s.value for s in other.success)
    # and the first learner still has their own (wrong) rule, marked as before
    wrong.run()
    assert wrong.text_area(key="own_rules:rule:*").value == MUL_OVERWRITE and marked_in_diagram(wrong) == {"y"}


def test_bad_input_gets_a_message_in_place_and_nothing_is_lost():
    at = open_page()
    for text, words in [
        ("import os", "imports nothing"),
        ("self.grad += self.__class__", "is not part of a rule"),
        ("out.grad = 1", "does not set `out.grad`"),
        ("self.grad += self.grad\nother.grad += out.grad", "`self.grad` on the right"),
        ("x" * 10_000, "too long"),
    ]:
        write(at, "*", text)
        assert any(words in e.value for e in at.error), (text[:30], [e.value for e in at.error])
        assert at.text_area(key="own_rules:rule:*").value == text  # what was typed stays
        assert marked_in_diagram(at) == set()  # the engine's rule ran instead


def test_right_plus_and_times_say_the_lesson_is_done():
    at = open_page()
    write(at, "*", MUL)
    assert not any("definition of done" in s.value for s in at.success)
    write(at, "+", ADD)
    done = [s.value for s in at.success if "definition of done" in s.value]
    assert done and PRESETS["neuron"].title.removeprefix("The ") in done[0]


def test_a_hidden_mistake_offers_an_expression_that_shows_it():
    at = open_page()
    write(at, "*", "self.grad += other.data\nother.grad += self.data")
    assert any("out.grad = 1" in w.value for w in at.warning)
    at.button(key="own_rules:load:0").click().run()
    assert not at.exception
    assert at.session_state["program"] == PRESETS["neuron"].program
    assert marked_in_diagram(at)
    assert any("out.grad` factor" in e.value for e in at.error)


def test_a_rule_that_is_not_read_is_flagged_while_another_operator_is_shown():
    at = open_page()
    write(at, "+", "self.grad += (")
    at.segmented_control(key="own_rules:operator").set_value("*").run()
    assert any("`+` rule is not read" in c.value for c in at.caption)


def test_plus_with_overwrite_on_the_lesson_is_explained_by_the_order_it_fires_in_not_by_no_reuse():
    """y is used twice: `=` in `+` is harmless here only because z = a + y fires first (y.grad 0 -> 1)."""
    at = open_page()
    write(at, "+", "self.grad = out.grad\nother.grad = out.grad")
    (warning,) = [w.value for w in at.warning if "rule is not right yet" in w.value]
    assert "no node here collects gradient" not in warning
    assert "`y` is used 2 times" in warning and "first of its uses to fire" in warning
    assert "ends at 3 either way" in warning


def shown_numbers(at: AppTest) -> str:
    """What the page says and draws of the pass: its messages, the diagram, the table's grad columns."""
    table = at.dataframe[0].value
    said = [e.value for e in at.main.error] + [w.value for w in at.main.warning] + [m.value for m in at.main.markdown]
    grads = [str(x) for x in table["your grad"]] + [str(x) for x in table["engine's grad"]]
    return " ".join([*said, at.get("graphviz_chart")[0].proto.spec, *grads])


def test_by_hand_first_keeps_the_examples_gradients_off_the_page_until_they_are_entered():
    # the lesson's example by hand: x.grad = y = 3, y.grad = x + 1 = 3; with `=` in `*`, y.grad is 2 (see above)
    hands_off = open_dashboard(PAGE)  # "by hand first" is on by default, nothing entered yet
    write(hands_off, "*", MUL_OVERWRITE)
    text = shown_numbers(hands_off)
    assert "grad 3" not in text and "grad 2" not in text and "is 3" not in text and "engine: 3" not in text
    assert set(hands_off.dataframe[0].value["engine's grad"]) == {"?"}
    assert "grad ?" in text
    assert marked_in_diagram(hands_off) == {"y"}  # where it differs is said, not by how much
    words = mistakes.OVERWRITE.words[1:]  # "The rules write `grad = ...` instead of `grad += ...`."
    assert any(words in e.value for e in hands_off.main.error)  # the mistake named in words
    assert any("By hand first" in i.value for i in hands_off.main.info)
    entered = open_dashboard(PAGE, hand=json.dumps({"grad:x": "3", "grad:y": "3"}))
    write(entered, "*", MUL_OVERWRITE)
    text = shown_numbers(entered)
    assert "grad 2" in text and "engine: 3" in text and "engine's y.grad is 3, yours 2" in text
    assert not any("By hand first" in i.value for i in entered.main.info)
