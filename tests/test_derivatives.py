"""The one source of each local derivative (engine/derivatives.py), checked against the engine itself.

Every formula is evaluated at random points (hypothesis, derandomized: the same points on every run,
away from poles and relu's corner) and compared with a central finite difference of the engine's own
forward method (Value.__mul__, Value.tanh, ...): the numbers come from the forward pass, not from the
formulas. Every text that shows a derivative (Why each rule is right, the explanations) is printed from
this source, so these tests guard what the learner reads too.
"""

import math
import operator
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.derivatives import DERIVATIVES
from engine.rule_reader import evaluate, formula_text, forward_formula, local_formula, read_formula
from engine.trace import gradient_sources, rule_flows
from engine.value import BACKWARD_RULES, Value
from lab.model.analysis import analyse
from lab.model.explain import gradient_sum, local_text
from lab.model.rules import LATEX_NAMES, RULES, to_latex

FORWARD = {
    "+": operator.add,
    "*": operator.mul,
    "-": operator.sub,
    "/": operator.truediv,
    "**": lambda a, n: a**n,
    "neg": operator.neg,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "exp": Value.exp,
    "log": Value.log,
}
# where each operator is defined and smooth: away from 0 for a denominator, log, a power and relu's corner
AWAY_FROM_ZERO = st.floats(0.05, 20) | st.floats(-20, -0.05)
POINTS = {
    "+": (st.floats(-20, 20), st.floats(-20, 20)),
    "*": (st.floats(-20, 20), st.floats(-20, 20)),
    "-": (st.floats(-20, 20), st.floats(-20, 20)),
    "/": (st.floats(-20, 20), AWAY_FROM_ZERO),
    "**": (st.floats(0.05, 10),),
    "neg": (st.floats(-20, 20),),
    "tanh": (st.floats(-5, 5),),
    "relu": (AWAY_FROM_ZERO,),
    "exp": (st.floats(-10, 10),),
    "log": (st.floats(0.01, 100),),
}
EXPONENTS = st.sampled_from([2.0, 3.0, 0.5, -1.0, -1.5, 1.7])


def forward(op, numbers, exponent):
    values = [Value(x) for x in numbers]
    if op == "**":
        return FORWARD[op](values[0], exponent).data
    return FORWARD[op](*values).data


def finite_difference(op, numbers, slot, exponent):
    h = 1e-6 * max(1.0, abs(numbers[slot]))
    if op in ("log", "**", "/"):
        h = min(h, 1e-6 * abs(numbers[slot])) or h  # never step across the pole
    up, down = list(numbers), list(numbers)
    up[slot] += h
    down[slot] -= h
    return (forward(op, up, exponent) - forward(op, down, exponent)) / (2 * h)


def env_at(op, numbers, exponent):
    env = {f"{name}.data": x for name, x in zip(DERIVATIVES[op].inputs, numbers, strict=True)}
    env["n"] = exponent
    env["out.data"] = forward(op, numbers, exponent)
    return env


def test_every_operator_of_the_engine_has_its_derivatives_written_once_here():
    assert set(DERIVATIVES) == set(BACKWARD_RULES)
    for op, d in DERIVATIVES.items():
        assert len(d.local) == len(d.inputs), op


@pytest.mark.parametrize("op", list(DERIVATIVES))
@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_local_derivative_agrees_with_a_finite_difference_of_the_engines_forward_method(op, data):
    numbers = [data.draw(s) for s in POINTS[op]]
    exponent = data.draw(EXPONENTS) if op == "**" else None
    env = env_at(op, numbers, exponent)
    for slot in range(len(numbers)):
        want = finite_difference(op, numbers, slot, exponent)
        got = evaluate(local_formula(op, slot), env)
        assert got == pytest.approx(want, rel=1e-4, abs=1e-5), (op, slot, numbers, exponent)


@pytest.mark.parametrize("op", list(DERIVATIVES))
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_forward_formula_computes_what_the_engines_method_computes(op, data):
    numbers = [data.draw(s) for s in POINTS[op]]
    exponent = data.draw(EXPONENTS) if op == "**" else None
    env = env_at(op, numbers, exponent)
    assert evaluate(forward_formula(op), env) == pytest.approx(env["out.data"], rel=1e-12, abs=1e-300)


# -- the slips this source must never hide (each planted in engine/derivatives.py went red above) --

SLIPS = [
    ("/", 1, "self.data / other.data**2"),  # lost its minus
    ("/", 1, "-self.data / other.data"),  # lost its square
    ("log", 0, "1 / out.data"),  # 1/a written 1/out
    ("relu", 0, "out.data >= 0"),  # > 0 written >= 0: out is 0 for every negative input
    ("tanh", 0, "1 - self.data**2"),
    ("exp", 0, "self.data"),
    ("*", 0, "self.data"),
]


@pytest.mark.parametrize(("op", "slot", "slip"), SLIPS)
def test_a_slipped_formula_disagrees_with_the_finite_difference_somewhere(op, slot, slip):
    """The same check as above, run on a slip: it must find a point where the slip is wrong."""
    d = DERIVATIVES[op]
    formula = read_formula(slip, d.inputs, op == "**")
    points = {"/": [(3.0, 2.0), (-1.5, 0.5)], "log": [(2.0,), (0.5,)], "relu": [(1.5,), (-1.5,)]}
    points.update({"tanh": [(0.5,)], "exp": [(1.0,)], "*": [(2.0, 3.0)]})
    wrong_somewhere = False
    for numbers in points[op]:
        env = env_at(op, list(numbers), None)
        want = finite_difference(op, list(numbers), slot, None)
        if not math.isclose(evaluate(formula, env), want, rel_tol=1e-4, abs_tol=1e-5):
            wrong_somewhere = True
    assert wrong_somewhere


