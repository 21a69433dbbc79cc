"""The learner's report: one readable file to hand in or print, as HTML and as Markdown.

It holds the date, the program, the values and gradients table, the diagram, the hand check
(each row and the verdict), the checkpoint answers (right or wrong), the lesson's progress,
the learner's own rules and the takeaway: all read from the same `Work` as the work file.
Everything the learner typed is escaped in HTML (html.escape) and kept as text in Markdown
(in code fences, or with Markdown's characters escaped), never rendered.

The report is a list of sections (SECTIONS), each built once from the work as plain parts
(text, a block kept exactly, a table, a picture) and then written twice: as HTML and as Markdown.
A new section is one function added to SECTIONS.

The diagram is a picture where Graphviz's `dot` program is installed (the `graphviz` package
only calls it); without it the report has the graph as a table (each node, what it is computed
from, where it is used) and the DOT text folded under it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lab.implement.results import Report
from lab.lesson import checklist, lesson2, questions, rescue
from lab.lesson import stations as lesson
from lab.lesson.records import Progress
from lab.lesson.takeaway import PROMPTS, count_sentences
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.diagram import to_dot, too_big_to_draw
from lab.model.steps import MODES
from lab.model.table import values_table
from lab.views import by_hand, implement_view, parsons, predict
from lab.work.share import RESCUE_LESSON, Work

TITLE = "Backprop Lab: my work"
n = format_number


@dataclass(frozen=True)
class AnswerLine:
    id: str
    prompt: str
    answer: str  # as the learner sees it (a choice's text)
    verdict: str  # "right", "not right yet", "can't read it"


def render_svg(dot: str) -> str | None:
    """The diagram as SVG, when Graphviz's `dot` program is installed; None otherwise."""
    if shutil.which("dot") is None:
        return None
    try:
        import graphviz

        svg = graphviz.Source(dot).pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.backend.CalledProcessError, subprocess.SubprocessError, OSError):
        return None
    start = svg.find("<svg")  # drop the XML prologue and doctype: the SVG goes inline into the HTML
    return svg[start:] if start >= 0 else None


def answer_lines(work: Work, current: Analysis) -> list[AnswerLine]:
    """Every question the learner answered, in the lesson's order, with right or wrong."""
    a = lesson.example_analysis(current)
    lines = []
    asked = [*questions.STATION_QUESTIONS.values(), *questions.CHECKPOINTS]
    for q in asked:
        answer = work.answers.get(q.id)
        if answer is None:
            continue
        result = questions.feedback(q, a, answer)
        lines.append(AnswerLine(q.id, q.prompt(a), result.shown or answer, _verdict(result)))
    answer = work.answers.get(questions.NEXT.id)
    if answer is not None:
        result = questions.next_feedback(answer)
        lines.append(AnswerLine(questions.NEXT.id, questions.NEXT.prompt(current), answer, _verdict(result)))
    return lines


def _verdict(result: questions.Feedback) -> str:
    if result.right:
        return "right"
    return "can't read it" if result.unreadable else "not right yet"


def other_answers(work: Work) -> dict[str, str]:
    """Answers kept in the work that are not a question's (e.g. from a newer version): shown as they are."""
    known = set(questions.ALL) | {q.id for q in lesson2.QUESTIONS} | {lesson2.TAKEAWAY}
    ours = (checklist.TICK_PREFIX, rescue.PREFIX)  # the rescue version's answers are in its own section
    return {k: v for k, v in work.answers.items() if k not in known and not k.startswith(ours)}


def _other_hand(work: Work, check: by_hand.HandCheck, a: Analysis) -> dict[str, str]:
    """This program's hand entries for rows it doesn't have (other programs' entries are theirs)."""
    shown = {c.row.key for c in check.checks}
    return {k: v for k, v in by_hand.entries_of(work.hand, a).items() if k not in shown}


# -- the parts a section is made of ------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A sentence of ours. Parts between backticks are code; everything else is plain text."""

    text: str
    style: str = ""  # "", "muted", "right" or "wrong"
    id: str = ""


