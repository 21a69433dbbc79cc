"""The classic mistakes of the lesson, one record each: every page that names one reads it here.

A record gives the mistake's names (`label`: a few plain words, on the Bug lab's switch and in the
instructor's list; `title`: the lesson's checklist heading), what it is (`words`, one sentence), how it
shows in the numbers (`shows`), why the numbers can look right with it (`hides`), an example that
shows it, and the check that finds it:

- `switch`: the mistake as a switch on the engine's own backward loop (engine/trace.py's `Mistake`),
  as the Bug lab runs it; `example` is a program on which it changes a gradient;
- `rule`: the mistake in one line of a backward rule the learner writes ("Write the rules
  yourself"): for an operator and an input, the formula such a line has (None where the mistake
  cannot be made there); `example_rule` is a rule, (operator, text), that makes it.

The ids are stable: the learner's work, the room and Implement it's catalog of slips refer to them
(the Bug lab's are engine/trace.py's `Mistake` values). tests/test_mistakes.py runs every record's
example through the check that finds it: a record nobody can trigger fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine import rule_reader
from engine.derivatives import DERIVATIVES
from engine.trace import Mistake as Switch


@dataclass(frozen=True, kw_only=True)
class ClassicMistake:
    id: str  # stable: kept in the room, named by Implement it's slips
    label: str  # a few plain words: "= instead of +="
    title: str  # the lesson's checklist heading: "`=` instead of `+=`"
    words: str  # one sentence: what the mistake is
    shows: str  # how it shows up in the numbers
    hides: str = ""  # why the numbers can look right with it (a clause: "its two inputs have the same value ...")
    example: str = ""  # a program on which it changes a gradient (the program it is shown on)
    example_rule: tuple[str, str] | None = None  # (operator, rule text) that makes it
    switch: Switch | None = None  # the Bug lab's switch on the engine's backward loop
    rule: Callable[[str, int], str | None] | None = None  # (operator, input) -> the formula of a line with it


def _at(table: dict[tuple[str, int], str]) -> Callable[[str, int], str | None]:
    return lambda op, slot: table.get((op, slot))


def _local_alone(op: str, slot: int) -> str | None:
    """The local derivative alone, without `* out.grad`: a slip any operator's rule can make."""
    return DERIVATIVES[op].local[slot] if op in DERIVATIVES else None


LESSON_EXAMPLE = "x = 2\ny = 3\nz = x*y + y"

