"""Why each rule is right: the local derivative, the engine's own code, and a live check at a point."""

import pandas as pd
import streamlit as st

from app import state
from lab.model import source
from lab.model.analysis import format_number
from lab.model.explain import forward_sentence
from lab.views import why_rules

DIGITS = 10  # enough to see that the finite difference is an estimate: 2.9999999998, not 3

a = state.analysis()
used = why_rules.ops_used(a)

st.title("Why each rule is right")
st.markdown(
    "Every backward rule is the operator's **local derivative** (how much its result moves when one input is "
    "nudged) times `out.grad`, added with `+=` to that input's grad. Pick an operator."
)

op = st.segmented_control(
    "Operator",
    options=list(why_rules.RULES),
    format_func=lambda op: why_rules.RULES[op].label,
    default="*",
    key="why_rules:operator",
)
op = op or "*"  # clicking the chosen operator again unselects it: keep showing one
rule = why_rules.RULES[op]
if used:
    in_use = ", ".join(
        f"{why_rules.RULES[o].label} ({count}×)" for o, count in sorted(used.items()) if o in why_rules.RULES
    )
    st.caption(f"Your expression uses: {in_use}")

st.subheader(f"{rule.name.capitalize()}: `{rule.expression}`")
symbols, words = st.columns([2, 3], gap="large", vertical_alignment="center")
with symbols:
    for latex in rule.latex:
        st.latex(latex)
with words:
    st.markdown(rule.words.replace("*", r"\*"))  # plain text: a*b is not emphasis
    nodes = why_rules.uses_in(a, op)
    if nodes:
        shown = "; ".join(f"`{forward_sentence(a, i)}`" for i in nodes[:3])
        more = f" and {len(nodes) - 3} more" if len(nodes) > 3 else ""
        st.info(f"**Used in your expression:** {shown}{more}", icon=":material/check_circle:")
    else:
        st.caption("Not used in your expression.")

st.markdown("**The engine's own code**, read from `engine/value.py` as this page runs:")
st.code(source.forward_source(op) + "\n\n" + source.backward_source(op), language="python", wrap_lines=True)
with st.expander("How `backward()` calls this rule"):
    st.markdown("Each node remembers its `_op`; `_backward` looks the rule up in `BACKWARD_RULES` and calls it:")
    st.code(source.dispatch_source(), language="python", wrap_lines=True)

st.subheader("Check it at a point you pick")
point = why_rules.point_from(a, op)
numbers, exponent = point if point else (rule.default_point, rule.default_exponent)
if rule.needs_exponent and exponent is None:
    exponent = rule.default_exponent
inputs = st.columns(4)
picked = []
for column, name, default in zip(inputs, rule.inputs, numbers, strict=False):
    with column:
        picked.append(st.number_input(name, value=float(default), step=0.5, format="%g", key=f"why_rules:{op}:{name}"))
if rule.needs_exponent:
    with inputs[1]:
        exponent = st.number_input("n (exponent)", value=float(exponent), step=0.5, format="%g", key="why_rules:pow:n")

if any(x is None for x in picked) or (rule.needs_exponent and exponent is None):
    st.error("Type a number in every box to run the check.")
else:
    check = why_rules.check_rule(op, *picked, exponent=exponent)
    if check.message:
        st.error(check.message, icon="⚠️")
    else:
        marks = {True: "✓ agrees", False: "✗ differs", None: "– not comparable here"}
        table = pd.DataFrame(
            [
                {
                    "input": c.name,
                    "value": format_number(c.value),
                    "engine's rule (out.grad = 1)": format_number(c.rule, DIGITS),
                    "finite difference": format_number(c.finite, DIGITS),
                    "agrees?": marks[c.agrees],
                }
                for c in check.inputs
            ]
        )
        st.dataframe(table, hide_index=True)
        st.caption(
            f"out = {format_number(check.output)}. The rule ran once, as `backward()` runs it: `out.grad = 1; "
            "out._backward()`. The finite difference nudges one input by a tiny h and measures the change: "
            "(f(x + h) − f(x − h)) / 2h."
        )
        if check.note:
            st.info(check.note)
        elif check.ok:
            st.success(f"At this point the engine's {rule.name} rule agrees with the finite difference.")
        else:
            st.error("The rule and the finite difference disagree at this point.")
