"""The one place that owns `st.session_state` for shared data.

Pages call these functions instead of inventing keys. What is kept per browser session:

- the program (the last one that worked: it is what every page shows),
- the draft the learner is typing (which may not work yet) and the error that goes with it,
- the learner's work: hand entries, settings, takeaway, checkpoint answers, own rules, predictions, and the
  code of their own `Value` class (with the report of its last run in the sandbox, kept per code text).

The address bar mirrors all of the learner's work (lab/work/share.py says how), so a reload or a
shared link comes back to the same work; the work file and the report read `work()` too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from engine.errors import ExpressionError
from lab.implement import run as implement
from lab.implement.results import Report
from lab.lesson import stations
from lab.lesson.records import Lesson
from lab.model.analysis import Analysis, analyse
from lab.model.identity import program_id
from lab.model.presets import LESSON_PROGRAM
from lab.model.program_edit import set_variable_value
from lab.views.by_hand import entries_of, with_entries
from lab.views.implement_view import kept_code
from lab.views.stepper import Watch
from lab.work.share import (
    DEFAULT_SETTINGS,
    FULL_LESSON,
    LESSON_VERSIONS,
    PROGRAM_PARAM,
    Work,
    clean_settings,
    owned_hand,
    tolerance_from,
    work_from_params,
)
from lab.work.share import work_to_params as _work_to_params

PROGRAM = "program"  # str: the last program that worked
DRAFT = "draft"  # str: what the learner last typed into the program box
ERROR = "error"  # (message, place) | None: why the last change was refused, and where it was made
HAND = "hand"  # dict[str, str]: hand entries of every program, "<program key>|<row key>" -> text
SETTINGS = "settings"  # dict[str, object]
TAKEAWAY = "takeaway"  # str
ANSWERS = "answers"  # dict[str, str]: checkpoint question id -> the learner's answer
RULES = "rules"  # dict[str, str]: operator -> the backward rule the learner wrote
PREDICTIONS = "predictions"  # dict[str, str]: prediction key -> what the learner typed
CODE = "code"  # str: the learner's Value class and backward() ("": nothing typed yet, the skeleton is shown)
LESSON = "lesson"  # str: which version of the lesson the learner walks, "full" or "rescue" (lab/work/share.py)
_RESCUE_RUNS = (
    "_rescue_runs"  # {class text: lab.implement.results.Report}: the rescue version's assembled class, run once
)
_REPORTS = "_implementation_reports"  # {(code, program): lab.implement.results.Report}: each run once per session
_LAST_RUN = "_implementation_last_run"  # (code, program): the run the Implement it page shows
MAX_REPORTS = 4  # reports kept per session (a report holds two small graphs)
_LESSON_RUNS = "_lesson_runs"  # {(lesson id, code): what that lesson's own checks gave}: each once per session
_ANALYSIS = "_analysis"  # (program, Analysis): computed once per program
_SYNCED = "_synced"  # True once dashboard.py has put the work in the address bar in this session
ROOM = "room"  # RoomLink | None: the room this browser is in as a learner, or teaches (app/room.py)

# Where a refused change was made: its message is shown there, where the learner is looking.
PAGE = "page"  # no box of its own (a link): at the top of the page
TYPED = "typed"  # the program box of Build and see: under its Build button
WIDGETS = "widgets"  # the widget builder of Build and see: under its buttons
FILE = "file"  # a loaded work file: under the file box in the sidebar


def value_place(name: str) -> str:
    """The place of the sidebar's number box of variable `name`."""
    return f"value:{name}"


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
    st.session_state[CODE] = ""
    st.session_state[LESSON] = FULL_LESSON
    params = st.query_params.to_dict()
    st.session_state[ROOM] = room_link_from_params(params)
    _link_work(params)
    if STEP_PARAM in params:  # where Watch gradients flow stood: a reload comes back to it
        watch().stepper.stand_at(str(params[STEP_PARAM]), program_id(analysis()))


STEP_PARAM = "step"  # where Watch gradients flow stands (lab.views.stepper.Stepper.where), when not at its start


