"""Bug lab: one common mistake at a time, run on the learner's expression beside the correct engine."""

import streamlit as st

from app import state, ui
from engine.trace import Mistake
from lab.model import mistakes
from lab.model.analysis import Analysis, format_number
from lab.model.diagram import COLOURS, Highlight
from lab.model.table import values_table
from lab.views import bugs

NONE = "none"
MISTAKE = "bugs:mistake"  # the mistake switched on (a view: the Lesson's checklist can ask for one)
MAX_STYLED_ROWS = 1000  # colouring rows of a huge table would slow the page: the match column still says it


def load_preset(program: str) -> None:
    state.set_program(program)


def table_and_diagram(a: Analysis, table, highlight: Highlight, caption: str) -> None:
    def draw_table() -> None:
        st.dataframe(table, hide_index=True, height=ui.grid_height(len(a.graph)), key="bugs:table")

    ui.diagram_beside(a, highlight, draw_table, parts=(1, 1), caption=caption)


a = state.analysis()

st.title("Bug lab")
st.markdown(
    "Four mistakes that are easy to make when writing `backward()` for the first time. Switch one on: "
    "your expression is backpropagated with the mistake beside the correct engine, and every gradient "
    "that goes wrong is marked."
)

ui.kept(MISTAKE, state.take_bug_to_show() or st.session_state.get(MISTAKE, NONE))
choice = st.segmented_control(
    "Mistake",
    options=[NONE, *(m.value for m in Mistake)],
    format_func=lambda v: "no mistake" if v == NONE else mistakes.BY_SWITCH[Mistake(v)].label,
    key=MISTAKE,
)

if choice in (None, NONE):
    st.info("Pick a mistake above. Below: the correct gradients of your expression.", icon=":material/bug_report:")
    correct = values_table(a)[["node", "formula", "data", "grad"]]
    table_and_diagram(a, correct.style.format(format_number, subset=["data", "grad"]), Highlight(), "")
    st.stop()

mistake = Mistake(choice)
report = bugs.compare_mistake(a, mistake)
st.markdown(f"**{mistakes.BY_SWITCH[mistake].words}**")
sentence = bugs.explain_mistake(report)
if report.changes_nothing:
    st.success(sentence, icon=":material/check_circle:")
    suggestion = bugs.suggest_preset(mistake, state.program())
    if suggestion:
        _name, title, program = suggestion
        st.button(
            f"Load “{title}”, where this mistake does go wrong",
            on_click=load_preset,
            args=(program,),
            key="bugs:load_preset",
            icon=":material/swap_horiz:",
        )
else:
    st.error(sentence, icon=":material/bug_report:")

table = bugs.bug_table(report)
if len(table) <= MAX_STYLED_ROWS:
    wrong_fill = COLOURS["mismatch"][0]
    table = table.style.format(format_number, subset=["correct grad", "with the mistake"]).apply(
        lambda row: [f"background-color: {wrong_fill}" if row[bugs.MATCH_COLUMN] != bugs.RIGHT else ""] * len(row),
        axis=1,
    )
highlight = Highlight(grads=report.buggy, mismatch=report.wrong, notes=bugs.notes(report))
table_and_diagram(a, table, highlight, "The diagram shows the gradients with the mistake: red nodes are wrong.")

with st.expander("The buggy code beside the right one", expanded=True):
    buggy, right_code = bugs.code_pair(report)
    with_mistake, correct = st.columns(2)
    with with_mistake:
        st.markdown("**With the mistake**")
        st.code(buggy, language="python", wrap_lines=True)
    with correct:
        st.markdown("**The engine** (its own code)" if mistake is not Mistake.TWICE else "**Right**")
        st.code(right_code, language="python", wrap_lines=True)
