"""lab/views/own_rules.py: the learner's rules beside the engine, the mistakes named with numbers, done.

By hand, on the lesson's example x = 2, y = 3, a = x*y, z = a + y: the engine's grads are x 3, y 3, a 1, z 1.
- `*` with `=`: z fires first (y.grad = 1), then a overwrites it with x.data * a.grad = 2: y.grad = 2.
- `*` swapped: x.grad = x.data * a.grad = 2, y.grad = 1 + y.data * a.grad = 4.
- `*` without out.grad: a.grad = 1 here, so nothing shows; in z = 2 * (x*y) a.grad = 2 and x.grad
  becomes y.data = 3 instead of 6.
"""

import math
import re
from dataclasses import replace

import pytest

from engine import rule_reader as rr
from engine.trace import BackwardStep, Mistake, grads_at
from lab.model.analysis import analyse
from lab.model.presets import PRESETS
from lab.views import bugs, own_rules

LESSON = PRESETS["lesson"].program
MUL = "self.grad += other.data * out.grad\nother.grad += self.data * out.grad"
ADD = "self.grad += out.grad\nother.grad += out.grad"
MUL_OVERWRITE = "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"
MUL_SWAPPED = "self.grad += self.data * out.grad\nother.grad += other.data * out.grad"
MUL_NO_OUT_GRAD = "self.grad += other.data\nother.grad += self.data"


def by_name(a, values):
    return dict(zip(a.names, values, strict=True))


def test_right_rules_match_the_engine_on_the_lesson():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": MUL, "+": ADD})
    assert c.all_right and c.own == ("+", "*")
    assert by_name(a, c.learner) == {"x": 3.0, "y": 3.0, "a": 1.0, "z": 1.0}
    assert own_rules.findings(c) == []


def test_overwrite_is_named_with_ys_numbers_on_the_lesson():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": MUL_OVERWRITE})
    assert [a.names[i] for i in c.wrong] == ["y"]
    (finding,) = own_rules.findings(c)
    assert finding.mistake == "overwrite"
    assert "engine's y.grad is 3, yours 2" in finding.text and "`+=`" in finding.text


def test_swapped_operands_are_named_with_the_numbers_of_the_step():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": MUL_SWAPPED})
    assert by_name(a, c.learner) == {"x": 2.0, "y": 4.0, "a": 1.0, "z": 1.0}
    texts = [f.text for f in own_rules.findings(c)]
    assert any("sends 2 to x.grad" in t and "`y.data * a.grad` = 3 * 1 = 3" in t and "swapped" in t for t in texts)


def test_a_missing_out_grad_hides_on_the_lesson_and_an_expression_that_shows_it_is_suggested():
    a = analyse(LESSON)
    texts = {"*": MUL_NO_OUT_GRAD}
    c = own_rules.compare(a, texts)
    assert c.all_right  # a.grad = 1: multiplying by it changes nothing
    (hidden,) = own_rules.hidden_mistakes(c, texts, LESSON)
    assert hidden.mistake == "no_out_grad" and "out.grad = 1" in hidden.why
    shown = own_rules.compare(analyse(hidden.program), texts)
    assert shown.wrong  # the suggested expression does show it


def test_a_missing_out_grad_shows_where_out_grad_is_not_1():
    a = analyse("x = 2\ny = 3\nz = 2 * (x*y)")
    c = own_rules.compare(a, {"*": MUL_NO_OUT_GRAD})
    x = a.variables["x"]
    assert c.learner[x] == 3.0 and c.engine[x] == 6.0  # y.data instead of y.data * 2
    texts = [f.text for f in own_rules.findings(c)]
    assert any("out.grad` factor" in t and "= 3 * 2 = 6" in t for t in texts), texts


def test_overwrite_on_an_expression_without_reuse_suggests_the_lessons_example():
    program = "x = 2\ny = 3\nz = x*y"
    a = analyse(program)
    texts = {"*": MUL_OVERWRITE}
    c = own_rules.compare(a, texts)
    assert c.all_right
    (hidden,) = own_rules.hidden_mistakes(c, texts, program)
    assert hidden.mistake == "overwrite" and hidden.program == LESSON