def _link_work(params: dict[str, str]) -> None:
    linked, problems = work_from_params(params)
    if linked is None:
        return
    _put_back(linked)
    if PROGRAM_PARAM in params and not set_program(linked.program):
        st.session_state[DRAFT] = linked.program  # kept in the program box, to be fixed there
        problems.insert(0, f"the link's program could not be built: {error()}")
    if problems:
        set_error("; ".join(problems))


def program() -> str:
    return st.session_state[PROGRAM]


def draft() -> str:
    """What the learner last typed into the program box (the program itself when nothing else was typed)."""
    return st.session_state[DRAFT]


def has_draft() -> bool:
    """Does the program box hold typed text that is not the program (not built yet, or refused)?"""
    return draft() != program()


def set_draft(text: str) -> None:
    """Keep what the learner typed into the program box, without building it."""
    st.session_state[DRAFT] = text


def discard_draft() -> None:
    """Throw the typed text away (the learner asked to): the program box shows the program again."""
    st.session_state[DRAFT] = program()
    if error_place() == TYPED:
        clear_error()


def error() -> str | None:
    """Why the last change was refused (None when it was not)."""
    found = st.session_state.get(ERROR)
    return found[0] if found else None


def error_place() -> str | None:
    """Where the refused change was made (PAGE, TYPED, WIDGETS, FILE or a `value_place`)."""
    found = st.session_state.get(ERROR)
    return found[1] if found else None


def error_at(place: str) -> str | None:
    """The message of a change refused at `place`, if the last refused change was made there."""
    return error() if error_place() == place else None


def clear_error() -> None:
    st.session_state[ERROR] = None


def set_error(message: str, place: str = PAGE) -> None:
    st.session_state[ERROR] = (message, place)


def set_program(text: str, place: str = PAGE) -> bool:
    """Make `text` the program if it builds; otherwise keep the last good one and record why (at `place`).

    Returns True if the program was taken. Text typed into the program box (`place` TYPED) becomes
    the draft whatever happens. Any other change leaves a draft that is not built yet alone (it is the
    learner's, never thrown away without asking); without one, the program box follows the program.
    """
    follow = not has_draft()
    if place == TYPED:
        st.session_state[DRAFT] = text
    try:
        result = analyse(text)
    except ExpressionError as e:
        set_error(str(e), place)
        return False
    st.session_state[PROGRAM] = text
    st.session_state[_ANALYSIS] = (text, result)
    if follow:
        st.session_state[DRAFT] = text
    clear_error()
    _sync_now()
    return True


def set_value(name: str, value: float) -> bool:
    """Give variable `name` a new value (rewrites its line in the program); a refusal is shown at its box."""
    return set_program(set_variable_value(program(), name, value), value_place(name))


def analysis() -> Analysis:
    """The analysis of the current program (computed once per program, per session)."""
    cached = st.session_state.get(_ANALYSIS)
    if cached is not None and cached[0] == program():
        return cached[1]
    result = analyse(program())
    st.session_state[_ANALYSIS] = (program(), result)
    return result


def hand() -> dict[str, str]:
    """The hand entries of every program the learner has worked on (what the work carries)."""
    return st.session_state[HAND]


def hand_entries() -> dict[str, str]:
    """The current program's hand entries, keyed by row: another program's are not among them."""
    return entries_of(hand(), analysis())


def set_hand_entries(entries: Mapping[str, str], of: Analysis | None = None) -> None:
    """Replace the current program's hand entries (or those of program `of`: the rescue version's example), blank
    ones left out; other programs' stay as they are."""
    st.session_state[HAND] = with_entries(hand(), of or analysis(), entries)
    _sync_now()


def settings() -> dict[str, object]:
    return st.session_state[SETTINGS]


def tolerance() -> float:
    """The learner's tolerance for hand entries and predictions, as a usable number (a link may carry anything)."""
    return tolerance_from(settings().get("tolerance"))


def set_setting(name: str, value: object) -> None:
    st.session_state[SETTINGS][name] = value
    _sync_now()


def takeaway() -> str:
    return st.session_state[TAKEAWAY]


def set_takeaway(text: str) -> None:
    st.session_state[TAKEAWAY] = text
    _sync_now()


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


def _set_text(field: str, key: str, text: str) -> None:
    entries = dict(st.session_state[field])
    if text and text.strip():
        entries[key] = text
    else:
        entries.pop(key, None)
    st.session_state[field] = entries
    _sync_now()


