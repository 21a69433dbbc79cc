"""The rescue version's stations on the Lesson page: the function that draws each, found by its record's key.

The records (titles, time boxes, how each is done) are lab/lesson/rescue.py's `RESCUE`; what each station
computes is there and in lab/views/parsons.py; app_pages/lesson.py draws the row of stations, the open one's
heading and its time box, and calls the view here. Everything the learner makes goes to app/state.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from app import state, ui
from lab.implement.run import Report
from lab.lesson import questions, rescue, takeaway
from lab.lesson.records import Station
from lab.model.analysis import Analysis, format_number
from lab.model.diagram import Highlight, computed_nodes
from lab.model.text import markdown_safe as md
from lab.report import sections as report
from lab.views import by_hand, parsons
from lab.work.share import FULL_LESSON, Work

MOVES = {parsons.UP: "up", parsons.DOWN: "down", parsons.IN: "one step right", parsons.OUT: "one step left"}
TIMER = ":material/timer:"  # a station's time box (an icon of the page's own font: no emoji font is needed)
ICONS = {"success": ":material/check_circle:", "error": ":material/lightbulb:", "warning": ":material/help:"}
HAND_LABELS = {by_hand.VALUE_KEY: "z =", by_hand.grad_key("x"): "dz/dx =", by_hand.grad_key("y"): "dz/dy ="}


# -- callbacks -----------------------------------------------------------------------------------


def save_graph_answer() -> None:
    value = st.session_state.get("rescue:q:graph")
    state.set_answer(questions.GRAPH.id, "" if value is None else str(value))


def save_blank(blank_id: str) -> None:
    state.set_answer(blank_id, st.session_state.get(f"rescue:blank:{blank_id}") or "")


def move_line(index: int, how: str) -> None:
    arranged, _ = rescue.arrangement(state.answers())
    state.set_answer(rescue.PUZZLE, parsons.to_text(parsons.move(arranged, index, how)))


def save_hand() -> None:
    entries = {key: st.session_state.get(f"rescue:hand:{key}") or "" for key in rescue.HAND_ROWS}
    state.set_hand_entries(entries, rescue.example())


def run_class(text: str) -> None:
    state.set_answer(rescue.RAN, rescue.RAN_YES)
    state.rescue_run(text, keep=True)


def save_sentence() -> None:
    state.set_takeaway(st.session_state.get("rescue:takeaway") or "")


def go_full() -> None:
    state.set_lesson(FULL_LESSON)


# -- the stations ---------------------------------------------------------------------------------


def graph_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    held = Highlight(hide_grads=not reveal, unknown_data=() if reveal else computed_nodes(a))
    ui.diagram(a, held, key="rescue_diagram")
    q = station.question or questions.GRAPH
    kept = work.answers.get(q.id)
    ui.kept("rescue:q:graph", kept if kept in q.keys else None)
    st.radio(
        md(q.prompt(a)),
        q.keys,
        format_func=lambda option: md(questions.option_text(q, a, option)),
        index=None,
        key="rescue:q:graph",
        on_change=save_graph_answer,
    )
    result = questions.feedback(q, a, kept)
    if result.answered:
        text = md(result.verdict)
        if result.right:
            text += "  \n" + md(
                f"{a.names[a.output]} was computed from a and y: the arrows go into it. "
                "Each computed node keeps the nodes it was made from in `_prev`, and how (`_op`)."
            )
        ui.say(result.level, text, icon=ICONS[result.level])


def rules_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    columns = st.columns(2, gap="medium")
    for op, column in zip(("+", "*"), columns, strict=True):
        blanks = [b for b in rescue.BLANKS if b.op == op]
        with column:
            filled = rescue.blanks_right(work.answers, op)
            st.code(
                rescue.method_text(op, {b.id: work.answers[b.id] for b in blanks} if filled else None),
                language="python",
                wrap_lines=True,
            )
            for b in blanks:
                key = f"rescue:blank:{b.id}"
                ui.kept(key, work.answers.get(b.id, ""))
                st.text_input(
                    f"`{b.method}`: `{b.target}.grad += ___`",
                    key=key,
                    on_change=save_blank,
                    args=(b.id,),
                    placeholder="a formula in self.data, other.data, out.grad",
                )
                result = rescue.blank_feedback(b, work.answers.get(b.id), reveal)
                if result.answered:
                    ui.say(result.level, md(result.message), icon=ICONS[result.level])


def backward_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    arranged, problem = rescue.arrangement(work.answers)
    if problem:
        ui.say("warning", md(problem[0].upper() + problem[1:] + "."))
    verdict = rescue.puzzle_verdict(work.answers, reveal)
    marked = verdict.line if verdict is not None and not verdict.right else None
    with st.container(border=True, key="rescue_puzzle"):
        st.markdown(f"`{parsons.HEADER}` (given)")
        for i, placed in enumerate(arranged):
            number = i + 2
            row = st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"rescue_row_{placed.id}")
            with row:
                for how, label, disabled in (
                    (parsons.UP, "↑", i == 0),
                    (parsons.DOWN, "↓", i == len(arranged) - 1),
                    (parsons.OUT, "⇤", placed.level == 1),
                    (parsons.IN, "⇥", placed.level == parsons.MAX_LEVEL),
                ):
                    st.button(
                        label,
                        key=f"rescue_move_{placed.id}_{how}",  # the line's own buttons: they move with it
                        on_click=move_line,
                        args=(i, how),
                        disabled=disabled,
                        help=f"Move `{placed.text}` {MOVES[how]}",
                    )
                pad = "\u00a0" * (4 * placed.level)
                mark = " ⬅" if number == marked else ""
                st.markdown(f"`{number:>2}` `{pad}{placed.text}`{mark}")
    if verdict is None:
        st.caption("Move the lines with the arrows: ↑ ↓ to reorder, ⇤ ⇥ to indent. Each move is checked at once.")
    else:
        level = "success" if verdict.right else "error"
        ui.say(level, md(verdict.message), icon=ICONS[level])


def by_hand_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    entries = by_hand.entries_of(work.hand, a)
    cells = st.columns(3)
    for key, cell in zip(rescue.HAND_ROWS, cells, strict=True):
        widget = f"rescue:hand:{key}"
        ui.kept(widget, entries.get(key, ""))
        cell.text_input(HAND_LABELS[key], key=widget, on_change=save_hand, placeholder="a number or a formula")
    check = rescue.hand_check(work.hand)
    rows = rescue.hand_rows(check)
    if not rescue.hand_entered(work.hand):
        st.caption("By hand first: the checks wait until all three are entered.")
    else:
        for c in rows:
            if c.status == by_hand.PASS:
                ui.say("success", md(f"{c.row.label}: `{c.entry}` matches."), icon=ICONS["success"])
            else:
                ui.say("error", md(f"{c.row.label}: `{c.entry}`: {c.message}"), icon=ICONS["error"])
                if c.explanation:
                    st.code(c.explanation, language=None, wrap_lines=True)
    st.markdown("**Then run the class you assembled** (the lesson's class with your blanks and your `backward()`):")
    text = rescue.assembled(work.answers)
    if text is None:
        missing = []
        if not rescue.blanks_right(work.answers):
            missing.append(f"the blanks (station {rescue.RESCUE.number('rescue_rules')})")
        verdict = rescue.puzzle_verdict(work.answers)
        if verdict is None or not verdict.right:
            missing.append(f"the puzzle (station {rescue.RESCUE.number('rescue_backward')})")
        st.caption(f"It is assembled once {' and '.join(missing)} {'are' if len(missing) > 1 else 'is'} right.")
        return
    with st.expander("The class you assembled"):
        st.code(text, language="python")
    if not rescue.hand_entered(work.hand):
        st.caption("By hand first: enter z, dz/dx and dz/dy above, then run it.")
        return
    st.button(
        "Run it in the sandbox on the lesson's test",
        key="rescue:run",
        on_click=run_class,
        args=(text,),
        icon=":material/play_arrow:",
        type="primary" if work.answers.get(rescue.RAN) != rescue.RAN_YES else "secondary",
    )
    ran = run_report(work)
    if ran is None:
        return
    passed, message = rescue.lesson_test(ran)
    ui.say("success" if passed else "error", md(f"The lesson's test: {message}."))
    theirs = rescue.class_numbers(ran)
    if theirs:
        st.markdown(md("Your class: " + ", ".join(f"{name} = {format_number(value)}" for name, value in theirs)))
    if state.code() == text:
        st.caption("Implement it starts from this class: it is your code there now.")
    elif state.code():
        st.caption("Your own code on Implement it is kept as it is; this run used the assembled class.")


def takeaway_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    ui.kept("rescue:takeaway", work.takeaway)
    st.text_area(
        "Your sentence: what is backpropagation, now that you have done it?",
        key="rescue:takeaway",
        on_change=save_sentence,
        height=90,
        placeholder="Backpropagation is …",
    )
    count = takeaway.count_sentences(work.takeaway)
    if count:
        ui.say(
            "success",
            "Kept. The full lesson asks for 3 to 5 sentences and starts from this one.",
            icon=ICONS["success"],
        )
    current, today, implemented = state.analysis(), dt.date.today(), state.implementation_report()
    ran = run_report(work)
    html_col, md_col, full_col = st.columns([1, 1, 2])
    with html_col:
        ui.download(
            "Report (HTML)",
            lambda: report.report_html(work, current, today, implemented=implemented, rescued=ran),
            "backprop-lab-report.html",
            "text/html",
            key="rescue:report_html",
        )
    with md_col:
        ui.download(
            "Report (Markdown)",
            lambda: report.report_markdown(work, current, today, implemented, rescued=ran),
            "backprop-lab-report.md",
            "text/markdown",
            key="rescue:report_md",
        )
    with full_col:
        st.button(
            "Go on with the full lesson (what you did here counts)",
            key="rescue:go_full",
            on_click=go_full,
            icon=":material/arrow_forward:",
        )


VIEWS: dict[str, Callable[[Station, Analysis, Work, bool], None]] = {
    "rescue_graph": graph_station,
    "rescue_rules": rules_station,
    "rescue_backward": backward_station,
    "rescue_run": by_hand_station,
    "rescue_sentence": takeaway_station,
}


def run_report(work: Work) -> Report | None:
    """The run of the assembled class, once the learner has asked for one (run again lazily after a reload)."""
    text = rescue.assembled(work.answers)
    if text is None or work.answers.get(rescue.RAN) != rescue.RAN_YES:
        return None
    return state.rescue_run(text)


def numbers_shown(work: Work) -> bool:
    """May the example's numbers be shown? By hand first: once z, dz/dx and dz/dy are entered (or the learner has
    switched "by hand first" off)."""
    return rescue.hand_entered(work.hand) or not work.settings.get("hand_first", True)
