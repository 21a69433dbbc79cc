"""The lesson: its 90 minutes as stations, or the rescue version's 15, each marked done from the work.

Each station is a record (lab/lesson/stations.py; the rescue version's in lab/lesson/rescue.py); the
function that draws it is here, found by the station's key (`@view("graph")`; the rescue version's in
app/rescue.py). Which version the learner walks is their choice at the top, kept with their work.
"""

import datetime as dt
from collections.abc import Callable

import streamlit as st

from app import rescue as rescue_views
from app import state, ui
from lab.lesson import checklist, questions, rescue, takeaway
from lab.lesson import stations as lesson
from lab.model.analysis import Analysis
from lab.model.diagram import Highlight, computed_nodes
from lab.model.source import backward_source
from lab.model.text import markdown_safe as md
from lab.report import sections as report
from lab.views import by_hand, implement_view, sheet
from lab.work.share import FULL_LESSON, RESCUE_LESSON, Work

VERSION = "lesson:version"  # the choice of the full lesson or the rescue version (kept in the work)
STATION = "lesson:station"  # which station is open (a view, not work: a fresh visit opens the first not done)
TAKEAWAY_BOX = "lesson:takeaway"
LESSON2_PAGE = "app_pages/lesson2.py"  # the next lesson, on its own page


# -- callbacks: everything the learner makes goes to app/state.py -----------------------------------


def save_takeaway() -> None:
    state.set_takeaway(st.session_state.get(TAKEAWAY_BOX) or "")


def save_tick(item_id: str) -> None:
    ticked = bool(st.session_state.get(f"lesson:tick:{item_id}"))
    state.set_answer(checklist.tick_key(item_id), checklist.TICKED if ticked else "")


def load_example() -> None:
    state.set_program(lesson.LESSON_PROGRAM)


def open_station(index: int) -> None:
    state.set_view(open_at(), index)


def open_at() -> str:
    """Where the open station of the version the learner walks is kept (each version keeps its own)."""
    return f"{STATION}:{state.lesson()}"


def on_station() -> None:
    """A click on the row of stations. None (the open one clicked again, or the row redrawn) keeps it open."""
    index = st.session_state.get(STATION)
    if index is not None:
        state.set_view(open_at(), index)


def choose_version() -> None:
    state.set_lesson(st.session_state.get(VERSION) or FULL_LESSON)


def show_in_bug_lab(mistake: str, program: str) -> None:
    if program != state.program():
        state.set_program(program)
    state.show_bug(mistake)


# -- pieces -------------------------------------------------------------------------------------


def example_note(station: lesson.Station, current_is_example: bool) -> None:
    if station.needs_example and not current_is_example:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.info(
            "This station is about the lesson's example, z = x\\*y + y, and your program is another one. "
            "Load the example to see it on every page (your hand entries, answers and takeaway are kept).",
            icon=":material/info:",
        )
        right.button("Load the lesson's example", key=f"lesson:load:{station.key}", on_click=load_example)


def go_to(station: lesson.Station) -> None:
    if not station.page:
        return
    if station.page == lesson.FLOW_PAGE:  # the lesson's order: predict each step first, then see it
        if st.button(
            f"Go to “{station.page_label}”, predicting each step first",
            key=f"lesson:go:{station.key}",
            on_click=state.set_setting,
            args=("predict", True),
            icon=":material/arrow_forward:",
        ):
            st.switch_page(station.page)
        return
    st.page_link(station.page, label=f"Go to “{station.page_label}”", icon=":material/arrow_forward:")


def sheet_link() -> None:
    """The derivation on one page (by hand first, its numbers wait for the learner's own)."""
    st.page_link(sheet.PAGE, label="The derivation on one page: to print, or keep open", icon=":material/description:")


def ask(q: questions.Question, a, reveal: bool = True) -> questions.Feedback:
    """A question with its widget and its feedback (ui.ask); its explanation waits for the example by hand."""
    waiting = (
        "The explanation with the example's numbers waits until you have done the example by hand "
        f"(station {lesson.LESSON.number('by_hand')})."
    )
    return ui.ask(q, a, reveal, waiting)


