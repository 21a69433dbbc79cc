"""The instructor's room, the Streamlit side: the database connection, the sidebar's Room box, and sending.

The room lives in lab/room/store.py (plain Python over SQLAlchemy); this module finds its database,
gets the engine through `st.connection("room", type="sql")`, and after every run sends what the
learner's work says (lab/room/events.py) when this browser is in a room. Where the database is:

1. the environment variable ROOM_DATABASE_URL (any SQLAlchemy URL), else
2. `[connections.room] url = "postgresql+psycopg://..."` in Streamlit's secrets, else
3. a SQLite file, data/room.sqlite beside dashboard.py, created on first use.

A room that cannot be used (no database, a read-only folder, a closed room) is a message in the
Room box; the rest of the dashboard works on as before.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import state
from lab.lesson import lesson2
from lab.room import events as room_events
from lab.room.store import MAX_NICKNAME, RoomError, RoomStore, new_token, suggest_nickname
from lab.work.share import work_to_json

URL_VARIABLE = "ROOM_DATABASE_URL"
DATA_FOLDER = Path(__file__).resolve().parent.parent / "data"
DEFAULT_FILE = DATA_FOLDER / "room.sqlite"
ROOM_BOX = "room_box"  # the sidebar's Room box: open or closed
ROOM_PAGE = "app_pages/room.py"  # the instructor's page, at /room: linked from the box, not in the top bar

# what the memo (state.room_session()) holds
_SENDER, _SENT_FOR, _MESSAGE, _NICKNAME, _RUN = "sender", "sent_for", "message", "nickname", "run"


class RoomUnavailable(Exception):
    """The room's database cannot be used; the message says why, for the page."""


def _secret_url() -> str | None:
    try:
        return st.secrets["connections"]["room"]["url"]
    except Exception:  # no secrets file, or no room in it: Streamlit raises its own kinds
        return None


def database_url() -> str:
    """The room's database: the environment variable, the secrets, or the SQLite file in the data folder."""
    url = os.environ.get(URL_VARIABLE) or _secret_url()
    if url:
        return url
    return f"sqlite:///{DEFAULT_FILE}"


