"""Implement it: the learner writes the lesson's `Value` and `backward()`, runs it in the sandbox, sees their graph."""

from pathlib import Path

import streamlit as st

from app import lesson2 as lesson2_views
from app import state, ui
from lab.implement import run as implement
from lab.lesson import stations as lesson
from lab.model.analysis import format_number
from lab.model.diagram import Highlight
from lab.model.text import markdown_safe as md
from lab.views import implement_view

try:
    from code_editor import code_editor
except ImportError:  # the component is not installed: a plain text box instead, and the page says so
    code_editor = None

RUN_ASKED = "implement:run_asked"  # the Run button or Ctrl+Enter asked for a run: done in this run's body
SEEN_EVENT = "implement:seen_event"  # the id of the editor's last event handled (its value stays after a rerun)
EDITOR_HOLDS = "implement:editor_holds"  # the text the editor holds, as last given to it or sent by it
REVISION = "implement:editor_revision"  # a new editor (its key) when the code changed outside it
ASKING = "implement:asking"  # "Start again" was clicked: ask before throwing code away
PLAIN_BOX = "implement:code_box"

# Streamlit's own copy of the editor's font (Source Code Pro), served by this server: the editor's theme asks
# Google's font server for it, and with no internet the text would fall back to another monospace font. The
# component's page sits at /component/<name>/index.html, so the path is relative to that.
_MEDIA = Path(st.__file__).parent / "static" / "static" / "media"
_FONT_FILE = next(iter(sorted(_MEDIA.glob("SourceCodeVF-Upright*.woff2"))), None)
EDITOR_FONT = "Backprop Lab Code"
FONT_CSS = (
    f"@font-face{{font-family:'{EDITOR_FONT}';src:url('../../static/media/{_FONT_FILE.name}') format('woff2');"
    "font-weight:200 900;font-display:block}"
    if _FONT_FILE
    else ""
)
# Ace scrolls its text itself (the gutter with it); the browser also scrolls the text's box natively to bring the
# hidden input at the cursor into view (typing on the last line), which moves the text and not the gutter: the line
# numbers then sat 15 px below their lines. `clip` lets no one but Ace scroll it.
EDITOR_CSS = FONT_CSS + ".ace_scroller{overflow:clip !important}"


# the line to fix first, marked in the editor (lab/views/implement_view.py `editor_marks`)
MARK_CSS = (
    f".ace_marker-layer .{implement_view.MARK_CLASS}{{position:absolute;background:rgba(220,38,38,0.16);"
    "border-left:3px solid #b91c1c}"
)


def marks() -> dict[str, list[dict]]:
    last = state.last_run()
    if last is None:
        return {"annotations": [], "markers": []}
    return implement_view.editor_marks(last[1], shown_code(), held(), skipped())


def shown_code() -> str:
    return state.code() or implement.SKELETON


def ask_to_run() -> None:
    st.session_state[RUN_ASKED] = True


def keep_plain_box() -> None:
    state.set_code(st.session_state.get(PLAIN_BOX) or "")


def ask_start_again() -> None:
    """Ask first, when there is code of the learner's to throw away (the editor's typing reruns only the editor,
    so this button is never disabled from what it knew before: it looks now)."""
    if state.code():
        st.session_state[ASKING] = True


def start_again() -> None:
    state.set_code("")
    state.forget_runs()
    st.session_state.pop(ASKING, None)


def learner_table(a, differs, engine, which: str) -> None:
    df = implement_view.learner_table(a, differs, engine)
    numbers = ["your data", "engine's data", "your grad", "engine's grad"]
    shown = df.style.format(format_number, subset=numbers).apply(
        lambda row: ["font-weight: bold" if row["as the engine?"] == implement_view.DIFFERS else "" for _ in row],
        axis=1,
    )
    st.dataframe(shown, hide_index=True, key=f"implement:table:{which}", height=ui.grid_height(len(df)))


def held() -> frozenset[str]:
    """The checks whose numbers "by hand first" holds back just now."""
    return implement_view.held_checks(state.example_hidden(), lesson.is_example(state.analysis()))


def skipped() -> tuple[str, ...]:
    """While lesson 2 is walked its own checks (below) name a slip in its methods: the program that uses them is
    not the box's to name."""
    return ("program",) if lesson2_views.walking_lesson2(state.code()) else ()


