"""The checks of Implement it, as records: each tests one part of the learner's class, with known-good
stand-ins for the rest, the way a unit test does.

- recording: `c = a op b` alone: its data, `_prev` with both operands, `_op`, and `_backward` set on `out`;
- each operator's rule alone: `out.grad` set to a number other than 1 and `out._backward()` called
  directly (never through their backward()); again on `a op a` with a grad already there (`+=`); again
  on two results built one after the other, sharing an input (the closure's own `out`);
- backward() alone: their objects with every `_backward` replaced by a known-good one that records its
  call: the seed is 1 when the first rule fires, each node fires exactly once, and after every node that
  uses it;
- the lesson's test, last, as the whole (and the program from Build and see).

A check whose part needs a part that has not passed waits ("not checked until ... passes"), so one slip
lights one check (and the lesson's test at most). The part checks run on numbers of their own, never the
lesson example's, so "by hand first" holds only the lesson's test back (its `quiet` words).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import quote
from engine.value import Value as EngineValue
from lab.implement.graphs import LearnerGraph, Row, same
from lab.implement.lines import Places
from lab.implement.results import BACKWARD, FAIL, PASS, RECORDING, RULES, WAIT, WHOLE, CheckResult
from lab.implement.words import error_text, number

METHOD_OF = {"+": "__add__", "*": "__mul__", "-": "__sub__", "/": "__truediv__", "**": "__pow__", "neg": "__neg__"}
OPS = ("+", "*")
NAME_OF = {"+": "add", "*": "mul"}

# The part checks' numbers: none of them the lesson example's (x = 2, y = 3), out.grad never 1, and no two
# slips giving the same number (a rule's operands swapped, `* out.grad` left out, `=` for `+=`).
NUMBERS = {"a": 4.0, "b": -1.5, "d": 2.5, "grad": 2.0, "grad2": 5.0, "prior": 0.5}
# backward() alone: a is used by b and by z (reached twice from z); a breadth-first order fires a before b.
BACKWARD_GRAPH = "x = 1.5\ny = -2.0\na = x * y\nb = a * x\nc = b * y\nz = a + c"
BACKWARD_TEXT = "z = a + c, where c = b*y, b = a*x, a = x*y"
LESSON = "x = 2.0\ny = 3.0\nz = x*y + y"
LESSON_ANSWERS = (("z", "data"), ("x", "grad"), ("y", "grad"))


@dataclass
class Evidence:
    """What the child found, and what the checks read beside it."""

    code: str
    places: Places
    parts: Mapping[str, Any]  # the child's facts of each part check ("record:+", ..., "backward")
    graphs: Mapping[str, LearnerGraph]  # "lesson" (and "program") with the learner's own backward()
    backward_steps: list[list[Any]] = field(default_factory=list)  # BACKWARD_GRAPH as the child built it


@dataclass(frozen=True)
class Verdict:
    state: str
    message: str = ""
    line: int | None = None
    found: str = ""
    wanted: str = ""
    quiet: str | None = None
    waits_for: str = ""  # a check's key, when the judge itself finds it must wait


def passes(message: str, quiet: str | None = None) -> Verdict:
    return Verdict(PASS, message, quiet=quiet)


def fails(message: str, line: int | None, found: str = "", wanted: str = "", quiet: str | None = None) -> Verdict:
    return Verdict(FAIL, message, line, found, wanted, quiet)


def waits(key: str) -> Verdict:
    return Verdict(WAIT, waits_for=key)


@dataclass(frozen=True)
class Check:
    """One check: the part it tests, its words, the checks it needs to have passed, and its judge."""

    key: str
    part: str
    title: str
    needs: tuple[str, ...]
    judge: Callable[[Evidence], Verdict]


# -- engine's numbers for the part checks -----------------------------------------------------------------


def _engine(op: str, *values: float) -> tuple[EngineValue, ...]:
    return tuple(EngineValue(v) for v in values)


def _apply(op: str, left: EngineValue, right: EngineValue) -> EngineValue:
    return left + right if op == "+" else left * right


def rule_numbers(op: str) -> tuple[float, float]:
    a, b = _engine(op, NUMBERS["a"], NUMBERS["b"])
    c = _apply(op, a, b)
    c.grad = NUMBERS["grad"]
    c._backward()
    return a.grad, b.grad


def twice_number(op: str) -> float:
    (a,) = _engine(op, NUMBERS["a"])
    c = _apply(op, a, a)
    a.grad, c.grad = NUMBERS["prior"], NUMBERS["grad"]
    c._backward()
    return a.grad


def own_numbers(op: str) -> tuple[float, float, float]:
    a, b, d = _engine(op, NUMBERS["a"], NUMBERS["b"], NUMBERS["d"])
    c1, c2 = _apply(op, a, b), _apply(op, a, d)
    c1.grad, c2.grad = NUMBERS["grad"], NUMBERS["grad2"]
    c1._backward()
    return a.grad, b.grad, d.grad


def _n(x: Any) -> str:
    return number(x if isinstance(x, (int, float)) and not isinstance(x, bool) else None)


def _structural(facts: Mapping[str, Any], op: str, places: Places, code: str) -> Verdict | None:
    """Why `a op b` could not be made at all (no method, not a Value, an error), or None."""
    method = METHOD_OF[op]
    if "missing" in facts:
        return fails(f"your Value has no {quote(method)} yet: `a {op} b` needs it", None)
    if "error" in facts:
        return fails(error_text(facts["error"], code), facts["error"].get("line"))
    if "not_value" in facts:
        kind = "None" if facts["not_value"] == "NoneType" else f"a {facts['not_value']}"
        line = places.backward_set_line(method) if facts["not_value"] != "NoneType" else places.method_line(method)
        return fails(f"your `a {op} b` gave {kind}, not a Value: {quote(method)} must `return out`", line)
    return None


# -- recording ---------------------------------------------------------------------------------------------


def judge_record(op: str) -> Callable[[Evidence], Verdict]:
    def judge(ev: Evidence) -> Verdict:
        facts = ev.parts.get(f"record:{op}", {})
        method = METHOD_OF[op]
        broken = _structural(facts, op, ev.places, ev.code)
        if broken:
            return broken
        a, b = NUMBERS["a"], NUMBERS["b"]
        data = a + b if op == "+" else a * b
        made = f"`c = a {op} b` (a = {_n(a)}, b = {_n(b)})"
        line = ev.places.out_line(method)
        if facts["data"] is None or not same(facts["data"], data):
            shown = _n(facts["data"]) if facts["data"] is not None else f"a {facts.get('data_kind', 'value')}"
            hint = " (is `data` text? `Value(2.0)` keeps the number: `self.data = data`)"
            return fails(
                f"{made} has c.data {shown}; a {op} b is {_n(data)}: `out`'s data is `self.data {op} other.data`"
                + (hint if facts.get("data_kind") == "str" else ""),
                line,
                f"c.data {shown}",
                f"c.data {_n(data)}",
            )
        has_a, has_b = facts["prev_has"]
        if not (has_a and has_b):
            holds = "only a" if has_a else "only b" if has_b else "neither a nor b"
            return fails(
                f"{made} has c._prev with {holds} (the engine's has a and b): pass `(self, other)` to `Value(...)` "
                f"in {quote(method)}",
                line,
                f"c._prev with {holds}",
                "c._prev with a and b",
            )
        if facts["op"] != op:
            got = "not text" if facts["op"] is None else repr(facts["op"])
            return fails(
                f"{made} has c._op {got}, the engine's is {op!r}: pass {op!r} to `Value(...)` in {quote(method)}",
                line,
                f"c._op {got}",
                f"c._op {op!r}",
            )
        if any(facts["inputs_rule_replaced"]):
            return fails(
                f"{made} changed the `_backward` of its input (`self._backward = ...`): the rule belongs to the "
                "new node, `out._backward = _backward`",
                ev.places.backward_set_line(method),
            )
        if not facts["rule_callable"] or facts["rule_is_leafs"]:
            return fails(
                f"{made} keeps the `_backward` every new Value starts with (`lambda: None`): set "
                f"`out._backward = _backward` in {quote(method)} before `return out`",
                ev.places.backward_set_line(method),
            )
        return passes(f"{made}: c.data {_n(data)}, c._prev holds a and b, c._op is {op!r}, c._backward is its own")

    return judge


# -- each operator's rule alone ---------------------------------------------------------------------------


def _rule_words(op: str) -> tuple[str, str]:
    if op == "+":
        return "c.grad", "c.grad"
    return "b.data × c.grad", "a.data × c.grad"


def judge_rule(op: str) -> Callable[[Evidence], Verdict]:
    def judge(ev: Evidence) -> Verdict:
        facts = ev.parts.get(f"rule:{op}", {})
        method = METHOD_OF[op]
        if "error" in facts:
            return fails(error_text(facts["error"], ev.code), facts["error"].get("line"))
        mine = facts["grads"][:2]
        wanted = rule_numbers(op)
        wrong = [k for k in (0, 1) if mine[k] is None or not same(mine[k], wanted[k])]
        a, b, g = NUMBERS["a"], NUMBERS["b"], NUMBERS["grad"]
        setting = (
            f"with a = {_n(a)}, b = {_n(b)} and c.grad = {_n(g)} (set by this check), `c._backward()` of `c = a {op} b`"
        )
        found = f"a.grad {_n(mine[0])}, b.grad {_n(mine[1])}"
        want = f"a.grad {_n(wanted[0])}, b.grad {_n(wanted[1])}"
        if not wrong:
            return passes(f"{setting} gives {found}, the lesson's rule")
        words = _rule_words(op)
        hint = ""
        if op == "*" and same_pair(mine, (b, a)):
            hint = ": `* out.grad` is missing (each input's part is the other's data times out.grad)"
        elif op == "*" and same_pair(mine, (a * g, b * g)):
            hint = ": the operands are swapped (a's part is the *other* input's data times out.grad)"
        elif op == "+" and same_pair(mine, (1.0, 1.0)):
            hint = ": each input gets out.grad, not 1"
        return fails(
            f"{setting} gives {found}; the lesson's rule gives a.grad {_n(wanted[0])} ({words[0]}) and "
            f"b.grad {_n(wanted[1])} ({words[1]}){hint}",
            ev.places.rule_line(method, wrong[0]),
            found,
            want,
        )

    return judge


def same_pair(mine: list[Any], pair: tuple[float, float]) -> bool:
    return all(x is not None and same(x, y) for x, y in zip(mine, pair, strict=True))


def judge_twice(op: str) -> Callable[[Evidence], Verdict]:
    def judge(ev: Evidence) -> Verdict:
        facts = ev.parts.get(f"twice:{op}", {})
        method = METHOD_OF[op]
        if "error" in facts:
            return fails(error_text(facts["error"], ev.code), facts["error"].get("line"))
        mine = facts["grads"][0]
        wanted = twice_number(op)
        a, prior, g = NUMBERS["a"], NUMBERS["prior"], NUMBERS["grad"]
        setting = (
            f"`c = a {op} a` uses a twice (a = {_n(a)}); with a.grad already {_n(prior)} from another use and "
            f"c.grad = {_n(g)}, `c._backward()`"
        )
        if mine is not None and same(mine, wanted):
            return passes(f"{setting} leaves a.grad {_n(wanted)}: both parts added to what was there")
        return fails(
            f"{setting} leaves a.grad {_n(mine)}; adding both parts to {_n(prior)} gives {_n(wanted)}: "
            "a grad adds up every use, `+=`, never `=`",
            ev.places.overwrite_line(method),
            f"a.grad {_n(mine)}",
            f"a.grad {_n(wanted)}",
        )

    return judge


def judge_own(op: str) -> Callable[[Evidence], Verdict]:
    def judge(ev: Evidence) -> Verdict:
        facts = ev.parts.get(f"own:{op}", {})
        method = METHOD_OF[op]
        if "error" in facts:
            return fails(error_text(facts["error"], ev.code), facts["error"].get("line"))
        grads = facts["grads"]
        mine = grads[:3]
        wanted = own_numbers(op)
        g, g2 = NUMBERS["grad"], NUMBERS["grad2"]
        setting = (
            f"c1 = a {op} b, then c2 = a {op} d (a used again); with c1.grad = {_n(g)} and c2.grad = {_n(g2)}, "
            "`c1._backward()`"
        )
        found = f"a.grad {_n(mine[0])}, b.grad {_n(mine[1])}, d.grad {_n(mine[2])}"
        want = f"a.grad {_n(wanted[0])}, b.grad {_n(wanted[1])}, d.grad 0"
        if all(x is not None and same(x, y) for x, y in zip(mine, wanted, strict=True)):
            return passes(f"{setting} gives {found}: c1's rule works on c1 alone")
        return fails(
            f"{setting} gives {found}; c1's own rule gives {want}: your `_backward` reads another node than its "
            f"own `out` (a name every node shares, or one a later node sets again): read `out` made in "
            f"{quote(method)}",
            ev.places.shared_read_line(method),
            found,
            want,
        )

    return judge


# -- backward() alone -------------------------------------------------------------------------------------


def _backward_facts(ev: Evidence) -> Mapping[str, Any]:
    return ev.parts.get("backward", {})


def _label(ev: Evidence, i: int) -> str:
    return str(ev.backward_steps[i][3]) if 0 <= i < len(ev.backward_steps) else f"node {i}"


def _operations(ev: Evidence) -> list[int]:
    return [i for i, step in enumerate(ev.backward_steps) if step[1]]


def judge_seed(ev: Evidence) -> Verdict:
    facts = _backward_facts(ev)
    if "error" in facts:
        return fails(error_text(facts["error"], ev.code), facts["error"].get("line"))
    calls = facts.get("calls", [])
    line = ev.places.seed_line()
    out = _label(ev, len(ev.backward_steps) - 1)
    if calls:
        seed = calls[0][1]
        first = _label(ev, calls[0][0])
        if seed is not None and same(seed, 1.0):
            return passes(f"on {BACKWARD_TEXT}, {out}.grad is 1 when the first `_backward` runs")
        return fails(
            f"on {BACKWARD_TEXT}, your backward() ran {first}'s `_backward` first while {out}.grad was {_n(seed)}; "
            f"the engine's is 1: set `self.grad = 1` before any `_backward` runs",
            line,
            f"{out}.grad {_n(seed)}",
            f"{out}.grad 1",
        )
    grad = facts.get("grad")
    if grad is not None and same(grad, 1.0):
        return passes(f"after {out}.backward(), {out}.grad is 1")
    return fails(
        f"after {out}.backward() your {out}.grad is {_n(grad)}, the engine's is 1: backward() sets `self.grad = 1`",
        line,
        f"{out}.grad {_n(grad)}",
        f"{out}.grad 1",
    )


def judge_once(ev: Evidence) -> Verdict:
    facts = _backward_facts(ev)
    if "error" in facts:
        return waits("seed")
    counts: dict[int, int] = {}
    for node, _seed in facts.get("calls", []):
        counts[node] = counts.get(node, 0) + 1
    for i in reversed(_operations(ev)):  # the output first
        count = counts.get(i, 0)
        if count == 1:
            continue
        name = _label(ev, i)
        if count == 0:
            return fails(
                f"on {BACKWARD_TEXT}, your backward() never ran {name}'s `_backward`: every node reached from the "
                "output goes into the order, and the loop calls each one's `_backward`",
                ev.places.loop_line(),
                f"{name}'s `_backward` never ran",
                "once",
            )
        return fails(
            f"on {BACKWARD_TEXT}, your backward() ran {name}'s `_backward` {count} times ({name} is reached twice "
            "from z): keep a visited set, so a node reached twice goes into the order once",
            ev.places.once_line(),
            f"{name}'s `_backward` {count} times",
            "once",
        )
    return passes(f"on {BACKWARD_TEXT}, each node's `_backward` ran once (a is reached twice)")


def judge_order(ev: Evidence) -> Verdict:
    facts = _backward_facts(ev)
    if "error" in facts:
        return waits("seed")
    fired: set[int] = set()
    operations = set(_operations(ev))
    users: dict[int, list[int]] = {}
    for i, step in enumerate(ev.backward_steps):
        for p in step[1]:
            users.setdefault(p, []).append(i)
    for node, _seed in facts.get("calls", []):
        if node in operations:
            early = [u for u in users.get(node, []) if u not in fired]
            if early:
                name, user = _label(ev, node), _label(ev, early[0])
                return fails(
                    f"on {BACKWARD_TEXT}, your backward() ran {name}'s `_backward` before {user}'s, and {user} uses "
                    f"{name}: {name}.grad was not complete yet. Go from the output back: a node's `_backward` runs "
                    "after every node that uses it (reversed topological order)",
                    ev.places.order_line(),
                    f"{name} before {user}",
                    f"{user} before {name}",
                )
        fired.add(node)
    return passes(f"on {BACKWARD_TEXT}, every node's `_backward` ran after every node that uses it")


# -- the whole -------------------------------------------------------------------------------------------


def _graph_failure(g: LearnerGraph, ev: Evidence) -> Verdict | None:
    f = g.facts
    if "missing" in f:
        return fails(f"your Value has no {', '.join(quote(m) for m in f['missing'])}", None)
    if "not_value" in f:
        info = f["not_value"]
        method = METHOD_OF.get(info["op"], info["op"])
        kind = "None" if info["kind"] == "NoneType" else f"a {info['kind']}"
        return fails(
            f"your {quote(method)} gave {kind}, not a Value: it must `return out`", ev.places.method_line(method)
        )
    if "error" in f:
        return fails(error_text(f["error"], ev.code), f["error"].get("line"))
    return None


def _yours(rows: list[Row], limit: int = 3) -> str:
    """ "your y.grad is 2, the engine's is 3" for the first few wrong numbers."""
    parts = []
    for label, what, mine, engine, kind in rows[:limit]:
        if mine is None:
            shown = f"{kind}, not a number" if kind not in ("float", "int") else "too large"
            parts.append(f"your {label}.{what} is {shown}, the engine's is {number(engine)}")
        else:
            parts.append(f"your {label}.{what} is {number(mine)}, the engine's is {number(engine)}")
    return "; ".join(parts)


def _rows_text(rows: list[Row], which: int) -> str:
    """ "y.grad 2" for each row: the learner's numbers (which = 2) or the engine's (3)."""
    return ", ".join(f"{row[0]}.{row[1]} {number(row[which])}" for row in rows)


def judge_lesson(ev: Evidence) -> Verdict:
    g = ev.graphs["lesson"]
    broken = _graph_failure(g, ev)
    if broken:
        return broken
    wanted = [row for row in g.numbers() if (row[0], row[1]) in LESSON_ANSWERS]
    wrong = [row for row in wanted if not same(row[2], row[3])]
    if not wrong:
        return passes(
            "z.data is 9, x.grad is 3 and y.grad is 3, as the engine's",
            quiet="your z.data, x.grad and y.grad match the engine's",
        )
    return fails(
        _yours(wrong),
        None,
        _rows_text(wrong, 2),
        _rows_text(wrong, 3),
        quiet="your z.data, x.grad and y.grad do not all match the engine's yet (the numbers show once you have "
        "worked the example on By hand)",
    )


def judge_program(ev: Evidence) -> Verdict:
    g = ev.graphs["program"]
    broken = _graph_failure(g, ev)
    if broken:
        return broken
    wrong = g.wrong()
    if wrong:
        return fails(
            _yours(wrong),
            None,
            _rows_text(wrong, 2),
            _rows_text(wrong, 3),
            quiet="some of your numbers differ from the engine's (they show once you have worked the example on "
            "By hand)",
        )
    return passes("every node's data and grad are the engine's", quiet="every node's data and grad match the engine's")


# -- the records --------------------------------------------------------------------------------------------

RECORDS = tuple(f"record_{NAME_OF[op]}" for op in OPS)


def _operator_checks(op: str) -> list[Check]:
    name = NAME_OF[op]
    return [
        Check(
            f"rule_{name}",
            RULES,
            f"`{op}`'s rule alone: `c._backward()` of `c = a {op} b`",
            (f"record_{name}",),
            judge_rule(op),
        ),
        Check(
            f"twice_{name}",
            RULES,
            f"`{op}`'s rule adds to a grad (`+=`): `c = a {op} a`",
            (f"rule_{name}",),
            judge_twice(op),
        ),
        Check(f"own_{name}", RULES, f"`{op}`'s `_backward` works on its own `out`", (f"rule_{name}",), judge_own(op)),
    ]


CHECKS: tuple[Check, ...] = (
    *(
        Check(
            f"record_{NAME_OF[op]}",
            RECORDING,
            f"`a {op} b` records `_prev`, `_op` and `out._backward`",
            (),
            judge_record(op),
        )
        for op in OPS
    ),
    *(check for op in OPS for check in _operator_checks(op)),
    Check("seed", BACKWARD, "backward() starts from the output's grad, 1 (the seed)", RECORDS, judge_seed),
    Check(
        "once", BACKWARD, "backward() runs each node's `_backward` exactly once (a visited set)", RECORDS, judge_once
    ),
    Check(
        "order",
        BACKWARD,
        "backward() runs a node's `_backward` after every node that uses it",
        (*RECORDS, "once"),
        judge_order,
    ),
    Check("lesson", WHOLE, "The lesson's test: x = 2, y = 3, z = x*y + y", RECORDS, judge_lesson),
)
PROGRAM = Check("program", WHOLE, "Your program from Build and see", RECORDS, judge_program)
BY_KEY = {c.key: c for c in (*CHECKS, PROGRAM)}
TITLES = {c.key: c.title for c in (*CHECKS, PROGRAM)}


def waiting_words(key: str) -> str:
    return f"not checked until “{TITLES[key]}” passes"


def judge_all(ev: Evidence, with_program: bool) -> tuple[CheckResult, ...]:
    """Every check in the lesson's order; a check waits when one it needs has not passed."""
    results: dict[str, CheckResult] = {}
    for check in (*CHECKS, PROGRAM) if with_program else CHECKS:
        blocking = next((need for need in check.needs if results[need].state != PASS), None)
        verdict = waits(blocking) if blocking else check.judge(ev)
        if verdict.state == WAIT:
            results[check.key] = CheckResult(
                check.key,
                check.title,
                False,
                waiting_words(verdict.waits_for),
                None,
                WAIT,
                check.part,
                verdict.waits_for,
            )
            continue
        results[check.key] = CheckResult(
            key=check.key,
            title=check.title,
            passed=verdict.state == PASS,
            message=verdict.message,
            line=verdict.line if isinstance(verdict.line, int) else None,
            state=verdict.state,
            part=check.part,
            found=verdict.found,
            wanted=verdict.wanted,
            quiet=verdict.quiet,
        )
    return tuple(results.values())


def job_parts(backward_steps: list[list[Any]]) -> dict[str, Any]:
    """The part checks as the child runs them (sandbox/child.py `run_parts`)."""
    return {"ops": list(OPS), "numbers": dict(NUMBERS), "backward": backward_steps}
