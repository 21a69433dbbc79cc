"""The report: readable HTML and Markdown that agree with the work file, with everything typed kept as text."""

import datetime as dt
from html.parser import HTMLParser

from lab.lesson.questions import ALL, option_text
from lab.lesson.stations import STATIONS, example_analysis
from lab.model.analysis import analyse
from lab.report.sections import md_block, report_html, report_markdown
from lab.views.by_hand import entries_of
from lab.work.share import Work, work_from_json, work_to_json

EXAMPLE = "x = 2\ny = 3\nz = x*y + y"
DAY = dt.date(2026, 11, 30)
NASTY = "<script>alert('x')</script> **bold** [link](http://e.com) `code` ```fence``` | pipe & amp 🎉"


class Parts(HTMLParser):
    """Collects what the report shows in its marked places: the program, hand entries, answers, takeaway."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: dict[tuple[str, str], str] = {}
        self.scripts = 0
        self._open: list[tuple[str, str] | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        mark = None
        if attrs.get("id") in ("program", "takeaway", "diagram-dot"):
            mark = (attrs["id"], "")
        elif attrs.get("class") == "hand":
            mark = ("hand", attrs["data-key"])
        elif attrs.get("class") == "answer":
            mark = ("answer", attrs["data-id"])
        elif attrs.get("class") == "rule":
            mark = ("rule", attrs["data-op"])
        self._open.append(mark)
        if mark:
            self.found[mark] = ""

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for mark in self._open:
            if mark:
                self.found[mark] += data


def parts_of(text: str) -> Parts:
    parser = Parts()
    parser.feed(text)
    return parser


def learner_work(**changes) -> Work:
    work = Work(
        EXAMPLE,
        {"value": "9", "grad:x": "y", "grad:y": "x", "grad:q": NASTY},
        {"tolerance": 1e-3, "hand_first": True, "presenter": False},
        "It surprised me that y collects from two uses. The seed felt simpler than expected. " + NASTY,
        {"seed": "self", "dz_dy": "x + 1", "plus_equals": NASTY, "checklist:overwrite": "ticked", "future": NASTY},
        {"*": "self.grad += other.data * out.grad", "+": NASTY},
    )
    for name, value in changes.items():
        setattr(work, name, value)
    return work


def test_the_report_agrees_with_the_work_file():
    work = learner_work()
    saved = work_from_json(work_to_json(work))
    a = analyse(saved.program)
    shown = parts_of(report_html(work, analyse(work.program), DAY)).found

    assert shown["program", ""] == saved.program
    assert {key: text for (kind, key), text in shown.items() if kind == "hand" and text} == entries_of(saved.hand, a)
    answers = {key: text for (kind, key), text in shown.items() if kind == "answer"}
    example = example_analysis(a)
    expected = {
        qid: option_text(ALL[qid], example, text) if ALL.get(qid) and ALL[qid].options else text
        for qid, text in saved.answers.items()
        if not qid.startswith("checklist:")
    }
    assert answers == expected
    assert {key: text for (kind, key), text in shown.items() if kind == "rule"} == saved.rules
    assert shown["takeaway", ""] == saved.takeaway


def test_everything_typed_is_escaped_and_nothing_runs():
    text = report_html(learner_work(), analyse(EXAMPLE), DAY)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert parts_of(text).scripts == 0


def test_the_report_has_the_date_table_hand_check_verdict_and_right_or_wrong():
    text = report_html(learner_work(), analyse(EXAMPLE), DAY)
    assert 'datetime="2026-11-30"' in text
    assert "<td>z</td><td>+</td><td>a + y</td><td>9</td><td>1</td>" in text  # z = 6 + 3, dz/dz = 1
    assert "These don&#x27;t match the engine: d z / d y" in text  # dz/dy is x + 1, not x
    assert "✔ right" in text and "✘ can&#x27;t read it" in text  # dz_dy right; the nasty text is not a number


def test_without_dot_the_diagram_is_the_dot_text_and_with_it_a_picture():
    no_dot = report_html(learner_work(), analyse(EXAMPLE), DAY, render=lambda dot: None)
    dot = parts_of(no_dot).found["diagram-dot", ""]
    assert dot.startswith("digraph") and "data 9" in dot
    picture = report_html(learner_work(), analyse(EXAMPLE), DAY, render=lambda dot: '<svg id="drawn"></svg>')
    assert '<figure id="diagram"><svg id="drawn"></svg></figure>' in picture and "diagram-dot" not in picture


def test_a_huge_takeaway_is_kept_whole():
    takeaway = "Gradients add up, e.g. for y. " * 3500  # over 100,000 characters
    text = report_html(learner_work(takeaway=takeaway), analyse(EXAMPLE), DAY)
    assert parts_of(text).found["takeaway", ""] == takeaway


def test_the_markdown_keeps_typed_text_inside_fences_exactly():
    work = learner_work()
    text = report_markdown(work, analyse(EXAMPLE), DAY)
    assert md_block(work.takeaway) in text and md_block(work.program) in text
    assert "`````text" in md_block("has ```` four") and md_block("plain").startswith("```text\n")
    assert "\\<script\\>" in text  # a hand entry in a table cell: its Markdown characters escaped
    assert "2026-11-30" in text and "**Verdict:**" in text


def test_an_empty_work_gives_a_report_too():
    text = report_html(Work(EXAMPLE), analyse(EXAMPLE), DAY)
    assert "No questions answered yet" in text and "Not written yet" in text


def test_without_graphviz_dot_installed_no_picture_is_attempted(monkeypatch):
    import lab.report.sections

    monkeypatch.setattr(lab.report.sections.shutil, "which", lambda name: None)
    assert lab.report.sections.render_svg("digraph { a -> b }") is None


# -- slips a learner would see (issue 17): each of these turned red with the slip planted --------


def test_a_readable_but_wrong_answer_is_reported_not_right():
    work = Work(EXAMPLE, answers={"dz_dy": "7"})  # readable, and wrong (dz/dy = x + 1 = 3)
    html_report = report_html(work, analyse(EXAMPLE), DAY, render=lambda dot: None)
    answer = parts_of(html_report).found[("answer", "dz_dy")]
    assert answer == "7"
    row = html_report[html_report.index('data-id="dz_dy"') :].split("</tr>")[0]
    assert "✘ not right yet" in row and "✔" not in row
    markdown = report_markdown(work, analyse(EXAMPLE), DAY)
    answers = markdown.split("## Checkpoint answers")[1].split("\n## ")[0]
    (row,) = [line for line in answers.splitlines() if "| 7 |" in line]
    assert "✘ not right yet" in row and "✔" not in row


def test_a_fresh_work_reports_no_station_done():
    work = Work(EXAMPLE)
    html_report = report_html(work, analyse(EXAMPLE), DAY, render=lambda dot: None)
    lesson_html = html_report.split("<h2>The lesson</h2>")[1].split("<h2>")[0]
    assert "✔" not in lesson_html and lesson_html.count("○") == len(STATIONS)
    markdown = report_markdown(work, analyse(EXAMPLE), DAY)
    lesson = markdown.split("## The lesson")[1].split("##")[0]
    assert "✔" not in lesson and lesson.count("○") == len(STATIONS)


def test_the_markdown_report_keeps_the_learners_rules():
    rule = "self.grad += other.data * out.grad"
    markdown = report_markdown(Work(EXAMPLE, rules={"*": rule}), analyse(EXAMPLE), DAY)
    assert "## My own rules" in markdown
    assert "other.data \\* out.grad" in markdown or "other.data * out.grad" in markdown


def test_the_html_hand_check_uses_the_learners_tolerance():
    hand = {"value": "9", "grad:x": "3.02", "grad:y": "3"}  # 3.02 is within 0.01 * 3 of dz/dx = 3
    loose = Work(EXAMPLE, hand=hand, settings={"tolerance": 0.01})
    strict = Work(EXAMPLE, hand=hand, settings={"tolerance": 1e-3})
    a = analyse(EXAMPLE)
    assert 'id="verdict" class="right"' in report_html(loose, a, DAY, render=lambda dot: None)
    assert 'id="verdict" class="wrong"' in report_html(strict, a, DAY, render=lambda dot: None)


def test_the_report_carries_the_learners_code_and_its_checks():
    from implement_solutions import BUGS

    from lab.implement import run as implement

    code, _key, line = BUGS["overwrite_add"]
    work = Work("x = 2\ny = 3\nz = x*y + y", code=code)
    ran = implement.run(code, work.program)
    page = report_html(work, analyse(work.program), dt.date(2026, 1, 1), render=lambda dot: None, implemented=ran)
    assert '<pre id="code">' in page and "self.grad = out.grad" in page
    assert f"line {line}" in page and "Implement it" in page
    text = report_markdown(work, analyse(work.program), dt.date(2026, 1, 1), ran)
    assert "```python\n" + code.rstrip("\n") in text
    assert f"line {line}" in text
    assert "not started" not in text.lower()
    assert "Not started" in report_markdown(Work("x = 1"), analyse("x = 1"), dt.date(2026, 1, 1))
