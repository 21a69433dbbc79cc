"""What a lesson is made of: a `Lesson` is a list of `Station` records, each marked done from the work.

A station is one record: its title and what to do, how it is marked done (a function of the
learner's work, written beside the record), where it happens, and the work that does it
(`solved_by`, which tests/test_lesson_walk.py applies to a fresh work to see the station done).
Its number is its place in its lesson's list, given by the `Lesson`: no station types its number,
and prose that needs one asks the lesson (`lesson.number("rules")`) or names the station.

The function that draws a station is the Lesson page's, found by the station's key
(app_pages/lesson.py's `@view("graph")`); adding a station is a record here and a view function there.
A lesson's example is its program; a program of the same shape (at any values, in any spelling)
counts as the example (`Lesson.example_analysis`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lab.implement.results import Report
from lab.lesson.questions import Question, feedback
from lab.model.analysis import Analysis, analyse
from lab.model.identity import program_id
from lab.work.share import Work


@dataclass(frozen=True)
class Seen:
    """What a station's done-ness is read from: the work, and the analyses it is about."""

    work: Work
    example: Analysis  # the lesson's example: the learner's program when it is one, else the example itself
    current: Analysis  # the learner's program, whatever it is
    implemented: Report | None  # the report of a run of the work's code (None: not run)
    runs: Mapping[str, object] = field(default_factory=dict)  # what the lesson's own checks of the code gave


Done = tuple[bool, str]  # done or not, and one short line: what is done and what is left


@dataclass(frozen=True, kw_only=True)
class Station:
    key: str  # stable: the room and the page's views know a station by it
    title: str
    short: str  # its name on the row of station buttons (a word or two)
    todo: str  # one or two sentences: what to do
    done: Callable[[Seen], Done]  # how it is marked done, from the work
    solved_by: Mapping[str, Any] = field(default_factory=dict)  # `Work` fields that do it (its question's: derived)
    question: Question | None = None  # the station's own question, answered on the station
    page: str | None = None  # where it happens, if not right here
    page_label: str = ""
    needs_example: bool = True  # about the lesson's example
    minutes: int | None = None  # a time box, when the lesson gives one
    number: int = 0  # its place in its lesson, from 1: set by the Lesson, never typed

    def work_that_does_it(self) -> dict[str, Any]:
        """`solved_by`, with the right answer to the station's own question among the answers."""
        fields = {name: dict(value) if isinstance(value, Mapping) else value for name, value in self.solved_by.items()}
        if self.question is not None:
            fields.setdefault("answers", {})[self.question.id] = self.question.solved_by
        return fields


@dataclass(frozen=True)
class Progress:
    station: Station
    done: bool
    status: str  # a short line: what is done and what is left


@dataclass(frozen=True, kw_only=True)
class Lesson:
    id: str  # stable: kept with the work and the room
    title: str
    example: str  # the program its stations are about
    stations: tuple[Station, ...]
    checkpoints: tuple[Question, ...] = ()  # questions answered together on one station
    # the lesson's own checks of the learner's code, beside Implement it's: (code, Implement it's report of it)
    # -> {name: report}, read by its stations from `Seen.runs`
    check_code: Callable[[str, Report | None], Mapping[str, object]] | None = None

    def __post_init__(self) -> None:
        keys = [s.key for s in self.stations]
        if len(set(keys)) != len(keys):
            raise ValueError(f"lesson {self.id!r}: two stations share a key")
        numbered = tuple(dataclasses.replace(s, number=i) for i, s in enumerate(self.stations, start=1))
        object.__setattr__(self, "stations", numbered)

    def station(self, key: str) -> Station:
        return next(s for s in self.stations if s.key == key)

    def number(self, key: str) -> int:
        """A station's number (its place in the list), for prose that needs it."""
        return self.station(key).number

    @property
    def questions(self) -> dict[str, Question]:
        """Every question of the lesson by id: the stations' own and the checkpoints."""
        found = {s.question.id: s.question for s in self.stations if s.question is not None}
        return {**found, **{q.id: q for q in self.checkpoints}}

    def is_example(self, a: Analysis) -> bool:
        """Is `a` the lesson's example (at any values, in any spelling)?"""
        return program_id(a) == _example_id(self.example)

    def example_analysis(self, current: Analysis) -> Analysis:
        """The current program if it is the lesson's example, else the example itself.

        A fresh analysis each time (it is small): one shared between sessions could be read by one while
        another's Bug lab comparison briefly changes its grads.
        """
        return current if self.is_example(current) else analyse(self.example)

    def progress(
        self,
        work: Work,
        current: Analysis,
        implemented: Report | None = None,
        runs: Mapping[str, object] | None = None,
    ) -> list[Progress]:
        """Every station, done or not, from the work alone (and the analysis of its program).

        `runs`: what the lesson's own checks of the work's code gave (`check_code`), when it has any."""
        seen = Seen(work, self.example_analysis(current), current, implemented, dict(runs or {}))
        return [Progress(s, *s.done(seen)) for s in self.stations]


@functools.lru_cache(maxsize=8)
def _example_id(program: str) -> str:
    return program_id(analyse(program))


def first_not_done(steps: list[Progress]) -> int:
    """The index of the first station still to do (the last one when all are done)."""
    return next((i for i, p in enumerate(steps) if not p.done), len(steps) - 1)


def question_done(question: Question, what: str) -> Callable[[Seen], Done]:
    """Done when `question` is answered right (on the lesson's example); `what` names what it asks."""

    def done(seen: Seen) -> Done:
        result = feedback(question, seen.example, seen.work.answers.get(question.id))
        if result.right:
            return True, f"{what}: answered right"
        if result.answered:
            return False, f"{what}: not right yet, try again"
        return False, f"{what}: not answered yet"

    return done
