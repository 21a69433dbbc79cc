"""Streamlit pieces that several pages share: the sidebar, messages, and table beside diagram.

Pages stay thin: they lay these out. Anything that computes lives in the plain modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from app import state
from engine.errors import quote
from lab.lesson import questions, rescue
from lab.model.analysis import Analysis, format_number
from lab.model.diagram import (
    COLOURS,
    LEGEND,
    MAX_DIAGRAM_NODES,
    MAX_LAYOUT_WORK,
    USED_AGAIN,
    Highlight,
    digraph,
    layout_work,
    natural_size,
    too_big_to_draw,
)
from lab.model.table import values_table
from lab.model.text import markdown_safe as md
from lab.views import by_hand
from lab.work.share import RESCUE_LESSON, work_from_json, work_to_json

# -- page habits: one way each ------------------------------------------------------------------

_NO_MARKER = object()


def kept(key: str, value: object, marker: object = _NO_MARKER) -> None:
    """Show `value` (from the learner's work) in widget `key`; call it before the widget is drawn.

    A widget's own state is dropped when a page without it runs, and the work can change elsewhere
    (a link, a loaded file, another page): so the work is put back into the widget on every run.
    With `marker` (what `value` was made from), the widget is filled only when the marker changed
    or the widget is new: text typed there and not yet kept anywhere stays until then.
    """
    if marker is _NO_MARKER:
        if key not in st.session_state or st.session_state[key] != value:
            st.session_state[key] = value
        return
    if st.session_state.get(f"_{key}:for") != marker or key not in st.session_state:
        st.session_state[key] = value
        st.session_state[f"_{key}:for"] = marker


_SAY = {"success": st.success, "error": st.error, "warning": st.warning, "info": st.info}


def say(level: str, text: str, icon: str | None = None) -> None:
    """A message at its level ("success", "error", "warning" or "info"), as the page's coloured box."""
    _SAY[level](text, icon=icon)


def grid_height(rows: int) -> int:
    """The height of a data grid of `rows` rows: every row shown, up to 600 px (then it scrolls)."""
    return min(600, 38 + 35 * rows)


def presenter() -> bool:
    """Presenter view: the diagram full width with large text, bigger tables, the sidebar collapsed."""
    return bool(state.settings().get("presenter", False))


def page_style() -> None:
    """Less empty margin around the page: the table and the diagram need the width on a projector.

    In presenter view the headings shrink (the diagram and the step's sentence need the height)
    and tables get larger text.
    """
    css = "[data-testid='stMainBlockContainer']{padding:2rem 1.5rem 4rem 1.5rem;max-width:none}" + CODE_COLOURS
    css += WHOLE_BUTTON_LABELS
    if presenter():
        css += (
            "[data-testid='stMainBlockContainer']{padding-top:0.5rem}"
            "[data-testid='stMain'] h1{font-size:1.6rem;padding:0.25rem 0}"
            f"[class*='st-key-{PLAIN_TABLE}'] table{{font-size:1.35rem}}"
        )
    st.html(f"<style>{css}</style>")


# A button's label wraps onto a second line instead of ending in "…" where its column is narrow (the Lesson's
# "Open it in the Bug lab with “micrograd's README example”" lost its end at 1280 px).
WHOLE_BUTTON_LABELS = (
    "[data-testid='stMain'] .stButton button{height:auto}"
    "[data-testid='stMain'] .stButton button *{white-space:normal;overflow:visible;text-overflow:clip}"
)


# Code's syntax colours, each at least 4.5:1 on the code box's background (#f7f7f6): Streamlit's own (a blue
# keyword 3.6:1, a green True 2.2:1, an orange decorator 2.8:1) wash out on a projector and fail axe-core's check.
CODE_COLOURS = "".join(
    f"[data-testid='stCode'] .token.{token}{{color:{colour}}}"
    for tokens, colour in (
        (("keyword", "function", "builtin", "class-name"), "#1d4ed8"),
        (("boolean", "number", "constant"), "#166534"),
        (("string", "char", "attr-value"), "#115e59"),
        (("decorator", "annotation", "atrule", "regex"), "#9a3412"),
        (("comment", "prolog"), "#57534e"),
    )
    for token in tokens
)


PRESENTER_WIDGET = "sidebar:presenter"


def _on_presenter() -> None:
    state.set_setting("presenter", bool(st.session_state.get(PRESENTER_WIDGET)))


def presenter_switch() -> None:
    """The sidebar's "Presenter view" toggle, shown from the shared setting on every run.

    Turning it on collapses the sidebar through Streamlit's own page setting: the frontend
    applies a changed `initial_sidebar_state` at once (unless the learner has opened or closed
    the sidebar by hand, which it remembers), and the sidebar's arrow opens it again.
    """
    on = presenter()
    kept(PRESENTER_WIDGET, on)
    st.toggle(
        "Presenter view",
        key=PRESENTER_WIDGET,
        on_change=_on_presenter,
        help="For a projector: the diagram full width with large text, bigger tables, this sidebar collapsed "
        "(its arrow at the top left opens it again).",
    )
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")


def refused(message: str, still_shown: bool = True) -> None:
    """A refused change, in words, beside the last good graph (never a traceback)."""
    more = "  \nThe last program that worked is still shown." if still_shown else ""
    st.error(f"**Not changed:** {message}{more}", icon="⚠️")


def show_error() -> None:
    """A refused change that has no box of its own (a link): at the top of the page, below the navigation.

    A change refused in a box is shown next to that box instead (`error_here`).
    """
    message = state.error_at(state.PAGE)
    if message:
        # the page's top padding is less than the fixed navigation bar's height: keep the message below the bar
        with st.container(key="page_error"):
            st.html("<style>.st-key-page_error{margin-top:2rem}</style>")
            refused(message)


def error_here(place: str, still_shown: bool = True) -> None:
    """The message of a change refused at `place` (a box or a button), shown where it is called."""
    message = state.error_at(place)
    if message:
        refused(message, still_shown)


def sidebar(page: str = "") -> None:
    """Shared on every page: the program's variables as number inputs, sharing and saving.

    `page` is the current page's address (the share link opens it).
    """
    a = state.analysis()
    with st.sidebar:
        presenter_switch()
        st.markdown("#### Variables")
        names = list(a.program.variables)
        if not names:
            st.caption("This program has no variables.")
        for name in names:
            key = f"value:{name}"
            # the program's value, put back whenever the program changed (here, a preset, a typed program)
            kept(key, _current_value(a, name), marker=state.program())
            # value=None: a cleared box (or text that is not a number) reaches the callback as None, which
            # is refused with a message; otherwise Streamlit would silently put the box's default (0) in
            st.number_input(
                name,
                value=None,
                key=key,
                step=0.5,
                format="%g",
                placeholder="type a number",
                on_change=_on_value_change,
                args=(name,),
            )
            error_here(state.value_place(name), still_shown=False)  # the message says what the value stays
            note = st.session_state.get(_VALUE_NOTE)
            if note and note[0] == name:
                st.info(note[1], icon=":material/info:")
                st.session_state.pop(_VALUE_NOTE, None)  # said once, right after the change
            if st.session_state.get(_DRAFT_KEPT_AT) == name:
                _draft_kept()
        if output_hidden(page, a):
            st.caption(f"Output **{a.names[a.output]}** = ? (by hand first: yours to work out)")
        else:
            st.caption(f"Output **{a.names[a.output]}** = {format_number(a.graph.output.data)}")
        st.divider()
        _share_and_save(page)


# the pages whose job is to show the engine's numbers whatever "by hand first" says (Build and see's table, every
# step on Watch it flow, the Bug lab beside the engine): the output is on the page, so the sidebar shows it too
SHOWS_THE_NUMBERS = ("build", "flow", "bugs")


def output_hidden(page: str, a: Analysis) -> bool:
    """Does the sidebar hold the output's value back? As the page holds its answers back: "by hand first" is on
    and the program's hand entries are not in yet (the rescue version: its own three), except on the pages that
    show the engine's numbers anyway."""
    if page == "" and state.lesson() == RESCUE_LESSON:  # the rescue version asks for z by hand too
        return bool(state.settings().get("hand_first", True)) and not rescue.hand_entered(state.hand())
    return page not in SHOWS_THE_NUMBERS and by_hand.engine_hidden(a, state.hand_entries(), state.settings())


_DRAFT_KEPT_AT = "_draft_kept_at"  # the variable whose change left a typed, unbuilt program alone
_VALUE_NOTE = "_value_note"  # (variable, what its change did to the hand check's verdicts), said under its box


def _draft_kept() -> None:
    """Under the number box just changed: the typed program was kept, not built; build it or discard it."""
    if not state.has_draft():
        st.session_state.pop(_DRAFT_KEPT_AT, None)
        return
    st.warning(
        "Your typed program is not built yet, so this change did not touch it: Build it on **Build and see**, "
        "or Discard it.",
        icon=":material/edit_note:",
    )
    st.button("Discard my typed program", key="sidebar:discard", on_click=discard_draft, icon=":material/delete:")


def discard_draft() -> None:
    state.discard_draft()
    st.session_state.pop(_DRAFT_KEPT_AT, None)


def _current_value(a: Analysis, name: str) -> float:
    if name in a.variables:
        return a.graph.nodes[a.variables[name]].data
    return float(a.program.variables.get(name) or 0.0)


def _on_value_change(name: str) -> None:
    key = f"value:{name}"
    value = st.session_state.get(key)
    old = _current_value(state.analysis(), name)
    if value is None or not math.isfinite(value):
        st.session_state[key] = old  # the box shows the value that is still used
        state.set_error(
            f"{quote(name)} needs a number (the box was blank, or what was typed is not one), so {quote(name)} stays "
            f"{format_number(old)}",
            state.value_place(name),
        )
        return
    kept_draft = state.has_draft()
    before, entries = state.analysis(), state.hand_entries()
    if state.set_value(name, float(value)):
        tolerance = state.tolerance()
        note = by_hand.turned_by_values(before, state.analysis(), entries, tolerance) if entries else ""
        st.session_state[_VALUE_NOTE] = (name, note) if note else None
        if kept_draft:
            st.session_state[_DRAFT_KEPT_AT] = name
    else:
        st.session_state[key] = old
        state.set_error(f"{state.error()}; {quote(name)} stays {format_number(old)}", state.value_place(name))


def download(label: str, make: Callable[[], str], file_name: str, mime: str, key: str | None = None, **more) -> None:
    """A download button whose file is made when it is clicked (on another thread), not on every run, and
    whose click does not rerun the page. `more` goes to st.download_button (width, ...)."""
    st.download_button(
        label, data=make, file_name=file_name, mime=mime, key=key, on_click="ignore", icon=":material/download:", **more
    )


SHARE_BOX = "sidebar:link_box"  # the sidebar's "Link, save, load" box: open or closed, kept per session


def _share_and_save(page: str) -> None:
    st.markdown("#### Keep and share")
    st.caption(
        "The address bar always holds your work (program, hand entries, settings, answers): copy it to share, "
        "reload to come back."
    )
    # What is inside is drawn only while the box is open: the link's st.code (its highlighter is 1.5 MB of
    # JavaScript), the download button and the file uploader each make the browser load their code before
    # every page's first drawing (benchmarks/README.md).
    box = st.expander("Link, save, load", key=SHARE_BOX, on_change="rerun")
    if box.open:
        with box:
            st.code(state.share_link(page), language=None, wrap_lines=True)
            st.caption("The copy button (top right of the box) copies this link to your work.")
            work = state.work()
            download(
                "Download my work",
                lambda: work_to_json(work),
                "backprop-lab-work.json",
                "application/json",
                width="stretch",
            )
            _load_work(st.file_uploader("Load work from a file", type=["json"], key="sidebar:work_file"))
    error_here(state.FILE)


def _load_work(uploaded) -> None:
    """A work file given to the uploader replaces the work, once; a refused one changes nothing and says why."""
    if uploaded is None:
        return
    marker = (uploaded.name, uploaded.size, getattr(uploaded, "file_id", None))
    if st.session_state.get("_loaded_work") == marker:
        return
    st.session_state["_loaded_work"] = marker
    try:
        work = work_from_json(uploaded.getvalue())
    except ValueError as e:
        state.set_error(str(e), state.FILE)
        return
    if state.load_work(work):
        st.rerun()


CHIP = "display:inline-block;white-space:nowrap;margin:2px 4px 2px 0;font-size:0.85em"  # wraps whole


def legend() -> None:
    chips = " ".join(
        f'<span style="background:{COLOURS[key][0]};border:2px solid {COLOURS[key][1]};'
        f'border-radius:4px;padding:1px 6px;{CHIP}">{text}</span>'
        for text, key in LEGEND
    )
    chips += (
        f' <span style="border:2px dashed #4b5563;border-radius:4px;padding:1px 6px;{CHIP}">'
        f"a value {USED_AGAIN}, drawn beside its use</span>"
    )
    # st.html, not st.markdown(unsafe_allow_html): that one makes the browser load a 190 kB HTML parser first
    st.html(f"<div>{chips}</div>")


PX_PER_PT = 4 / 3  # graphviz measures in points; the browser draws 4/3 px per point at natural size
# How far a diagram is scaled to fit its column, as a part of its natural size. Below the smallest it
# scrolls sideways in its own box instead: 0.72 keeps 14-point text at 13.4 px on screen, presenter view's
# 1.1 at 20.5 px (natural_size is an estimate: a few per cent either way). A diagram narrower than its
# column is drawn bigger, up to the largest (presenter view).
SCALE = {False: (0.72, 1.0), True: (1.1, 1.8)}
# The box around the diagram is as tall as the drawing, up to this much of the window: then it scrolls.
MAX_BOX_VH = {False: 70, True: 62}  # in vh: percent of the window's height
BOX_PADDING_PX = 34  # the bordered box's padding and border, both sides: the drawing gets its width less this


def _scroll_notes(frame: str, out: str, width_pt: float, height_pt: float, big: bool) -> str:
    """Notes above the diagram's box, each shown only while the box cannot show the whole drawing and scrolls
    that way: the page's server cannot know the window's size, the browser does (CSS container and media
    queries against the drawn size). Without one a learner had no sign that the output was past the edge.
    """
    smallest, largest = SCALE[big]
    min_w = smallest * width_pt * PX_PER_PT
    min_h, max_h = (scale * height_pt * PX_PER_PT for scale in (smallest, largest))
    ratio = width_pt / height_pt  # the drawing keeps its shape: drawn height = drawn width / ratio
    vh, pad = MAX_BOX_VH[big], BOX_PADDING_PX
    note = f".st-key-{frame} .diagram-scroll-note"
    # the notes' own element: not drawn at all while no note shows, so it leaves no gap above the box
    element = f".st-key-{frame} .stElementContainer:has(.diagram-scroll-note)"
    wide, tall = f"{element},{note}.wide{{display:block}}", f"{element},{note}.tall{{display:block}}"
    css = (
        f".st-key-{frame}{{container-type:inline-size;container-name:{frame}}}"
        f"{element},{note}{{display:none}}{note}{{font-weight:600}}"
        # too wide: the column is narrower than the drawing at its smallest scale
        f"@container {frame} (max-width:{min_w + pad:.0f}px){{{wide}}}"
        # too tall at its smallest scale, or at the larger scale a wide column draws it at
        f"@media (max-height:{(min_h + pad) * 100 / vh:.0f}px){{{tall}}}"
        f"@media (max-height:{(max_h + pad) * 100 / vh:.0f}px){{"
        f"@container {frame} (min-width:calc(({vh}vh - {pad}px) * {ratio:.4f} + {pad}px)){{{tall}}}}}"
    )
    return (
        f"<style>{css}</style>"
        f'<div class="diagram-scroll-note wide">↔ Wider than its box: scroll sideways in the box (its scrollbar is '
        f"at the bottom) to see all of it. The output, {out}, is at the right end.</div>"
        '<div class="diagram-scroll-note tall">↕ Taller than its box: scroll down in the box to see all of it.</div>'
    )


def diagram(a: Analysis, highlight: Highlight | None = None, key: str = "diagram") -> None:
    """The graphviz diagram, or a note when the graph is too big to lay out in the browser.

    It fills its column, between the smallest and the largest scale of its natural size (SCALE);
    past the smallest the box around it scrolls, so labels stay readable on a projector instead of
    shrinking to nothing, and the page itself never gets wider than the window. While the box
    cannot show all of it, a note above the box says so and which way to scroll (_scroll_notes).
    """
    if too_big_to_draw(a):
        if len(a.graph) > MAX_DIAGRAM_NODES:
            reason = f"This graph has {len(a.graph):,} nodes. The diagram is drawn up to {MAX_DIAGRAM_NODES} nodes"
        else:  # few nodes, but values used far from where they are made: long edges are slow to lay out
            reason = (
                f"This graph's layout work is {layout_work(a):,} (its edges reach far: values are used many steps "
                f"after they are made). The diagram is drawn up to a layout work of {MAX_LAYOUT_WORK:,}"
            )
        st.info(f"{reason}, so the browser stays responsive; the table lists every node.")
        return
    big = presenter()
    smallest, largest = SCALE[big]
    width_pt, height_pt = natural_size(a, highlight)
    min_width = int(smallest * width_pt * PX_PER_PT)
    max_width = int(largest * width_pt * PX_PER_PT)
    box = f".st-key-{key}_box"
    with st.container(key=f"{key}_frame"):
        st.html(_scroll_notes(f"{key}_frame", a.names[a.output], width_pt, height_pt, big))
        with st.container(border=True, key=f"{key}_box"):
            st.html(
                f"<style>{box}{{overflow:auto;max-height:{MAX_BOX_VH[big]}vh;max-width:100%}}"
                # scrollbars always drawn, thick and dark, where a system would hide them until hovered
                f"{box}::-webkit-scrollbar{{width:14px;height:14px}}"
                f"{box}::-webkit-scrollbar-thumb{{background:#4b5563;border-radius:7px;border:3px solid #f3f4f6}}"
                f"{box}::-webkit-scrollbar-track{{background:#f3f4f6}}"
                f"{box} [data-testid='stGraphVizChart'] svg"
                f"{{display:block;width:100% !important;min-width:{min_width}px;max-width:{max_width}px !important;"
                "height:auto !important}</style>"
            )
            st.graphviz_chart(digraph(a, highlight), width="stretch")
    legend()


MAX_FORMATTED_ROWS = 1000  # each number as the diagram writes it costs ~0.1 ms a row in the server


def _shown_number(x: float | None) -> str:
    """A number as the diagram and every other table show it (format_number); a hidden one is `?`."""
    return "?" if pd.isna(x) else format_number(float(x))


def table(a: Analysis, grads=None, hide_grads: bool = False, key: str | None = None) -> None:
    """The values table: a canvas table to sort and scroll, or in presenter view a plain one with large text.

    Its numbers are written as the diagram writes them (format_number: 4 decimals); a table too long
    for that shows the same 4 decimals through the column format (2.0000 for 2).
    """
    df = values_table(a, grads=grads, hide_grads=hide_grads)
    order = ["node", "op", "formula", "data", "grad", "uses"]
    if presenter() and len(df) <= PRESENTER_TABLE_ROWS:
        shown = df[order].copy()
        for column in ("data", "grad"):
            shown[column] = [_shown_number(x) for x in shown[column]]
        plain_table(shown, numbers=("data", "grad", "uses"), key=key or "values")
        return
    columns = {"uses": st.column_config.NumberColumn(help="how many times this node is used: each use sends gradient")}
    if len(df) <= MAX_FORMATTED_ROWS:
        shown = df.style.format(_shown_number, subset=["data", "grad"])
    else:
        shown = df
        columns |= {name: st.column_config.NumberColumn(format="%.4f") for name in ("data", "grad")}
    st.dataframe(
        shown,
        hide_index=True,
        key=key,
        column_order=["node", "op", "formula", "data", "grad", "uses"],
        column_config=columns,
        height=grid_height(len(df)),
    )


PLAIN_TABLE = "plain_table_"  # the start of every plain table's container key


def plain_table(df: pd.DataFrame, numbers: tuple[str, ...] = (), key: str = "table") -> None:
    """A small table as plain text: a Markdown table, every cell escaped so it shows as typed (a name like
    `_a_` would be an italic a, a `|` would split the cell); the columns in `numbers` right-aligned.

    Not st.dataframe or st.table: both make the browser load the Arrow readers (about 1 MB of JavaScript,
    the data grid 0.5 MB more) before a page is drawn; the Lesson, the landing page, drew its diagram 0.13 s
    sooner without them (benchmarks/README.md). In presenter view its text is large (page_style), which the
    data grid's canvas cannot be.
    """
    header = "| " + " | ".join(_plain(str(c)) for c in df.columns) + " |"
    rule = "|" + "".join("---:|" if c in numbers else "---|" for c in df.columns)
    rows = [
        "| " + " | ".join(_plain(" ".join(str(cell).split())) for cell in row) + " |"  # one line a row
        for row in df.itertuples(index=False)
    ]
    with st.container(key=PLAIN_TABLE + key):
        st.markdown("\n".join([header, rule, *rows]))


def _plain(text: str) -> str:
    """Text that Markdown shows as typed."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text)


MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~")
PRESENTER_TABLE_ROWS = 40  # a longer table stays a canvas table (it scrolls) in presenter view


# The page's main column at 1280x720 with the sidebar open, as a diagram's box has it inside: a diagram beside
# a table gets its share of this. The lesson's example is 508 px wide at its smallest scale: it fits beside
# Build and see's table (7 of 11 parts: 547 px), not beside a table that takes half (430 px).
COLUMN_PX = 860


def drawn_width(a: Analysis, highlight: Highlight | None = None) -> int:
    """About how wide the diagram is drawn at its smallest scale, in px."""
    return int(SCALE[presenter()][0] * natural_size(a, highlight)[0] * PX_PER_PT)


def diagram_beside(
    a: Analysis,
    highlight: Highlight | None,
    draw_table: Callable[[], None],
    parts: tuple[int, int] = (7, 4),
    caption: str = "",
    key: str = "diagram",
) -> None:
    """The diagram on the left and the table (`draw_table`) on its right, in columns of `parts`, when the
    diagram fits its column at 1280 px; a wider one (and any in presenter view) takes the full width, the
    table under it, so no part of the diagram is seen only after scrolling sideways.

    The diagram comes first in the page's order: the browser loads each kind of element's code in that
    order, and a data grid's (1.5 MB of JavaScript) ahead of the diagram's delayed its first drawing by
    about 0.15 s (benchmarks/README.md).
    """
    share = parts[0] / sum(parts)
    if presenter() or too_big_to_draw(a) or drawn_width(a, highlight) > share * COLUMN_PX:
        diagram_side = table_side = st.container()
    else:
        diagram_side, table_side = st.columns(list(parts), gap="medium")
    with diagram_side:
        diagram(a, highlight, key=key)
        if caption:
            st.caption(caption)
    with table_side:
        draw_table()


KEEP_TYPED_SCRIPT = (Path(__file__).parent / "keep_typed.js").read_text(encoding="utf-8")


def keep_typed_text() -> None:
    """Text typed into a box reaches the server before the click that left the box acts (app/keep_typed.js says
    why): the one script of the product, in a container that takes no room."""
    with st.container(key="keep_typed"):
        st.html("<style>.st-key-keep_typed{display:none}</style>")
        st.html(f"<script>{KEEP_TYPED_SCRIPT}</script>", unsafe_allow_javascript=True)


# -- a question of a lesson ----------------------------------------------------------------------

ANSWER_ICONS = {"success": ":material/check_circle:", "error": ":material/lightbulb:", "warning": ":material/help:"}


def _save_answer(question_id: str) -> None:
    value = st.session_state.get(f"lesson:q:{question_id}")
    state.set_answer(question_id, "" if value is None else str(value))


def ask(q: questions.Question, a: Analysis, reveal: bool = True, waiting: str = "") -> questions.Feedback:
    """A question with its widget and its feedback; the answer is kept in the work's answers.

    `reveal` False: the verdict is shown, and `waiting` in place of the explanation (by hand first)."""
    key = f"lesson:q:{q.id}"
    kept_answer = state.answers().get(q.id)
    if q.kind == questions.CHOICE:
        kept(key, kept_answer if kept_answer in q.keys else None)
        st.radio(
            md(q.prompt(a)),
            q.keys,
            format_func=lambda option: md(questions.option_text(q, a, option)),
            index=None,
            key=key,
            on_change=_save_answer,
            args=(q.id,),
        )
    else:
        kept(key, kept_answer or "")
        st.text_input(
            md(q.prompt(a)),
            key=key,
            on_change=_save_answer,
            args=(q.id,),
            placeholder="a formula in x and y, like x*y" if q.kind == questions.FORMULA else "a number, like 1.5",
        )
    result = questions.feedback(q, a, kept_answer)
    if result.answered:
        explanation = result.explanation if reveal else waiting
        text = md(result.verdict) + (f"  \n{md(explanation)}" if explanation else "")
        say(result.level, text, icon=ANSWER_ICONS[result.level])
    return result
