"""engine/rule_reader.py: the learner's rules read safely, recognised, and run in the engine's own loop.

Expected gradients are worked out by hand on the lesson's example x = 2, y = 3, z = x*y + y
(dz/dx = y = 3, dz/dy = x + 1 = 3) and on small variations of it.
"""

import builtins
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from engine import rule_reader as rr
from engine.errors import ExpressionError
from engine.trace import backward_steps, graph_of, rule_flows
from engine.value import BACKWARD_RULES

MUL = "self.grad += other.data * out.grad\nother.grad += self.data * out.grad"
ADD = "self.grad += out.grad\nother.grad += out.grad"


def lesson():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    a = x * y
    a.label = "a"
    z = a + y
    z.label = "z"
    return graph_of(z)


def grads(graph):
    return dict(zip(graph.names, (node.grad for node in graph.nodes), strict=True))


# -- reading -------------------------------------------------------------------------------------


def test_the_lessons_mul_rule_reads_as_two_lines_in_input_order():
    rule = rr.read_rule("*", "other.grad += self.data * out.grad\nself.grad += other.data * out.grad")
    assert [(line.target, line.assign) for line in rule.lines] == [("self", "+="), ("other", "+=")]


def test_the_engines_own_spelling_is_read_too():
    text = (
        "self, other = out._prev\n"
        "self.grad += (1.0 / other.data) * out.grad\n"
        "other.grad += -self.data / other.data**2 * out.grad"
    )
    assert all(v.right for v in rr.recognise(rr.read_rule("/", text)))
    relu = "self.grad += (1.0 if out.data > 0 else 0.0) * out.grad"
    assert rr.recognise(rr.read_rule("relu", relu))[0].right
    assert rr.recognise(rr.read_rule("tanh", "self.grad += (1 - math.tanh(self.data)**2) * out.grad"))[0].right


@pytest.mark.parametrize(
    ("op", "text"),
    [
        ("+", ADD),
        ("+", "self.grad += 1 * out.grad\nother.grad += out.grad * 1.0"),
        ("*", MUL),
        ("*", "self.grad += out.grad * other.data\nother.grad += out.grad * self.data"),
        ("-", "self.grad += out.grad\nother.grad += -out.grad"),
        ("-", "self.grad += out.grad\nother.grad -= out.grad".replace("-= out.grad", "+= -1 * out.grad")),
        ("/", "self.grad += out.grad / other.data\nother.grad += -self.data * out.grad / other.data**2"),
        ("**", "self.grad += n * self.data**(n - 1) * out.grad"),
        ("neg", "self.grad += -out.grad"),
        ("tanh", "self.grad += (1 - out.data**2) * out.grad"),
        ("relu", "self.grad += (out.data > 0) * out.grad"),
        ("relu", "self.grad += (self.data > 0) * out.grad"),
        ("exp", "self.grad += out.data * out.grad"),
        ("exp", "self.grad += exp(self.data) * out.grad"),
        ("log", "self.grad += out.grad / self.data"),
    ],
)
def test_a_right_rule_is_recognised_as_right_whatever_its_spelling(op, text):
    assert all(v.right for v in rr.recognise(rr.read_rule(op, text)))


def test_a_wrong_line_is_named_by_the_first_known_mistake_it_makes_or_called_wrong():
    """The known mistakes are given (lab/model/mistakes.py gives the catalog's): a formula per operator and input."""
    known = (("local_alone", lambda op, slot: "other.data" if (op, slot) == ("*", 0) else None),)
    rule = rr.read_rule("*", "self.grad += other.data\nother.grad += other.data * out.grad")
    assert [(v.target, v.kind) for v in rr.recognise(rule, known)] == [("self", "local_alone"), ("other", rr.WRONG)]
    assert [v.kind for v in rr.recognise(rule)] == [rr.WRONG, rr.WRONG]  # none known: only right or wrong
    overwriting = rr.recognise(rr.read_rule("+", "self.grad = out.grad\nother.grad = out.grad"), known)
    assert all(v.kind == rr.RIGHT and v.overwrite and not v.right for v in overwriting)


# -- bad input: a clear message, never run ---------------------------------------------------------

HOSTILE = [
    ("import os", "imports nothing"),
    ("self.grad += self.__class__", "`self.__class__` is not part of a rule"),
    ("out.grad = 1", "does not set `out.grad`"),
    ("self.grad += " + "1 + " * 2500 + "1", "too long"),
    ("x" * 10_000, "too long"),
    ("self.grad += self.grad\nother.grad += out.grad", "`self.grad` on the right"),
    ("self.grad += __import__('os').system('true')\nother.grad += 1", "only tanh, relu, exp and log"),
    ("self.grad += open('/etc/passwd')\nother.grad += 1", "only tanh, relu, exp and log"),
    ("self.grad += (lambda: 1)()\nother.grad += 1", "only tanh, relu, exp and log"),
    ("self.grad += 'text'\nother.grad += 1", "is not a number"),
    ("self.grad += x\nother.grad += 1", "`x` is not known"),
    ("self.grad += other\nother.grad += 1", "use its number, `other.data`"),
    ("self.grad += other.data * out.grad", "`other.grad` is missing"),
    ("self.grad += 1\nself.grad += 2\nother.grad += 1", "two lines"),
    ("self.grad -= 1\nother.grad += 1", "`+=`"),
    ("self.data += 1\nother.grad += 1", "the left side is"),
    ("self.grad += 2 // 1\nother.grad += 1", "`//`"),
    ("self.grad += n\nother.grad += 1", "exponent of `**`"),
    ("self.grad += (\nother.grad += 1", "'(' was never closed"),
    ("self.grad += out.grad out.data\nother.grad += 1", "not a formula Python can read"),
    ("self.grad += " + "-" * 300 + "1\nother.grad += 1", "too deeply nested"),
    ("self.grad += " + "(" * 300 + "1" + ")" * 300 + "\nother.grad += 1", "too deeply nested"),
    ("def f(): pass", "not a rule line"),
    ("self.grad += 1e999\nother.grad += 1", "too large"),
    ("self.grad += [1][0]\nother.grad += 1", "not part of a rule"),
    ("", "no rule yet"),
]


