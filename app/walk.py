"""Walking a lesson's stations on a page: the row of stations, the open one, its view, the next one.

Any lesson written as records (lab/lesson/records.py) is walked the same way; what each station draws is a
function looked up by the station's key. Which station is open is a view (not work): a fresh visit opens
the first station not done, and the open one stays open while its work gets done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from app import state, ui
from lab.lesson.records import Lesson, Progress, Station, first_not_done
from lab.model.analysis import Analysis
from lab.model.text import markdown_safe as md
from lab.work.share import Work

View = Callable[[Station, Analysis, Work, bool], None]


def _open(key: str, index: int) -> None:
    state.set_view(key, index)


def _on_row(key: str) -> None:
    """A click on the row of stations. None (the open one clicked again, or the row redrawn) keeps it open."""
    index = st.session_state.get(key)
    if index is not None:
        state.set_view(key, index)


def walk(
    lesson: Lesson,
    views: Mapping[str, View],
    steps: Sequence[Progress],
    a: Analysis,
    work: Work,
    reveal: bool,
    key: str,
) -> None:
    """The lesson's stations as a row of buttons and the open station below it, then all of them folded."""
    if key not in st.session_state:  # a fresh visit, or back from another page: the first station not done
        _open(key, first_not_done(list(steps)))
    index = min(int(state.view(key, 0)), len(steps) - 1)
    ui.kept(key, index)
    st.segmented_control(
        "Station",
        list(range(len(steps))),
        format_func=lambda i: f"{'✔' if steps[i].done else steps[i].station.number} {steps[i].station.short}",
        key=key,
        on_change=_on_row,
        args=(key,),
        label_visibility="collapsed",
    )
    station, status = steps[index].station, steps[index]
    with st.container(border=True):
        mark = "✔ done" if status.done else "not done yet"
        st.subheader(f"{station.number}. {station.title}")
        st.caption(f"{mark} · {md(status.status)}")
        st.markdown(md(station.todo))
        views[station.key](station, a, work, reveal)
        if index + 1 < len(steps):
            st.button(
                f"Next station: {steps[index + 1].station.title.replace('`', '')}",
                key=f"{key}:next:{index}",
                on_click=_open,
                args=(key, index + 1),
                icon=":material/arrow_forward:",
            )
    folded = st.expander("All stations", key=f"{key}:all", on_change="rerun")
    if folded.open:  # drawn only when opened
        with folded:
            for p in steps:
                st.markdown(f"{'✔' if p.done else '○'} **{p.station.number}. {md(p.station.title)}**: {md(p.status)}")