def results(report) -> None:
    """The "Fix this first" box (the first failing part, the learner's number beside the engine's, the line also
    marked in the editor), and every other check folded under it."""
    total = len(report.checks)
    fix = implement_view.fix_first(report, held(), skipped())
    if report.passed:
        ui.say("success", f"**All {total} checks pass.** Your `Value` backpropagates as the engine.", icon="🏅")
    elif fix is None:
        passed, _ = implement_view.passed_count(report)
        st.markdown(f"**{passed} of {total} checks pass.**")
    else:
        words = [f"**Fix this first** ({fix.part}): {md(fix.title)}", md(fix.message)]
        if fix.found and fix.wanted:
            words.append(f"Yours: **{md(fix.found)}** · the engine's: **{md(fix.wanted)}**")
        if fix.line:
            shown = f": `{fix.code_line}`" if fix.code_line and "`" not in fix.code_line else ""
            words.append(f"Marked in the editor: line {fix.line}{shown}")
        with st.container(key="implement-fix-first"):
            ui.say("error", "\n\n".join(words), icon=":material/build:")
    first = implement_view.first_to_fix(report, skipped())
    others = [line for line in implement_view.check_lines(report, held()) if first is None or line.key != first.key]
    label = implement_view.folded_words(report, first) if first else f"The {total} checks"
    with st.expander(label, expanded=False):
        st.markdown("\n".join(f"- {line.symbol} {md(line.text)}" for line in others))


def printed(output: str, hidden: bool) -> None:
    st.markdown("**What your code printed**")
    if hidden:
        st.caption(
            "What your code printed on the lesson's example waits, like its numbers, until you have worked the "
            "example on **By hand** (By hand first)."
        )
        return
    shown, cut = implement_view.capped_output(output)
    st.code(shown, language=None)
    if cut:
        st.caption(f"Only the first {len(shown):,} characters are shown.")


def editor() -> None:
    """The code editor, drawn on its own: what it sends while the learner types reruns only this part."""
    text = shown_code()
    held = st.session_state.get(EDITOR_HOLDS)
    if held is not None and implement_view.kept_code(held, implement.SKELETON) != state.code():
        # the code was changed elsewhere (Start again, a loaded work file): a new editor shows it
        st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1
        held = None
    if held is None:
        st.session_state[EDITOR_HOLDS] = text
    response = code_editor(
        text,
        lang="python",
        height=[22, 48],
        key=editor_key(),
        response_mode=["debounce", "blur"],
        options={"showLineNumbers": True, "wrap": True, "fontFamily": f"'{EDITOR_FONT}', monospace", "tabSize": 4},
        props={"debounceChangePeriod": 500, **marks()},
        component_props={"globalCSS": EDITOR_CSS + MARK_CSS},
    )
    if take(response):  # Ctrl+Enter
        ask_to_run()
        st.rerun()


def editor_key() -> str:
    return f"implement:editor:{st.session_state.get(REVISION, 0)}"


def take(response) -> bool:
    """Keep what the editor sent, once per event; True when it was Ctrl+Enter."""
    event = (response or {}).get("id")
    if not event or event == st.session_state.get(SEEN_EVENT):
        return False
    st.session_state[SEEN_EVENT] = event
    typed = response.get("text", "")
    st.session_state[EDITOR_HOLDS] = typed
    state.set_code(typed)
    return response.get("type") == "submit"


st.title("Implement it: your own Value")
st.markdown(
    "Write the lesson's `Value` class: `__add__` and `__mul__` each build `out` with `_prev` and `_op` and give it "
    "a `_backward` closure; `backward()` orders the nodes topologically (depth-first, with a visited set), seeds "
    "the output's grad with 1 and calls `_backward` in reverse. **Run** tests each part of *your* class alone "
    "(recording, each operator's rule, `backward()`), then the lesson's test and your program from Build and see; "
    "the first part to fix comes first, its line marked in the editor. It runs in a sandbox, never on the server."
)

code_column, side = st.columns([3, 2], gap="medium")
with side:  # the run first, so the editor drawn next marks the line this run found
    if code_editor is not None and take(st.session_state.get(editor_key())):  # what it sent with a click on Run
        ask_to_run()
    if st.session_state.pop(RUN_ASKED, False):
        in_line = st.empty()  # while every runner is busy: how many runs are ahead, as that changes
        with st.spinner(implement_view.RUNNING_WORDS):
            state.run_code(shown_code(), on_wait=lambda ahead: in_line.info(implement_view.waiting_words(ahead)))
        in_line.empty()
    elif state.code() and state.last_run() is None:
        with st.spinner("Running your code (from your work) in the sandbox…"):
            state.implementation_report()  # a fresh session from a link: run once