def test_a_sign_slip_in_minus_is_named():
    a = analyse("x = 5\ny = 3\nz = x - y")
    c = own_rules.compare(a, {"-": "self.grad += out.grad\nother.grad += out.grad"})
    assert c.learner[a.variables["y"]] == 1.0 and c.engine[a.variables["y"]] == -1.0
    assert [f.mistake for f in own_rules.findings(c)] == ["sign"]


def test_tanh_and_exp_written_with_self_data_are_named():
    a = analyse("x = 0.5\nz = tanh(x) + exp(x)")
    texts = {"tanh": "self.grad += (1 - self.data**2) * out.grad", "exp": "self.grad += self.data * out.grad"}
    kinds = {f.mistake for f in own_rules.findings(own_rules.compare(a, texts))}
    assert kinds == {"tanh_self", "exp_self"}


def test_a_rule_for_an_operator_the_expression_does_not_use_is_found_elsewhere():
    texts = {"-": "self.grad += out.grad\nother.grad += out.grad"}
    a = analyse(LESSON)
    c = own_rules.compare(a, texts)
    (hidden,) = own_rules.hidden_mistakes(c, texts, LESSON)
    assert "does not use" in hidden.why and hidden.program is not None


def test_a_rule_that_divides_by_zero_is_reported_on_its_node():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": "self.grad += out.grad / (other.data - 3)\nother.grad += out.grad"})
    assert [a.names[i] for i in c.failed] == ["a"]
    assert any("cannot be computed" in f.text and "divides by zero" in f.text for f in own_rules.findings(c))
    assert math.isnan(c.learner[a.variables["x"]])
    assert own_rules.notes(c)[a.graph.index_of(a.graph.nodes[2])] == "cannot compute"


def test_text_that_is_not_a_rule_gets_a_message_and_the_engines_rule_runs():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": "import os"})
    assert "imports nothing" in c.read.errors["*"] and "`import os`" in c.read.errors["*"]
    assert c.own == () and c.all_right


def test_learner_steps_have_the_shape_of_the_engines_and_leave_the_engines_grads_in_place():
    a = analyse(LESSON)
    steps = own_rules.learner_steps(a, {"*": MUL_OVERWRITE})
    assert len(steps) == len(a.steps) and all(isinstance(s, BackwardStep) for s in steps)
    assert [s.node for s in steps] == [s.node for s in a.steps]
    assert steps[-1].changed[a.variables["y"]] == 2.0  # a = x * y fires last and overwrites y.grad
    assert a.grads == [3.0, 3.0, 1.0, 1.0]  # the other pages still see the engine's


def test_done_needs_both_lesson_rules_right_on_the_lesson_and_two_presets():
    assert own_rules.lesson_done({"*": MUL}).missing == ("+",)
    done = own_rules.lesson_done({"*": MUL, "+": ADD})
    assert done.done and len(done.checks) == 3
    assert done.checks[0].title == PRESETS["lesson"].title
    not_done = own_rules.lesson_done({"*": MUL_NO_OUT_GRAD, "+": ADD})
    assert not not_done.done
    assert not_done.checks[0].right  # the lesson hides it; the neuron and micrograd's example do not
    assert not all(check.right for check in not_done.checks[1:])


def test_the_blank_template_never_holds_the_answer():
    for op in own_rules.OPERATORS:
        template = own_rules.template(op)
        assert template.count("+= ...") == len(template.splitlines())
        assert "data" not in template and "out.grad" not in template


def test_the_table_marks_the_wrong_nodes():
    a = analyse(LESSON)
    table = own_rules.comparison_table(own_rules.compare(a, {"*": MUL_OVERWRITE}))
    marks = dict(zip(table["node"], table["right?"], strict=True))
    assert marks == {"x": "✓", "y": "✗", "a": "✓", "z": "✓"}
    assert list(table["its rule"]) == ["", "", "* (yours)", "+ (engine's)"]


