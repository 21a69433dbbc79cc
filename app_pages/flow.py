"""Watch gradients flow: the backward pass one `_backward` call at a time, the forward pass one node at a time."""

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from app import state, ui
from engine.trace import BackwardStep
from lab.lesson import stations as lesson
from lab.model.analysis import Analysis
from lab.model.explain import backward_sentence
from lab.model.identity import program_id
from lab.model.steps import BACKWARD, FORWARD, last_step
from lab.views import implement_view, own_rules, predict
from lab.views.flow import banner_html, flow_view, order_html, step_table, styled_table
from lab.views.stepper import Drafts, Stepper, Watch

# Widget keys: each widget is set from the page's Watch (app/state.py) before it is drawn (a page switch
# forgets widget values).
MODE_WIDGET, SPEED_WIDGET, PREDICT_WIDGET, SLIDER = "flow:mode", "flow:speed", "flow:predict", "flow:slider"
MY_RULES_WIDGET = "flow:my_rules"
MY_VALUE_WIDGET = "flow:my_value"
SPEEDS = {2.0: "Play: 2 s a step", 1.0: "Play: 1 s a step", 0.5: "Play: 0.5 s a step", 0.25: "Play: 0.25 s a step"}
MODE_LABELS = {BACKWARD: "Backward pass: one _backward() a step", FORWARD: "Forward pass: one node a step"}


# -- callbacks: what they change is given to them, never read from the last run's variables ----------


def on_mode_change(stepper: Stepper) -> None:
    stepper.set_mode(st.session_state[MODE_WIDGET])


def on_speed_change(stepper: Stepper) -> None:
    stepper.speed = st.session_state[SPEED_WIDGET]


def on_my_rules_change(watch: Watch) -> None:
    watch.my_rules = bool(st.session_state[MY_RULES_WIDGET])


def on_my_value_change(watch: Watch) -> None:
    watch.my_value = bool(st.session_state[MY_VALUE_WIDGET])


def on_my_value_instead(watch: Watch) -> None:
    """Predict first off, and the learner's own backward() from its first step."""
    state.set_setting("predict", False)
    watch.my_value = True
    watch.stepper.go_to(0)


def on_predict_change(stepper: Stepper) -> None:
    state.set_setting("predict", bool(st.session_state[PREDICT_WIDGET]))
    stepper.pause()


def input_key(blank: predict.Blank) -> str:
    return f"flow:predict:{blank.key}"


def keep_draft(drafts: Drafts, blank: predict.Blank) -> None:
    """What is typed into a prediction box is kept (not checked) as soon as the box sends it."""
    drafts.texts[blank.key] = st.session_state.get(input_key(blank)) or ""


def on_check(a: Analysis, drafts: Drafts, shown: list[predict.Blank]) -> None:
    """Keep the step's predictions (which reveals it), unless one is empty or can't be read."""
    entries = {b.key: st.session_state.get(input_key(b), "") for b in shown}
    if drafts.check(shown, entries, predict.problems(a, shown, entries)):
        for b in shown:
            state.set_prediction(b.key, entries[b.key])


def on_predict_again(a: Analysis, stepper: Stepper) -> None:
    for key in predict.pass_keys(a, stepper.mode, state.predictions()):
        state.set_prediction(key, "")
    stepper.go_to(0)


@dataclass(frozen=True)
class PassShown:
    """The backward pass this run shows: the engine's, or the same loop with the learner's rules swapped in."""

    predicting: bool
    steps: Sequence[BackwardStep]
    my_rules: dict[str, str] | None  # the learner's rules when they run (never while predicting)
    my_value: implement_view.MyValue | None = None  # the learner's own backward() (never while predicting)


def my_value_found() -> implement_view.MyValue | None:
    """The learner's own backward pass, when they have run code of theirs far enough to have one."""
    if not state.code():
        return None
    last = state.last_run()
    report = last[1] if last else state.implementation_report()  # from a link: run once, lazily
    return implement_view.my_value(report)


def held(mine: implement_view.MyValue) -> bool:
    """Is this the lesson's example while "by hand first" holds its numbers back? Then the learner's own backward()
    on it waits too, as its numbers do on Implement it."""
    return mine.which in implement_view.held_checks(state.example_hidden(), lesson.is_example(state.analysis()))