@dataclass(frozen=True)
class Block:
    """Text kept exactly as it is, every line (the program, a rule, the takeaway, an explanation)."""

    text: str
    id: str = ""
    info: str = "text"  # the Markdown fence's language
    mark: tuple[str, str, str] | None = None  # (class, data attribute, value): where the text came from
    style: str = ""


@dataclass(frozen=True)
class Cell:
    text: str
    mark: tuple[str, str, str] | None = None  # (class, data attribute, value): where the text came from
    style: str = ""  # "", "right" or "wrong"
    code: bool = False  # our formula: code in HTML, a code span in Markdown
    ours: bool = False  # a sentence of ours: parts between backticks are code (as in Text)


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[Cell | str]]


@dataclass(frozen=True)
class Items:
    items: Sequence[str]  # sentences of ours (backticks: code)
    intro: str = ""


@dataclass(frozen=True)
class Picture:
    svg: str  # drawn by Graphviz: in the HTML report only
    id: str = "diagram"


@dataclass(frozen=True)
class Folded:
    """Shown on request in HTML (a <details>), as it is in Markdown."""

    summary: str
    block: Block


Part = Text | Block | Table | Items | Picture | Folded


@dataclass(frozen=True)
class Section:
    title: str
    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """What every section is built from."""

    work: Work
    current: Analysis
    render: Callable[[str], str | None] = render_svg
    implemented: Report | None = None  # a run of the work's code (Implement it): its section and its station
    runs: Mapping[str, object] | None = None  # what lesson 2's own checks of the code gave (its stations)
    rescued: Report | None = None  # a run of the rescue version's assembled class: its by-hand-and-run station


# -- the sections, in the report's order ---------------------------------------------------------


def program_section(s: Source) -> Section:
    return Section("The program", [Block(s.work.program, id="program")])


def values_section(s: Source) -> Section:
    rows = [
        [r["node"], r["op"], r["formula"], n(r["data"]), n(r["grad"]), str(r["uses"])]
        for r in values_table(s.current).to_dict("records")
    ]
    return Section("Values and gradients", [Table(["node", "op", "formula", "data", "grad", "uses"], rows)])


def graph_table(a: Analysis) -> Table:
    """The diagram as a table: each node, what it is computed from (its arrows in), where it is used (out)."""
    used_by: dict[int, list[str]] = {}
    for i, inputs in enumerate(a.graph.inputs):
        for parent in inputs:
            used_by.setdefault(parent, []).append(a.names[i])
    rows = []
    for i in range(len(a.graph)):
        made = f"{a.names[i]} = {a.formulas[i]}" if a.graph.inputs[i] else f"{a.names[i]} (a {a.kinds[i]})"
        rows.append(
            [
                a.names[i],
                Cell(made, code=bool(a.graph.inputs[i])),
                ", ".join(a.names[p] for p in a.graph.inputs[i]) or "–",
                ", ".join(used_by.get(i, [])) or ("– (the output)" if i == a.output else "–"),
                n(a.graph.nodes[i].data),
                n(a.graph.nodes[i].grad),
            ]
        )
    return Table(["node", "computed as", "arrows in from", "arrows out to", "data", "grad"], rows)


def diagram_section(s: Source) -> Section:
    dot = to_dot(s.current)
    svg = None if too_big_to_draw(s.current) else s.render(dot)
    if svg:
        return Section("The diagram", [Picture(svg)])
    return Section(
        "The diagram",
        [
            Text(
                "Drawn as a table here (Graphviz's `dot` program is not installed where this report was made): "
                "each node, what it is computed from, and where it is used.",
                style="muted",
            ),
            graph_table(s.current),
            Folded(
                "The diagram as DOT text (paste it into any Graphviz viewer, or run `dot -Tsvg`)",
                Block(dot, id="diagram-dot", info="dot"),
            ),
        ],
    )


