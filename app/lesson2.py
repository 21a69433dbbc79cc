"""Lesson 2 on the Lesson page and on Implement it: one function per station, looked up by the station's key.

What each station computes is in lab/lesson/lesson2.py (the records), lab/implement/lesson2.py (the checks of
the learner's code) and lab/model/training.py (the engine's training loop); this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from app import state, ui
from lab.implement import lesson2 as checks
from lab.lesson import lesson2, questions, takeaway
from lab.lesson.records import Station
from lab.model import training
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.text import markdown_safe as md
from lab.report import sections
from lab.views import by_hand
from lab.work.share import Work

TAKEAWAY_BOX = "lesson2:takeaway_box"
ACTIVE = "lesson2:active"  # a view: the learner has opened lesson 2 in this session (Implement it shows its checks)
STATUS_ICONS = {checks.PASS: "✔", checks.FAIL: "✘", checks.WAIT: "…"}
n = format_number


def report() -> checks.Lesson2Report | None:
    found = state.lesson_runs(lesson2.LESSON).get("lesson2")
    return found if isinstance(found, checks.Lesson2Report) else None


def add_skeleton() -> None:
    state.set_code(checks.with_skeleton(state.code() or ""))


def open_program(program: str, page: str) -> None:
    state.set_program(program)
    st.switch_page(page)


def save_takeaway() -> None:
    state.set_answer(lesson2.TAKEAWAY, st.session_state.get(TAKEAWAY_BOX) or "")


# -- pieces, shared by the Lesson page and Implement it -------------------------------------------


def skeleton_button() -> None:
    """Lesson 2's parts, added inside the learner's own class (only what is not there yet)."""
    code = state.code()
    if not code:
        st.info("Lesson 2 builds on your class from lesson 1: write it on Implement it first.", icon="ℹ️")
        return
    if checks.with_skeleton(code) != code:
        st.button(
            "Add lesson 2's parts to my code (tanh, relu, train)",
            key="lesson2:add_skeleton",
            on_click=add_skeleton,
            icon=":material/add:",
            help="Adds the methods' outline at the end of your class Value and an outline of train() at the end: "
            "nothing of yours is changed.",
        )


def check_lines(found: checks.Lesson2Report, keys: tuple[str, ...] | None = None) -> None:
    """Lesson 2's checks, one line each, the first failing one first and open."""
    if found.problem:
        ui.say("error", f"**Your code stops.** {md(found.problem)}")
        return
    shown = [c for c in found.checks if keys is None or c.key.split(":")[0] in keys]
    first = next((c for c in shown if c.status == checks.FAIL), None)
    if first is not None:
        at = f" (line {first.line})" if first.line else ""
        ui.say("error", f"**Fix this first**{at}: {md(first.title)}. {md(first.message)}")
    elif shown:
        what = "The check" if len(shown) == 1 else f"All {len(shown)} checks"
        ui.say("success", f"{what} of lesson 2 {'passes' if len(shown) == 1 else 'pass'} with your own `Value`.")
    for c in shown:
        if c is first:
            continue
        at = f" (line {c.line})" if c.line else ""
        st.markdown(f"{STATUS_ICONS[c.status]} {md(c.title)}{at}: {md(c.message)}")


def loss_chart(series: dict[str, list[float]], key: str, log: bool = False) -> None:
    """Loss against step, one line per series (a log scale for a loss that blows up)."""
    rows = [
        {"step": step, "run": name, "loss": loss}
        for name, losses in series.items()
        for step, loss in enumerate(losses)
        if loss is not None and loss > 0
    ]
    if not rows:
        return
    import altair as alt  # Streamlit's own chart library (a dependency of streamlit)

    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=len(rows) < 80)
        .encode(
            x=alt.X("step:Q", title="step"),
            y=alt.Y("loss:Q", title="loss" + (" (log scale)" if log else ""), scale=scale),
            color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom")),
        )
    )
    st.altair_chart(chart, width="stretch", height=240, key=key)


