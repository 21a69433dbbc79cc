"""Next lesson: when gradients die. One neuron with ReLU or tanh, built here, never the learner's program."""

import altair as alt
import pandas as pd
import streamlit as st

from app import state, ui
from lab.lesson import questions
from lab.model.diagram import Highlight
from lab.model.text import markdown_safe as md
from lab.views import neuron

ANSWER = "next:answer"


def save_answer() -> None:
    state.set_answer(questions.NEXT.id, st.session_state.get(ANSWER) or "")


st.title("Next lesson: when gradients die")
st.badge("Preview of the next lesson", icon=":material/upcoming:", color="violet")
st.markdown(
    "This lesson stays with `+` and `*`. The next one adds a nonlinearity, and with it a way for gradient flow "
    "to die. This page builds its own neuron, `o = relu(w*x + b)` or `o = tanh(w*x + b)`: "
    f"your program (output **{state.analysis().names[state.analysis().output]}**) stays as it is."
)

choose, slide = st.columns([1, 3], vertical_alignment="bottom")
with choose:
    activation = (
        st.segmented_control("Activation", list(neuron.ACTIVATIONS), default="relu", key="next:activation") or "relu"
    )
with slide:
    pre = st.slider(
        "Pre-activation n = w*x + b (x and w stay fixed, b makes up the rest)",
        min_value=neuron.LOW,
        max_value=neuron.HIGH,
        value=neuron.DEFAULT_PRE,
        step=neuron.STEP,
        key="next:pre",
    )

a = neuron.neuron(activation, pre)
kind, sentence = neuron.verdict(activation, a)
ui.say(kind, md(sentence))

ui.diagram(a, Highlight(notes=neuron.notes(a)), key="next_diagram")

table, plot = st.columns([1, 1], gap="medium")
with table:
    ui.table(a, key="next:table")
    with st.expander("The neuron's program"):
        st.code(neuron.program(activation, pre), language="python")
with plot:
    st.markdown(f"**{activation}'s local derivative** d o / d n against the pre-activation (the dot: here)")
    curve = neuron.curve(activation)
    here = pd.DataFrame({"pre-activation": [pre], "local derivative": [neuron.local_derivative(activation, pre)]})
    line = (
        alt.Chart(curve)
        .mark_line(interpolate="step-after" if activation == "relu" else "linear")
        .encode(
            x=alt.X("pre-activation:Q", title="pre-activation n"),
            y=alt.Y("local derivative:Q", title="d o / d n", scale=alt.Scale(domain=[-0.05, 1.05])),
        )
    )
    dot = (
        alt.Chart(here)
        .mark_point(size=140, filled=True, color="#ea580c")
        .encode(x="pre-activation:Q", y="local derivative:Q")
    )
    st.altair_chart(line + dot, width="stretch", height=260)

with st.container(border=True):
    q = questions.NEXT
    kept = state.answers().get(q.id)
    ui.kept(ANSWER, kept or "")
    st.text_input(md(q.prompt(a)), key=ANSWER, on_change=save_answer, placeholder="a number")
    result = questions.next_feedback(kept)
    if result.answered:
        text = md(result.verdict) + (f"  \n{md(result.explanation)}" if result.explanation else "")
        ui.say(result.level, text)