@pytest.mark.parametrize(("text", "words"), HOSTILE)
def test_text_that_is_not_a_rule_gets_a_clear_message(text, words):
    with pytest.raises(ExpressionError) as caught:
        rr.read_rule("*", text)
    assert words in str(caught.value)


def test_other_in_a_one_input_rule_is_explained():
    with pytest.raises(ExpressionError, match="one input"):
        rr.read_rule("tanh", "self.grad += other.data * out.grad")


def test_learner_text_in_a_message_is_inline_code_shortened_if_long():
    with pytest.raises(ExpressionError) as caught:
        rr.read_rule("*", "self.grad += self.__class__.__mro__[1].__subclasses__()\nother.grad += 1")
    message = str(caught.value)
    assert "`self.__class__.__mro__[1].__subclasses__()`" not in message  # 44 characters: shortened
    assert "…`" in message


def test_reading_and_running_never_calls_eval_or_exec(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    g = lesson()
    backward_steps(g, rules={"*": rr.read_rule("*", MUL), "+": rr.read_rule("+", ADD)})
    assert grads(g) == {"x": 3.0, "y": 3.0, "a": 1.0, "z": 1.0}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(max_size=rr.MAX_RULE_LENGTH + 50))
def test_any_text_either_reads_or_gets_a_message(text):
    """Bounded input (the reader's own length and depth limits keep every answer quick): a rule or a message."""
    try:
        rule = rr.read_rule("*", text)
    except ExpressionError as e:
        assert e.message
    else:
        assert len(rule.lines) == 2


PIECES = st.sampled_from(
    [
        "self.data",
        "other.data",
        "out.grad",
        "out.data",
        "1",
        "0",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "**",
        "tanh(",
        "log(",
        " if ",
        " else ",
        ">",
        "self.grad",
        "__class__",
        ".",
        "import",
        "\n",
        "self.grad += ",
        "other.grad = ",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(pieces=st.lists(PIECES, max_size=60))
def test_rule_like_text_either_reads_or_gets_a_message(pieces):
    try:
        rr.read_rule("*", "".join(pieces))
    except ExpressionError as e:
        assert e.message


# -- running in the engine's loop, for one run only ------------------------------------------------


def test_the_learners_right_rules_give_the_hand_gradients_of_the_lesson():
    g = lesson()
    backward_steps(g, rules={"*": rr.read_rule("*", MUL), "+": rr.read_rule("+", ADD)})
    assert grads(g) == {"x": 3.0, "y": 3.0, "a": 1.0, "z": 1.0}


def test_overwriting_in_mul_loses_what_z_sent_to_y():
    # z fires first: y.grad = 1; then a = x*y fires with `=`: y.grad = x.data * a.grad = 2 (not 1 + 2)
    g = lesson()
    wrong = rr.read_rule("*", "self.grad = other.data * out.grad\nother.grad = self.data * out.grad")
    backward_steps(g, rules={"*": wrong})
    assert grads(g) == {"x": 3.0, "y": 2.0, "a": 1.0, "z": 1.0}


def test_the_swap_is_for_one_run_only_and_the_shared_table_is_untouched():
    before = dict(BACKWARD_RULES)
    g = lesson()
    backward_steps(g, rules={"*": rr.read_rule("*", "self.grad += 0\nother.grad += 0")})
    assert grads(g)["x"] == 0.0
    assert before == BACKWARD_RULES
    backward_steps(g)  # the engine's own again
    assert grads(g) == {"x": 3.0, "y": 3.0, "a": 1.0, "z": 1.0}
    z = g.output
    z.zero_grad()
    z.backward()
    assert grads(g)["x"] == 3.0


def test_rule_flows_uses_the_swapped_rule_too():
    g = lesson()
    a = g.nodes[2]
    swapped = {"*": rr.read_rule("*", "self.grad += 10 * out.grad\nother.grad += 20 * out.grad")}
    assert rule_flows(a, 2.0, swapped) == [20.0, 40.0]
    assert rule_flows(a, 2.0) == [6.0, 4.0]  # the engine's: y.data * 2, x.data * 2


def test_a_rule_that_divides_by_zero_is_reported_on_its_node_and_the_pass_goes_on():
    g = lesson()
    bad = rr.read_rule("*", "self.grad += out.grad / (other.data - 3)\nother.grad += self.data * out.grad")
    steps = backward_steps(g, rules={"*": bad})
    failed = [(g.names[s.node], s.failed) for s in steps if s.failed]
    assert failed == [("a", "1 / 0 divides by zero")]
    assert math.isnan(grads(g)["x"]) and math.isnan(grads(g)["y"])
    assert grads(g)["z"] == 1.0


def test_a_rule_that_overflows_is_reported_not_raised():
    x = Value(1e200, label="x")
    g = graph_of(x * x)
    steps = backward_steps(g, rules={"*": rr.read_rule("*", "self.grad += self.data * other.data\nother.grad += 0")})
    assert steps[-1].failed and "too large" in steps[-1].failed


def test_the_engines_own_rules_still_raise_as_before():
    x = Value(0.0, label="x")
    g = graph_of(x**0.5)
    with pytest.raises(ZeroDivisionError):
        backward_steps(g)