# -- the stations ---------------------------------------------------------------------------------


def nonlin_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    found = report()
    if found is not None:
        check_lines(found, ("tanh", "relu"))
    skeleton_button()
    st.page_link(lesson2.IMPLEMENT_PAGE, label="Go to “Implement it”", icon=":material/arrow_forward:")


def slope_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    ui.ask(lesson2.SLOPE, analyse(lesson2.NEURON))


def neuron_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    neuron = analyse(lesson2.NEURON)
    hidden = by_hand.engine_hidden(neuron, work.hand, work.settings)
    check = by_hand.check(neuron, work.hand, work.tolerance)
    lines = []
    for c in (c for c in check.checks if c.row.required):
        entry = f"`{c.entry}`" if c.entry else "not entered yet"
        verdict = "" if not c.entry or hidden else (" ✔" if c.status == by_hand.PASS else " ✘")
        lines.append(f"- {md(c.row.label)}: {entry}{verdict}")
    st.markdown("\n".join(lines))
    if not lesson2.LESSON.is_example(state.analysis()):
        st.button(
            "Open the neuron on “By hand”",
            key="lesson2:open_neuron",
            on_click=state.set_program,
            args=(lesson2.NEURON,),
            icon=":material/arrow_forward:",
            help="Makes the neuron your program (your other hand entries are kept with their programs).",
        )
    else:
        st.page_link(lesson2.BY_HAND_PAGE, label="Go to “By hand”", icon=":material/arrow_forward:")


def dies_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    relu, tanh = analyse(training.DYING["relu"]), analyse(training.DYING["tanh"])
    with st.container(border=True):
        ui.ask(lesson2.DEAD, relu)
    with st.container(border=True):
        ui.ask(lesson2.SATURATED, tanh)
    answered = all(questions.feedback(q, None, work.answers.get(q.id)).right for q in (lesson2.DEAD, lesson2.SATURATED))
    found = report()
    if answered and found is not None and found.passed("tanh:rule") and found.passed("relu:rule"):
        relu_w, tanh_w = found.dying.get("relu", {}).get("w"), found.dying.get("tanh", {}).get("w")
        st.markdown(
            md(
                f"**With your own `Value`**: the dead ReLU's w.grad = {n(relu_w)}, the saturated tanh's "
                f"w.grad = {n(tanh_w)}: your `backward()` stops the gradient at the nonlinearity, as the engine's does."
            )
        )
    elif answered:
        st.caption(
            "Once your tanh() and relu() pass their checks, the same neurons are built with your own class here."
        )
    flow_relu, flow_tanh, _ = st.columns([1, 1, 1])
    flow_relu.button(
        "Watch it die: the ReLU",
        key="lesson2:flow_relu",
        on_click=state.set_program,
        args=(training.DYING["relu"],),
        icon=":material/play_arrow:",
    )
    flow_tanh.button(
        "Watch it fade: the tanh",
        key="lesson2:flow_tanh",
        on_click=state.set_program,
        args=(training.DYING["tanh"],),
        icon=":material/play_arrow:",
    )
    if state.program() in training.DYING.values():
        st.page_link(lesson2.FLOW_PAGE, label="Step through it on “Watch gradients flow”", icon=":material/timeline:")
    st.page_link(lesson2.NEXT_PAGE, label="Slide n and watch the slope: “Next lesson”", icon=":material/tune:")


def step_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    ui.ask(lesson2.STEP, analyse(lesson2.NEURON))


