"""The derivation on one page: the example's (or the learner's small program's) gradients worked out by hand,
beside the code; to keep open, print (one page) or download. Reached from the Lesson, not the top bar."""

import streamlit as st

from app import state, ui
from lab.lesson import stations
from lab.views import by_hand, sheet

PROGRAM = "sheet:program"
EXAMPLE, YOURS = "example", "yours"

st.title("The derivation, by hand")
st.caption(
    "A page to keep open beside your code, or to print: each step of the derivation beside the line of the "
    "`Value` code that does it. Printed (Ctrl+P), it is exactly one page, on A4 or Letter."
)

current = state.analysis()
which = EXAMPLE
if not stations.is_example(current):
    if sheet.fits(current):
        which = (
            st.segmented_control(
                "Which program",
                [EXAMPLE, YOURS],
                format_func={EXAMPLE: "The lesson's example", YOURS: "Your program"}.get,
                default=EXAMPLE,
                key=PROGRAM,
            )
            or EXAMPLE
        )
    else:
        ui.say("info", sheet.TooBig(len(current.graph)).message)
a = current if which == YOURS else stations.example_analysis(current)
hidden = by_hand.engine_hidden(a, state.hand(), state.settings())
page = sheet.derivation(a, hidden)

if hidden:
    ui.say(
        "info",
        f"By hand first: the numbers past the inputs are blanks ({sheet.BLANK}) until you have entered your "
        "gradients on By hand. Fill them in on paper, then compare.",
        icon="✍️",
    )
    st.page_link(stations.BY_HAND_PAGE, label="Enter them on By hand", icon=":material/edit:")
st.download_button(
    "Download the sheet (one HTML file, the font inside: works offline)",
    sheet.document_html(page),
    file_name="derivation-sheet.html",
    mime="text/html",
    key="sheet:download",
    icon=":material/download:",
)
st.html(sheet.sheet_html(page))
