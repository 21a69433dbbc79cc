"""The one place that owns `st.session_state` for shared data.

Pages call these functions instead of inventing keys. What is kept per browser session:

- the program (the last one that worked: it is what every page shows),
- the draft the learner is typing (which may not work yet) and the error that goes with it,
- the learner's work: hand entries, settings, takeaway, checkpoint answers, own rules, predictions.

The address bar mirrors all of the learner's work (lab/share.py says how), so a reload or a
shared link comes back to the same work; the work file and the report read `work()` too.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from engine.errors import ExpressionError
from lab.analysis import Analysis, analyse
from lab.program_edit import set_variable_value
from lab.share import DEFAULT_SETTINGS, PROGRAM_PARAM, Work, clean_settings, work_from_params
from lab.share import work_to_params as _work_to_params

LESSON_PROGRAM = "x = 2\ny = 3\nz = x*y + y"

PROGRAM = "program"  # str: the last program that worked
DRAFT = "draft"  # str: what the learner last typed into the program box
ERROR = "error"  # str | None: why the last change was refused
HAND = "hand"  # dict[str, str]: hand entries
SETTINGS = "settings"  # dict[str, object]
TAKEAWAY = "takeaway"  # str
ANSWERS = "answers"  # dict[str, str]: checkpoint question id -> the learner's answer
RULES = "rules"  # dict[str, str]: operator -> the backward rule the learner wrote
PREDICTIONS = "predictions"  # dict[str, str]: prediction key -> what the learner typed
_ANALYSIS = "_analysis"  # (program, Analysis): computed once per program
_URL = "_url"  # (page, params) the address bar was last given


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
    st.session_state[ANSWERS] = {}
    st.session_state[RULES] = {}
    st.session_state[PREDICTIONS] = {}
    params = st.query_params.to_dict()
    linked, problems = work_from_params(params)
    if linked is None:
        return
    _put_back(linked)
    if PROGRAM_PARAM in params and not set_program(linked.program):
        problems.insert(0, f"the link's program could not be built: {st.session_state[ERROR]}")
    if problems:
        st.session_state[ERROR] = "; ".join(problems)


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


def answers() -> dict[str, str]:
    return st.session_state[ANSWERS]


def set_answer(question: str, answer: str) -> None:
    """Keep the learner's answer to a checkpoint question (blank removes it)."""
    _set_text(ANSWERS, question, answer)


def rules() -> dict[str, str]:
    return st.session_state[RULES]


def set_rule(op: str, text: str) -> None:
    """Keep the backward rule the learner wrote for operator `op` (blank removes it)."""
    _set_text(RULES, op, text)


def predictions() -> dict[str, str]:
    return st.session_state[PREDICTIONS]


def set_prediction(key: str, text: str) -> None:
    """Keep what the learner predicted for one edge or node of a step (blank removes it)."""
    _set_text(PREDICTIONS, key, text)


def clear_predictions() -> None:
    st.session_state[PREDICTIONS] = {}


def _set_text(field: str, key: str, text: str) -> None:
    entries = dict(st.session_state[field])
    if text and text.strip():
        entries[key] = text
    else:
        entries.pop(key, None)
    st.session_state[field] = entries


def work() -> Work:
    return Work(
        program(),
        dict(hand()),
        dict(settings()),
        takeaway(),
        dict(answers()),
        dict(rules()),
        dict(predictions()),
    )


def _put_back(saved: Work) -> None:
    """Everything of `saved` except its program (which must build first)."""
    st.session_state[HAND] = dict(saved.hand)
    st.session_state[SETTINGS] = clean_settings(saved.settings)
    st.session_state[TAKEAWAY] = saved.takeaway
    st.session_state[ANSWERS] = dict(saved.answers)
    st.session_state[RULES] = dict(saved.rules)
    st.session_state[PREDICTIONS] = dict(saved.predictions)


def load_work(saved: Work) -> bool:
    """Put a saved piece of work back. Returns False (with the error set) if its program doesn't build."""
    if not set_program(saved.program):
        return False
    _put_back(saved)
    return True


def link_params() -> dict[str, str]:
    """The query parameters that carry the learner's work (what the address bar and a shared link hold)."""
    return _work_to_params(work())


def sync_url(page: str = "") -> None:
    """Make the address bar carry the learner's work (a reload, or the address in a new browser, keeps it).

    dashboard.py calls this before the page runs and again after it (also when the page stops
    early): a change made by a widget's callback is in the state before the page runs, so it
    reaches the address bar even when the page ends with `st.stop()`. `page` names the page
    being shown: a page switch clears the address bar's query, so then every parameter is
    written again. Nothing is sent when the address bar already has these parameters.
    """
    wanted = link_params()
    if st.session_state.get(_URL) == (page, wanted):
        return
    params = st.query_params
    if st.session_state.get(_URL, (None,))[0] != page:
        params.from_dict(wanted)
    else:
        for key in (*wanted, *[k for k in params if k not in wanted]):
            if key in wanted:
                if params.get(key) != wanted[key]:
                    params[key] = wanted[key]
            else:
                del params[key]
    st.session_state[_URL] = (page, wanted)


# -- the lesson's hooks (issue 8) ----------------------------------------------------------------

_BUG_TO_SHOW = "_bug_to_show"  # str: a Mistake's value the Bug lab opens on, once (set by the lesson's checklist)


def show_bug(mistake: str) -> None:
    """Ask the Bug lab to open on this mistake the next time it runs."""
    st.session_state[_BUG_TO_SHOW] = mistake


def take_bug_to_show() -> str | None:
    """The mistake the Bug lab was asked to open on (once: it is forgotten after this call)."""
    return st.session_state.pop(_BUG_TO_SHOW, None)
