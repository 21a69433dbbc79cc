"""Watch gradients flow: the backward pass one `_backward` call at a time, the forward pass one node at a time."""

import html
import re

import streamlit as st

from app import state, ui
from lab import own_rules, predict
from lab.analysis import format_number
from lab.flow import BACKWARD, FORWARD, flow_view, last_step, order_html, step_table, styled_table
from lab.handcheck import tolerance_from
from lab.stepper import Stepper

STEPPER = "flow_stepper"  # where this page stands (a lab.stepper.Stepper): kept across page switches
CHECK_PROBLEM = "flow_check_problem"  # (prediction key prefix, why the last Check revealed nothing)
DRAFTS = "flow_predict_drafts"  # what was in the boxes at the last Check: back in them after a page switch
MY_RULES = "flow_my_rules"  # bool: run the backward pass with the rules the learner wrote
# Widgets get their own keys, set from the stepper before they are drawn (a page switch forgets widget values).
MODE_WIDGET, SPEED_WIDGET, PREDICT_WIDGET, SLIDER = "flow_mode", "flow_speed", "flow_predict", "flow_slider"
MY_RULES_WIDGET = "flow_my_rules_switch"
SPEEDS = {2.0: "Play: 2 s a step", 1.0: "Play: 1 s a step", 0.5: "Play: 0.5 s a step", 0.25: "Play: 0.25 s a step"}
MODE_LABELS = {BACKWARD: "Backward pass: one _backward() a step", FORWARD: "Forward pass: one node a step"}

a = state.analysis()
program = state.program()
stepper: Stepper = st.session_state.setdefault(STEPPER, Stepper())
stepper.follow(program, (a.names, a.graph.edges))
predicting = bool(state.settings().get("predict", False))
mode = stepper.mode
my_rules = state.rules()  # written on "Write the rules yourself"
use_my_rules = bool(my_rules) and not predicting and st.session_state.get(MY_RULES, False)
# the backward pass shown: the engine's own, or the same loop with the learner's rules swapped in
steps = own_rules.learner_steps(a, my_rules) if use_my_rules else a.steps
last = last_step(a, mode, steps)


def on_mode_change() -> None:
    stepper.set_mode(st.session_state[MODE_WIDGET])


def on_speed_change() -> None:
    stepper.speed = st.session_state[SPEED_WIDGET]


def on_my_rules_change() -> None:
    st.session_state[MY_RULES] = bool(st.session_state[MY_RULES_WIDGET])


def on_predict_change() -> None:
    state.set_setting("predict", bool(st.session_state[PREDICT_WIDGET]))
    stepper.pause()


def input_key(blank: predict.Blank) -> str:
    return f"flow_predict:{blank.key}"


def on_check(shown: list[predict.Blank]) -> None:
    """Keep the step's predictions (which reveals it), unless one is empty or can't be read."""
    entries = {b.key: st.session_state.get(input_key(b), "") for b in shown}
    st.session_state[DRAFTS] = {**st.session_state.get(DRAFTS, {}), **entries}
    problems = predict.unreadable(a, shown, entries)
    if problems:
        why = "; ".join(f"{j.blank.label}: {j.message}" for j in problems)
        st.session_state[CHECK_PROBLEM] = (shown[0].key, why)
        return
    st.session_state[CHECK_PROBLEM] = None
    for b in shown:
        state.set_prediction(b.key, entries[b.key])


def on_predict_again() -> None:
    for key in predict.pass_keys(program, mode, state.predictions()):
        state.set_prediction(key, "")
    stepper.go_to(0)


title, mine, switch = st.columns([3, 1.1, 1.1], vertical_alignment="center")
title.title("Watch gradients flow")
if my_rules:
    st.session_state[MY_RULES_WIDGET] = use_my_rules
    mine.toggle(
        "My rules",
        key=MY_RULES_WIDGET,
        on_change=on_my_rules_change,
        disabled=predicting,
        help="Run the backward pass with the rules you wrote on “Write the rules yourself” "
        "(the engine's own for operators you have not written)."
        + (" Off while you predict: predictions are checked against the engine." if predicting else ""),
    )