def code() -> str:
    """The learner's own `Value` class and `backward()` as typed ("" until they change the skeleton)."""
    return st.session_state[CODE]


def set_code(text: str) -> None:
    """Keep what the learner typed in the code editor (the skeleton itself, or nothing, keeps "")."""
    st.session_state[CODE] = kept_code(text, implement.SKELETON)
    _sync_now()


def lesson() -> str:
    """Which version of the lesson the learner walks: "full" (90 min) or "rescue" (15 min)."""
    return st.session_state[LESSON]


def set_lesson(version: str) -> None:
    st.session_state[LESSON] = version if version in LESSON_VERSIONS else FULL_LESSON
    _sync_now()


def rescue_run(text: str, keep: bool = False) -> implement.Report:
    """The rescue version's assembled class (the lesson's class with the learner's blanks and backward()) run in
    the sandbox on the lesson's test: once per class text per session (a reload runs it again, lazily).

    `keep` (the Run button): when the learner has no code of their own yet, the class becomes their code, so
    Implement it starts from it."""
    runs = st.session_state.setdefault(_RESCUE_RUNS, {})
    if text not in runs:
        try:
            runs[text] = implement.run(text, "")
        except Exception as e:  # the sandbox itself failed (not the learner's code): say so, never a traceback
            runs[text] = _runner_failed(e)
        while len(runs) > MAX_REPORTS:
            runs.pop(next(iter(runs)))
    if keep and not code():
        set_code(text)
    return runs[text]


def _runner_failed(e: Exception) -> implement.Report:
    return implement.Report(
        problem=implement.Problem(f"your code could not be run: the runner failed ({e})", None, None),
        checks=(),
        output="",
        lesson_graph=None,
        program_graph=None,
        differs=frozenset(),
        program_note=None,
        seconds=0.0,
    )


def run_code(text: str, on_wait: Callable[[int], None] | None = None) -> implement.Report:
    """Keep `text` as the learner's code and run it in the sandbox now (on the current program): the Run button.

    Blocks until a runner is free and the run is over (a few seconds at most); while it waits in line,
    `on_wait(ahead)` is told how many runs are before it.
    """
    set_code(text)
    return _run(code() or implement.SKELETON, on_wait)


def _run(text: str, on_wait: Callable[[int], None] | None = None) -> Report:
    try:
        report = implement.run(text, program(), on_wait)
    except Exception as e:  # the sandbox itself failed (not the learner's code): say so, never a traceback
        report = _runner_failed(e)
    reports = st.session_state.setdefault(_REPORTS, {})
    reports.pop((text, program()), None)
    reports[(text, program())] = report
    while len(reports) > MAX_REPORTS:
        reports.pop(next(iter(reports)))
    st.session_state[_LAST_RUN] = (text, program())
    return report


def implementation_report() -> Report | None:
    """The report of the learner's current code on the current program, or None when there is no code of theirs
    (nothing typed, or the skeleton as it was).

    Each code text is run once per session, lazily: a session opened from a link (or a loaded work file)
    runs it the first time a page asks, a changed program runs it again (their graph is drawn on it).
    """
    text = code()
    if not text:
        return None
    found = st.session_state.get(_REPORTS, {}).get((text, program()))
    return found if found is not None else _run(text)


def latest_report() -> implement.Report | None:
    """The report of the learner's current code, of the current program if it ran on it, else of the last program
    it ran on: for the Lesson's progress, which a nudged value or another program must neither undo nor pay a new
    sandbox run for (Watch it flow and Implement it draw the learner's graph of this program: `implementation_report`).
    Runs the code only when it never ran in this session (a session opened from a link)."""
    text = code()
    if not text:
        return None
    reports = st.session_state.get(_REPORTS, {})
    found = reports.get((text, program()))
    if found is None:
        found = next((r for (ran, _), r in reversed(reports.items()) if ran == text), None)
    return found if found is not None else _run(text)


