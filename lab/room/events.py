"""What a learner in a room sends: facts derived from their work, never from the page that changed it.

After every run the app computes the learner's facts from the work (stations done, predictions
checked, hand-check rows, checkpoint answers, own rules, implementation checks) and sends only
those not yet acknowledged in this session (`unsent`). A fact is what it says (a prediction's step
and the number typed, right or wrong), so the same work always gives the same facts, a resend is
ignored by the store (lab/room/store.py), and a change of page, program or value never takes back
what was sent. No Streamlit here: the tests and the benchmark call the same functions as the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from engine import rule_reader as rr
from lab.lesson import questions
from lab.lesson import stations as lesson
from lab.model import mistakes
from lab.model.analysis import Analysis, format_number
from lab.model.steps import BACKWARD, MODES, last_step
from lab.room.store import ANSWER, HAND, IMPLEMENTATION, PREDICTION, RULE, STATION, Fact, RoomStore
from lab.views import handcheck, own_rules, predict
from lab.work.share import Work

STATION_KEYS: tuple[str, ...] = tuple(s.key for s in lesson.STATIONS)

NOT_THE_RULE = "not the local derivative times out.grad"  # a wrong rule line that is no classic mistake


class ImplementationCheck(Protocol):
    key: str
    title: str
    passed: bool
    message: str
    line: int | None


def station_facts(work: Work, current: Analysis, implemented: Any = None) -> list[Fact]:
    """A fact per station done (lab/lesson/stations.py decides, from the work and the report of a run of its code)."""
    return [Fact(STATION, p.station.key) for p in lesson.progress(work, current, implemented) if p.done]


def _prediction_note(blank: predict.Blank) -> str:
    number = format_number(blank.answer)
    return f"it adds {number}" if blank.kind == predict.EDGE else f"it is {number}"


def prediction_facts(work: Work, current: Analysis) -> list[Fact]:
    """Each checked prediction of the current program: the step, the blank, what was typed, right or wrong."""
    prefix = predict.program_id(work.program) + "|"
    mine = {key: text for key, text in work.predictions.items() if key.startswith(prefix)}
    if not mine:
        return []  # other programs' predictions were sent while those programs were built
    tolerance = work.tolerance
    facts = []
    for mode in MODES:
        if not any(key.startswith(f"{prefix}{mode}|") for key in mine):
            continue
        for step in range(last_step(current, mode) + 1):
            for blank in predict.blanks(current, work.program, mode, step):
                if blank.key not in mine:
                    continue
                judged = predict.judge(current, blank, mine[blank.key], tolerance)
                if judged.status not in (predict.RIGHT, predict.WRONG):
                    continue
                facts.append(
                    Fact(
                        PREDICTION,
                        blank.label,
                        judged.entry,
                        judged.right,
                        _prediction_note(blank),
                        context=f"{prefix}{mode}|{step}",
                    )
                )
    return facts


def prediction_place(context: str) -> str:
    """Where a prediction was made, from its fact's context: "backward step 2"."""
    parts = context.split("|")
    if len(parts) == 3 and parts[1] in MODES:
        return f"{'' if parts[1] == BACKWARD else 'forward '}step {parts[2]}"
    return "a step"


def hand_facts(work: Work, current: Analysis) -> list[Fact]:
    """Each hand-check row the learner filled in that can be judged: pass or fail, with the engine's message."""
    check = handcheck.check(current, work.hand, work.tolerance)
    facts = []
    for row in check.checks:
        if row.status in (handcheck.PASS, handcheck.FAIL, handcheck.ONLY_HERE):
            note = f"the engine has {format_number(row.engine)}" if row.status != handcheck.PASS else ""
            if row.status == handcheck.ONLY_HERE:
                note = "right here only, not as a formula"
            facts.append(
                Fact(
                    HAND,
                    row.row.label,
                    row.entry,
                    row.status == handcheck.PASS,
                    note,
                    context=predict.program_id(work.program),
                )
            )
    return facts