def test_a_step_of_the_learners_pass_is_worded_with_their_own_formula():
    a = analyse(LESSON)
    texts = {"*": MUL_SWAPPED}
    steps = own_rules.learner_steps(a, texts)
    grads = grads_at(a.graph, steps, 2)
    # a = x * y fires last: x.grad += x.data * a.grad = 2 * 1 = 2; y.grad += y.data * a.grad = 3, on top of z's 1
    assert own_rules.step_sentence(a, steps[2], grads, texts) == (
        "a = x * y, your rule: x.grad += x.data * a.grad = 2; y.grad += y.data * a.grad = 3, so y.grad is now 4"
    )
    # z = a + y runs the engine's rule: the engine's words
    assert own_rules.step_sentence(a, steps[1], grads_at(a.graph, steps, 1), texts) == (
        "z = a + y: a.grad += z.grad = 1; y.grad += z.grad = 1"
    )


def test_a_step_whose_rule_cannot_be_computed_says_why():
    a = analyse(LESSON)
    texts = {"*": "self.grad += out.grad / (other.data - 3)\nother.grad += out.grad"}
    steps = own_rules.learner_steps(a, texts)
    sentence = own_rules.step_sentence(a, steps[2], grads_at(a.graph, steps, 2), texts)
    assert "cannot be computed here: 1 / 0 divides by zero" in sentence


# -- `=` instead of `+=` is never explained falsely ---------------------------------------------------

OVERWRITE_RULES = {
    "+": ["self.grad = out.grad\nother.grad = out.grad", "self.grad += out.grad\nother.grad = out.grad"],
    "*": [MUL_OVERWRITE, "self.grad += other.data * out.grad\nother.grad = self.data * out.grad"],
    "-": ["self.grad = out.grad\nother.grad = -out.grad"],
}
GRAPHS = [
    LESSON,
    PRESETS["neuron"].program,
    PRESETS["micrograd"].program,
    "x = 2\ny = 3\nz = x*y",
    "x = 2\nz = x + x",
    "x = 2\ny = 3\nz = (x + y) * y",
    "x = 2\ny = 3\nz = y + x*y",
    "x = 0\ny = 3\nz = x*y + y",
    "x = 2\ny = 3\nz = x*y + 0*(y + 1)",
    "x = 2\ny = 3\nz = (x - y) * (y - x)",
    "x = 2\ny = 3\nw = x*y\nz = w + w*y - y",
]


def _check_overwrite_why(a, c, op, text, why):
    """Each claim of the sentence, checked on the graph and the engine's own pass (not on the sentence's code)."""
    uses = a.graph.uses
    if "no node here collects gradient" in why:  # the old sentence's claim
        assert max(uses) <= 1, f"{why!r}, but {[a.names[i] for i, u in enumerate(uses) if u > 1]} are used twice"
    elif why.startswith("no input of a") or "is used only once at every" in why:
        # the inputs the rule writes with `=`: self (slot 0) and other (slot 1)
        slots = [slot for slot, line in enumerate(text.splitlines()) if "+=" not in line]
        assert why.startswith("no input of a") == (len(slots) == len(text.splitlines()))
        for i, node in enumerate(a.graph.nodes):
            if node._prev and node._op == op:
                assert all(uses[a.graph.inputs[i][slot]] == 1 for slot in slots), (why, a.names[i])
    elif "times, but" in why:
        y, count = re.search(r"`(\w+)` is used (\d+) times", why).groups()
        out = re.search(r"at `(\w+) = ", why).group(1)
        yi, outi = a.names.index(y), a.names.index(out)
        assert uses[yi] == int(count) > 1 and a.graph.nodes[outi]._op == op and yi in a.graph.inputs[outi]
        order = [s.node for s in a.steps if s.flows]
        before = [f.contribution for s in a.steps[: a.steps.index(_step(a, outi))] for f in s.flows if f.parent == yi]
        assert sum(before) == 0, (why, before)  # y.grad holds nothing yet when `out` fires
        if "is the first of its uses to fire" in why:
            assert not before and order.index(outi) == min(order.index(j) for j in order if yi in a.graph.inputs[j])
        ends = re.search(r"ends at (\S+) either way", why)
        if ends:
            assert float(ends.group(1)) == pytest.approx(c.engine[yi])
    else:
        assert why == "the numbers here happen to agree" and not c.wrong


def _step(a, node):
    return next(s for s in a.steps if s.node == node and s.flows)