# -- printing: text and LaTeX --------------------------------------------------------------------

LATEX = [
    ("1 / other.data", r"\frac{1}{b}"),
    ("-self.data / other.data**2", r"-\frac{a}{b^{2}}"),
    ("n * self.data**(n - 1)", r"n \cdot a^{n - 1}"),
    ("1 - out.data**2", r"1 - \text{out}^{2}"),
    ("(1 - out.data)**2", r"\left(1 - \text{out}\right)^{2}"),
    ("exp(self.data) * 2", r"e^{a} \cdot 2"),
    ("tanh(self.data)**2", r"\left(\tanh a\right)^{2}"),
    ("log(self.data + 1)", r"\ln\left(a + 1\right)"),
    ("-(self.data + other.data)", r"-\left(a + b\right)"),
    ("self.data - (other.data - 1)", r"a - \left(b - 1\right)"),
    ("out.data > 0", r"\begin{cases} 1 & \text{if } \text{out} > 0 \\ 0 & \text{otherwise} \end{cases}"),
    ("(out.data >= 0) * 2", r"[\text{out} \geq 0] \cdot 2"),
    ("1.0 if self.data > 0 else 0.5", r"\begin{cases} 1 & \text{if } a > 0 \\ 0.5 & \text{otherwise} \end{cases}"),
]


@pytest.mark.parametrize(("text", "latex"), LATEX)
def test_the_latex_printer_writes_fractions_powers_brackets_and_cases(text, latex):
    assert to_latex(read_formula(text), LATEX_NAMES) == latex


def test_latex_braces_are_balanced_for_every_operator():
    for rule in RULES.values():
        for latex in rule.latex:
            depth = 0
            for ch in latex.replace(r"\{", "").replace(r"\}", ""):
                depth += {"{": 1, "}": -1}.get(ch, 0)
                assert depth >= 0, latex
            assert depth == 0, latex


FORMULAS = st.recursive(
    st.sampled_from(["self.data", "other.data", "out.data", "n", "2", "0.5", "3"]),
    lambda inner: (
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})")
        | inner.map(lambda x: f"-({x})")
        | inner.map(lambda x: f"tanh({x})")
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=FORMULAS)
def test_printed_text_reads_back_as_the_same_formula(text):
    """The text printer puts in exactly the brackets it needs: reading its output gives the same tree."""
    formula = read_formula(text)
    assert read_formula(formula_text(formula)) == formula


def test_the_page_shows_each_derivative_printed_from_the_source():
    assert RULES["/"].derivatives == ("d(a / b)/da = 1 / b", "d(a / b)/db = -a / b**2")
    assert RULES["log"].derivatives == ("d log(a)/da = 1 / a",)
    assert RULES["relu"].derivatives[0].startswith("d relu(a)/da = 1 if out > 0 else 0")
    assert RULES["*"].latex[0] == r"\frac{\partial (a \cdot b)}{\partial a} = b"
    assert "-a / b**2" in RULES["/"].words


def test_the_words_hold_no_formula_of_their_own():
    """Prose only: any formula in a sentence is a {placeholder} filled in from the one source."""
    for rule in RULES.values():
        prose = re.sub(r"\{\w+\}", "", rule.words_template)
        assert not re.search(r"[0-9*/+=^²<>]| - ", prose), (rule.op, prose)


def test_the_explanations_print_each_edges_derivative_with_the_nodes_names():
    a = analyse("x = 0.5\ny = 2\nq = x / y\nt = tanh(x)\nr = relu(x)\np = x**3\nz = q + t + r + p + log(y)")
    sources = gradient_sources(a.graph, a.steps)
    x, y = a.variables["x"], a.variables["y"]
    texts = {local_text(a, f) for f in sources[x]}
    assert texts == {"(1 / y.data)", "(1 - t.data**2)", "(r.data > 0)", "3 * x.data**2"}
    assert {local_text(a, f) for f in sources[y]} == {"(-x.data / y.data**2)", "(1 / y.data)"}
    # dz/dy = -x/y**2 + 1/y = -0.125 + 0.5 = 0.375 (by hand)
    assert gradient_sum(a, y, sources[y]).endswith("= 0.375")


@pytest.mark.parametrize("op", list(DERIVATIVES))
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_the_engines_own_rule_sends_what_the_one_source_says(op, data):
    """What the pages print is what backward() runs: the engine's rule with out.grad = 1 gives each formula."""
    numbers = [data.draw(s) for s in POINTS[op]]
    exponent = data.draw(EXPONENTS) if op == "**" else None
    values = [Value(x) for x in numbers]
    out = FORWARD[op](values[0], exponent) if op == "**" else FORWARD[op](*values)
    env = env_at(op, numbers, exponent)
    sent = rule_flows(out, 1.0)
    for slot, got in enumerate(sent):
        assert got == pytest.approx(evaluate(local_formula(op, slot), env), rel=1e-12, abs=1e-300)