def next_button(index: int, stations: tuple[lesson.Station, ...]) -> None:
    if index + 1 < len(stations):
        st.button(
            f"Next station: {stations[index + 1].title.replace('`', '')}",
            key=f"lesson:next:{index}",
            on_click=open_station,
            args=(index + 1,),
            icon=":material/arrow_forward:",
        )


def bug_checklist(current, open_by_default: bool) -> None:
    with st.expander("A common bug checklist: when your gradients don't match", expanded=open_by_default):
        ticks = checklist.ticked(state.answers())
        for item in checklist.ITEMS:
            key = f"lesson:tick:{item.id}"
            ui.kept(key, item.id in ticks)
            box, where = st.columns([3, 2], vertical_alignment="top")
            with box:
                st.checkbox(md(item.title), key=key, on_change=save_tick, args=(item.id,))
                st.caption(md(item.shows))
            with where:
                if item.switch is not None:
                    shows_at = checklist.where_it_shows(item.switch, current, state.program())
                    if shows_at is not None:
                        label = "Open it in the Bug lab" + ("" if shows_at.is_current else f" with “{shows_at.title}”")
                        if st.button(
                            label,
                            key=f"lesson:bug:{item.id}",
                            on_click=show_in_bug_lab,
                            args=(item.switch.value, shows_at.program),
                            icon=":material/bug_report:",
                        ):
                            st.switch_page(lesson.BUGS_PAGE)
                        st.caption(md(f"There: {shows_at.wrong}."))
                elif item.own_rules:
                    st.page_link(lesson.OWN_RULES_PAGE, label="Make this slip in “Write the rules yourself”")
                else:
                    st.caption("Try a long chain on “Build and see”: this engine's `backward()` never recurses.")


# -- the stations: one function each, found by the station's key ---------------------------------

VIEWS: dict[str, Callable[[lesson.Station, Analysis, Work, bool], None]] = {}


def view(key: str) -> Callable:
    """The function that draws the station `key` (its record is in lab/lesson/stations.py)."""

    def register(draw: Callable[[lesson.Station, Analysis, Work, bool], None]) -> Callable:
        VIEWS[key] = draw
        return draw

    return register


VIEWS.update(rescue_views.VIEWS)  # the rescue version's stations, drawn by app/rescue.py


@view("graph")
def graph_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    # by hand first: what the engine computed (z = 9, and a on the way) is By hand's to find, as the sidebar says
    computed = [] if reveal else computed_nodes(a)
    ui.diagram(a, Highlight(hide_grads=not reveal, unknown_data=computed), key="lesson_diagram")
    fields = lesson.node_fields(a, rules_known=questions.is_right("station:rules", a, work.answers))
    answered = questions.is_right("station:graph", a, work.answers)
    shown = fields if answered else fields.drop(columns=["_prev"])
    if not reveal:
        shown = shown.assign(grad="?")
        shown.loc[computed, "data"] = "?"
    ui.plain_table(shown, numbers=("data", "grad"), key="lesson_fields")  # plain text, as the lesson reads
    if not answered:
        st.caption("`_prev` appears here once you have read it from the diagram: the arrows go into each node.")
    ask(station.question, a)


@view("rules")
def rules_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    plus, times = st.columns(2, gap="medium")
    with plus:
        st.markdown("**`+`** (the engine's own code)")
        st.code(backward_source("+"), language="python")
    with times:
        st.markdown("**`*`**")
        if questions.is_right("station:rules", a, work.answers):
            st.code(backward_source("*"), language="python")
        else:
            st.code("self, other = out._prev\nself.grad += ____ * out.grad\nother.grad += ____ * out.grad")
    ask(station.question, a, reveal)
    if questions.is_right("station:rules", a, work.answers):  # the sheet writes the * rule out
        sheet_link()
    go_to(station)