def lesson_runs(lesson: Lesson) -> dict[str, object]:
    """What the lesson's own checks of the learner's current code gave (`Lesson.check_code`; {} without code).

    Run once per code text and lesson per session, lazily, like implementation_report (whose report they read).
    """
    text = code()
    if not text or lesson.check_code is None:
        return {}
    runs = st.session_state.setdefault(_LESSON_RUNS, {})
    key = (lesson.id, text)
    if key not in runs:
        try:
            runs[key] = dict(lesson.check_code(text, implementation_report()))
        except Exception:  # the sandbox itself failed (not the learner's code): the stations wait, no traceback
            return {}
        while len(runs) > MAX_REPORTS:
            runs.pop(next(iter(runs)))
    return runs[key]


def lesson_runs_made(lesson: Lesson) -> dict[str, object]:
    """`lesson_runs` when they were made already in this session for the current code, else {} (never runs code)."""
    return dict(st.session_state.get(_LESSON_RUNS, {}).get((lesson.id, code()), {}))


def last_run() -> tuple[str, Report] | None:
    """The code and report of the last run (the Run button's, or a lazy one), even if the code changed since."""
    key = st.session_state.get(_LAST_RUN)
    report = st.session_state.get(_REPORTS, {}).get(key) if key else None
    return (key[0], report) if report is not None else None


def last_run_program() -> str:
    """The program the last run was made on (its graph of "your program" is drawn on it): the current one if none."""
    key = st.session_state.get(_LAST_RUN)
    return key[1] if key else program()


def forget_runs() -> None:
    """The learner threw their code away: no report of it is shown any more."""
    st.session_state.pop(_REPORTS, None)
    st.session_state.pop(_LAST_RUN, None)
    st.session_state.pop(_LESSON_RUNS, None)


def example_hidden() -> bool:
    """ "By hand first" holds the lesson example's numbers back (lab/lesson/stations.py `example_hidden`)."""
    return stations.example_hidden(hand(), settings(), analysis())


def work() -> Work:
    return Work(
        program(),
        dict(hand()),
        dict(settings()),
        takeaway(),
        dict(answers()),
        dict(rules()),
        dict(predictions()),
        code(),
        lesson(),
    )


def _put_back(saved: Work) -> None:
    """Everything of `saved` except its program (which must build first)."""
    st.session_state[HAND] = owned_hand(program(), saved.hand)  # an old link's entries: the current program's
    st.session_state[SETTINGS] = clean_settings(saved.settings)
    st.session_state[TAKEAWAY] = saved.takeaway
    st.session_state[ANSWERS] = dict(saved.answers)
    st.session_state[RULES] = dict(saved.rules)
    st.session_state[PREDICTIONS] = dict(saved.predictions)
    st.session_state[CODE] = saved.code
    st.session_state[LESSON] = saved.lesson


def load_work(saved: Work) -> bool:
    """Put a saved piece of work back. Returns False (with the error set) if its program doesn't build."""
    if not set_program(saved.program, FILE):
        return False
    _put_back(saved)
    _sync_now()
    return True


def link_params() -> dict[str, str]:
    """The query parameters of the address bar: the learner's work, the room they are in (if any), and where
    Watch gradients flow stands (a reload, or the link, comes back to that step)."""
    params = {**_work_to_params(work()), **room_link_params(room_link())}
    where = watch().stepper.where()
    if where:
        params[STEP_PARAM] = where
    return params


def sync_url() -> None:
    """Make the address bar carry the learner's work (a reload, or the address in a new browser, keeps it).

    dashboard.py calls this before the page runs and again after it (also when the page stops
    early, reruns or fails), and every change of the work below calls it at once: so the address
    bar follows a change whatever path the run then takes, a fragment's rerun included (the entry
    point does not run then). It compares with Streamlit's own copy of the address bar's query
    (`st.query_params`, which a page switch empties), so nothing is sent when the address bar
    already has these parameters.
    """
    wanted = link_params()
    params = st.query_params
    if params.to_dict() != wanted:
        params.from_dict(wanted)  # one message to the browser
    st.session_state[_SYNCED] = True


def _sync_now() -> None:
    """After a change of the work: put it in the address bar now (once the entry point has done so: not
    while `init()` reads the link), and tell the watchers (a change made in a fragment's rerun reaches
    no code after the page in dashboard.py)."""
    if st.session_state.get(_SYNCED):
        sync_url()
        for watcher in _WORK_WATCHERS.values():
            watcher()


_WORK_WATCHERS: dict[str, Callable[[], None]] = {}  # name -> function: the same functions for every session


