"""Watch gradients flow: the backward pass one `_backward` call at a time, the forward pass one node at a time."""

import html

import streamlit as st

from lab import state, ui
from lab.diagram import layout_work, too_big_to_draw
from lab.flow import (
    BACKWARD,
    FORWARD,
    SLOW_LAYOUT,
    clamp,
    flow_view,
    last_step,
    order_html,
    step_table,
    styled_table,
)

# Page-local state. Widgets get their own keys, set from these before they are drawn, so a page
# switch (which forgets widget values) does not lose the step, the pass or the speed.
STEP, PASS, PLAYING, SPEED, CLICKED, SHOWN_FOR, SHOWN_SLIDER = (
    "flow_step",
    "flow_pass",
    "flow_playing",
    "flow_play_speed",
    "flow_clicked",
    "flow_for",
    "flow_shown_slider",
)
MODE_WIDGET, SPEED_WIDGET, SLIDER = "flow_mode", "flow_speed", "flow_slider"  # SLIDER: a prefix
SPEEDS = {2.0: "Play: 2 s a step", 1.0: "Play: 1 s a step", 0.5: "Play: 0.5 s a step", 0.25: "Play: 0.25 s a step"}
MODE_LABELS = {BACKWARD: "Backward pass: one _backward() a step", FORWARD: "Forward pass: one node a step"}

st.session_state.setdefault(STEP, 0)
st.session_state.setdefault(PASS, BACKWARD)
st.session_state.setdefault(PLAYING, False)
st.session_state.setdefault(SPEED, 1.0)
st.session_state.setdefault(CLICKED, False)

a = state.analysis()

# A new program starts again at step 0, unless only a variable's value changed (same nodes, same edges).
shape = (a.names, a.graph.edges)
shown_for = st.session_state.get(SHOWN_FOR)
if shown_for is None or shown_for[0] != state.program():
    if shown_for is None or shown_for[1] != shape:
        st.session_state[STEP] = 0
        st.session_state[PLAYING] = False
    st.session_state[SHOWN_FOR] = (state.program(), shape)


def stop_and_go_to(step: int) -> None:
    st.session_state[STEP] = step
    st.session_state[PLAYING] = False
    st.session_state[CLICKED] = True


def on_mode_change() -> None:
    st.session_state[PASS] = st.session_state[MODE_WIDGET]
    stop_and_go_to(0)


def on_speed_change() -> None:
    st.session_state[SPEED] = st.session_state[SPEED_WIDGET]


def on_step(delta: int, last: int) -> None:
    stop_and_go_to(max(0, min(last, st.session_state[STEP] + delta)))


def on_play(last: int) -> None:
    # Play and Pause are two buttons, each safe to run twice: the browser can send a click again while the timer runs.
    if st.session_state[PLAYING]:
        return
    step = st.session_state[STEP]
    st.session_state[STEP] = 0 if step >= last else step + 1  # the first step comes right away
    st.session_state[PLAYING] = True
    st.session_state[CLICKED] = True


def on_pause() -> None:
    st.session_state[PLAYING] = False
    st.session_state[CLICKED] = True


def jumped_to() -> int | None:
    """The step the learner dragged the slider to since it was drawn, if they did."""
    shown = st.session_state.get(SHOWN_SLIDER)
    if shown is None:
        return None
    key, value = shown
    moved = st.session_state.get(key, value)
    return None if moved == value else moved


st.title("Watch gradients flow")
left, play_column, right = st.columns([3.2, 0.9, 1.3], vertical_alignment="center")
st.session_state[MODE_WIDGET] = st.session_state[PASS]
st.session_state[SPEED_WIDGET] = st.session_state[SPEED]
left.segmented_control(
    "Pass",
    [BACKWARD, FORWARD],
    format_func=MODE_LABELS.get,
    key=MODE_WIDGET,
    required=True,
    on_change=on_mode_change,
    label_visibility="collapsed",
)
right.selectbox(
    "Play speed",
    list(SPEEDS),
    format_func=SPEEDS.get,
    key=SPEED_WIDGET,
    on_change=on_speed_change,
    label_visibility="collapsed",
)
mode = st.session_state[PASS]
last = last_step(a, mode)
playing = st.session_state[PLAYING]
# Play and Pause rerun the whole page (not only the stepping part below): that starts or stops its timer.
if playing:
    play_column.button("Pause", icon=":material/pause:", on_click=on_pause, width="stretch", key="flow_pause")