@view("implement")
def implement_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    report = state.latest_report()
    if report is not None:
        passed, total = implement_view.passed_count(report)
        if report.problem is not None:
            ui.say("error", f"**Your code stops.** {md(implement_view.problem_text(report.problem))}", icon="⚠️")
        elif implement_view.every_check_passes(report):
            ui.say("success", f"All {total} checks pass with your own `Value`.", icon="🏅")
        else:
            program_is_example = lesson.is_example(state.analysis())
            held = implement_view.held_checks(state.example_hidden(), program_is_example)
            first = implement_view.check_text(report.first_failing, held)
            ui.say("error", f"{passed} of {total} checks pass. First to fix: {md(first)}")
    warm_up, page = st.columns(2)
    with warm_up:
        st.page_link(lesson.OWN_RULES_PAGE, label="Warm up: “Write the rules yourself”", icon=":material/edit:")
    with page:
        go_to(station)


@view("backward")
def backward_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    st.markdown(
        md(
            f"Topological order (each node after its inputs): {', '.join(reversed(lesson.reverse_order(a)))}. "
            f"`backward()` seeds {a.names[a.output]}.grad = 1, then walks it in reverse."
        )
    )
    ask(station.question, a, reveal)
    go_to(station)


@view("by_hand")
def by_hand_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    check = lesson.hand_check(work, a)
    lines = []
    for c in (c for c in check.checks if c.row.required):
        entry = f"`{c.entry}`" if c.entry else "not entered yet"
        verdict = "" if not c.entry else (" ✔" if c.status == by_hand.PASS else " ✘")
        lines.append(f"- {md(c.row.label)}: {entry}{verdict if reveal else ''}")
    st.markdown("\n".join(lines))
    sheet_link()
    go_to(station)


@view("trace")
def trace_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    check = lesson.hand_check(work, a)
    if not reveal:
        where = lesson.LESSON.number("by_hand")
        st.info(f"By hand first: enter your gradients at station {where}, then come back to compare.", icon="✍️")
    else:
        ui.say(check.verdict_kind if check.verdict_kind in ("success", "error") else "info", md(check.verdict))
        if check.entered:
            table = by_hand.comparison_table(check, entered_only=True)
            st.dataframe(
                table.drop(columns=[by_hand.DIFFERENCE]),
                hide_index=True,
                width="stretch",
                column_config={by_hand.RESULT: st.column_config.TextColumn(width=by_hand.RESULT_COLUMN_PX)},
            )
        for c in check.failing:
            st.markdown(f"**{md(c.row.label)}**, one edge at a time:")
            st.code(c.explanation, language=None, wrap_lines=True)
    ask(station.question, a, reveal)
    go_to(station)
    bug_checklist(state.analysis(), open_by_default=bool(check.failing))


@view("explain")
def explain_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    right, _answered = questions.checkpoint_score(a, work.answers)
    st.caption(f"{right} of {len(questions.CHECKPOINTS)} right so far.")
    for number, q in enumerate(questions.CHECKPOINTS, start=1):
        with st.container(border=True):
            st.markdown(f"**Question {number}**")
            ask(q, a, reveal)


@view("takeaway")
def takeaway_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    ui.kept(TAKEAWAY_BOX, work.takeaway)
    st.text_area(
        f"Your takeaway: {' · '.join(takeaway.PROMPTS)}",
        key=TAKEAWAY_BOX,
        on_change=save_takeaway,
        height=140,
        placeholder="What surprised me was … It felt simpler than I expected that … What still feels fuzzy is …",
    )
    ui.say(*takeaway.message(work.takeaway))
    st.markdown(
        "**Your report**: the program, its table and diagram, your hand check, the stations, your answers, "
        "predictions and own rules, and this takeaway."
    )
    current, today = state.analysis(), dt.date.today()
    implemented = state.implementation_report()  # here: the download makes the file on another thread
    html_col, md_col, _ = st.columns([1, 1, 2])
    with html_col:
        ui.download(
            "Report (HTML)",
            lambda: report.report_html(work, current, today, implemented=implemented),
            "backprop-lab-report.html",
            "text/html",
            key="lesson:report_html",
        )
    with md_col:
        ui.download(
            "Report (Markdown)",
            lambda: report.report_markdown(work, current, today, implemented),
            "backprop-lab-report.md",
            "text/markdown",
            key="lesson:report_md",
        )


