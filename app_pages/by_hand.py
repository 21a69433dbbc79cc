"""By hand: the learner's hand calculation beside the engine and a finite difference."""

import streamlit as st

from app import state, ui
from engine.errors import quote
from lab.model.diagram import Highlight, computed_nodes
from lab.views import by_hand
from lab.work import share

EDITOR = "by_hand:table"  # the table's widget key (a new one when the entries change elsewhere, e.g. a loaded file)
TOLERANCE, HAND_FIRST = "by_hand:tolerance", "by_hand:hand_first"
_EDITOR_GENERATION = "_by_hand:table_generation"
_EDITOR_IN_STEP = "_by_hand:table_in_step"  # (row keys, entries) the table's own edits were last copied at


def editor_key(row_keys: tuple[str, ...]) -> str:
    """The table's key: kept while its rows and the entries are the ones it last saw, else a fresh table."""
    generation = st.session_state.get(_EDITOR_GENERATION, 0)
    in_step = st.session_state.get(_EDITOR_IN_STEP)
    if in_step is not None and in_step != (row_keys, state.hand_entries()):
        generation += 1
        st.session_state[_EDITOR_GENERATION] = generation
    return EDITOR if generation == 0 else f"{EDITOR}_{generation}"


def copy_edits(key: str, row_keys: tuple[str, ...]) -> None:
    """Copy the table's edits into the hand entries (the table's own state is dropped when the page is left)."""
    edits = st.session_state.get(key)
    if isinstance(edits, dict):
        hand = dict(state.hand_entries())
        for position, change in edits.get("edited_rows", {}).items():
            position = int(position)
            if by_hand.ANSWER in change and 0 <= position < len(row_keys):
                answer = change[by_hand.ANSWER]
                hand[row_keys[position]] = "" if answer is None else str(answer)
        state.set_hand_entries(hand)
    st.session_state[_EDITOR_IN_STEP] = (row_keys, dict(state.hand_entries()))


def on_tolerance() -> None:
    tolerance = st.session_state.get(TOLERANCE)
    if tolerance is not None and tolerance > 0:
        state.set_setting("tolerance", float(tolerance))
        st.session_state.pop(_TOLERANCE_BLANK, None)
    else:  # a blank box: the tolerance stays (the box gets it back below), and the page says so
        st.session_state[_TOLERANCE_BLANK] = True


_TOLERANCE_BLANK = "_by_hand:tolerance_blank"


def on_hand_first() -> None:
    state.set_setting("hand_first", bool(st.session_state.get(HAND_FIRST)))


a = state.analysis()
settings = state.settings()
tolerance = state.tolerance()
out = a.names[a.output]

st.title("By hand")
st.markdown(
    f"Work out the value of **{out}** and its gradients on paper, then type your answers below: "
    "a number (`3`) or a formula in the variables (`x + 1`)."
)

# settings: shown from the shared settings every run (a widget's own state is dropped when the page is left)
ui.kept(TOLERANCE, tolerance)
ui.kept(HAND_FIRST, bool(settings["hand_first"]))
tolerance_column, toggle_column, _ = st.columns([1, 1, 2], vertical_alignment="bottom")
with tolerance_column:
    st.number_input(
        "Tolerance",
        key=TOLERANCE,
        value=None,  # a cleared box reaches on_tolerance as None (with a default, the browser puts the default in)
        min_value=share.MIN_TOLERANCE,
        max_value=share.MAX_TOLERANCE,
        step=1e-3,
        format="%g",
        on_change=on_tolerance,
        help="A row passes when |yours − engine| ≤ tolerance × max(1, |engine|).",
    )
with toggle_column:
    st.toggle(
        "By hand first",
        key=HAND_FIRST,
        on_change=on_hand_first,
        help="Hide the engine's numbers until you have entered the gradient of every variable.",
    )
if st.session_state.pop(_TOLERANCE_BLANK, False):
    st.error(f"**Not changed:** the tolerance needs a number, so it stays {tolerance:g}.", icon="⚠️")

# the table: built from the saved entries every run, its edits copied back into them
row_keys = tuple(row.key for row in by_hand.rows(a))
key = editor_key(row_keys)
copy_edits(key, row_keys)
result = by_hand.check(a, state.hand_entries(), tolerance)
hidden = by_hand.engine_hidden(a, state.hand_entries(), settings)
table = by_hand.comparison_table(result, hide_engine=hidden)
st.data_editor(
    table,
    key=key,
    on_change=copy_edits,
    args=(key, row_keys),
    num_rows="fixed",
    hide_index=True,
    disabled=[c for c in by_hand.COLUMNS if c != by_hand.ANSWER],
    column_config={
        by_hand.ROW: st.column_config.TextColumn(help="Rows after the variables are optional: blank is not checked"),
        by_hand.ANSWER: st.column_config.TextColumn(help="A number (3) or a formula in the variables (x + 1)"),
        by_hand.FINITE: st.column_config.TextColumn(
            help="The gradient estimated by nudging the node by a tiny step; for the value: the value recomputed"
        ),
        by_hand.DIFFERENCE: st.column_config.TextColumn(help="yours − engine"),
        by_hand.RESULT: st.column_config.TextColumn(width=by_hand.RESULT_COLUMN_PX),
    },
    height=ui.grid_height(len(table)),
    width="stretch",
)

# the verdict
if hidden:
    entered = sum(1 for name in a.variables if state.hand_entries().get(by_hand.grad_key(name)))
    to_do = ", ".join(f"d {out} / d {name}" for name in a.variables)
    st.info(
        f"**By hand first:** enter {to_do} to see the engine's numbers ({entered} of {len(a.variables)} entered).",
        icon="✍️",
    )
else:
    ui.say(result.verdict_kind, result.verdict)

    # where the engine's numbers come from, for every row that does not match
    for c in result.unreadable:
        st.warning(f"**{c.row.label}** ({quote(c.entry)}): {c.message}")
    if result.failing:
        st.markdown("#### Where the engine's numbers come from")
        for c in result.failing:
            st.markdown(f"**{c.row.label}**: {c.message}.")
            st.code(c.explanation, language=None, wrap_lines=True)

# the diagram, with the rows that don't match in red
notes = {} if hidden else {c.row.node: c.note for c in result.failing}
computed = computed_nodes(a) if hidden else []  # z = 9 is yours to find
highlight = Highlight(hide_grads=hidden, mismatch=() if hidden else result.mismatch, notes=notes, unknown_data=computed)
ui.diagram(a, highlight)