def hand_section(s: Source) -> Section:
    check = lesson.hand_check(s.work, s.current)
    rows = [
        [
            c.row.label,
            Cell(c.entry, mark=("hand", "data-key", c.row.key)),
            n(c.engine),
            n(c.finite),
            c.result if c.entry else "",
        ]
        for c in check.checks
    ]
    kind = "right" if check.verdict_kind == "success" else "wrong" if check.verdict_kind == "error" else "muted"
    parts: list[Part] = [
        Table(["row", "your answer", "engine", "finite difference", "result"], rows),
        Text(f"**Verdict:** {check.verdict}", style=kind, id="verdict"),
    ]
    for c in check.failing:
        parts += [Text(f"{c.row.label}: {c.message}"), Block(c.explanation)]
    other_hand = _other_hand(s.work, check, s.current)
    if other_hand:
        parts.append(Text("Other hand entries kept in your work (for nodes this program doesn't have):"))
        parts.append(
            Table(["entry", "your answer"], [[k, Cell(v, mark=("hand", "data-key", k))] for k, v in other_hand.items()])
        )
    return Section("The hand check", parts)


REPORT_STATION = "takeaway"  # the station that offers this report: the ones after it come after it


def stations_table(steps: Sequence[Progress], offered_at: int | None = None) -> Table:
    """A lesson's stations: done or not, and how far, from the work."""
    rows = []
    for p in steps:
        if p.done:
            mark = "✔ done"
        elif offered_at is not None and p.station.number > offered_at:
            mark = "○ after this report"
        else:
            mark = "○ not yet"
        rows.append([str(p.station.number), Cell(p.station.title, ours=True), mark, Cell(p.status, ours=True)])
    return Table(["", "station", "", "how far"], rows)


def rescue_section(s: Source) -> Section | None:
    """The rescue version's stations, when the learner chose it or did some of it: which version was done."""
    if s.work.lesson != RESCUE_LESSON and not rescue.started(s.work.answers):
        return None
    steps = rescue.progress(s.work, s.rescued)
    done = sum(p.done for p in steps)
    chosen = "chosen" if s.work.lesson == RESCUE_LESSON else "started, then the full lesson chosen"
    summary = "done" if done == len(steps) else f"{done} of {len(steps)} stations done"
    parts: list[Part] = [
        Text(f"**The rescue version (15 min)**: {chosen}; {summary}.", id="lesson-version"),
        stations_table(steps),
    ]
    blanks = []
    for b in rescue.BLANKS:
        typed = s.work.answers.get(b.id, "")
        if typed.strip():
            right = rescue.blank_feedback(b, typed).right
            verdict = Cell("✔ right" if right else "✘ not right yet", style="right" if right else "wrong")
            blanks.append([Cell(f"`{b.method}`: `{b.target}.grad += ___`", ours=True), Cell(typed, code=True), verdict])
    if blanks:
        parts.append(Table(["blank", "your answer", ""], blanks))
    if s.work.answers.get(rescue.PUZZLE, "").strip():
        verdict = rescue.puzzle_verdict(s.work.answers, reveal=True)
        right = verdict is not None and verdict.right
        parts.append(Text("Your `backward()` puzzle" + (" (in order):" if right else " (not in order yet):")))
        arranged, _ = rescue.arrangement(s.work.answers)
        parts.append(Block(parsons.code(arranged), id="rescue-puzzle", info="python"))
    return Section("The rescue version", parts)


def lesson_section(s: Source) -> Section:
    steps = lesson.progress(s.work, s.current, s.implemented)
    offered_at = next(p.station.number for p in steps if p.station.key == REPORT_STATION)
    chosen = (
        "chosen"
        if s.work.lesson != RESCUE_LESSON
        else "not chosen (the rescue version is); what the rescue version did counts here"
    )
    return Section(
        "The lesson",
        [Text(f"**The full lesson (90 min)**: {chosen}.", id="lesson-full"), stations_table(steps, offered_at)],
    )


