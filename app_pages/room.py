"""Room: the instructor opens a room; with the room's key, the room's progress live, every 2 seconds.

Learners join in the sidebar's Room box with the code; their progress is sent from their work
(app/room.py). Without the key (a learner's link, a wrong key) nothing of a room is shown.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import room, state
from lab.room.store import RoomError
from lab.room.view import LESSONS, live_html, of_lesson

PROJECTOR = "room:projector"
REFRESH_SECONDS = 2
HIDE_SIDEBAR = (
    "[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],[data-testid='stExpandSidebarButton']"
    "{display:none !important}"
)


def open_room() -> None:
    try:
        opened = room.store().open_room()
    except (room.RoomUnavailable, RoomError) as e:
        st.session_state["room:refused"] = str(e)
        return
    except SQLAlchemyError:
        st.session_state["room:refused"] = "The room's database could not be reached: try again in a moment."
        return
    state.set_room_link(state.RoomLink(opened.code, key=opened.key))


def close_room(code: str, key: str) -> None:
    try:
        room.store().close_room(code, key)
        room.forget_members(code)
    except (room.RoomUnavailable, SQLAlchemyError):
        st.session_state["room:refused"] = "The room's database could not be reached: the room is not closed yet."
        return
    state.set_room_link(None)
    st.session_state["room:refused"] = f"Room {code} is closed: everything of it is deleted."


@st.fragment(run_every=REFRESH_SECONDS)
def live(code: str, key: str, lesson: str) -> None:
    """The room as it is now, for one lesson: read from the database on every refresh, nothing cached.

    Projector view is read here, when the refresh runs: a refresh queued before the toggle was switched runs
    with the arguments of the run before it, and would show nicknames on the projector until the next one."""
    projector = bool(st.session_state.get(PROJECTOR, False))
    stations, keys = LESSONS[lesson]
    try:
        view = room.store().view(code, key, keys)
    except (room.RoomUnavailable, SQLAlchemyError):
        st.warning("The room's database cannot be reached just now; this view tries again in 2 seconds.")
        return
    if view is None:
        st.warning(f"Room {code} is closed.")
        return
    st.html(live_html(of_lesson(view, lesson), time.time(), projector, stations))


def teach(code: str, key: str) -> None:
    instructor_link = state.link_address(
        st.context.url, st.context.headers.get("host"), "room", state.room_link_params(state.RoomLink(code, key=key))
    )
    projector = st.toggle("Projector view: no nicknames, large, no sidebar", key=PROJECTOR)
    # every element before the live view is drawn whether projector view is on or not (in containers that may
    # stay empty), so that the live view keeps its place: a refresh queued before a switch draws where it is
    style = st.container()
    if projector:  # the whole width for the room; the toggle above brings the sidebar back
        style.html(f"<style>{HIDE_SIDEBAR}</style>")
    st.html(
        f'<p style="font-size:1.2rem;margin:0">Learners join in the sidebar\'s <b>Room</b> box with the code</p>'
        f'<p data-testid="room-code" style="font-size:3.2rem;font-weight:700;letter-spacing:0.2em;margin:0">{code}</p>'
    )
    instructor_key = st.container()
    if not projector:  # the key stays off the projector
        with instructor_key.expander("Your instructor link (keep it to yourself: it opens this view)"):
            st.code(instructor_link, language=None, wrap_lines=True)
    lesson = st.segmented_control("Lesson", list(LESSONS), default="Lesson 1", key="room:lesson") or "Lesson 1"
    live(code, key, lesson)
    st.divider()
    sure = st.checkbox("Yes, delete everything of this room", key="room:sure")
    st.button(
        "Close the room",
        key="room:close",
        on_click=close_room,
        args=(code, key),
        disabled=not sure,
        icon=":material/delete:",
    )


st.header("The instructor's room")
if refused := st.session_state.pop("room:refused", None):
    st.info(refused)
try:
    store = room.store()
except room.RoomUnavailable as e:
    st.warning(str(e), icon=":material/groups:")
    st.stop()

link = state.room_link()
if link is not None and link.teaching:
    if store.is_instructor(link.code, link.key):
        teach(link.code, link.key)
        st.stop()
    st.error(
        "This link does not open a room: the room is closed or older than a day, or the link's key is not its key."
    )
    state.set_room_link(None)
elif link is not None:
    st.text(f"You are in room {link.code}" + (f" as {room.nickname()}." if room.nickname() else "."))
    st.caption("The instructor sees where the room is; you see only your own work. The sidebar's Room box has Leave.")

st.markdown(
    "For a workshop: open a room, show its code on the projector, and learners join in the sidebar's **Room** box "
    "with a nickname. With this page open you see, every 2 seconds, how many are at and past each station of the "
    "lesson, the most common wrong answers and predictions, and who has made no progress for 5 minutes. "
    "No accounts: nicknames only, and closing the room deletes all of it (a room is deleted after a day anyway)."
)
st.button("Open a room", key="room:open", on_click=open_room, type="primary", icon=":material/groups:")