with code_column:
    run_column, keys_column, again_column = st.columns([1, 2.2, 2.3], vertical_alignment="center")
    run_column.button(
        "Run", type="primary", icon=":material/play_arrow:", on_click=ask_to_run, key="implement:run", width="stretch"
    )
    keys_column.caption("or **Ctrl+Enter** in the editor · Tab indents")
    if st.session_state.get(ASKING):
        lines = len(state.code().splitlines())
        st.warning(f"Throw away your code ({lines} lines) and start again from the skeleton?", icon=":material/help:")
        yes, no, _ = st.columns([2, 2, 1])
        yes.button("Yes, start again", on_click=start_again, key="implement:start_again_yes", icon=":material/delete:")
        no.button("No, keep my code", on_click=lambda: st.session_state.pop(ASKING, None), key="implement:keep_code")
    else:
        again_column.button(
            "Start again from the skeleton",
            on_click=ask_start_again,
            key="implement:start_again",
            icon=":material/restart_alt:",
            width="stretch",
        )
    if code_editor is not None:
        st.fragment(editor)()
        st.caption("Your code is kept with your work: the link, the work file and the report carry it.")
    else:
        st.warning(
            "The code editor could not be loaded, so this is a plain text box (no highlighting or line numbers). "
            "Ctrl+Enter keeps what you typed; Run runs it.",
            icon=":material/warning:",
        )
        ui.kept(PLAIN_BOX, shown_code(), marker=state.code())
        st.text_area("Your code", key=PLAIN_BOX, height=520, on_change=keep_plain_box)

with side:
    last = state.last_run()
    report = last[1] if last else None
    hidden = state.example_hidden()
    if report is None:
        ui.say("info", "Write your class, then **Run** it: each check says here what your `Value` did.", icon="💡")
    else:
        if last[0] != shown_code():
            st.caption("⚠ You changed your code since this run: **Run** again to check it.")
        if report.problem is not None:
            ui.say("error", f"**Your code stopped.** {md(implement_view.problem_text(report.problem))}", icon="⚠️")
            if report.problem.code_line:
                st.code(report.problem.code_line, language="python")
        if report.checks:
            results(report)
        if report.output:
            printed(report.output, hidden)

if report is not None:
    graphs = [
        ("lesson", report.lesson_graph, "Your `Value` on the lesson's example"),
        ("program", report.program_graph, "Your `Value` on your program"),
    ]
    if report.program_graph is not None and lesson.is_example(state.analysis()):
        graphs = [("program", report.program_graph, "Your `Value` on the lesson's example (your program)")]
    for which, graph, title in graphs:
        if which == "program" and graph is None:
            if report.program_note:
                st.subheader(title)
                ui.say("info", f"Your program from Build and see: {md(report.program_note)}", icon=":material/info:")
            continue
        if graph is None:
            continue
        st.subheader(title)
        a = implement_view.learner_analysis(graph)
        if hidden and (which == "lesson" or lesson.is_example(state.analysis())):
            ui.diagram(a, implement_view.unspoiled(a), key=f"implement_diagram_{which}")
            st.caption(
                "Drawn from your objects, with `?` for the numbers: they wait until you have worked the example "
                "on **By hand** (By hand first). Your checks above ran on other numbers."
            )
            continue
        differs = report.lesson_differs if which == "lesson" else report.program_differs
        program = implement.LESSON if which == "lesson" else state.last_run_program()
        engine = implement_view.engine_values(graph, program)
        highlight = Highlight(mismatch=set(differs), engine=implement_view.engine_beside(graph, engine, differs))
        ui.diagram_beside(
            a,
            highlight,
            lambda a=a, which=which, differs=differs, engine=engine: learner_table(a, differs, engine, which),
            caption="Drawn from your objects: `_prev`, `_op`, `data` and `grad` as your code left them."
            + (" Nodes marked ✘ (red) differ from the engine's: its number is beside yours." if differs else ""),
            key=f"implement_diagram_{which}",
        )

lesson2_views.implement_panel()  # lesson 2 (tanh, relu, train) once the learner walks it
