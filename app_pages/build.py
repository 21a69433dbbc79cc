"""Build and see: make an expression (type it, use widgets, or load a preset), then see every value and gradient."""

import html
from collections.abc import Callable

import streamlit as st

from app import state, ui
from lab.model import builder
from lab.model.diagram import notebook_code, to_dot
from lab.model.presets import PRESETS, note_for
from lab.model.python_code import python_code
from lab.model.table import table_csv


def change_program(change: Callable[[str], str]) -> None:
    """Apply a builder change to the program; a refusal is said under the builder's buttons, nothing is lost."""
    try:
        text = change(state.program())
    except ValueError as e:
        state.set_error(str(e), state.WIDGETS)
        return
    state.set_program(text, state.WIDGETS)


def keep_typed() -> None:
    """What is typed into the program box is the learner's: kept (not built) even when they leave the page."""
    state.set_draft(st.session_state["build:text"])


def build_typed() -> None:
    text, defaulted = builder.give_values(st.session_state["build:text"], state.analysis().values)
    if state.set_program(text, state.TYPED) and defaulted:
        st.session_state["build:note"] = (
            f"{', '.join(defaulted)} had no number, so {'they start' if len(defaulted) > 1 else 'it starts'} at 1: "
            f"change {'them' if len(defaulted) > 1 else 'it'} in the sidebar."
        )


def add_variable() -> None:
    name, value = st.session_state["build:var_name"], st.session_state["build:var_value"]
    if value is None:
        state.set_error("the new variable has no value: type a number", state.WIDGETS)
        return
    if st.session_state["build:var_new"]:
        change_program(lambda _: builder.new_program(name, value))
    else:
        change_program(lambda text: builder.add_variable(text, name, value))


NUMBER = "a number …"  # the operand picker's last choice: then a number box appears
CODE_STYLE = (
    "background:#f6f7f9;border-radius:0.5rem;padding:0.75rem 1rem;font-size:0.85rem;line-height:1.45;"
    "max-height:420px;overflow:auto;white-space:pre"
)


def operand(key: str) -> str:
    """What the learner picked as an operand: a node's name, or the number they typed."""
    choice = st.session_state.get(key)
    if choice == NUMBER:
        number = st.session_state.get(f"{key}:number")
        return "" if number is None else repr(float(number))
    return choice or ""


def add_operation() -> None:
    result, op = st.session_state["build:op_name"], st.session_state["build:op"]
    operands = [operand("build:op_a"), operand("build:op_b")]
    change_program(lambda text: builder.add_operation(text, result, op, operands))


def operand_picker(label: str, key: str, names: list[str], number: float = 1.0) -> None:
    """Pick an existing node, or "a number …" and type it."""
    node, typed = st.columns([3, 2], gap="small")
    choice = node.selectbox(label, [*names, NUMBER], key=key, index=None, placeholder="node or number")
    if choice == NUMBER:
        typed.number_input("The number", key=f"{key}:number", value=number, step=0.5, format="%g")


def step_labels(text: str) -> list[str]:
    return [f"{i + 1}: {step.text}" for i, step in enumerate(builder.steps(text))]


def chosen_step() -> int:
    """The index of the step picked in "Change or remove a step" (its label names it)."""
    labels = step_labels(state.program())
    choice = st.session_state.get("build:step")
    return labels.index(choice) if choice in labels else -1


def change_step() -> None:
    index = chosen_step()
    change_program(lambda text: builder.replace_step(text, index, st.session_state["build:step_text"]))


def remove_step() -> None:
    index = chosen_step()
    change_program(lambda text: builder.remove_step(text, index))


def load_preset(key: str) -> None:
    state.set_program(PRESETS[key].program)


st.title("Build and see")
st.caption("Build an expression three ways, then see every node's value and gradient, as a table and as a graph.")

# keyed and tracked, so the open tab stays open when an error line appears above it
typing, widgets, presets = st.tabs(["Type it", "Widgets", "Presets"], key="build:tab", on_change="rerun")

with typing:
    ui.kept("build:text", state.draft())
    lines = state.draft().count("\n") + 1
    st.text_area(
        "Your program, one step a line",
        key="build:text",
        height=max(110, min(330, 30 + 26 * lines)),
        help="An expression like `x*y + y`, assignments like `z = x*y + y`, or the lesson's Python "
        "(`x = Value(2.0)`, `n.tanh()`, `c += c + 1`). The last line is the output.",
        on_change=keep_typed,
    )
    st.button("Build", key="build:build", type="primary", on_click=build_typed, icon=":material/play_arrow:")
    # what went wrong, right under the button that was pressed
    ui.error_here(state.TYPED)
    if state.has_draft() and state.error_at(state.TYPED) is None:
        st.warning(
            "Your typed program is not built yet (the graph below is the last one built): Build it, or Discard it.",
            icon=":material/edit_note:",
        )
    if state.has_draft():
        st.button("Discard my typed program", key="build:discard", on_click=ui.discard_draft, icon=":material/delete:")
    if note := st.session_state.pop("build:note", None):
        st.info(note, icon=":material/info:")
    st.caption(
        "Try `z = x*y + y` · `o = tanh(x1*w1 + x2*w2 + b)` · `L = (a - 1)**2 + relu(b)` · "
        "or paste `a = Value(2.0)` lines. Variables get a number input in the sidebar."
    )

