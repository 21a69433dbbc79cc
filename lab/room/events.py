"""What a learner in a room sends: facts derived from their work, never from the page that changed it.

After every run the app computes the learner's facts from the work (stations done, predictions
checked, hand-check rows, checkpoint answers, own rules) and sends only those not yet acknowledged
in this session (`unsent`). A fact is what it says (a prediction's step and the number typed, right
or wrong), so the same work always gives the same facts, a resend is ignored by the store
(lab/room/store.py), and a change of page, program or value never takes back what was sent. A run
of the learner's own code on Implement it is the one exception: each run is a fact of its own
(`run_fact`), so every run reaches the room and counts as activity, and the room reads the last.
No Streamlit here: the tests and the benchmark call the same functions as the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import rule_reader as rr
from lab.lesson import lesson2, questions
from lab.lesson import stations as lesson
from lab.model import mistakes
from lab.model.analysis import Analysis, analyse, format_number
from lab.model.identity import program_id
from lab.model.steps import BACKWARD, MODES
from lab.room.store import ANSWER, HAND, IMPLEMENTATION, PREDICTION, RULE, STATION, Fact, RoomStore
from lab.views import by_hand, own_rules, predict
from lab.work.share import Work

STATION_KEYS: tuple[str, ...] = tuple(s.key for s in lesson.STATIONS)
LESSON2_KEYS: tuple[str, ...] = tuple(s.key for s in lesson2.LESSON.stations)  # its own keys ("l2:..."): one store

NOT_THE_RULE = "not the local derivative times out.grad"  # a wrong rule line that is no classic mistake


NOT_RUN = "not_run"  # the code was refused or failed before any check: a mistake of its own


@dataclass(frozen=True)
class RunSummary:
    """What the room needs of one run of the learner's code: passed, or its one mistake (key, title, message)."""

    passed: bool
    mistake: str = ""  # the first failing check's key (lab/implement/checks.py), or NOT_RUN
    title: str = ""
    message: str = ""


def summary(report: Any) -> RunSummary:
    """The room's reading of an Implement it report (lab/implement/run.py): the only place that reads its shape."""
    problem = getattr(report, "problem", None)
    if problem is not None:
        return RunSummary(False, NOT_RUN, "their code did not run", str(getattr(problem, "message", problem)))
    checks = tuple(getattr(report, "checks", ()) or ())
    if not checks:
        return RunSummary(False, NOT_RUN, "their code did not run", "no check could be run")
    # each check tests one part and a check whose part needs a failed one waits: the first failing check, in the
    # lesson's order of the parts, is the one mistake of the run (lab/implement/checks.py)
    root = next((c for c in checks if c.state == "fail"), None)
    if root is None:
        return RunSummary(True)
    note = f"line {root.line}: {root.message}" if root.line else root.message
    return RunSummary(False, str(root.key), root.title, note)


def current_report(last_run: tuple[str, Any] | None, code: str) -> Any:
    """The report of the last run when it was a run of `code`, the learner's code as it is now; else None.

    Code edited since its last run has no report: nothing of that run is sent, and the Implement it station
    is not done by it.
    """
    if last_run is None or last_run[0] != code:
        return None
    return last_run[1]


def run_fact(report: Any, run: str) -> Fact:
    """One run of the learner's code as one fact: all checks pass, or its one mistake named.

    `run` names this run: each run is a new fact (a run is activity, and the room reads each learner's last run).
    """
    found = summary(report)
    context = f"run|{run}"[:64]
    if found.passed:
        return Fact(IMPLEMENTATION, "all checks pass", "", True, "", context=context)
    return Fact(IMPLEMENTATION, found.title, found.mistake, False, found.message, context=context)


