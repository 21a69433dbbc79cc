"""Streamlit pieces that several pages share: the sidebar, messages, and table beside diagram.

Pages stay thin: they lay these out. Anything that computes lives in the plain modules.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from lab import state
from lab.analysis import Analysis, format_number
from lab.diagram import COLOURS, LEGEND, MAX_DIAGRAM_NODES, Highlight, natural_size, to_dot, too_big_to_draw
from lab.share import work_from_json, work_to_json
from lab.table import values_table


def page_style() -> None:
    """Less empty margin around the page: the table and the diagram need the width on a projector."""
    st.html("<style>[data-testid='stMainBlockContainer']{padding:2rem 1.5rem 4rem 1.5rem;max-width:none}</style>")


def refused(message: str, still_shown: bool = True) -> None:
    """A refused change, in words, beside the last good graph (never a traceback)."""
    more = "  \nThe last program that worked is still shown." if still_shown else ""
    st.error(f"**Not changed:** {message}{more}", icon="⚠️")


def show_error() -> None:
    """A refused change that has no box of its own (a link): at the top of the page, below the navigation.

    A change refused in a box is shown next to that box instead (`error_here`).
    """
    message = state.error_at(state.PAGE)
    if message:
        # the page's top padding is less than the fixed navigation bar's height: keep the message below the bar
        with st.container(key="page_error"):
            st.html("<style>.st-key-page_error{margin-top:2rem}</style>")
            refused(message)


def error_here(place: str, still_shown: bool = True) -> None:
    """The message of a change refused at `place` (a box or a button), shown where it is called."""
    message = state.error_at(place)
    if message:
        refused(message, still_shown)


def sidebar(page: str = "") -> None:
    """Shared on every page: the program's variables as number inputs, sharing and saving.

    `page` is the current page's address (the share link opens it).
    """
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
            # value=None: a cleared box (or text that is not a number) reaches the callback as None, which
            # is refused with a message; otherwise Streamlit would silently put the box's default (0) in
            st.number_input(
                name,
                value=None,
                key=key,
                step=0.5,
                format="%g",
                placeholder="type a number",
                on_change=_on_value_change,
                args=(name,),
            )
            error_here(state.value_place(name), still_shown=False)  # the message says what the value stays
            if st.session_state.get(_DRAFT_KEPT_AT) == name:
                _draft_kept()
        st.caption(f"Output **{a.names[a.output]}** = {format_number(a.graph.output.data)}")
        st.divider()
        _share_and_save(page)


_DRAFT_KEPT_AT = "_draft_kept_at"  # the variable whose change left a typed, unbuilt program alone


def _draft_kept() -> None:
    """Under the number box just changed: the typed program was kept, not built; build it or discard it."""
    if not state.has_draft():
        st.session_state.pop(_DRAFT_KEPT_AT, None)
        return
    st.warning(
        "Your typed program is not built yet, so this change did not touch it: Build it on **Build and see**, "
        "or Discard it.",
        icon=":material/edit_note:",
    )
    st.button("Discard my typed program", key="sidebar:discard", on_click=discard_draft, icon=":material/delete:")


def discard_draft() -> None:
    state.discard_draft()
    st.session_state.pop(_DRAFT_KEPT_AT, None)


def _current_value(a: Analysis, name: str) -> float:
    if name in a.variables:
        return a.graph.nodes[a.variables[name]].data
    return float(a.program.variables.get(name) or 0.0)


def _on_value_change(name: str) -> None:
    key = f"value:{name}"
    value = st.session_state.get(key)
    old = _current_value(state.analysis(), name)
    if value is None or not math.isfinite(value):
        st.session_state[key] = old  # the box shows the value that is still used
        state.set_error(
            f"{name} needs a number (the box was blank, or what was typed is not one), so {name} stays "
            f"{format_number(old)}",
            state.value_place(name),
        )
        return
    kept_draft = state.has_draft()
    if state.set_value(name, float(value)):
        st.session_state["_inputs_for"] = state.program()
        if kept_draft:
            st.session_state[_DRAFT_KEPT_AT] = name
    else:
        st.session_state[key] = old
        state.set_error(f"{state.error()}; {name} stays {format_number(old)}", state.value_place(name))


def _share_and_save(page: str) -> None:
    st.markdown("#### Keep and share")
    st.caption(
        "The address bar always holds your work (program, hand entries, settings, answers): copy it to share, "
        "reload to come back."
    )
    with st.expander("Link to this work"):
        st.code(state.share_link(page), language=None, wrap_lines=True)
        st.caption("The copy button (top right of the box) copies it.")
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
                state.set_error(str(e), state.FILE)
            else:
                if state.load_work(work):
                    st.session_state["_inputs_for"] = None
                    st.rerun()
    error_here(state.FILE)


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
        st.info(
            f"This graph has {len(a.graph):,} nodes. The diagram is drawn up to {MAX_DIAGRAM_NODES} nodes, "
            "so the browser stays responsive; the table lists every node."
        )
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


MAX_FORMATTED_ROWS = 1000  # each number as the diagram writes it costs ~0.1 ms a row in the server


def _shown_number(x: float | None) -> str:
    """A number as the diagram and every other table show it (format_number); a hidden one is `?`."""
    return "?" if pd.isna(x) else format_number(float(x))


def table(a: Analysis, grads=None, hide_grads: bool = False, key: str | None = None) -> None:
    """The values table; its numbers are written as the diagram writes them (format_number: 4 decimals).

    A table too long for that shows the same 4 decimals through the column format (2.0000 for 2).
    """
    df = values_table(a, grads=grads, hide_grads=hide_grads)
    columns = {"uses": st.column_config.NumberColumn(help="how many times this node is used: each use sends gradient")}
    if len(df) <= MAX_FORMATTED_ROWS:
        shown = df.style.format(_shown_number, subset=["data", "grad"])
    else:
        shown = df
        columns |= {name: st.column_config.NumberColumn(format="%.4f") for name in ("data", "grad")}
    st.dataframe(
        shown,
        hide_index=True,
        key=key,
        column_order=["node", "op", "formula", "data", "grad", "uses"],
        column_config=columns,
        height=min(600, 38 + 35 * len(df)),
    )


def table_beside_diagram(a: Analysis, highlight: Highlight | None = None, grads=None, hide_grads: bool = False) -> None:
    left, right = st.columns([5, 7], gap="medium")
    with left:
        table(a, grads=grads, hide_grads=hide_grads)
    with right:
        diagram(a, highlight)