def answer_facts(work: Work, current: Analysis) -> list[Fact]:
    """Each checkpoint (and station) question answered in a way that can be judged."""
    a = lesson.example_analysis(current)
    facts = []
    for qid, text in sorted(work.answers.items()):
        q = questions.ALL.get(qid)
        if q is None:
            continue
        fb = questions.feedback(q, a, text)
        if not fb.answered or not fb.explanation:  # blank, not a choice, or unreadable: nothing to count
            continue
        facts.append(Fact(ANSWER, q.prompt(a), fb.shown or text.strip(), fb.right, fb.verdict, context=qid))
    return facts


def _label(kind: str) -> str:
    """A wrong rule line's mistake in the few words the instructor's list shows (the catalog's label)."""
    return mistakes.BY_ID[kind].label if kind in mistakes.BY_ID else NOT_THE_RULE


def rule_facts(work: Work) -> list[Fact]:
    """Each backward rule the learner wrote: right, or which mistake (named), or not readable."""
    read = own_rules.read_rules(work.rules)
    facts = []
    for op in own_rules.OPERATORS:
        text = work.rules.get(op, "")
        if not text.strip():
            continue
        about = f"your {rr.op_label(op)} rule"
        if op in read.errors:
            facts.append(Fact(RULE, about, text.strip(), False, "it cannot be read", context=op))
            continue
        verdicts = read.verdicts[op]
        named = [_label(v.kind) for v in verdicts if v.kind != rr.RIGHT]
        if any(v.overwrite for v in verdicts):
            named.insert(0, mistakes.OVERWRITE.label)
        note = ", ".join(dict.fromkeys(named))
        facts.append(Fact(RULE, about, text.strip(), read.right(op), note, context=op))
    return facts


def implementation_facts(checks: Iterable[ImplementationCheck] | None) -> list[Fact]:
    """Each check of the learner's own `Value` class (Implement it's report), passed or failed, its line named."""
    facts = []
    for check in checks or ():
        note = check.message if check.passed or not check.line else f"line {check.line}: {check.message}"
        facts.append(Fact(IMPLEMENTATION, check.title, "", bool(check.passed), note, context=str(check.key)))
    return facts


def facts(work: Work, current: Analysis, implemented: Any = None) -> list[Fact]:
    """Everything the learner's work says, as facts for the room.

    `implemented`: the report (lab.implement.run.Report) of a run of the work's code, when there is one: its
    checks are sent, and it marks the Implement it station; the room never runs the code itself.
    """
    checks: Sequence[Any] | None = getattr(implemented, "checks", None) if implemented is not None else None
    return [
        *station_facts(work, current, implemented),
        *prediction_facts(work, current),
        *hand_facts(work, current),
        *answer_facts(work, current),
        *rule_facts(work),
        *implementation_facts(checks),
    ]


def unsent(found: Iterable[Fact], sent: set[str]) -> list[Fact]:
    """The facts whose key is not among those already acknowledged (each once, in order)."""
    result, seen = [], set(sent)
    for fact in found:
        if fact.key not in seen:
            seen.add(fact.key)
            result.append(fact)
    return result


class Sender:
    """One learner's link to the room in one session: what was acknowledged, so only new facts are sent.

    A fresh Sender (a reload, a new tab: a new session) sends everything again; the store ignores
    what it already has, so nothing counts twice.
    """

    def __init__(self, store: RoomStore, code: str, token: str) -> None:
        self.store, self.code, self.token = store, code, token
        self.sent: set[str] = set()

    def send(self, found: Iterable[Fact]) -> int:
        """Send the facts not acknowledged yet (one transaction). Returns how many the room did not have.

        Raises RoomError when the room is closed or the learner is no longer in it, and the database's own
        errors when it cannot be reached: the caller decides what the learner sees.
        """
        new = unsent(found, self.sent)
        if not new:
            return 0
        added = self.store.record(self.code, self.token, new)
        self.sent.update(f.key for f in new)  # only once the store has committed them
        return added