def lesson2_section(s: Source) -> Section | None:
    """Lesson 2, once the learner has started it: its stations, its answers, its training and its takeaway."""
    started = any(q.id in s.work.answers for q in lesson2.QUESTIONS) or lesson2.TAKEAWAY in s.work.answers
    runs = s.runs or {}
    if not started and not runs:
        return None
    steps = lesson2.LESSON.progress(s.work, s.current, s.implemented, runs)
    parts: list[Part] = [stations_table(steps)]
    rows = []
    for q in lesson2.QUESTIONS:
        answer = s.work.answers.get(q.id)
        if answer is None:
            continue
        result = questions.feedback(q, None, answer)
        right = result.right
        rows.append(
            [
                Cell(q.prompt(analyse(q.program)), ours=True),
                Cell(result.shown or answer, mark=("answer", "data-id", q.id)),
                Cell("✔ right" if right else f"✘ {_verdict(result)}", style="right" if right else "wrong"),
            ]
        )
    if rows:
        parts.append(Table(["question", "your answer", ""], rows))
    found = runs.get("lesson2")
    losses = [x for x in getattr(found, "losses", ()) if x is not None]
    if losses:
        parts.append(
            Text(
                f"Your `train()`: the loss went from {format_number(losses[0])} to {format_number(losses[-1])} "
                f"in {len(losses)} steps."
            )
        )
    text = s.work.answers.get(lesson2.TAKEAWAY, "")
    if text.strip():
        parts += [Text("My takeaway of lesson 2", style="muted"), Block(text, id="takeaway2", style="takeaway")]
    return Section(f"Lesson 2: {lesson2.LESSON.title}", parts)


def answers_section(s: Source) -> Section:
    lines = answer_lines(s.work, s.current)
    parts: list[Part] = []
    if lines:
        rows = []
        for line in lines:
            right = line.verdict == "right"
            rows.append(
                [
                    Cell(line.prompt, ours=True),
                    Cell(line.answer, mark=("answer", "data-id", line.id)),
                    Cell("✔ right" if right else f"✘ {line.verdict}", style="right" if right else "wrong"),
                ]
            )
        parts.append(Table(["question", "your answer", ""], rows))
    else:
        parts.append(Text("No questions answered yet.", style="muted"))
    others = other_answers(s.work)
    if others:
        parts.append(
            Table(["other answer", "text"], [[k, Cell(v, mark=("answer", "data-id", k))] for k, v in others.items()])
        )
    ticks = [item for item in checklist.ITEMS if item.id in checklist.ticked(s.work.answers)]
    if ticks:
        parts.append(Items([item.title for item in ticks], intro="From the common bug checklist, you ticked:"))
    return Section("Checkpoint answers", parts)


def predictions_section(s: Source) -> Section | None:
    """What the learner predicted on Watch it flow for this program, each judged as the page judges it."""
    if not s.work.predictions:
        return None
    a, tolerance = s.current, s.work.tolerance
    rows, here, right = [], 0, 0
    for mode in MODES:
        for blank in predict.every_blank(a, mode):
            entry = s.work.predictions.get(blank.key)
            if entry is None:
                continue
            here += 1
            judged = predict.judge(a, blank, entry, tolerance)
            right += judged.right
            rows.append(
                [
                    f"{mode} pass, step {blank.step}",
                    Cell(blank.label, code=True),
                    Cell(entry, mark=("prediction", "data-key", blank.key)),
                    n(blank.answer),
                    Cell("✔" if judged.right else "✘", style="right" if judged.right else "wrong"),
                ]
            )
    parts: list[Part] = []
    if rows:
        parts.append(Text(f"{right} of {here} predictions right for this program."))
        parts.append(Table(["where", "the question", "you predicted", "it is", ""], rows))
    elsewhere = len(s.work.predictions) - here
    if elsewhere:
        parts.append(Text(f"{elsewhere} more kept in your work, made for other programs or values.", style="muted"))
    return Section("My predictions on Watch it flow", parts)


def rules_section(s: Source) -> Section | None:
    if not s.work.rules:
        return None
    parts: list[Part] = []
    for op, rule in s.work.rules.items():
        parts.append(Text(f"Your `{op}` rule:"))
        parts.append(Block(rule, info="python", mark=("rule", "data-op", op)))
    return Section("My own rules", parts)