if widgets.open:  # only the open tab is drawn: less for the browser to load before the diagram
    with widgets:
        program_steps = builder.steps(state.program())
        names = builder.node_names(state.program())
        add_var, add_op, edit = st.columns(3, gap="medium")
        with add_var:
            st.markdown("**Add a variable**")
            st.text_input("Name", key="build:var_name", placeholder="like x or w1")
            st.number_input("Value", key="build:var_value", value=1.0, step=0.5, format="%g")
            st.checkbox("Start over with it (replaces the whole program)", key="build:var_new")
            st.button("Add variable", key="build:add_var", on_click=add_variable, icon=":material/add:")
        with add_op:
            st.markdown("**Add an operation**")
            st.text_input("Result name", key="build:op_name", placeholder="like a or z")
            op = st.selectbox("Operator", builder.OPERATORS, key="build:op", format_func=builder.OPERATOR_NAMES.get)
            operand_picker("Operand" if op in builder.UNARY else "First operand", "build:op_a", names)
            if op == "**":
                operand_picker("Exponent", "build:op_b", [], number=2.0)
            elif op in builder.BINARY:
                operand_picker("Second operand", "build:op_b", names)
            st.button("Add operation", key="build:add_op", on_click=add_operation, icon=":material/add:")
            st.caption("It becomes the last step, so it is the new output.")
        with edit:
            st.markdown("**Change or remove a step**")
            labels = step_labels(state.program())
            choice = st.selectbox("Step", labels, key="build:step")
            if choice in labels:
                index = labels.index(choice)
                step = program_steps[index]
                ui.kept("build:step_text", step.text, marker=(state.program(), index))
                st.text_input("Written as", key="build:step_text")
                change, remove = st.columns(2)
                change.button("Change", key="build:change", on_click=change_step, width="stretch")
                remove.button("Remove", key="build:remove", on_click=remove_step, width="stretch")
                if step.kind == builder.VARIABLE:
                    st.caption(f"A variable: change its value with the number input for {step.name} in the sidebar.")
                elif step.kind == builder.OTHER:
                    st.caption("Python that is not a step of the graph.")
                elif step.uses:
                    st.caption(f"Uses {', '.join(step.uses)}.")
        ui.error_here(state.WIDGETS)  # under the builder's buttons

if presets.open:
    with presets:
        for key, preset in PRESETS.items():
            button, words = st.columns([1, 3], vertical_alignment="center")
            button.button(preset.title, key=f"build:preset:{key}", on_click=load_preset, args=(key,), width="stretch")
            words.caption(preset.teaches.replace("*", "\\*"))

a = state.analysis()
ui.diagram_beside(a, None, lambda: ui.table(a), caption=note_for(a))

code, files = st.columns([3, 2], gap="medium")
with code:
    st.markdown("**The same graph in Python**, built with the engine's `Value`")
    # Plain preformatted text, not st.code: st.code's highlighter is 1.5 MB of JavaScript that kept the browser
    # busy for about half a second before the diagram was drawn (benchmarks/README.md). st.html, because
    # st.markdown turns a <pre> into a plain block and the lines run together.
    st.html(f'<pre style="{CODE_STYLE}">{html.escape(python_code(a), quote=False)}</pre>')
with files:
    st.markdown("**Download**")
    # each file made when its button is clicked, from this run's graph
    ui.download("Diagram (DOT)", lambda a=a: to_dot(a), "backprop-graph.dot", "text/vnd.graphviz", key="build:dot")
    ui.download(
        "Diagram (Python, graphviz)",
        lambda a=a: notebook_code(a),
        "backprop-graph.py",
        "text/x-python",
        key="build:notebook",
    )
    ui.download("Table (CSV)", lambda a=a: table_csv(a), "backprop-values.csv", "text/csv", key="build:csv")
    st.caption(
        "Open the DOT file with Graphviz (`dot -Tsvg`), the CSV with any spreadsheet. The Python file builds "
        "the graph with `Value` and draws it with the graphviz package, as micrograd's `draw_dot` does: paste it "
        "into a notebook next to the engine."
    )