def pass_shown(a: Analysis, watch: Watch) -> PassShown:
    predicting = bool(state.settings().get("predict", False))
    if watch.my_value and not predicting and state.code():
        mine = implement_view.my_value(state.implementation_report())  # run again if the program changed
        if mine is not None and not held(mine):
            return PassShown(predicting, mine.a.steps, None, mine)
    rules = state.rules()  # written on "Write the rules yourself"
    if rules and not predicting and watch.my_rules:
        return PassShown(predicting, own_rules.learner_steps(a, rules), rules)
    return PassShown(predicting, a.steps, None)


# -- pieces -------------------------------------------------------------------------------------


def controls(
    watch: Watch,
    my_rules: bool,
    use_my_rules: bool,
    predicting: bool,
    last: int,
    my_value: bool,
    use_my_value: bool,
    value_held: bool = False,
) -> None:
    """The title row (My rules, My Value, Predict first) and the row under it (the pass, Play, the speed)."""
    stepper = watch.stepper
    title, mine, value, switch = st.columns([3, 1.1, 1.1, 1.1], vertical_alignment="center")
    title.title("Watch gradients flow")
    if my_value:
        ui.kept(MY_VALUE_WIDGET, use_my_value)
        value.toggle(
            "My Value",
            key=MY_VALUE_WIDGET,
            on_change=on_my_value_change,
            args=(watch,),
            disabled=predicting or value_held,
            help="Step through YOUR backward(), the code you wrote on “Implement it”: each step is one _backward call "
            "of your objects, in your order, with your grads."
            + (" Off while you predict: predictions are checked against the engine." if predicting else "")
            + (" Waits for your hand entries: by hand first." if value_held else ""),
        )
    if my_rules:
        ui.kept(MY_RULES_WIDGET, use_my_rules)
        mine.toggle(
            "My rules",
            key=MY_RULES_WIDGET,
            on_change=on_my_rules_change,
            args=(watch,),
            disabled=predicting or use_my_value,
            help="Run the backward pass with the rules you wrote on “Write the rules yourself” "
            "(the engine's own for operators you have not written)."
            + (" Off while you predict: predictions are checked against the engine." if predicting else ""),
        )
    ui.kept(PREDICT_WIDGET, predicting)
    switch.toggle(
        "Predict first",
        key=PREDICT_WIDGET,
        on_change=on_predict_change,
        args=(stepper,),
        help="Before each step is shown, type what it will do; Check reveals it.",
    )
    left, play_column, right = st.columns([3.2, 0.9, 1.3], vertical_alignment="center")
    ui.kept(MODE_WIDGET, stepper.mode)
    ui.kept(SPEED_WIDGET, stepper.speed)
    left.segmented_control(
        "Pass",
        [BACKWARD, FORWARD],
        format_func=MODE_LABELS.get,
        key=MODE_WIDGET,
        required=True,
        on_change=on_mode_change,
        args=(stepper,),
        label_visibility="collapsed",
    )
    # Play and Pause rerun the whole page (not only the stepping part below): that starts or stops its timer.
    if stepper.playing:
        play_column.button("Pause", icon=":material/pause:", on_click=stepper.pause, width="stretch", key="flow:pause")
    else:
        play_column.button(
            "Play",
            icon=":material/play_arrow:",
            on_click=stepper.play,
            args=(last,),
            disabled=last == 0 or predicting,
            help="Playing is off while you predict: check each step, then Step." if predicting else None,
            width="stretch",
            key="flow:play",
        )
    right.selectbox(
        "Play speed",
        list(SPEEDS),
        format_func=SPEEDS.get,
        key=SPEED_WIDGET,
        on_change=on_speed_change,
        args=(stepper,),
        label_visibility="collapsed",
    )