def _sqlite_folder(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent


_STORES: dict[str, RoomStore] = {}  # database URL -> its store, once it worked: shared by every session


def store() -> RoomStore:
    """The room's store on this server's database. Raises RoomUnavailable with a message for the page.

    The first call for a database checks it can be written; later calls (every send, every few seconds'
    look at whether the room is still open) take the same store.
    """
    url = database_url()
    found = _STORES.get(url)
    if found is not None:
        return found
    folder = _sqlite_folder(url)
    try:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".room-write-test"
            probe.write_bytes(b"")  # a read-only folder: say so now, not at the first write
            probe.unlink()
        connection = st.connection("room", type="sql", url=url)
        made = _STORES[url] = RoomStore(connection.engine)
        return made
    except (OSError, SQLAlchemyError) as e:
        where = f"the folder {folder}" if folder is not None else "the room's database"
        raise RoomUnavailable(
            f"The room cannot be used on this server: {where} cannot be written ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:200]}). Everything else in the dashboard works as before."
        ) from None
    except Exception as e:  # a bad URL or a missing driver: a message, not a traceback
        raise RoomUnavailable(
            f"The room's database is not set up right ({type(e).__name__}: {str(e).splitlines()[0][:200]}). "
            "Everything else in the dashboard works as before."
        ) from None


def message() -> str | None:
    """The last thing the room has to tell this learner (closed, unreachable), once set."""
    return state.room_session().get(_MESSAGE)


def _say(text: str | None) -> None:
    state.room_session()[_MESSAGE] = text


# -- a learner ----------------------------------------------------------------------------------------


def join(code: str, nickname: str) -> bool:
    """Join room `code` as `nickname` with a new token (or this browser's token, when rejoining)."""
    link = state.room_link()
    token = link.token if link is not None and link.token else new_token()
    try:
        clean = store().join(code, nickname, token)
    except (RoomError, RoomUnavailable) as e:
        _say(str(e))
        return False
    except SQLAlchemyError as e:
        _say(f"The room could not be reached ({type(e).__name__}); try again in a moment.")
        return False
    state.set_room_link(state.RoomLink(clean, token=token))
    state.room_session().pop(_SENDER, None)
    state.room_session().pop(_SENT_FOR, None)
    _say(None)
    return True


def leave() -> None:
    """Leave the room: what this learner sent is deleted, and nothing more is sent."""
    link = state.room_link()
    state.set_room_link(None)
    state.room_session().clear()
    if link is None or link.teaching:
        return
    try:
        store().leave(link.code, link.token)
        forget_members(link.code)
    except (RoomUnavailable, SQLAlchemyError):
        _say("You left the room here; the room's database could not be reached to delete what you sent.")


def nickname() -> str | None:
    """This learner's nickname in their room (read once per session from the room)."""
    link = state.room_link()
    if link is None or link.teaching:
        return None
    memo = state.room_session()
    if memo.get(_NICKNAME) is None:
        try:
            memo[_NICKNAME] = store().nickname_of(link.code, link.token)
        except (RoomUnavailable, SQLAlchemyError):
            return None
    return memo.get(_NICKNAME)


def _implementation_report():
    """The report of the last run of the learner's own code (Implement it) when that run was of the code as it is
    now, else None: the room never starts a run of its own (a run is a sandboxed process)."""
    return room_events.current_report(state.last_run(), state.code())


def _lesson2_runs() -> dict[str, object]:
    """What lesson 2's own checks gave for the code as it is now, when lesson 2 ran them (the room runs nothing)."""
    return state.lesson_runs_made(lesson2.LESSON)


def _run_name(report) -> str:
    """A name for the run that made `report`, new for each run (each report is a new object): "" for none."""
    if report is None:
        return ""
    memo = state.room_session()
    seen = memo.get(_RUN)
    if seen is None or seen[0] is not report:
        seen = memo[_RUN] = (report, new_token())
    return seen[1]


def send_progress(slot=None) -> None:
    """After a run: send the facts of this learner's work the room has not acknowledged (nothing when not in one).

    Facts are worked out only when the work changed since the last send, or the learner's code was run again
    (each run of the code as it is now is sent: lab/room/events.py's `run_fact`). Anything that goes wrong is a
    message in the Room box (and in `slot`, the sidebar's place for it in this run, when given), never an
    error on the page; what was not acknowledged is sent next time.
    """
    link = state.room_link()
    if link is None or link.teaching:
        return
    memo = state.room_session()
    work = state.work()
    report = _implementation_report()
    run = _run_name(report)
    signature = (link, work_to_json(work), run)  # a new run of the same code is new too
    if memo.get(_SENT_FOR) == signature:
        return
    try:
        sender = memo.get(_SENDER)
        if sender is None or (sender.code, sender.token) != (link.code, link.token):
            sender = memo[_SENDER] = room_events.Sender(store(), link.code, link.token)
        found = room_events.facts(work, state.analysis(), report, run, _lesson2_runs())
        sender.send(found)
    except RoomError as e:  # closed, expired, or this learner was removed
        state.set_room_link(None)
        memo.clear()
        _say(f"{e} You are no longer in a room; your work here is as it was.")
        _show(slot)
        return
    except (RoomUnavailable, SQLAlchemyError) as e:
        _say(str(e) if isinstance(e, RoomUnavailable) else "The room could not be reached; trying again next time.")
        _show(slot)
        return
    memo[_SENT_FOR] = signature
    _say(None)


def _show(slot) -> None:
    if slot is not None and message():
        slot.warning(message(), icon=":material/groups:")


CLOSED_CHECK_SECONDS = 3  # how often a learner's page looks whether their room is still open
MEMBERS_FRESH_SECONDS = 1.0  # one look at a room's learners serves every session of this server for this long
_MEMBERS: dict[str, tuple[float, frozenset[str]]] = {}  # room code -> (when read, its learners' tokens)


def _members(code: str) -> frozenset[str]:
    """The tokens of room `code`'s learners (none when it is closed), read at most once a second per server."""
    now = time.monotonic()
    found = _MEMBERS.get(code)
    if found is None or now - found[0] > MEMBERS_FRESH_SECONDS:
        found = _MEMBERS[code] = (now, frozenset(store().members(code)))
    return found[1]


def forget_members(code: str) -> None:
    """This server changed who is in room `code` (closed it, a learner left): its next look reads the database."""
    _MEMBERS.pop(code, None)


@st.fragment(run_every=CLOSED_CHECK_SECONDS)
def _still_in_room() -> None:
    """Every few seconds, on every page: is this learner still in their room? When the instructor has closed it
    (or it expired, or they left it in another tab) they are told at once, and the room leaves their link.

    One small query a tick and nothing drawn while the room is open (benchmarks/bench_room_watch.py measures it).
    """
    link = state.room_link()
    if link is None or link.teaching:
        return
    try:
        if link.token in _members(link.code):
            return
        there = store().is_member(link.code, link.token)  # not in the shared look: ask for this learner alone
    except (RoomUnavailable, SQLAlchemyError):
        return  # the database is away for a moment: look again next tick
    if there:
        return
    state.set_room_link(None)
    state.room_session().clear()
    _say(
        f"Room {link.code} was closed by the instructor (or it is older than a day, or you left it in another tab). "
        "You are no longer in a room; your work here is as it was."
    )
    st.rerun(scope="app")


def _on_join() -> None:
    join(st.session_state.get("room:code", ""), st.session_state.get("room:nickname", ""))


def sidebar_box():
    """The sidebar's Room box: join with a code and a nickname, or see which room you are in and leave it.

    Returns the place under it for what `send_progress` says at the end of this run.
    """
    link = state.room_link()
    with st.sidebar:
        if link is not None and not link.teaching:
            _still_in_room()
        # one label whatever the state: Streamlit takes a new label for a new box (closed again)
        box = st.expander("Room", key=ROOM_BOX, on_change="rerun", icon=":material/groups:")
        slot = st.empty()
        if not box.open:
            _show(slot)
            return slot
        with box:
            if link is not None and link.teaching:
                st.page_link(ROOM_PAGE, label=f"Room {link.code}: the live view", icon=":material/groups:")
            elif link is not None:
                name = nickname()
                st.text(f"You are in room {link.code}" + (f" as {name}" if name else "") + ".")
                st.caption("Your stations, checked predictions, hand checks and answers are sent as you work.")
                st.button("Leave the room", key="room:leave", on_click=leave, icon=":material/logout:")
            else:
                memo = state.room_session()
                if "room:nickname" not in st.session_state:
                    st.session_state["room:nickname"] = memo.setdefault("offered", suggest_nickname())
                st.text_input("Room code", key="room:code", placeholder="like K7P2QX")
                st.text_input("Nickname", key="room:nickname", help=f"Plain text, at most {MAX_NICKNAME} characters.")
                st.button("Join the room", key="room:join", on_click=_on_join, icon=":material/login:")
                st.page_link(ROOM_PAGE, label="Instructors: open a room", icon=":material/groups:")
        _show(slot)
        return slot
