"""The learner's report: one readable file to hand in or print, as HTML and as Markdown.

It holds the date, the program, the values and gradients table, the diagram, the hand check
(each row and the verdict), the checkpoint answers (right or wrong), the lesson's progress,
the learner's own rules and the takeaway: all read from the same `Work` as the work file.
Everything the learner typed is escaped in HTML (html.escape) and kept as text in Markdown
(in code fences, or with Markdown's characters escaped), never rendered.

The diagram is a picture where Graphviz's `dot` program is installed (the `graphviz` package
only calls it); without it the report carries the DOT text, which any Graphviz renders.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from lab import checklist, handcheck, implement_view, lesson, neuron, questions
from lab.analysis import Analysis, format_number
from lab.diagram import to_dot, too_big_to_draw
from lab.implement import Report
from lab.share import Work
from lab.table import values_table
from lab.takeaway import PROMPTS, count_sentences

TITLE = "Backprop Lab: my work"
n = format_number


@dataclass(frozen=True)
class AnswerLine:
    id: str
    prompt: str
    answer: str  # as the learner sees it (a choice's text)
    verdict: str  # "right", "not right yet", "can't read it"


def dot_text(a: Analysis) -> str:
    dot = to_dot(a)
    return dot.source if hasattr(dot, "source") else str(dot)


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
    answer = work.answers.get(neuron.NEXT_QUESTION.id)
    if answer is not None:
        result = neuron.next_feedback(answer)
        lines.append(
            AnswerLine(neuron.NEXT_QUESTION.id, neuron.NEXT_QUESTION.prompt(current), answer, _verdict(result))
        )
    return lines


def _verdict(result: questions.Feedback) -> str:
    if result.right:
        return "right"
    return "can't read it" if result.unreadable else "not right yet"


def other_answers(work: Work) -> dict[str, str]:
    """Answers kept in the work that are not a question's (e.g. from a newer version): shown as they are."""
    known = {*questions.ALL, neuron.NEXT_QUESTION.id}
    return {k: v for k, v in work.answers.items() if k not in known and not k.startswith(checklist.TICK_PREFIX)}


def _other_hand(work: Work, check: handcheck.HandCheck, a: Analysis) -> dict[str, str]:
    """This program's hand entries for rows it doesn't have (other programs' entries are theirs)."""
    shown = {c.row.key for c in check.checks}
    return {k: v for k, v in handcheck.entries_of(work.hand, a).items() if k not in shown}


# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#111;line-height:1.45}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;
vertical-align:top}th{background:#f3f4f6}pre{background:#f8f8f8;border:1px solid #e5e5e5;padding:.6rem;
white-space:pre-wrap;overflow-wrap:anywhere}.right{color:#15803d}.wrong{color:#b91c1c}.muted{color:#555}
.takeaway{white-space:pre-wrap;overflow-wrap:anywhere;border-left:4px solid #2563eb;padding:.4rem .8rem;
background:#f8fafc}svg{max-width:100%;height:auto}@media print{h2{break-after:avoid}}
"""


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(header: list[str], rows: list[list[str]], attrs: list[list[str]] | None = None) -> str:
    """An HTML table; cells are already-escaped HTML, `attrs` adds attributes per cell."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            extra = attrs[r][c] if attrs and attrs[r][c] else ""
            cells.append(f"<td{extra}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_html(
    work: Work,
    current: Analysis,
    today: dt.date | None = None,
    render: Callable[[str], str | None] = render_svg,
    implemented: Report | None = None,
) -> str:
    """The report as one self-contained HTML page (no scripts, no outside files).

    `implemented`: the report of a run of the work's code (Implement it), for its section and its station.
    """
    today = today or dt.date.today()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(TITLE)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(TITLE)}</h1>",
        f'<p class="muted">Backprop Lab report, <time id="date" datetime="{today.isoformat()}">'
        f"{e(today.strftime('%d %B %Y'))}</time></p>",
        "<h2>The program</h2>",
        f'<pre id="program">{e(work.program)}</pre>',
    ]

    parts.append("<h2>Values and gradients</h2>")
    table = values_table(current)
    rows = [
        [e(r["node"]), e(r["op"]), e(r["formula"]), e(n(r["data"])), e(n(r["grad"])), e(r["uses"])]
        for r in table.to_dict("records")
    ]
    parts.append(_table(["node", "op", "formula", "data", "grad", "uses"], rows))

    parts.append("<h2>The diagram</h2>")
    dot = dot_text(current)
    svg = None if too_big_to_draw(current) else render(dot)
    if svg:
        parts.append(f'<figure id="diagram">{svg}</figure>')
    else:
        parts.append(
            '<p class="muted">Graphviz\'s <code>dot</code> program is not installed where this report was made, so '
            "here is the diagram as DOT text: paste it into any Graphviz viewer, or run <code>dot -Tsvg</code>.</p>"
        )
        parts.append(f'<pre id="diagram-dot">{e(dot)}</pre>')

    parts.append("<h2>The hand check</h2>")
    check = lesson.hand_check(work, current)
    rows, attrs = [], []
    for c in check.checks:
        rows.append([e(c.row.label), e(c.entry), e(n(c.engine)), e(n(c.finite)), e(c.result if c.entry else "")])
        attrs.append(["", f' class="hand" data-key="{e(c.row.key)}"', "", "", ""])
    parts.append(_table(["row", "your answer", "engine", "finite difference", "result"], rows, attrs))
    kind = "right" if check.verdict_kind == "success" else "wrong" if check.verdict_kind == "error" else "muted"
    parts.append(f'<p id="verdict" class="{kind}"><strong>Verdict:</strong> {e(check.verdict)}</p>')
    for c in check.failing:
        parts.append(f"<p>{e(c.row.label)}: {e(c.message)}</p><pre>{e(c.explanation)}</pre>")
    other_hand = _other_hand(work, check, current)
    if other_hand:
        parts.append("<p>Other hand entries kept in your work (for nodes this program doesn't have):</p>")
        parts.append(
            _table(
                ["entry", "your answer"],
                [[e(k), e(v)] for k, v in other_hand.items()],
                [["", f' class="hand" data-key="{e(k)}"'] for k in other_hand],
            )
        )

    parts.append("<h2>The lesson</h2>")
    steps = lesson.progress(work, current, implemented)
    rows = [
        [e(p.station.number), e(p.station.title.replace("`", "")), "✔ done" if p.done else "not yet", e(p.status)]
        for p in steps
    ]
    parts.append(_table(["", "station", "", "how far"], rows))

    parts.append("<h2>Checkpoint answers</h2>")
    lines = answer_lines(work, current)
    if lines:
        rows, attrs = [], []
        for line in lines:
            mark = "✔ right" if line.verdict == "right" else f"✘ {line.verdict}"
            rows.append(
                [
                    e(line.prompt.replace("`", "")),
                    e(line.answer),
                    f'<span class="{"right" if line.verdict == "right" else "wrong"}">{e(mark)}</span>',
                ]
            )
            attrs.append(["", f' class="answer" data-id="{e(line.id)}"', ""])
        parts.append(_table(["question", "your answer", ""], rows, attrs))
    else:
        parts.append('<p class="muted">No questions answered yet.</p>')
    others = other_answers(work)
    if others:
        parts.append(
            _table(
                ["other answer", "text"],
                [[e(k), e(v)] for k, v in others.items()],
                [["", f' class="answer" data-id="{e(k)}"'] for k in others],
            )
        )
    ticks = [item for item in checklist.ITEMS if item.id in checklist.ticked(work.answers)]
    if ticks:
        items = "".join(f"<li>{e(item.title.replace('`', ''))}</li>" for item in ticks)
        parts.append(f"<p>From the common bug checklist, you ticked:</p><ul>{items}</ul>")

    if work.rules:
        parts.append("<h2>My own rules</h2>")
        parts.append(
            _table(
                ["operator", "backward rule"],
                [[e(op), f"<code>{e(rule)}</code>"] for op, rule in work.rules.items()],
                [["", f' class="rule" data-op="{e(op)}"'] for op in work.rules],
            )
        )

    parts.append(implement_view.report_html(work.code, implemented))

    parts.append("<h2>My takeaway</h2>")
    parts.append(f'<p class="muted">{e(" · ".join(PROMPTS))} ({count_sentences(work.takeaway)} sentences)</p>')
    if work.takeaway.strip():
        parts.append(f'<div class="takeaway" id="takeaway">{e(work.takeaway)}</div>')
    else:
        parts.append('<div class="takeaway muted" id="takeaway"></div><p class="muted">Not written yet.</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def md_text(text: object) -> str:
    """Text that Markdown shows as it is, on one line (for table cells and list items)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def md_block(text: str, info: str = "text") -> str:
    """A fenced block longer than any run of backticks inside it: the text comes out exactly."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(
    work: Work, current: Analysis, today: dt.date | None = None, implemented: Report | None = None
) -> str:
    today = today or dt.date.today()
    out = [
        f"# {TITLE}",
        "",
        f"Backprop Lab report, {today.isoformat()}",
        "",
        "## The program",
        "",
        md_block(work.program),
    ]

    out += ["", "## Values and gradients", ""]
    table = values_table(current)
    out.append(
        _md_table(
            ["node", "op", "formula", "data", "grad", "uses"],
            [
                [
                    md_text(r["node"]),
                    md_text(r["op"]),
                    md_text(r["formula"]),
                    n(r["data"]),
                    n(r["grad"]),
                    str(r["uses"]),
                ]
                for r in table.to_dict("records")
            ],
        )
    )

    out += ["", "## The diagram (DOT: paste into any Graphviz viewer)", "", md_block(dot_text(current), "dot")]

    out += ["", "## The hand check", ""]
    check = lesson.hand_check(work, current)
    out.append(
        _md_table(
            ["row", "your answer", "engine", "finite difference", "result"],
            [
                [md_text(c.row.label), md_text(c.entry), n(c.engine), n(c.finite), md_text(c.result if c.entry else "")]
                for c in check.checks
            ],
        )
    )
    out += ["", f"**Verdict:** {md_text(check.verdict)}"]
    other_hand = _other_hand(work, check, current)
    if other_hand:
        out += ["", "Other hand entries kept in your work:", ""]
        out += [f"- {md_text(k)}: {md_text(v)}" for k, v in other_hand.items()]

    out += ["", "## The lesson", ""]
    out += [
        f"{p.station.number}. {'✔' if p.done else '○'} {md_text(p.station.title.replace('`', ''))}: {md_text(p.status)}"
        for p in lesson.progress(work, current, implemented)
    ]

    out += ["", "## Checkpoint answers", ""]
    lines = answer_lines(work, current)
    out += [
        f"- {md_text(line.prompt.replace('`', ''))} **Your answer:** {md_text(line.answer)} "
        f"({'✔ right' if line.verdict == 'right' else '✘ ' + line.verdict})"
        for line in lines
    ] or ["No questions answered yet."]
    out += [f"- {md_text(k)}: {md_text(v)}" for k, v in other_answers(work).items()]
    ticks = [item for item in checklist.ITEMS if item.id in checklist.ticked(work.answers)]
    if ticks:
        out += [
            "",
            "From the common bug checklist, you ticked: " + "; ".join(md_text(i.title.replace("`", "")) for i in ticks),
        ]

    if work.rules:
        out += ["", "## My own rules", ""]
        out += [f"- {md_text(op)}: {md_text(rule)}" for op, rule in work.rules.items()]

    out += ["", implement_view.report_markdown(work.code, implemented).rstrip("\n")]

    out += [
        "",
        "## My takeaway",
        "",
        f"{md_text(' · '.join(PROMPTS))} ({count_sentences(work.takeaway)} sentences)",
        "",
    ]
    out.append(md_block(work.takeaway) if work.takeaway.strip() else "Not written yet.")
    return "\n".join(out) + "\n"
