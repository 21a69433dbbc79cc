"""The one place that owns `st.session_state` for shared data.

Pages call these functions instead of inventing keys. What is kept per browser session:

- the program (the last one that worked: it is what every page shows),
- the draft the learner is typing (which may not work yet) and the error that goes with it,
- the hand entries, the settings, and the takeaway.

The address bar mirrors the program, hand entries and settings, so a reload or a shared
link comes back to the same work.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping

import streamlit as st

from engine.errors import ExpressionError
from lab.analysis import Analysis, analyse
from lab.program_edit import set_variable_value
from lab.share import Work

LESSON_PROGRAM = "x = 2\ny = 3\nz = x*y + y"

PROGRAM = "program"  # str: the last program that worked
DRAFT = "draft"  # str: what the learner last typed into the program box
ERROR = "error"  # str | None: why the last change was refused
HAND = "hand"  # dict[str, str]: hand entries
SETTINGS = "settings"  # dict[str, object]
TAKEAWAY = "takeaway"  # str
_ANALYSIS = "_analysis"  # (program, Analysis): computed once per program

DEFAULT_SETTINGS: dict[str, object] = {"tolerance": 1e-3, "hand_first": False}


def init() -> None:
    """On a session's first run, start from the link (if any) or the lesson's example."""
    if PROGRAM in st.session_state:
        return
    st.session_state[PROGRAM] = LESSON_PROGRAM
    st.session_state[DRAFT] = LESSON_PROGRAM
    st.session_state[ERROR] = None
    st.session_state[HAND] = {}
    st.session_state[SETTINGS] = dict(DEFAULT_SETTINGS)
    st.session_state[TAKEAWAY] = ""
    params = st.query_params
    if "hand" in params:
        try:
            hand = json.loads(params["hand"])
            if isinstance(hand, dict):
                st.session_state[HAND] = {str(k): str(v) for k, v in hand.items()}
        except (ValueError, TypeError):
            pass
    if "tol" in params:
        with contextlib.suppress(ValueError):
            st.session_state[SETTINGS]["tolerance"] = float(params["tol"])
    if params.get("first") == "1":
        st.session_state[SETTINGS]["hand_first"] = True
    if "expr" in params and not set_program(params["expr"]):
        st.session_state[ERROR] = f"The link's program could not be built: {st.session_state[ERROR]}"


def program() -> str:
    return st.session_state[PROGRAM]


def draft() -> str:
    return st.session_state[DRAFT]


def error() -> str | None:
    return st.session_state.get(ERROR)


def clear_error() -> None:
    st.session_state[ERROR] = None


def set_error(message: str) -> None:
    st.session_state[ERROR] = message


def set_program(text: str) -> bool:
    """Make `text` the program if it builds; otherwise keep the last good one and record why.

    Returns True if the program was taken. The draft always keeps what was typed.
    """
    st.session_state[DRAFT] = text
    try:
        result = analyse(text)
    except ExpressionError as e:
        st.session_state[ERROR] = str(e)
        return False
    st.session_state[PROGRAM] = text
    st.session_state[_ANALYSIS] = (text, result)
    st.session_state[ERROR] = None
    return True


def set_value(name: str, value: float) -> bool:
    """Give variable `name` a new value (rewrites its line in the program)."""
    return set_program(set_variable_value(program(), name, value))


def analysis() -> Analysis:
    """The analysis of the current program (computed once per program, per session)."""
    cached = st.session_state.get(_ANALYSIS)
    if cached is not None and cached[0] == program():
        return cached[1]
    result = analyse(program())
    st.session_state[_ANALYSIS] = (program(), result)
    return result


def hand() -> dict[str, str]:
    return st.session_state[HAND]


def set_hand(entries: Mapping[str, str]) -> None:
    st.session_state[HAND] = {k: v for k, v in entries.items() if v and v.strip()}


def settings() -> dict[str, object]:
    return st.session_state[SETTINGS]


def set_setting(name: str, value: object) -> None:
    st.session_state[SETTINGS][name] = value


def takeaway() -> str:
    return st.session_state[TAKEAWAY]


def set_takeaway(text: str) -> None:
    st.session_state[TAKEAWAY] = text


def work() -> Work:
    return Work(program(), dict(hand()), dict(settings()), takeaway())


def load_work(work: Work) -> bool:
    """Put a saved piece of work back. Returns False (with the error set) if its program doesn't build."""
    if not set_program(work.program):
        return False
    st.session_state[HAND] = dict(work.hand)
    merged = dict(DEFAULT_SETTINGS)
    merged.update({k: v for k, v in work.settings.items() if k in DEFAULT_SETTINGS})
    st.session_state[SETTINGS] = merged
    st.session_state[TAKEAWAY] = work.takeaway
    return True


def sync_url(page: str = "") -> None:
    """Make the address bar carry the program, hand entries and settings (a reload keeps them).

    `page` names the page being shown: a page switch clears the address bar's query, so
    then every parameter is written again.
    """
    wanted = {"expr": program()}
    if hand():
        wanted["hand"] = json.dumps(hand(), separators=(",", ":"))
    tolerance = settings().get("tolerance")
    if tolerance != DEFAULT_SETTINGS["tolerance"]:
        wanted["tol"] = repr(tolerance)
    if settings().get("hand_first"):
        wanted["first"] = "1"
    params = st.query_params
    if st.session_state.get("_url_page") != page:
        st.session_state["_url_page"] = page
        params.from_dict(wanted)
        return
    for key in ("expr", "hand", "tol", "first"):
        if key in wanted:
            if params.get(key) != wanted[key]:
                params[key] = wanted[key]
        elif key in params:
            del params[key]