@view("next")
def next_station(station: lesson.Station, a: Analysis, work: Work, reveal: bool) -> None:
    result = questions.next_feedback(work.answers.get(questions.NEXT.id))
    if not result.answered:
        st.caption("The question waits on the next lesson's page.")
    go_to(station)
    st.page_link(LESSON2_PAGE, label="Then walk lesson 2 itself: when gradients die", icon=":material/school:")


# -- the page -----------------------------------------------------------------------------------


version = state.lesson()
walked = lesson.LESSONS[version]
current = state.analysis()
work = state.work()
if version == RESCUE_LESSON:  # always the example at x = 2, y = 3; its class's run is its "implemented"
    a = rescue.example()
    steps = rescue.progress(work, rescue_views.run_report(work))
    reveal = rescue_views.numbers_shown(work)
else:
    a = walked.example_analysis(current)
    steps = walked.progress(work, current, state.latest_report())  # a nudged value runs no sandbox again
    reveal = not by_hand.engine_hidden(a, state.hand(), state.settings())
is_example = lesson.is_example(current)
done = sum(p.done for p in steps)

title_column, choice_column = st.columns([3, 2], vertical_alignment="bottom")
title_column.title("The lesson")
ui.kept(VERSION, version)
choice_column.segmented_control(
    "Which lesson",
    list(rescue.VERSIONS),
    format_func=rescue.VERSIONS.get,
    key=VERSION,
    on_change=choose_version,
    required=True,
    help="The rescue version is the lesson in 15 minutes, for when you are short on time. It is the same work: "
    "going on with the full lesson keeps it, and counts what matches.",
)
minutes = f" · about {rescue.TOTAL_MINUTES} min" if version == RESCUE_LESSON else ""
st.progress(done / len(steps), text=f"{done} of {len(steps)} stations done{minutes}")
st.caption(
    "Goal: understand backprop by implementing it for scalar expressions and watching gradients flow. "
    "Walk the stations in order: each is marked done from what you do, and your progress travels with your work "
    "(the link and the work file)."
)
st.page_link(LESSON2_PAGE, label="Lesson 2: when gradients die, and the leap to training", icon=":material/school:")

if STATION not in st.session_state or state.view(open_at()) is None:  # a fresh visit, back from another page,
    open_station(lesson.first_not_done(steps))  # or the other version chosen: the first station not done
index = min(int(state.view(open_at(), 0)), len(steps) - 1)  # the open station stays open while its work gets done
ui.kept(STATION, index)
st.segmented_control(
    "Station",
    list(range(len(steps))),
    format_func=lambda i: (
        f"{'✔' if steps[i].done else steps[i].station.number} {steps[i].station.short}"
        + (f" · {steps[i].station.minutes}′" if steps[i].station.minutes else "")
    ),
    key=STATION,
    on_change=on_station,
    label_visibility="collapsed",
)
station, status = steps[index].station, steps[index]

with st.container(border=True):
    mark = "✔ done" if status.done else "not done yet"
    box = f" · {rescue_views.TIMER} about {station.minutes} min" if station.minutes else ""  # its time box
    st.subheader(f"{station.number}. {station.title}")
    st.caption(f"{mark}{box} · {md(status.status)}")
    st.markdown(md(station.todo))
    example_note(station, is_example)

    VIEWS[station.key](station, a, work, reveal)
    next_button(index, walked.stations)

# drawn only when opened: a line of Markdown per station that the browser would otherwise draw, hidden
all_stations = st.expander("All stations", key="lesson:all_stations", on_change="rerun")
if all_stations.open:
    with all_stations:
        for p in steps:
            st.markdown(f"{'✔' if p.done else '○'} **{p.station.number}. {md(p.station.title)}**: {md(p.status)}")
