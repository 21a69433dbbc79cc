"""What a run of the learner's code gives back: the report, its checks, the problem that stopped the code."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.trace import Graph

PASS, FAIL, WAIT = "pass", "fail", "wait"  # a check's state: WAIT when a part it depends on has not passed

# The parts of the learner's class, in the lesson's order: the first failing part is the one to fix first.
RECORDING, RULES, BACKWARD, WHOLE = "recording", "rules", "backward()", "the whole"
PARTS = (RECORDING, RULES, BACKWARD, WHOLE)


@dataclass(frozen=True)
class Problem:
    """Code that was refused or failed before it could be checked, in the learner's words.

    `message` names the line itself ("line 3, `while True: pass`: ..."); `line` and `code_line`
    are there to mark it in the editor.
    """

    message: str
    line: int | None
    code_line: str | None


@dataclass(frozen=True)
class CheckResult:
    """One check of one part of the learner's class.

    `message` is the lesson's words with the numbers; `quiet`, when there is one, says the same without the
    lesson example's numbers (shown while "by hand first" holds them back). `found` and `wanted` are the
    learner's numbers and the engine's, for the "Fix this first" box. A waiting check (`state` WAIT) names in
    `waits_for` the check it waits for.
    """

    key: str
    title: str
    passed: bool
    message: str
    line: int | None  # the line of the learner's code the message is about, if any
    state: str = ""
    part: str = ""
    waits_for: str = ""
    found: str = ""
    wanted: str = ""
    quiet: str | None = None

    def __post_init__(self) -> None:
        if not self.state:
            object.__setattr__(self, "state", PASS if self.passed else FAIL)

    @property
    def waiting(self) -> bool:
        return self.state == WAIT

    @property
    def failed(self) -> bool:
        return self.state == FAIL


@dataclass(frozen=True)
class Call:
    """One `_backward` call of the learner's objects, in their order (indices into the graph)."""

    node: int
    grad: float  # the node's own grad when it fired
    inputs: tuple[int, ...]  # the node's _prev, as graph indices
    before: tuple[float, ...]  # their grads before the call
    after: tuple[float, ...]  # and after


@dataclass(frozen=True)
class Report:
    problem: Problem | None
    checks: tuple[CheckResult, ...]
    output: str  # what the learner's code printed (capped): its top level and the lesson's test, once
    lesson_graph: Graph | None  # the learner's objects on the lesson's example, as engine Values
    program_graph: Graph | None  # the same for the program from Build and see
    differs: frozenset[int]  # nodes of program_graph (or of lesson_graph when there is none) off the engine's numbers
    program_note: str | None  # why the program was not run with their class, if it was not
    seconds: float
    lesson_differs: frozenset[int] = frozenset()
    program_differs: frozenset[int] = frozenset()
    lesson_calls: tuple[Call, ...] = ()
    program_calls: tuple[Call, ...] = ()
    code: str = field(default="", repr=False)

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.checks) and all(c.state == PASS for c in self.checks)

    @property
    def first_failing(self) -> CheckResult | None:
        """The check to fix first: the first failing one, in the lesson's order of the parts."""
        return next((c for c in self.checks if c.state == FAIL), None)