def station_facts(
    work: Work, current: Analysis, implemented: Any = None, runs: Mapping[str, object] | None = None
) -> list[Fact]:
    """A fact per station done, of either lesson (each lesson's records decide, from the work, the report of a run of
    its code and, for lesson 2, what its own checks of that code gave: `runs`, lab/lesson/records.py's Seen)."""
    done = [p for p in lesson.progress(work, current, implemented) if p.done]
    done += [p for p in lesson2.LESSON.progress(work, current, implemented, runs or {}) if p.done]
    return [Fact(STATION, p.station.key) for p in done]


def _prediction_note(blank: predict.Blank) -> str:
    number = format_number(blank.answer)
    return f"it adds {number}" if blank.kind == predict.EDGE else f"it is {number}"


def prediction_facts(work: Work, current: Analysis) -> list[Fact]:
    """Each checked prediction of the current program: the step, the blank, what was typed, right or wrong."""
    tolerance = work.tolerance
    facts = []
    for mode in MODES:
        prefix = predict.pass_key(current, mode)
        if not any(key.startswith(prefix) for key in work.predictions):
            continue  # other programs' predictions were sent while those programs were built
        for blank in predict.every_blank(current, mode):
            if blank.key not in work.predictions:
                continue
            judged = predict.judge(current, blank, work.predictions[blank.key], tolerance)
            if judged.status not in (predict.RIGHT, predict.WRONG):
                continue
            context = f"{prefix}{blank.step}"
            facts.append(Fact(PREDICTION, blank.label, judged.entry, judged.right, _prediction_note(blank), context))
    return facts


def prediction_place(context: str) -> str:
    """Where a prediction was made, from its fact's context: "backward step 2"."""
    parts = context.split("|")
    if len(parts) == 3 and parts[1] in MODES:
        return f"{'' if parts[1] == BACKWARD else 'forward '}step {parts[2]}"
    return "a step"


def hand_facts(work: Work, current: Analysis) -> list[Fact]:
    """Each hand-check row the learner filled in that can be judged: pass or fail, with the engine's message."""
    check = by_hand.check(current, work.hand, work.tolerance)
    facts = []
    for row in check.checks:
        if row.status in (by_hand.PASS, by_hand.FAIL, by_hand.ONLY_HERE):
            note = f"the engine has {format_number(row.engine)}" if row.status != by_hand.PASS else ""
            if row.status == by_hand.ONLY_HERE:
                note = "right here only, not as a formula"
            facts.append(
                Fact(
                    HAND,
                    row.row.label,
                    row.entry,
                    row.status == by_hand.PASS,
                    note,
                    context=program_id(current, at_values=True),
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
    return facts + lesson2_answer_facts(work, current)


def lesson2_answer_facts(work: Work, current: Analysis) -> list[Fact]:
    """Lesson 2's questions answered in a way that can be judged (its takeaway is not a question: never sent)."""
    facts = []
    for q in lesson2.QUESTIONS:
        text = work.answers.get(q.id, "")
        a = analyse(q.program) if q.program else lesson2.LESSON.example_analysis(current)
        fb = questions.feedback(q, a, text)
        if not fb.answered or not fb.explanation:
            continue
        facts.append(Fact(ANSWER, q.prompt(a), fb.shown or text.strip(), fb.right, fb.verdict, context=q.id))
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


def facts(
    work: Work, current: Analysis, implemented: Any = None, run: str = "", runs: Mapping[str, object] | None = None
) -> list[Fact]:
    """Everything the learner's work says, as facts for the room.

    `implemented`: the report (lab.implement.run.Report) of a run of the work's code as it is now (see
    `current_report`), when there is one: it marks the Implement it station, and with `run` (that run's name)
    the run itself is sent (`run_fact`); `runs`: what lesson 2's own checks of that code gave (its stations).
    The room never runs the code itself.
    """
    found = [
        *station_facts(work, current, implemented, runs),
        *prediction_facts(work, current),
        *hand_facts(work, current),
        *answer_facts(work, current),
        *rule_facts(work),
    ]
    if implemented is not None and run:
        found.append(run_fact(implemented, run))
    return found


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
