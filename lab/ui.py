"""Streamlit pieces that several pages share: the sidebar, messages, and table beside diagram.

Pages stay thin: they lay these out. Anything that computes lives in the plain modules.
"""

from __future__ import annotations

import streamlit as st

from engine.errors import quote
from lab import state
from lab.analysis import Analysis, format_number
from lab.diagram import (
    COLOURS,
    LEGEND,
    MAX_DIAGRAM_NODES,
    USED_AGAIN,
    Highlight,
    digraph,
    natural_size,
    too_big_to_draw,
)
from lab.share import share_query, work_from_json, work_to_json
from lab.table import values_table


def presenter() -> bool:
    """Presenter view: the diagram full width with large text, bigger tables, the sidebar collapsed."""
    return bool(state.settings().get("presenter", False))


def page_style() -> None:
    """Less empty margin around the page: the table and the diagram need the width on a projector.

    In presenter view the headings shrink (the diagram and the step's sentence need the height)
    and tables get larger text.
    """
    css = "[data-testid='stMainBlockContainer']{padding:2rem 1.5rem 4rem 1.5rem;max-width:none}"
    if presenter():
        css += (
            "[data-testid='stMainBlockContainer']{padding-top:0.5rem}"
            "[data-testid='stMain'] h1{font-size:1.6rem;padding:0.25rem 0}"
            "[data-testid='stTable'] table{font-size:1.35rem}"
        )
    st.html(f"<style>{css}</style>")


PRESENTER_WIDGET = "ui_presenter"


def _on_presenter() -> None:
    state.set_setting("presenter", bool(st.session_state.get(PRESENTER_WIDGET)))


def presenter_switch() -> None:
    """The sidebar's "Presenter view" toggle, shown from the shared setting on every run.

    Turning it on collapses the sidebar through Streamlit's own page setting: the frontend
    applies a changed `initial_sidebar_state` at once (unless the learner has opened or closed
    the sidebar by hand, which it remembers), and the sidebar's arrow opens it again.
    """
    on = presenter()
    if st.session_state.get(PRESENTER_WIDGET) != on:
        st.session_state[PRESENTER_WIDGET] = on
    st.toggle(
        "Presenter view",
        key=PRESENTER_WIDGET,
        on_change=_on_presenter,
        help="For a projector: the diagram full width with large text, bigger tables, this sidebar collapsed "
        "(its arrow at the top left opens it again).",
    )
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")


def show_error() -> None:
    """The last refused change, in words, beside the last good graph (never a traceback)."""
    message = state.error()
    if message:
        st.error(f"**Not changed:** {message}  \nThe last program that worked is still shown.", icon="⚠️")


def sidebar() -> None:
    """Shared on every page: the program's variables as number inputs, sharing and saving."""
    a = state.analysis()
    with st.sidebar:
        presenter_switch()
        st.markdown("#### Variables")
        names = list(a.program.variables)
        if not names:
            st.caption("This program has no variables.")
        program_text = state.program()
        if st.session_state.get("_inputs_for") != program_text:
            # the program changed elsewhere (a preset, a typed program): show its values
            for name in names:
                st.session_state[f"value:{name}"] = _current_value(a, name)
            st.session_state["_inputs_for"] = program_text
        for name in names:
            key = f"value:{name}"
            if key not in st.session_state:
                st.session_state[key] = _current_value(a, name)
            st.number_input(name, key=key, step=0.5, format="%g", on_change=_on_value_change, args=(name,))
        st.caption(f"Output **{a.names[a.output]}** = {format_number(a.graph.output.data)}")
        st.divider()
        _share_and_save()


def _current_value(a: Analysis, name: str) -> float:
    if name in a.variables:
        return a.graph.nodes[a.variables[name]].data
    return float(a.program.variables.get(name) or 0.0)


def _on_value_change(name: str) -> None:
    value = st.session_state.get(f"value:{name}")
    if value is None:
        state.set_error(f"{quote(name)} has no value: type a number")
        return
    if state.set_value(name, float(value)):
        st.session_state["_inputs_for"] = state.program()


