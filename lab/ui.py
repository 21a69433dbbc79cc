"""Streamlit pieces that several pages share: the sidebar, messages, and table beside diagram.

Pages stay thin: they lay these out. Anything that computes lives in the plain modules.
"""

from __future__ import annotations

import streamlit as st

from lab import state
from lab.analysis import Analysis, format_number
from lab.diagram import (
    COLOURS,
    LEGEND,
    MAX_DIAGRAM_NODES,
    MAX_LAYOUT_WORK,
    Highlight,
    layout_work,
    natural_size,
    to_dot,
    too_big_to_draw,
)
from lab.share import share_query, work_from_json, work_to_json
from lab.table import values_table


def page_style() -> None:
    """Less empty margin around the page: the table and the diagram need the width on a projector."""
    st.html("<style>[data-testid='stMainBlockContainer']{padding:2rem 1.5rem 4rem 1.5rem;max-width:none}</style>")


def show_error() -> None:
    """The last refused change, in words, beside the last good graph (never a traceback)."""
    message = state.error()
    if message:
        st.error(f"**Not changed:** {message}  \nThe last program that worked is still shown.", icon="⚠️")


def sidebar() -> None:
    """Shared on every page: the program's variables as number inputs, sharing and saving."""
    a = state.analysis()
    with st.sidebar:
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
        state.set_error(f"{name} has no value: type a number")
        return
    if state.set_value(name, float(value)):
        st.session_state["_inputs_for"] = state.program()


def _share_and_save() -> None:
    st.markdown("#### Keep and share")
    # a plain link, not st.code: st.code's highlighter is 1.5 MB of JavaScript that delayed every page's first drawing
    st.caption(
        f"The address bar always holds your program: copy it to share, reload to come back, "
        f"or [open this program's link](?{share_query(state.program())}) in a new tab."
    )
    work = state.work()
    st.download_button(
        "Download my work",
        data=lambda: work_to_json(work),  # made when clicked (on another thread): not on every run
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
    st.markdown(chips, unsafe_allow_html=True)


MIN_SCALE = 0.55  # a big diagram is never drawn smaller than this: it scrolls instead
PX_PER_PT = 4 / 3


def diagram(a: Analysis, highlight: Highlight | None = None, key: str = "diagram") -> None:
    """The graphviz diagram, or a note when the graph is too big to lay out in the browser.

    It fills its column; a big one keeps at least MIN_SCALE of its natural size and the box
    around it scrolls, so labels stay readable on a projector instead of shrinking to nothing.
    """
    if too_big_to_draw(a):
        if len(a.graph) > MAX_DIAGRAM_NODES:
            reason = f"This graph has {len(a.graph):,} nodes. The diagram is drawn up to {MAX_DIAGRAM_NODES} nodes"
        else:  # few nodes, but values used far from where they are made: long edges are slow to lay out
            reason = (
                f"This graph's layout work is {layout_work(a):,} (its edges reach far: values are used many steps "
                f"after they are made). The diagram is drawn up to a layout work of {MAX_LAYOUT_WORK:,}"
            )
        st.info(f"{reason}, so the browser stays responsive; the table lists every node.")
        return
    width_pt, height_pt = natural_size(a)
    min_width = int(MIN_SCALE * width_pt * PX_PER_PT)
    max_width = int(width_pt * PX_PER_PT)  # never drawn bigger than natural: its height stays known
    box_height = int(min(640, max(140, height_pt * PX_PER_PT + 40)))
    with st.container(height=box_height, border=True, key=f"{key}_box"):
        st.html(
            f"<style>.st-key-{key}_box [data-testid='stGraphVizChart'] svg"
            f"{{width:100% !important;min-width:{min_width}px;max-width:{max_width}px !important;"
            "height:auto !important}</style>"
        )
        st.graphviz_chart(to_dot(a, highlight), width="stretch")
    legend()


def table(a: Analysis, grads=None, hide_grads: bool = False, key: str | None = None) -> None:
    df = values_table(a, grads=grads, hide_grads=hide_grads)
    st.dataframe(
        df,
        hide_index=True,
        key=key,
        column_order=["node", "op", "formula", "data", "grad", "uses"],
        column_config={
            "data": st.column_config.NumberColumn(format="%.4g"),
            "grad": st.column_config.NumberColumn(format="%.4g"),
            "uses": st.column_config.NumberColumn(help="how many times this node is used: each use sends gradient"),
        },
        height=min(600, 38 + 35 * len(df)),
    )


def table_beside_diagram(a: Analysis, highlight: Highlight | None = None, grads=None, hide_grads: bool = False) -> None:
    left, right = st.columns([5, 7], gap="medium")
    with left:
        table(a, grads=grads, hide_grads=hide_grads)
    with right:
        diagram(a, highlight)