def how_it_works(a: Analysis, mode: str, revealed: bool, seed_known: bool = True) -> None:
    """How the pass works. `seed_known`: False while the seed is the prediction asked for (not said before)."""
    output = a.names[a.output]
    if mode == BACKWARD:
        when = "after this step" if revealed else "before this step: it is not revealed yet"
        seed = (
            f"**{output}.grad = 1** because d{output}/d{output} = 1"
            if seed_known
            else f"**{output}.grad** (to what? that is your prediction)"
        )
        st.markdown(
            f"`{output}.backward()` sorts the nodes in **topological order** (depth-first search), sets "
            f"{seed}, then calls `_backward()` on each node from the "
            "**last to the first**. Each call adds to its inputs' `grad` with `+=`; leaves have no `_backward`. "
            f"The table shows every gradient as it is {when}."
        )
    else:
        st.markdown(
            "The forward pass computes each node's `data` in **topological order**: every node comes after the nodes "
            "it is computed from, so its inputs are ready. No `grad` has been computed yet: all are 0."
        )


def step_buttons(a: Analysis, stepper: Stepper, last: int, revealed: bool, predicted: bool) -> None:
    """Reset, Back, Step, the slider, and (once this pass has predictions) Predict again."""
    step = stepper.step
    row = st.columns([1.3, 1.2, 1.2, 5.3] + ([1.9] if predicted else []), vertical_alignment="center")
    row[0].button(
        "Reset",
        icon=":material/first_page:",
        on_click=stepper.go_to,
        args=(0,),
        disabled=step == 0,
        width="stretch",
        key="flow:reset",
    )
    row[1].button(
        "Back",
        icon=":material/chevron_left:",
        on_click=stepper.move,
        args=(-1, last),
        disabled=step == 0,
        width="stretch",
        key="flow:back",
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
        key="flow:next",
    )
    if last > 0:
        # A new slider per step, starting at the step shown (see Stepper.slider_read).
        key = stepper.slider_key_for(SLIDER)
        row[3].slider("Jump to step", 0, last, value=step, key=key, label_visibility="collapsed")
        stepper.slider_drawn(key, step)
    if predicted:
        row[4].button(
            "Predict again",
            icon=":material/restart_alt:",
            on_click=on_predict_again,
            args=(a, stepper),
            help="Forget this pass's predictions and start it again",
            width="stretch",
            key="flow:predict_again",
        )


def prediction_panel(
    a: Analysis,
    drafts: Drafts,
    step: int,
    shown: list[predict.Blank],
    revealed: bool,
    steps: Sequence[BackwardStep],
) -> None:
    """The learner's prediction for this step: boxes and Check, or, once checked, right or wrong and why."""
    if not shown:
        st.caption(f"Nothing to predict here: {a.names[step]} is an input, its value is given.")
    elif not revealed:
        # not a form: a form sends nothing until Check, so what was typed was lost when the learner left the page
        columns = st.columns([2] * len(shown) + [1], vertical_alignment="bottom")
        for column, blank in zip(columns, shown, strict=False):
            ui.kept(input_key(blank), drafts.texts.get(blank.key, ""))  # what was typed, back after a page switch
            column.text_input(
                blank.label,
                key=input_key(blank),
                placeholder="a number or a formula",
                on_change=keep_draft,
                args=(drafts, blank),
            )
        columns[-1].button(
            "Check",
            key="flow:check",
            on_click=on_check,
            args=(a, drafts, shown),
            type="primary",
            icon=":material/visibility:",
        )
        problem = drafts.problem_at(shown)
        if problem:
            st.warning(f"Nothing revealed yet: {problem}", icon="✍️")
    else:
        st.markdown(
            predict.verdicts_html(a, shown, state.predictions(), state.tolerance(), steps), unsafe_allow_html=True
        )


def stepping(ticking: bool, a: Analysis, watch: Watch, pass_shown: PassShown) -> None:
    """The stepping part: buttons, slider, prediction, then the step itself. Reruns itself while playing."""
    stepper, predicting, steps = watch.stepper, pass_shown.predicting, pass_shown.steps
    mode, last = stepper.mode, last_step(a, stepper.mode, steps)

    stepper.slider_read(st.session_state.get(stepper.slider_key) if stepper.slider_key else None)
    limit = predict.first_unrevealed(a, mode, state.predictions(), steps) if predicting else None
    if stepper.settle(ticking, last, limit):
        st.rerun()  # play stopped (the end, or a click): a whole-page rerun stops the timer and shows "Play"
    state.sync_url()  # the step is in the link (this part reruns alone: the entry point does not put it there)
    shown = predict.blanks(a, mode, stepper.step, steps) if predicting else []
    revealed = predict.revealed(shown, state.predictions())
    score = predict.score(a, mode, state.predictions(), state.tolerance(), steps) if predicting else None

    step_buttons(a, stepper, last, revealed, bool(score and score.predicted))
    if predicting:
        prediction_panel(a, watch.drafts, stepper.step, shown, revealed, steps)
    the_step(a, mode, stepper.step, revealed, steps, pass_shown.my_rules, score, pass_shown.my_value)