def _share_and_save() -> None:
    st.markdown("#### Keep and share")
    st.caption("The address bar always holds your program: copy it to share, reload to come back.")
    with st.expander("Link to this program"):
        st.code("/?" + share_query(state.program()), language=None, wrap_lines=True)
    st.download_button(
        "Download my work",
        data=work_to_json(state.work()),
        file_name="backprop-lab-work.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    uploaded = st.file_uploader("Load work from a file", type=["json"], key="work_upload")
    if uploaded is not None:
        marker = (uploaded.name, uploaded.size, getattr(uploaded, "file_id", None))
        if st.session_state.get("_loaded_work") != marker:
            st.session_state["_loaded_work"] = marker
            try:
                work = work_from_json(uploaded.getvalue())
            except ValueError as e:
                state.set_error(str(e))
            else:
                if state.load_work(work):
                    st.session_state["_inputs_for"] = None
                    st.rerun()


def legend() -> None:
    chips = " ".join(
        f'<span style="background:{COLOURS[key][0]};border:2px solid {COLOURS[key][1]};'
        f'border-radius:4px;padding:1px 6px;margin-right:4px;font-size:0.85em">{text}</span>'
        for text, key in LEGEND
    )
    chips += (
        ' <span style="border:2px dashed #4b5563;border-radius:4px;padding:1px 6px;font-size:0.85em">'
        f"a value {USED_AGAIN}, drawn beside its use</span>"
    )
    st.markdown(chips, unsafe_allow_html=True)


PX_PER_PT = 4 / 3  # graphviz measures in points; the browser draws 4/3 px per point at natural size
# How far a diagram is scaled to fit its column, as a part of its natural size. Below the smallest it
# scrolls sideways in its own box instead: 0.72 keeps 14-point text at 13.4 px on screen, presenter view's
# 1.1 at 20.5 px (natural_size is an estimate: a few per cent either way). A diagram narrower than its
# column is drawn bigger, up to the largest (presenter view).
SCALE = {False: (0.72, 1.0), True: (1.1, 1.8)}
# The box around the diagram is as tall as the drawing, up to this much of the window: then it scrolls.
MAX_BOX_HEIGHT = {False: "70vh", True: "62vh"}
WIDE_PX = 1200  # wider than this at its smallest scale: a wide screen's column can't hold it, say it scrolls


def diagram(a: Analysis, highlight: Highlight | None = None, key: str = "diagram") -> None:
    """The graphviz diagram, or a note when the graph is too big to lay out in the browser.

    It fills its column, between the smallest and the largest scale of its natural size (SCALE);
    past the smallest the box around it scrolls, so labels stay readable on a projector instead of
    shrinking to nothing, and the page itself never gets wider than the window.
    """
    if too_big_to_draw(a):
        st.info(
            f"This graph has {len(a.graph):,} nodes. The diagram is drawn up to {MAX_DIAGRAM_NODES} nodes, "
            "so the browser stays responsive; the table lists every node."
        )
        return
    big = presenter()
    smallest, largest = SCALE[big]
    width_pt, _ = natural_size(a)
    min_width = int(smallest * width_pt * PX_PER_PT)
    max_width = int(largest * width_pt * PX_PER_PT)
    if min_width > WIDE_PX:
        st.caption("A wide diagram: scroll sideways in its box to see all of it.")
    box = f".st-key-{key}_box"
    with st.container(border=True, key=f"{key}_box"):
        st.html(
            f"<style>{box}{{overflow:auto;max-height:{MAX_BOX_HEIGHT[big]};max-width:100%}}"
            f"{box} [data-testid='stGraphVizChart'] svg"
            f"{{display:block;width:100% !important;min-width:{min_width}px;max-width:{max_width}px !important;"
            "height:auto !important}</style>"
        )
        st.graphviz_chart(digraph(a, highlight), width="stretch")
    legend()


def table(a: Analysis, grads=None, hide_grads: bool = False, key: str | None = None) -> None:
    """The values table: a canvas table to sort and scroll, or in presenter view a plain one with large text."""
    df = values_table(a, grads=grads, hide_grads=hide_grads)
    columns = ["node", "op", "formula", "data", "grad", "uses"]
    if presenter() and len(df) <= PRESENTER_TABLE_ROWS:
        shown = df[columns].copy()
        for column in ("data", "grad"):
            shown[column] = [format_number(x) for x in shown[column]]
        for column in ("node", "op", "formula"):  # st.table reads cells as Markdown: `*` alone would be a bullet
            shown[column] = [_plain(str(text)) for text in shown[column]]
        st.table(shown.set_index("node"))
        return
    st.dataframe(
        df,
        hide_index=True,
        key=key,
        column_order=columns,
        column_config={
            "data": st.column_config.NumberColumn(format="%.4g"),
            "grad": st.column_config.NumberColumn(format="%.4g"),
            "uses": st.column_config.NumberColumn(help="how many times this node is used: each use sends gradient"),
        },
        height=min(600, 38 + 35 * len(df)),
    )


def _plain(text: str) -> str:
    """Text that Markdown shows as typed."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text)


MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~")
PRESENTER_TABLE_ROWS = 40  # a longer table stays a canvas table (it scrolls) in presenter view


BESIDE_UP_TO_PX = 550  # a diagram wider than this at its smallest scale gets the page's full width, above the table


def drawn_width(a: Analysis) -> int:
    """About how wide the diagram is drawn at its smallest scale, in px."""
    return int(SCALE[presenter()][0] * natural_size(a)[0] * PX_PER_PT)


def table_beside_diagram(a: Analysis, highlight: Highlight | None = None, grads=None, hide_grads: bool = False) -> None:
    """The table beside the diagram; a wide diagram (and any in presenter view) takes the full width above it."""
    if presenter() or too_big_to_draw(a) or drawn_width(a) > BESIDE_UP_TO_PX:
        diagram(a, highlight)
        table(a, grads=grads, hide_grads=hide_grads)
        return
    left, right = st.columns([4, 7], gap="medium")
    with left:
        table(a, grads=grads, hide_grads=hide_grads)
    with right:
        diagram(a, highlight)