st.session_state[PREDICT_WIDGET] = predicting
switch.toggle(
    "Predict first",
    key=PREDICT_WIDGET,
    on_change=on_predict_change,
    help="Before each step is shown, type what it will do; Check reveals it.",
)
left, play_column, right = st.columns([3.2, 0.9, 1.3], vertical_alignment="center")
st.session_state[MODE_WIDGET] = mode
st.session_state[SPEED_WIDGET] = stepper.speed
left.segmented_control(
    "Pass",
    [BACKWARD, FORWARD],
    format_func=MODE_LABELS.get,
    key=MODE_WIDGET,
    required=True,
    on_change=on_mode_change,
    label_visibility="collapsed",
)
# Play and Pause rerun the whole page (not only the stepping part below): that starts or stops its timer.
if stepper.playing:
    play_column.button("Pause", icon=":material/pause:", on_click=stepper.pause, width="stretch", key="flow_pause")
else:
    play_column.button(
        "Play",
        icon=":material/play_arrow:",
        on_click=stepper.play,
        args=(last,),
        disabled=last == 0 or predicting,
        help="Playing is off while you predict: check each step, then Step." if predicting else None,
        width="stretch",
        key="flow_play",
    )
right.selectbox(
    "Play speed",
    list(SPEEDS),
    format_func=SPEEDS.get,
    key=SPEED_WIDGET,
    on_change=on_speed_change,
    label_visibility="collapsed",
)


def how_it_works(revealed: bool) -> None:
    output = a.names[a.output]
    if mode == BACKWARD:
        when = "after this step" if revealed else "before this step: it is not revealed yet"
        st.markdown(
            f"`{output}.backward()` sorts the nodes in **topological order** (depth-first search), sets "
            f"**{output}.grad = 1** because d{output}/d{output} = 1, then calls `_backward()` on each node from the "
            "**last to the first**. Each call adds to its inputs' `grad` with `+=`; leaves have no `_backward`. "
            f"The table shows every gradient as it is {when}."
        )
    else:
        st.markdown(
            "The forward pass computes each node's `data` in **topological order**: every node comes after the nodes "
            "it is computed from, so its inputs are ready. No `grad` has been computed yet: all are 0."
        )


def with_code(text: str) -> str:
    """Escaped HTML of a message, its `formula` parts as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


def tolerance() -> float:
    return tolerance_from(state.settings().get("tolerance"))


def prediction_panel(step: int, shown: list[predict.Blank], revealed: bool) -> None:
    """The learner's prediction for this step: boxes and Check, or, once checked, right or wrong and why."""
    if not shown:
        st.caption(f"Nothing to predict here: {a.names[step]} is an input, its value is given.")
    elif not revealed:
        with st.form("flow_predict_form", border=False, enter_to_submit=True):
            columns = st.columns([2] * len(shown) + [1], vertical_alignment="bottom")
            for column, blank in zip(columns, shown, strict=False):
                if input_key(blank) not in st.session_state:
                    st.session_state[input_key(blank)] = st.session_state.get(DRAFTS, {}).get(blank.key, "")
                column.text_input(blank.label, key=input_key(blank), placeholder="a number or a formula")
            columns[-1].form_submit_button(
                "Check", on_click=on_check, args=(shown,), type="primary", icon=":material/visibility:"
            )
        problem = st.session_state.get(CHECK_PROBLEM)
        if problem and problem[0] == shown[0].key:
            st.warning(f"Nothing revealed yet: {problem[1]}", icon="✍️")
    else:
        lines = []
        for blank in shown:
            judged = predict.judge(a, blank, state.predictions()[blank.key], tolerance())
            said = blank.label.replace("?", format_number(blank.answer))
            mark, colour = ("✔", "#15803d") if judged.right else ("✘", "#b91c1c")
            line = (
                f'<div class="{judged.status}" style="margin:0.15rem 0"><b style="color:{colour}">{mark} '
                f"{html.escape(said)}</b> — {with_code(judged.message)}"
            )
            if not judged.right:
                how = predict.how_it_is_made(a, blank, steps)
                line += f'<div style="margin-left:1.4rem;font-family:ui-monospace,monospace">{html.escape(how)}</div>'
            lines.append(line + "</div>")
        st.markdown(f'<div data-testid="flow-predictions">{"".join(lines)}</div>', unsafe_allow_html=True)