@pytest.mark.parametrize("program", GRAPHS)
def test_an_overwrite_is_never_explained_falsely(program):
    a = analyse(program)
    for op, texts in OVERWRITE_RULES.items():
        for text in texts:
            c = own_rules.compare(a, {op: text})
            for hidden in own_rules.hidden_mistakes(c, {op: text}, program):
                assert hidden.op == op and hidden.mistake == "overwrite"
                if op in c.used:
                    assert not c.wrong  # it is hidden only when the numbers agree
                    _check_overwrite_why(a, c, op, text, hidden.why)
            for finding in own_rules.findings(c):
                if finding.mistake == "overwrite":  # "`y` is used 2 times ... yours 2"
                    y = re.search(r"`(\w+)` is used (\d+) times", finding.text).group(1)
                    yi = a.names.index(y)
                    assert a.graph.uses[yi] > 1 and yi in c.wrong
    r = bugs.compare_mistake(a, Mistake.OVERWRITE)
    if "more than one use" in bugs.explain_mistake(r) and r.changes_nothing:
        assert max(a.graph.uses) <= 1 or "happens to be 0" in bugs.explain_mistake(r)


def test_the_plus_rule_with_overwrite_on_the_lesson_says_it_fires_first_on_y_with_the_numbers():
    a = analyse(LESSON)
    texts = {"+": "self.grad = out.grad\nother.grad = out.grad"}
    (hidden,) = own_rules.hidden_mistakes(own_rules.compare(a, texts), texts, LESSON)
    # by hand: z = a + y fires first (y.grad 0 -> 1), then a = x*y adds x.data * a.grad = 2: 3 either way
    assert "`y` is used 2 times" in hidden.why and "`z = a + y` is the first of its uses to fire" in hidden.why
    assert "`y.grad = 1`" in hidden.why and "`a = x * y`, fires later and sends 2" in hidden.why
    assert "ends at 3 either way" in hidden.why
    assert hidden.program is not None and own_rules.compare(analyse(hidden.program), texts).wrong


# -- slips a learner would see (issue 17): each of these turned red with the slip planted --------


def test_a_rule_that_cannot_be_computed_is_not_marked_right():
    a = analyse(LESSON)
    table = own_rules.comparison_table(
        own_rules.compare(a, {"*": "self.grad += out.grad / (other.data - 3)\nother.grad += out.grad"})
    )
    marks = dict(zip(table["node"], table["right?"], strict=True))
    assert marks["a"] == own_rules.FAILED_MARK  # the node whose rule failed
    assert marks["x"] == marks["y"] == own_rules.WRONG_MARK  # its inputs get no gradient (shown as –): not right
    assert marks["z"] == own_rules.RIGHT_MARK


def test_a_plus_or_times_rule_that_cannot_be_read_is_not_written():
    for unread in ("self.grad += ", "import os", "self.grad += out.grad +"):
        assert not own_rules.lesson_done({"+": unread, "*": MUL}).done
        assert own_rules.lesson_done({"+": unread, "*": MUL}).missing == ("+",)
        assert not own_rules.lesson_done({"+": ADD, "*": unread}).done


def test_the_your_grad_and_engines_grad_columns_hold_the_right_numbers():
    a = analyse(LESSON)
    table = own_rules.comparison_table(own_rules.compare(a, {"*": MUL_OVERWRITE}))
    y = table[table["node"] == "y"].iloc[0]
    assert (y["your grad"], y["engine's grad"]) == (2.0, 3.0)  # overwritten: 2; the engine: 1 + 2 = 3


def test_wrong_gradients_without_a_named_mistake_are_still_explained():
    a = analyse(LESSON)
    c = own_rules.compare(a, {"*": "self.grad += 7 * out.grad\nother.grad += self.data * out.grad"})
    assert c.wrong
    # a mistake no reader names: the same pass, its lines all taken for right
    unnamed = {op: tuple(replace(v, kind=rr.RIGHT, overwrite=False) for v in vs) for op, vs in c.read.verdicts.items()}
    found = own_rules.findings(replace(c, read=replace(c.read, verdicts=unnamed)))
    assert [f.level for f in found] == ["error"]
    assert "x.grad is 7 with your rules, 3 with the engine's" in found[0].text
