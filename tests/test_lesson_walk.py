"""Every record of every lesson, walked: each question's options judged, each station reached and done.

Data-driven: a station, a question or an option added to a lesson is walked here without a new test.
A station's record names the work that does it (`solved_by`, plus the right answer of its own question);
that work alone marks it done, and a fresh work does not. The answers come from the records, and each is
checked against the lesson's example worked by hand (z = x*y + y at x = 2, y = 3: dz/dx = y = 3,
dz/dy = x + 1 = 3; with `=` instead of `+=`, y.grad would be 2).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from apptest_helpers import open_dashboard

from lab.implement import run as implement
from lab.lesson import lesson2
from lab.lesson.questions import CHOICE, Question, feedback
from lab.lesson.records import Lesson
from lab.lesson.stations import LESSON
from lab.lesson.stations import LESSONS as VERSIONS
from lab.model.analysis import analyse
from lab.work.share import Work, work_to_params

REPO = Path(__file__).resolve().parents[1]
LESSONS: tuple[Lesson, ...] = (*VERSIONS.values(), lesson2.LESSON)  # the full lesson, the rescue version, lesson 2
WALKED_ON = {  # a lesson's page (None: the Lesson, where `/` lands) and its row of stations
    LESSON.id: (None, "lesson:station"),
    VERSIONS["rescue"].id: (None, "lesson:station"),
    lesson2.LESSON.id: ("app_pages/lesson2.py", "lesson2:station"),
}
QUESTIONS = [(lesson, q) for lesson in LESSONS for q in lesson.questions.values()]
STATIONS = [(lesson, s) for lesson in LESSONS for s in lesson.stations]


def ids(pair) -> str:
    lesson, record = pair
    return f"{lesson.id}:{getattr(record, 'key', None) or record.id}"


@cache
def ran(code: str) -> implement.Report:
    return implement.run(code, "")


def with_work(work: Work, fields: dict) -> Work:
    """`work` with `fields` added (dict fields merged, others replaced)."""
    merged = Work(
        work.program,
        dict(work.hand),
        dict(work.settings),
        work.takeaway,
        dict(work.answers),
        code=work.code,
        lesson=work.lesson,
    )
    for name, value in fields.items():
        if isinstance(value, dict):
            getattr(merged, name).update(value)
        else:
            setattr(merged, name, value)
    return merged


def fresh_work(lesson: Lesson) -> Work:
    """A work that has done nothing yet, walking `lesson` (the version it is, in the link and the work file)."""
    versions = [version for version, walked in VERSIONS.items() if walked is lesson]
    return Work(lesson.example, lesson=versions[0]) if versions else Work(lesson.example)


@cache
def checked(lesson_id: str, code: str) -> dict[str, object]:
    lesson = next(lesson for lesson in LESSONS if lesson.id == lesson_id)
    return dict(lesson.check_code(code, ran(code))) if lesson.check_code and code else {}


def progress(lesson: Lesson, work: Work) -> dict[str, bool]:
    runs = checked(lesson.id, work.code)
    steps = lesson.progress(work, analyse(work.program), ran(work.code) if work.code else None, runs)
    return {p.station.key: p.done for p in steps}


@pytest.mark.parametrize("pair", QUESTIONS, ids=ids)
def test_every_question_takes_its_right_answer_and_says_why_each_wrong_option_is_wrong(pair: tuple[Lesson, Question]):
    lesson, q = pair
    example = analyse(lesson.example)
    right = feedback(q, example, q.solved_by)
    assert right.right and right.explanation, right
    assert not feedback(q, example, "").answered
    if q.kind == CHOICE:
        assert q.solved_by in q.keys
        for option in q.options:
            if option.why is None:
                continue
            wrong = feedback(q, example, option.key)
            assert not wrong.right and wrong.explanation, option.key
            assert wrong.verdict == f"Not quite. {option.why(example)}" and option.why(example).strip(), option.key
            assert option.text(example).strip()
        assert not feedback(q, example, "no such option").right


def test_the_typed_answers_of_the_records_agree_with_the_example_worked_by_hand():
    by_id = LESSON.questions
    assert by_id["plus_equals"].solved_by == "2"  # `=` leaves only the last use's part: x.data * 1 = 2
    assert by_id["dz_dy"].solved_by == "x + 1"
    assert by_id["mul_sends"].solved_by == "3"  # y.data * a.grad = 3 * 1
    assert by_id["three_uses"].solved_by == "4"  # 1 + 1 + x = 4 at x = 2
    assert by_id["station:trace"].solved_by == "2"  # along a = x * y: x.data * a.grad = 2 * 1


@pytest.mark.parametrize("pair", STATIONS, ids=ids)
def test_every_station_is_done_by_the_work_its_record_names_and_not_before(pair):
    lesson, station = pair
    fresh = fresh_work(lesson)
    assert not progress(lesson, fresh)[station.key]
    fields = station.work_that_does_it()
    assert fields, f"{station.key}: its record names no work that does it"
    assert progress(lesson, with_work(fresh, fields))[station.key]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_a_station_is_numbered_by_its_place_and_keys_are_unique(lesson: Lesson):
    assert [s.number for s in lesson.stations] == list(range(1, len(lesson.stations) + 1))
    assert len({s.key for s in lesson.stations}) == len(lesson.stations)
    for s in lesson.stations:
        assert lesson.number(s.key) == s.number


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_page_reaches_every_station_and_shows_each_done_from_the_whole_work(lesson: Lesson):
    work = fresh_work(lesson)
    for station in lesson.stations:
        work = with_work(work, station.work_that_does_it())
    total = len(lesson.stations)
    assert progress(lesson, work) == {s.key: True for s in lesson.stations}
    page, row = WALKED_ON[lesson.id]
    at = open_dashboard(page, **work_to_params(work))
    assert f"{total} of {total} stations done" in at.get("progress")[0].proto.text
    for index, station in enumerate(lesson.stations):
        at.segmented_control(key=row).set_value(index).run()
        assert not at.exception, station.key
        assert at.subheader[0].value == f"{station.number}. {station.title}"
        assert any(c.value.startswith("✔ done") for c in at.caption), station.key


TYPED_NUMBER = re.compile(  # "station 5", "Station(5, ...", "nine stations" (a count that goes stale)
    r"\bstations?\s+\d|\bStation\(\s*\d|\b(?:five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:stations|lines)\b",
    re.IGNORECASE,
)


def test_no_station_number_is_typed_in_prose_or_code():
    """A station's number is its place in its lesson's list: prose names the station or asks the record."""
    found = []
    for folder in ("lab", "app", "app_pages"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if TYPED_NUMBER.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