OVERWRITE = ClassicMistake(
    id="overwrite",
    label="= instead of +=",
    title="`=` instead of `+=`",
    words="The rules write `grad = ...` instead of `grad += ...`.",
    shows="A node used more than once ends up with only its last use's part: its gradient is too small "
    "(in the lesson's example y.grad is 2, not 3), while nodes used once are right.",
    hides="no node here collects gradient from more than one use, so `=` and `+=` give the same",
    example=LESSON_EXAMPLE,
    example_rule=("*", "self.grad = other.data * out.grad\nother.grad = self.data * out.grad"),
    switch=Switch.OVERWRITE,
)
WRONG_ORDER = ClassicMistake(
    id="wrong_order",
    label="wrong order",
    title="No topological order",
    words="backward() calls `_backward` in the order it finds nodes from the output: no topological sort.",
    shows="A node fires before all its uses have sent their gradient: nodes upstream of a reused node get "
    "too little. Small expressions can be right by luck.",
    hides="going from the output level by level happens to reach every node only after all of its uses have "
    "sent their gradient",
    example="x = 2\ny = 3\na = x * y\nb = a + x\nz = a * b",
    switch=Switch.WRONG_ORDER,
)
NO_SEED = ClassicMistake(
    id="no_seed",
    label="no seed",
    title="Output grad not seeded with 1",
    words="backward() never sets the output's grad to 1 (dL/dL = 1).",
    shows="Every gradient is 0, the output's too.",
    hides="the output's gradient happens not to matter",
    example=LESSON_EXAMPLE,
    switch=Switch.NO_SEED,
)
TWICE = ClassicMistake(
    id="twice",
    label="backward twice",
    title="`backward()` called twice without zeroing",
    words="backward() is called a second time without zeroing the grads.",
    shows="The output's grad is right (it is set to 1 again) but the others are off: the second pass adds on top "
    "of the first (x.grad 9 instead of 3 in the lesson's example).",
    hides="every gradient except the output's is 0, and 0 + 0 is still 0",
    example=LESSON_EXAMPLE,
    switch=Switch.TWICE,
)
NO_OUT_GRAD = ClassicMistake(
    id="no_out_grad",
    label="no out.grad",
    title="A rule that forgets `out.grad`",
    words="The rule is missing the `out.grad` factor: the chain rule multiplies the local derivative by the "
    "gradient that arrived at out.",
    shows="Right while every out.grad is 1 (as for a and z in the lesson's example), wrong as soon as one is not: "
    "in `2*(x*y)` x.grad should be 2*y but comes out as y.",
    hides="every node it fires at has out.grad = 1 here, and multiplying by 1 changes nothing",
    example_rule=("*", "self.grad += other.data\nother.grad += self.data"),
    rule=_local_alone,
)
SWAPPED = ClassicMistake(
    id="swapped",
    label="operands swapped",
    title="The operands swapped in `*`",
    words="The operands are swapped: each input's gradient takes the *other* input's value "
    "(`self.grad += other.data * out.grad`).",
    shows="Each input gets its own data instead of the other's: in the lesson's example x.grad is 2 instead of 3 "
    "(and y.grad 4 instead of 3). Invisible when both inputs have the same value.",
    hides="its two inputs have the same value at every node here",
    example_rule=("*", "self.grad += self.data * out.grad\nother.grad += other.data * out.grad"),
    rule=_at({("*", 0): "self.data * out.grad", ("*", 1): "other.data * out.grad"}),
)
SIGN = ClassicMistake(
    id="sign",
    label="sign slip",
    title="A sign slip in `-`",
    words="A sign slip: nudging the second input of `-` up moves the result *down*, so its local derivative is -1 "
    "(and the first input's is +1).",
    shows="In `a - b`, b.grad has the wrong sign (+out.grad instead of -out.grad); a's is right. The finite "
    "difference shows the sign you should get.",
    example_rule=("-", "self.grad += out.grad\nother.grad += out.grad"),
    rule=_at({("-", 0): "-out.grad", ("-", 1): "out.grad"}),
)
TANH_SELF = ClassicMistake(
    id="tanh_self",
    label="tanh slope from self.data",
    title="tanh's slope from `self.data`",
    words="tanh's slope is computed from the output, `out.data` (1 - tanh² of the input), not from `self.data`.",
    shows="Wrong wherever tanh's input is not 0: 1 - a² is not 1 - tanh(a)².",
    example_rule=("tanh", "self.grad += (1 - self.data**2) * out.grad"),
    rule=_at({("tanh", 0): "(1 - self.data**2) * out.grad"}),
)
EXP_SELF = ClassicMistake(
    id="exp_self",
    label="exp slope from self.data",
    title="exp's slope from `self.data`",
    words="exp's slope is exp of the input, which is the output `out.data`, not `self.data`.",
    shows="Wrong wherever the input is not its own exp: the slope of exp(a) is exp(a), not a.",
    example_rule=("exp", "self.grad += self.data * out.grad"),
    rule=_at({("exp", 0): "self.data * out.grad"}),
)
RECURSION = ClassicMistake(
    id="recursion",
    label="recursion too deep",
    title="Recursion too deep on a long chain",
    words="A recursive topological sort raises RecursionError at about 1,000 nodes deep.",
    shows="No numbers at all: a recursive topological sort raises RecursionError at about 1,000 nodes deep. "
    "This engine sorts with an explicit stack, so a million-node chain works.",
    example="x = 1\n" + "\n".join(f"c{i} = {'x' if i == 0 else f'c{i - 1}'} + 1" for i in range(1500)),
)

CATALOG: tuple[ClassicMistake, ...] = (
    OVERWRITE,
    WRONG_ORDER,
    NO_SEED,
    TWICE,
    NO_OUT_GRAD,
    SWAPPED,
    SIGN,
    TANH_SELF,
    EXP_SELF,
    RECURSION,
)
BY_ID: dict[str, ClassicMistake] = {m.id: m for m in CATALOG}
BY_SWITCH: dict[Switch, ClassicMistake] = {m.switch: m for m in CATALOG if m.switch is not None}


def recognise(rule: rule_reader.LearnerRule) -> tuple[rule_reader.LineVerdict, ...]:
    """Each line of a learner's rule: right, or which mistake of the catalog it makes (its id), or WRONG."""
    return rule_reader.recognise(rule, tuple((m.id, m.rule) for m in CATALOG if m.rule is not None))