def train_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    found = report()
    ran = found is not None and any(c.key == "train" and c.status != checks.WAIT for c in found.checks)
    if found is not None:
        check_lines(found, ("train",))
    skeleton_button()
    st.page_link(lesson2.IMPLEMENT_PAGE, label="Go to “Implement it”", icon=":material/arrow_forward:")
    if not ran:
        st.caption("The plots wait for your train(): the engine's loss curve is not shown before yours.")
        return
    fit = training.FIT
    mine = [x for x in found.losses if x is not None]
    st.markdown(f"**Your loss**, {fit.steps} steps of lr = {n(fit.lr)} on {len(fit.points)} points:")
    loss_chart({"your train()": mine, "the engine's loop": list(training.train(fit).losses)}, key="lesson2:loss")
    st.markdown("**When training goes wrong** (the engine's loop, each with one thing changed):")
    no_zero, dead, large = st.columns(3)
    with no_zero:
        st.markdown("Grads not set back to 0")
        loss_chart(
            {
                "reset": list(training.train(fit).losses),
                "never reset": list(training.train(fit, training.Slip.NO_ZERO).losses),
            },
            key="lesson2:no_zero",
        )
        st.caption(md(training.SLIP_WORDS[training.Slip.NO_ZERO][1]))
    with dead:
        run = training.train(training.DEAD)
        st.markdown("A dead ReLU")
        loss_chart({"relu, b = -3": list(run.losses)}, key="lesson2:dead")
        st.caption(
            f"w*x + b < 0 at every point: relu sends back exactly 0, w.grad = b.grad = 0 at every step, and the loss "
            f"stays at {n(run.losses[0])}."
        )
    with large:
        run = training.train(training.TOO_LARGE)
        st.markdown(f"lr = {n(training.TOO_LARGE.lr)}: too large")
        loss_chart({f"lr = {n(training.TOO_LARGE.lr)}": list(run.losses)}, key="lesson2:large", log=True)
        st.caption(f"Each step overshoots further: the loss goes from {n(run.losses[0])} to {n(run.losses[-1])}.")


def takeaway_station(station: Station, a: Analysis, work: Work, reveal: bool) -> None:
    text = work.answers.get(lesson2.TAKEAWAY, "")
    ui.kept(TAKEAWAY_BOX, text)
    st.text_area(
        f"Your takeaway: {' · '.join(takeaway.PROMPTS)}",
        key=TAKEAWAY_BOX,
        on_change=save_takeaway,
        height=140,
        placeholder="What surprised me was … It felt simpler than I expected that … What still feels fuzzy is …",
    )
    ui.say(*takeaway.message(text))
    st.markdown("**Your report**: lesson 1's work and lesson 2's stations, answers, training and this takeaway.")
    current, today = state.analysis(), dt.date.today()
    # read here: the download makes the file on another thread
    implemented, runs = state.implementation_report(), state.lesson_runs(lesson2.LESSON)
    html_col, md_col, _ = st.columns([1, 1, 2])
    with html_col:
        ui.download(
            "Report (HTML)",
            lambda: sections.report_html(work, current, today, implemented=implemented, runs=runs),
            "backprop-lab-report.html",
            "text/html",
            key="lesson2:report_html",
        )
    with md_col:
        ui.download(
            "Report (Markdown)",
            lambda: sections.report_markdown(work, current, today, implemented, runs),
            "backprop-lab-report.md",
            "text/markdown",
            key="lesson2:report_md",
        )


VIEWS: dict[str, Callable[[Station, Analysis, Work, bool], None]] = {
    "l2:nonlin": nonlin_station,
    "l2:slope": slope_station,
    "l2:neuron": neuron_station,
    "l2:dies": dies_station,
    "l2:step": step_station,
    "l2:train": train_station,
    "l2:takeaway": takeaway_station,
}


def walking_lesson2(code: str) -> bool:
    """Implement it shows lesson 2's checks: the learner opened lesson 2, or their code has its parts already."""
    return bool(state.view(ACTIVE, False)) or any(f"def {name}(" in code for name in ("tanh", "relu", "train"))


def implement_panel() -> None:
    """On Implement it, while the learner walks lesson 2: its checks of their code, under lesson 1's."""
    if not walking_lesson2(state.code()):
        return
    st.subheader("Lesson 2: tanh, relu and train()")
    found = report()
    if found is not None:
        check_lines(found)
    skeleton_button()