else:
    play_column.button(
        "Play",
        icon=":material/play_arrow:",
        on_click=on_play,
        args=(last,),
        disabled=last == 0,
        width="stretch",
        key="flow_play",
    )


def how_it_works() -> None:
    output = a.names[a.output]
    if mode == BACKWARD:
        st.markdown(
            f"`{output}.backward()` sorts the nodes in **topological order** (depth-first search), sets "
            f"**{output}.grad = 1** because d{output}/d{output} = 1, then calls `_backward()` on each node from the "
            "**last to the first**. Each call adds to its inputs' `grad` with `+=`; leaves have no `_backward`. "
            "The table shows every gradient as it is after this step."
        )
    else:
        st.markdown(
            "The forward pass computes each node's `data` in **topological order**: every node comes after the nodes "
            "it is computed from, so its inputs are ready. No `grad` has been computed yet: all are 0."
        )


def stepper(ticking: bool) -> None:
    """Buttons, slider and the step's sentence, order, table and diagram. Reruns on its own while playing."""
    jump = jumped_to()
    if jump is not None:
        stop_and_go_to(jump)
        st.session_state[SHOWN_SLIDER] = None
    step = clamp(st.session_state[STEP], a, mode)
    if ticking and st.session_state[PLAYING] and not st.session_state[CLICKED]:
        step = min(last, step + 1)  # the timer's tick: one step on
    if step >= last:
        st.session_state[PLAYING] = False
    st.session_state[CLICKED] = False
    st.session_state[STEP] = step
    if ticking != st.session_state[PLAYING]:
        st.rerun()  # play stopped (the end, or a click): a whole-page rerun stops the timer and shows "Play"
    view = flow_view(a, mode, step)

    row = st.columns([1.3, 1.2, 1.2, 5.3], vertical_alignment="center")
    row[0].button(
        "Reset",
        icon=":material/first_page:",
        on_click=stop_and_go_to,
        args=(0,),
        disabled=step == 0,
        width="stretch",
        key="flow_reset",
    )
    row[1].button(
        "Back",
        icon=":material/chevron_left:",
        on_click=on_step,
        args=(-1, last),
        disabled=step == 0,
        width="stretch",
        key="flow_back",
    )
    row[2].button(
        "Step",
        icon=":material/chevron_right:",
        on_click=on_step,
        args=(1, last),
        disabled=step >= last,
        type="primary",
        width="stretch",
        key="flow_next",
    )
    if last > 0:
        # A new slider per step, starting at the step shown; it is read back (jumped_to) rather than given an
        # on_change, because the browser reports a new slider's value once even when nobody moved it.
        key = f"{SLIDER}_{mode}_{step}"
        row[3].slider("Jump to step", 0, last, value=step, key=key, label_visibility="collapsed")
        st.session_state[SHOWN_SLIDER] = (key, step)

    st.markdown(
        '<div style="padding:0.5rem 1rem;border-left:6px solid #ea580c;background:#fff7ed;border-radius:4px;'
        'margin:0.2rem 0 0.4rem 0">'
        '<div data-testid="flow-position" style="font-weight:700;color:#9a3412;font-size:1rem">'
        f"{html.escape(view.position)}</div>"
        '<div data-testid="flow-sentence" style="font-family:ui-monospace,Menlo,Consolas,monospace;'
        f'font-size:1.35rem;line-height:1.45">{html.escape(view.sentence)}</div></div>',
        unsafe_allow_html=True,
    )
    if slow_diagram and not st.toggle(
        "Draw the diagram at every step",
        key="flow_draw_slow",
        help="Values here are used far from where they are made: the browser needs seconds to lay this graph out.",
    ):
        st.caption("The diagram is off for this graph so that each step is quick: the table below has every gradient.")
    else:
        ui.diagram(a, view.highlight)
    st.markdown(order_html(view.order), unsafe_allow_html=True)
    st.caption(f"Topological order, inputs first. {view.where}")
    how_it_works()
    df = step_table(a, view)
    st.dataframe(styled_table(df, view), hide_index=True, height=min(600, 38 + 35 * len(df)))


slow_diagram = layout_work(a) > SLOW_LAYOUT and not too_big_to_draw(a)
st.fragment(run_every=st.session_state[SPEED] if playing else None)(stepper)(playing)