def the_step(
    a: Analysis,
    mode: str,
    step: int,
    revealed: bool,
    steps: Sequence[BackwardStep],
    my_rules: dict[str, str] | None,
    score: predict.Score | None,
    my_value: implement_view.MyValue | None = None,
) -> None:
    """The step's banner and sentence, the diagram, the order, and the table."""
    explain = implement_view.my_step_sentence if my_value else backward_sentence
    view = flow_view(a, mode, step, revealed=revealed, steps=steps, explain=explain)
    sentence = view.sentence
    if my_rules and mode == BACKWARD and revealed:
        sentence = "With your rules: " + own_rules.step_sentence(a, steps[view.step], view.grads, my_rules)
    position = view.position if revealed else f"{view.position}: your prediction first"
    st.markdown(banner_html(position, sentence, None if score is None else str(score)), unsafe_allow_html=True)
    ui.diagram(a, view.highlight)
    if my_value and mode == BACKWARD:
        st.markdown(order_html(implement_view.call_order_items(a, view.step)), unsafe_allow_html=True)
        st.caption(
            "Your backward()'s `_backward` calls, in your order (leaves left out). "
            "The engine's order is the reverse of the topological order: "
            + ", ".join(implement_view.engine_order(a))
            + "."
        )
    else:
        st.markdown(order_html(view.order), unsafe_allow_html=True)
        st.caption(f"Topological order, inputs first. {view.where}")
    how_it_works(a, mode, revealed, seed_known=revealed or step > 0)
    df = step_table(a, view)
    st.dataframe(styled_table(df, view), hide_index=True, height=ui.grid_height(len(df)))


# -- the page -----------------------------------------------------------------------------------

a, watch = state.analysis(), state.watch()
watch.stepper.follow(program_id(a))
shown_pass = pass_shown(a, watch)
if shown_pass.my_value is not None:
    a = shown_pass.my_value.a  # the learner's own objects: their graph, their grads, their calls
last = last_step(a, watch.stepper.mode, shown_pass.steps)
found = my_value_found()
value_available, value_held = found is not None, found is not None and held(found)
controls(
    watch,
    bool(state.rules()),
    shown_pass.my_rules is not None,
    shown_pass.predicting,
    last,
    value_available,
    shown_pass.my_value is not None,
    value_held,
)
if value_held:  # said on the page, as Implement it says it (turning Predict first off would not show it)
    ui.say(
        "info",
        "**My Value waits for your hand entries**: by hand first holds the lesson example's numbers back, and your "
        "own `backward()` on it would show them. Work out the gradients on By hand, then step through your code here.",
        icon=":material/edit_note:",
    )
elif shown_pass.predicting and value_available:  # said on the page, not only in the switch's tooltip
    note, instead = st.columns([4, 1.4], vertical_alignment="center")
    with note:
        ui.say(
            "info",
            "**My Value is off while you predict**: your predictions are checked against the engine's pass. "
            "To step through your own `backward()` (your calls, your order, your grads), turn Predict first off.",
            icon=":material/info:",
        )
    instead.button(
        "Predict first off: show My Value",
        on_click=on_my_value_instead,
        args=(watch,),
        icon=":material/code:",
        width="stretch",
        key="flow:my_value_instead",
    )
if shown_pass.my_value is not None:
    ui.say("info", shown_pass.my_value.note, icon=":material/code:")
if shown_pass.predicting:
    stepping(False, a, watch, shown_pass)  # every click reruns the whole page: the link keeps each prediction
else:
    playing = watch.stepper.playing
    st.fragment(run_every=watch.stepper.speed if playing else None)(stepping)(playing, a, watch, shown_pass)