def stepping(ticking: bool) -> None:
    """Buttons, slider, prediction, then the step's sentence, diagram, order and table. Reruns itself while playing."""
    stepper.slider_read(st.session_state.get(stepper.slider_key) if stepper.slider_key else None)
    limit = None
    if predicting:
        limit = predict.first_unrevealed(a, program, mode, state.predictions(), steps)
    if stepper.settle(ticking, last, limit):
        st.rerun()  # play stopped (the end, or a click): a whole-page rerun stops the timer and shows "Play"
    step = stepper.step
    shown = predict.blanks(a, program, mode, step, steps) if predicting else []
    revealed = predict.revealed(shown, state.predictions())
    view = flow_view(a, mode, step, revealed=revealed, steps=steps)
    sentence = view.sentence
    if use_my_rules and mode == BACKWARD and revealed:
        sentence = "With your rules: " + own_rules.step_sentence(a, steps[view.step], view.grads, my_rules)

    score = predict.score(a, program, mode, state.predictions(), tolerance(), steps) if predicting else None
    row = st.columns([1.3, 1.2, 1.2, 5.3] + ([1.9] if score and score.predicted else []), vertical_alignment="center")
    row[0].button(
        "Reset",
        icon=":material/first_page:",
        on_click=stepper.go_to,
        args=(0,),
        disabled=step == 0,
        width="stretch",
        key="flow_reset",
    )
    row[1].button(
        "Back",
        icon=":material/chevron_left:",
        on_click=stepper.move,
        args=(-1, last),
        disabled=step == 0,
        width="stretch",
        key="flow_back",
    )
    row[2].button(
        "Step",
        icon=":material/chevron_right:",
        on_click=stepper.move,
        args=(1, last),
        disabled=step >= last or not revealed,
        help=None if revealed else "Check your prediction first: it reveals this step.",
        type="primary",
        width="stretch",
        key="flow_next",
    )
    if last > 0:
        # A new slider per step, starting at the step shown (see Stepper.slider_read).
        key = stepper.slider_key_for(SLIDER)
        row[3].slider("Jump to step", 0, last, value=step, key=key, label_visibility="collapsed")
        stepper.slider_drawn(key, step)
    if score and score.predicted:
        row[4].button(
            "Predict again",
            icon=":material/restart_alt:",
            on_click=on_predict_again,
            help="Forget this pass's predictions and start it again",
            width="stretch",
            key="flow_predict_again",
        )

    if predicting:
        prediction_panel(step, shown, revealed)
    position = view.position if revealed else f"{view.position}: your prediction first"
    score_html = "" if score is None else f'<div data-testid="flow-score">{html.escape(str(score))}</div>'
    st.markdown(
        '<div style="padding:0.5rem 1rem;border-left:6px solid #ea580c;background:#fff7ed;border-radius:4px;'
        'margin:0.2rem 0 0.4rem 0">'
        '<div style="display:flex;justify-content:space-between;gap:1rem;font-weight:700;color:#9a3412">'
        f'<div data-testid="flow-position">{html.escape(position)}</div>{score_html}</div>'
        '<div data-testid="flow-sentence" style="font-family:ui-monospace,Menlo,Consolas,monospace;'
        f'font-size:1.35rem;line-height:1.45">{html.escape(sentence)}</div></div>',
        unsafe_allow_html=True,
    )
    ui.diagram(a, view.highlight)
    st.markdown(order_html(view.order), unsafe_allow_html=True)
    st.caption(f"Topological order, inputs first. {view.where}")
    how_it_works(revealed)
    df = step_table(a, view)
    st.dataframe(styled_table(df, view), hide_index=True, height=min(600, 38 + 35 * len(df)))


if predicting:
    stepping(False)  # every click reruns the whole page: the address bar keeps each prediction
else:
    st.fragment(run_every=stepper.speed if stepper.playing else None)(stepping)(stepper.playing)