def code_section(s: Source) -> Section:
    """The learner's own `Value` (Implement it): the code as typed, and what its run's checks said."""
    code, ran = s.work.code, s.implemented
    title = "My own Value (Implement it)"
    if not code:
        return Section(title, [Text("Not started: the editor still holds the lesson's skeleton.", style="muted")])
    parts: list[Part] = [Block(code, id="code", info="python")]
    if ran is None:
        return Section(title, [*parts, Text("Not run yet.", style="muted")])
    if ran.problem is not None:
        stopped = implement_view.problem_text(ran.problem)
        parts.append(Text(f"**Stopped:** {stopped}", style="wrong", id="code-problem"))
    passed, total = implement_view.passed_count(ran)
    if total:
        parts.append(Text(f"**Checks:** {passed} of {total} pass.", id="code-checks"))
        hidden = lesson.example_hidden(s.work.hand, s.work.settings, s.current)
        held = implement_view.held_checks(hidden, lesson.is_example(s.current))
        parts.append(Items([f"{c.symbol} {c.text}" for c in implement_view.check_lines(ran, held)]))
    if ran.program_note:
        parts.append(Text(f"Your program: {ran.program_note}", style="muted"))
    return Section(title, parts)


def takeaway_section(s: Source) -> Section:
    parts: list[Part] = [
        Text(f"{' · '.join(PROMPTS)} ({count_sentences(s.work.takeaway)} sentences)", style="muted"),
    ]
    if s.work.takeaway.strip():
        parts.append(Block(s.work.takeaway, id="takeaway", style="takeaway"))
    else:
        parts += [Block("", id="takeaway", style="takeaway muted"), Text("Not written yet.", style="muted")]
    return Section("My takeaway", parts)


SECTIONS: list[Callable[[Source], Section | None]] = [
    program_section,
    values_section,
    diagram_section,
    hand_section,
    rescue_section,
    lesson_section,
    answers_section,
    lesson2_section,
    predictions_section,
    rules_section,
    code_section,
    takeaway_section,
]


def sections(
    work: Work,
    current: Analysis,
    render: Callable[[str], str | None] = render_svg,
    implemented: Report | None = None,
    runs: Mapping[str, object] | None = None,
    rescued: Report | None = None,
) -> list[Section]:
    """The report's sections, built once: report_html and report_markdown write the same ones."""
    source = Source(work, current, render, implemented, runs, rescued)
    return [section for make in SECTIONS if (section := make(source)) is not None]


# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#111;line-height:1.45}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;
vertical-align:top}th{background:#f3f4f6}pre{background:#f8f8f8;border:1px solid #e5e5e5;padding:.6rem;
white-space:pre-wrap;overflow-wrap:anywhere}.right{color:#15803d}.wrong{color:#b91c1c}.muted{color:#555}
code{background:#f3f4f6;padding:0 .2rem;border-radius:3px}
.takeaway{white-space:pre-wrap;overflow-wrap:anywhere;border-left:4px solid #2563eb;padding:.4rem .8rem;
background:#f8fafc;border-top:0;border-right:0;border-bottom:0;font-family:inherit}
svg{max-width:100%;height:auto}@media print{h2{break-after:avoid}}
"""


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline_html(text: str) -> str:
    """Our sentence as HTML: escaped, `code` as code, **bold** as bold."""
    out = []
    for i, part in enumerate(str(text).split("`")):
        if i % 2:
            out.append(f"<code>{e(part)}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", e(part)))
    return "".join(out)


def _attrs(id_: str = "", style: str = "", mark: tuple[str, str, str] | None = None) -> str:
    attrs = f' id="{e(id_)}"' if id_ else ""
    classes = " ".join(c for c in (mark[0] if mark else "", style) if c)
    attrs += f' class="{e(classes)}"' if classes else ""
    if mark:
        attrs += f' {mark[1]}="{e(mark[2])}"'
    return attrs


def _cell_html(cell: Cell | str) -> str:
    if isinstance(cell, str):
        return f"<td>{e(cell)}</td>"
    text = f"<code>{e(cell.text)}</code>" if cell.code else inline_html(cell.text) if cell.ours else e(cell.text)
    if cell.style and cell.mark:
        text = f'<span class="{e(cell.style)}">{text}</span>'
        return f"<td{_attrs(mark=cell.mark)}>{text}</td>"
    return f"<td{_attrs(style=cell.style, mark=cell.mark)}>{text}</td>"


def part_html(part: Part) -> str:
    if isinstance(part, Text):
        return f"<p{_attrs(part.id, part.style)}>{inline_html(part.text)}</p>"
    if isinstance(part, Block):
        tag = "div" if "takeaway" in part.style else "pre"
        return f"<{tag}{_attrs(part.id, part.style, part.mark)}>{e(part.text)}</{tag}>"
    if isinstance(part, Table):
        head = "".join(f"<th>{e(h)}</th>" for h in part.header)
        body = "".join("<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in part.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(part, Items):
        items = "".join(f"<li>{inline_html(item)}</li>" for item in part.items)
        return (f"<p>{inline_html(part.intro)}</p>" if part.intro else "") + f"<ul>{items}</ul>"
    if isinstance(part, Picture):
        return f'<figure id="{e(part.id)}">{part.svg}</figure>'
    return f"<details><summary>{inline_html(part.summary)}</summary>{part_html(part.block)}</details>"


def report_html(
    work: Work,
    current: Analysis,
    today: dt.date | None = None,
    render: Callable[[str], str | None] = render_svg,
    implemented: Report | None = None,
    runs: Mapping[str, object] | None = None,
    rescued: Report | None = None,
) -> str:
    """The report as one self-contained HTML page (no scripts, no outside files).

    `implemented`: the report of a run of the work's code (Implement it), for its section and its station;
    `runs`: what lesson 2's own checks of that code gave.
    """
    today = today or dt.date.today()
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(TITLE)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(TITLE)}</h1>",
        f'<p class="muted">Backprop Lab report, <time id="date" datetime="{today.isoformat()}">'
        f"{e(today.strftime('%d %B %Y'))}</time></p>",
    ]
    for section in sections(work, current, render, implemented, runs, rescued):
        out.append(f"<h2>{e(section.title)}</h2>")
        out += [part_html(part) for part in section.parts]
    out.append("</body></html>")
    return "\n".join(out)


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def md_text(text: object) -> str:
    """Text that Markdown shows as it is, on one line (for table cells and list items)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def md_code(text: str) -> str:
    """A code span that shows `text` exactly (one line)."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def md_inline(text: str) -> str:
    """Our sentence as Markdown: `code` stays code, **bold** stays bold, the rest shows as typed."""
    out = []
    for i, part in enumerate(str(text).split("`")):
        if i % 2:
            out.append(md_code(part))
        else:
            bits = re.split(r"\*\*(.+?)\*\*", part)
            out.append("".join(f"**{md_text(b)}**" if j % 2 else md_text(b) for j, b in enumerate(bits)))
    return "".join(out)


def md_block(text: str, info: str = "text") -> str:
    """A fenced block longer than any run of backticks inside it: the text comes out exactly."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _cell_md(cell: Cell | str) -> str:
    if isinstance(cell, str):
        return md_text(cell)
    if cell.ours:
        return md_inline(cell.text)
    return md_code(cell.text) if cell.code else md_text(cell.text)


def part_markdown(part: Part) -> str:
    if isinstance(part, Text):
        return md_inline(part.text)
    if isinstance(part, Block):
        return md_block(part.text, part.info)
    if isinstance(part, Table):
        lines = ["| " + " | ".join(md_text(h) for h in part.header) + " |", "|" + "---|" * len(part.header)]
        lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in part.rows]
        return "\n".join(lines)
    if isinstance(part, Items):
        items = "\n".join(f"- {md_inline(item)}" for item in part.items)
        return (md_inline(part.intro) + "\n\n" if part.intro else "") + items
    if isinstance(part, Picture):
        return "(The diagram is drawn in the HTML report.)"
    return md_inline(part.summary) + ":\n\n" + part_markdown(part.block)


def report_markdown(
    work: Work,
    current: Analysis,
    today: dt.date | None = None,
    implemented: Report | None = None,
    runs: Mapping[str, object] | None = None,
    rescued: Report | None = None,
) -> str:
    """The report as Markdown: the same sections as the HTML report."""
    today = today or dt.date.today()
    out = [f"# {TITLE}", "", f"Backprop Lab report, {today.isoformat()}"]
    for section in sections(work, current, lambda dot: None, implemented, runs, rescued):
        out += ["", f"## {section.title}"]
        for part in section.parts:
            out += ["", part_markdown(part)]
    return "\n".join(out) + "\n"
