"""Write the rules yourself: your backward rules run on your expression beside the engine's."""

import streamlit as st

from app import state, ui
from lab.lesson.stations import BY_HAND_PAGE
from lab.model.analysis import format_number
from lab.model.diagram import COLOURS, Highlight, computed_nodes
from lab.views import by_hand, own_rules

ICONS = {"error": "⚠️", "warning": "⚠️", "success": ":material/check_circle:", "info": ":material/info:"}


def rule_key(op: str) -> str:
    return f"own_rules:rule:{op}"


def save_rule(op: str) -> None:
    state.set_rule(op, st.session_state.get(rule_key(op), ""))


def load_program(program: str) -> None:
    state.set_program(program)


a = state.analysis()
texts = state.rules()
# "by hand first": this expression's gradients (the engine's, and yours, which are the engine's once your rules
# are right) wait until the learner has worked them out by hand
hidden = by_hand.engine_hidden(a, state.hand_entries(), state.settings())

st.title("Write the rules yourself")
st.markdown(
    "Write each operator's backward rule the way the lesson does, one line per input: "
    "`self.grad += (the local derivative) * out.grad`. The right side can use `self.data`, `other.data`, `out.data`, "
    "`out.grad`, numbers, `+ - * / **` and `tanh relu exp log` (and `n`, the exponent of `**`). "
    "Your expression is then backpropagated with your rules (the engine's for the rest) beside the engine's."
)

op = st.segmented_control(
    "Operator",
    options=list(own_rules.OPERATORS),
    format_func=lambda o: own_rules.label(o) + (" ✎" if o in texts else ""),
    default="*",
    key="own_rules:operator",
)
op = op or "*"  # clicking the chosen operator again unselects it: keep showing one

read = own_rules.read_rules(texts)
comparison = own_rules.compare(a, read)
key = rule_key(op)
ui.kept(key, texts.get(op, ""))
left, right = st.columns([3, 2], gap="large")
with left:
    st.text_area(
        f"Your backward rule for {own_rules.label(op)}, where `{own_rules.forward_line(op)}`",
        key=key,
        placeholder=own_rules.template(op),
        height=110,
        on_change=save_rule,
        args=(op,),
        help="Ctrl+Enter (or a click outside the box) runs it.",
    )
    if op in read.errors:
        st.error(read.errors[op], icon="⚠️")
    elif op in read.rules:
        st.caption("Read. Below: what it does on your expression.")
with right:
    written = [own_rules.label(o) for o in own_rules.OPERATORS if o in read.rules]
    st.markdown("**Your rules:** " + (", ".join(f"`{w}`" for w in written) if written else "none yet"))
    used = ", ".join(f"`{own_rules.label(o)}`" for o in comparison.used) or "no operator"
    st.markdown(f"**Your expression uses:** {used}")
    st.caption("An operator without your rule runs the engine's own.")
    for other_op, message in read.errors.items():
        if other_op != op:
            st.caption(f"⚠️ {message}")

done = own_rules.lesson_done(texts)
if done.done:
    st.success(
        "Your `+` and `*` rules give the engine's gradients on "
        + own_rules.titles([check.title for check in done.checks])
        + ". That is the lesson's definition of done.",
        icon=":material/military_tech:",
    )

st.subheader("Your rules on your expression")
if hidden:
    ui.say(
        "info",
        "**By hand first**: the gradients of your expression (the engine's, and yours) show here once you have "
        "worked them out by hand. Until then each mistake is named in words, and the diagram marks where your "
        "rules differ from the engine's.",
        icon=":material/edit_note:",
    )
    st.page_link(BY_HAND_PAGE, label="Work them out on “By hand”", icon=":material/arrow_forward:")
if not comparison.own:
    st.info(
        "Your expression does not run any rule of yours yet: write the rule of one of the operators it uses.",
        icon=":material/edit:",
    )
found = own_rules.findings(comparison)
for finding in own_rules.without_numbers(found) if hidden else found:
    ui.say(finding.level, finding.text, icon=ICONS[finding.level])
hidden_mistakes = own_rules.hidden_mistakes(comparison, texts, state.program())
if comparison.own and comparison.all_right and not any(h.op in comparison.own for h in hidden_mistakes):
    st.success(
        "Every gradient of your expression matches the engine's with your "
        + own_rules.titles([f"`{own_rules.label(o)}`" for o in comparison.own])
        + " rule"
        + ("s." if len(comparison.own) > 1 else "."),
        icon=":material/check_circle:",
    )
for number, unseen in enumerate(hidden_mistakes):
    why = "this expression does not show it" if hidden else unseen.why  # the why can carry the pass's numbers
    message = f"Your `{own_rules.label(unseen.op)}` rule is not right yet, but {why}."
    if unseen.program:
        st.warning(message + f" “{unseen.title}” shows it.", icon=":material/visibility:")
        st.button(
            f"Load “{unseen.title}”",
            on_click=load_program,
            args=(unseen.program,),
            key=f"own_rules:load:{number}",
            icon=":material/swap_horiz:",
        )
    else:
        st.warning(message, icon=":material/visibility:")

table = own_rules.comparison_table(comparison)
wrong_fill = COLOURS["mismatch"][0]
for column in ("your grad", "engine's grad"):
    # NaN (a rule that cannot be computed) shows as –
    table[column] = "?" if hidden else table[column].map(format_number)
styled = table.style.apply(
    lambda row: [f"background-color: {wrong_fill}" if row["right?"] != own_rules.RIGHT_MARK else "" for _ in row],
    axis=1,
)
notes = own_rules.notes(comparison)
highlight = Highlight(
    grads=comparison.learner,
    hide_grads=hidden,
    unknown_data=computed_nodes(a) if hidden else (),  # By hand's to find
    mismatch=set(comparison.wrong) | set(comparison.failed),
    notes={i: note for i, note in notes.items() if i in comparison.failed} if hidden else notes,  # "engine: 3"
)
ui.diagram_beside(
    a,
    highlight,
    lambda: st.dataframe(styled, hide_index=True, height=ui.grid_height(len(table)), key="own_rules:table"),
    parts=(5, 6),
    caption="The diagram shows the gradients with your rules: red nodes differ from the engine's.",
    key="own_rules_diagram",
)