def watch_work(name: str, watcher: Callable[[], None]) -> None:
    """Call `watcher()` after every change of the work (the room sends progress so: app/room.py)."""
    _WORK_WATCHERS[name] = watcher


def link_address(base_url: str | None, host: str | None, page: str, params: Mapping[str, str]) -> str:
    """A whole address that opens `page` with this work: the server's own address when it is known.

    `base_url` is what the browser reached the app at (`st.context.url`: scheme, host, port and the
    page's path, no query), else `host` (the request's Host header) is used with http; with
    neither (a test without a browser) the address is relative.
    """
    query = urlencode(dict(params))
    if base_url:
        parts = urlsplit(base_url)
        path = parts.path if parts.path not in ("", "/") else "/"
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    path = "/" + page.strip("/") if page.strip("/") else "/"
    if host:
        return f"http://{host}{path}?{query}"
    return f"{path}?{query}"


def share_link(page: str = "") -> str:
    """The whole address of the current page carrying the learner's work (not their room: it is theirs alone)."""
    # both are None without a browser (AppTest): then the address is relative
    # the work only: the room's learner token or instructor key stays in this browser's own address bar
    return link_address(st.context.url, st.context.headers.get("host"), page, _work_to_params(work()))


# -- what a page keeps between runs that is not the learner's work -----------------------------------

_VIEW = "_view"  # dict[str, object]: what each page shows (a view, not work: not in the link)


def view(name: str, default: object = None) -> object:
    """What a page showed last under `name` (the Lesson's open station), or `default`."""
    return st.session_state.get(_VIEW, {}).get(name, default)


def set_view(name: str, value: object) -> None:
    st.session_state.setdefault(_VIEW, {})[name] = value


_WATCH = "_watch"  # lab.views.stepper.Watch: where "Watch gradients flow" stands, kept across page switches


def watch() -> Watch:
    """Where "Watch gradients flow" stands for this session: its step, pass, drafts and rules switch."""
    return st.session_state.setdefault(_WATCH, Watch())


# -- what the lesson asks of other pages: the Bug lab opens on the mistake the checklist named ------

_BUG_TO_SHOW = "_bug_to_show"  # str: a Mistake's value the Bug lab opens on, once (set by the lesson's checklist)


def show_bug(mistake: str) -> None:
    """Ask the Bug lab to open on this mistake the next time it runs."""
    st.session_state[_BUG_TO_SHOW] = mistake


def take_bug_to_show() -> str | None:
    """The mistake the Bug lab was asked to open on (once: it is forgotten after this call)."""
    return st.session_state.pop(_BUG_TO_SHOW, None)


# -- the instructor's room: this browser's place in it, kept in the address bar ------------------

ROOM_PARAM, LEARNER_PARAM, KEY_PARAM = "room", "me", "key"  # in the address bar: a reload rejoins


@dataclass(frozen=True)
class RoomLink:
    """This browser's place in a room: a learner (their token) or the instructor (the room's key)."""

    code: str
    token: str = ""  # the learner's random token: a reload or a new tab with this link is the same learner
    key: str = ""  # the instructor's secret key

    @property
    def teaching(self) -> bool:
        return bool(self.key)


def room_link_from_params(params: Mapping[str, str]) -> RoomLink | None:
    code, token, key = (str(params.get(p, ""))[:64] for p in (ROOM_PARAM, LEARNER_PARAM, KEY_PARAM))
    if not code or not (token or key):
        return None
    return RoomLink(code, token="" if key else token, key=key)


def room_link_params(link: RoomLink | None) -> dict[str, str]:
    if link is None:
        return {}
    return {ROOM_PARAM: link.code, **({KEY_PARAM: link.key} if link.key else {LEARNER_PARAM: link.token})}


def room_link() -> RoomLink | None:
    return st.session_state.get(ROOM)


def set_room_link(link: RoomLink | None) -> None:
    """Join (a learner's token), teach (the key), or leave (None); the address bar follows."""
    st.session_state[ROOM] = link
    _sync_now()


_ROOM_SESSION = "_room_session"  # dict: app/room.py's per-session memo (what was sent, the last message)


def room_session() -> dict:
    """app/room.py's memo for this session (a new session, after a reload, starts it again)."""
    return st.session_state.setdefault(_ROOM_SESSION, {})
