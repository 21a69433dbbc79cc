"""The program a fresh process runs for one run of a learner's code: `python -I -S child.py`.

It sets its own limits before it reads anything, reads one JSON job from stdin, runs the
learner's code (already read by sandbox/code_reader.py's whitelist) with a small named set of
builtins, measures THEIR objects on small graphs, and prints one JSON result. Only data goes
back: numbers, short strings, lists; never an object.

Self-contained on purpose: `-I` leaves the script's folder off sys.path, and every import here
costs start-up time. The parent (sandbox/runner.py) gives it an empty environment, an empty
working directory it cannot write to, a new session (so the whole group can be killed) and a
wall-clock timeout.

Job (marshal, from the parent only):  {"code": str, "graphs": [{"key", "steps": [[op, [args], number, label], ...],
         "record": bool, "capture": bool}], "parts": {"ops": ["+", "*"], "numbers": {...}, "backward": steps},
         "methods": ["tanh", "relu"], "method_inputs": {name: [numbers]},
         "train": {"w", "b", "points", "lr", "steps"}}  (the last two for lesson 2, each optional)
Result (JSON):  {"problem": error | null, "output": str, "graphs": {key: graph facts}, "parts": {part: facts},
         "methods": {name: facts}, "train": {"losses": [...]}}
An error is {"kind": "AttributeError", "message": str, "line": int | null}: the line is the
learner's own (the innermost frame of their code), never a traceback of ours.
"""

# Only modules built into the interpreter or tiny: `posix` (not `os`), `_signal` (not `signal`,
# which imports enum), `_operator`, and marshal/our own JSON writer (not `json`, which imports re):
# this start-up is paid by every run.
import _operator as operator
import _signal as signal
import marshal
import posix
import resource
import sys

CPU_SECONDS = 2  # RLIMIT_CPU: the kernel stops the process here (the backstop)
CPU_TIMER = 1.5  # seconds of CPU before the learner's code is interrupted, with its line
WALL_TIMER = 4.0  # seconds of wall-clock time, the same (a busy machine: before the parent's 5 s kill)
MEMORY_BYTES = 256 * 1024 * 1024  # RLIMIT_AS
NOBODY = 65534


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(which, (soft, soft if hard is None else hard))


# -- first thing: limits, before anything of the learner's is read ----------------------------
_limit(resource.RLIMIT_CPU, CPU_SECONDS, CPU_SECONDS + 1)
_limit(resource.RLIMIT_AS, MEMORY_BYTES)
_limit(resource.RLIMIT_FSIZE, 0)  # no file can grow: nothing is written to disk
_limit(resource.RLIMIT_CORE, 0)
_limit(resource.RLIMIT_NPROC, 0)  # no new process (root ignores this: hence nobody below)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails instead of killing
try:  # noqa: SIM105  (contextlib would be one more import at start-up)
    posix.nice(10)  # the server's own pages come first
except OSError:
    pass

import math  # noqa: E402  (imported under the limits, before giving up the rights to read it)

if posix.getuid() == 0:  # defense in depth: nobody cannot signal the server, read its files, or fork
    posix.setgroups([])
    posix.setgid(NOBODY)
    posix.setuid(NOBODY)
# Every module is loaded: from here on no new file descriptor at all (no file, no socket).
_limit(resource.RLIMIT_NOFILE, 3)

LEARNER_FILE = "<your code>"
MAX_OUTPUT = 100_000  # characters of the learner's print() output kept
MAX_NODES = 2_000  # nodes of one graph read back
MAX_CALLS = 4_000  # `_backward` calls recorded for one graph
MAX_TEXT = 300  # characters of any one message or label sent back


class TimeUp(BaseException):
    """Raised inside the learner's code when the CPU timer fires (BaseException: not caught by them)."""


def _time_up(signum, frame):
    raise TimeUp()


# -- the learner's world: a small named set of builtins -------------------------------------------

_output: list[str] = []
_output_size = [0, False]  # characters kept, cut?
_capturing = [True]


def _print(*args, sep=" ", end="\n", file=None, flush=False):
    if not _capturing[0]:
        return
    text = (" " if sep is None else str(sep)).join(str(a) for a in args) + ("\n" if end is None else str(end))
    room = MAX_OUTPUT - _output_size[0]
    if len(text) > room:
        text = text[: max(room, 0)]
        _output_size[1] = True
    _output.append(text)
    _output_size[0] += len(text)


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "math" and level == 0:
        return math
    raise ImportError(f"only `import math` is allowed, not {name!r}")


_SAFE = (  # noqa: SIM905
    "abs all any bool dict enumerate filter float int isinstance issubclass iter len list map max min next "
    "range repr reversed round set sorted str sum tuple zip callable divmod pow hash id chr ord "
    "property staticmethod classmethod frozenset slice "
    "Exception ValueError TypeError ArithmeticError ZeroDivisionError OverflowError AssertionError "
    "AttributeError NotImplementedError RuntimeError KeyError IndexError StopIteration NotImplemented"
).split()
_builtins_module = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
BUILTINS = {name: _builtins_module[name] for name in _SAFE}
BUILTINS.update(
    {
        "print": _print,
        "__import__": _import,
        "__build_class__": _builtins_module["__build_class__"],
        "True": True,
        "False": False,
        "None": None,
    }
)


# -- errors in the learner's words ------------------------------------------------------------------


def _learner_line(tb):
    """The line of the innermost frame of the learner's code in a traceback, or None."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == LEARNER_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(e: BaseException) -> dict:
    kind = type(e).__name__
    if isinstance(e, SyntaxError):
        line = e.lineno
    else:
        line = _learner_line(e.__traceback__)
    try:
        message = str(e)
    except BaseException:  # a learner's exception class whose __str__ fails
        message = ""
    error = {"kind": kind, "message": message[:MAX_TEXT], "line": line}
    if type(e) is AttributeError and isinstance(getattr(e, "name", None), str):
        error.update(_closest_attribute(e.name, getattr(e, "obj", None)))
    return error


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b."""
    previous, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if previous is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous[j - 2] + 1)
            current.append(cost)
        previous, row = row, current
    return row[-1]


def _closest_attribute(name: str, obj) -> dict:
    """The attribute `obj` has that is closest to the missing `name` (a typo's fix), and what obj is."""
    try:
        kind = type(obj).__name__
        names = set(getattr(obj, "__dict__", {}) or ()) | {n for n in dir(type(obj)) if not n.startswith("__")}
    except Exception:
        return {"name": name[:MAX_TEXT]}
    best, score = None, max(1, (len(name) + 2) // 3)
    for candidate in sorted(n for n in names if isinstance(n, str)):
        d = _distance(name.lower(), candidate.lower())
        if d <= score and (best is None or d < best[0]):
            best = (d, candidate)
    facts = {"name": name[:MAX_TEXT], "object": kind[:MAX_TEXT]}
    if best is not None:
        facts["suggest"] = best[1][:MAX_TEXT]
    return facts


def _number(x):
    """A learner's data or grad as a float, or None when it is not a number (or too large)."""
    if type(x) in (int, float, bool):
        try:
            return float(x)
        except OverflowError:
            return None
    return None


def _kind(x) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else "object"


# -- reading the learner's graph ---------------------------------------------------------------------


class Graph:
    """The learner's nodes reachable from an output through `_prev`, read without trusting them."""

    def __init__(self, Value, output, step_of: dict):
        self.Value = Value
        self.nodes = []  # learner objects, in the order found
        self.index = {}  # id -> index
        self.prev = []  # per node: indices of its _prev, in the order of the step's operands first
        self.cut = False
        self.problem = None
        todo = [output]
        self._add(output)
        while todo:
            node = todo.pop()
            i = self.index[id(node)]
            children = self._children(node)
            ordered = []
            step = step_of.get(id(node))
            if step is not None:  # the program's operand order first (a set has none of its own)
                ordered = [c for c in step if any(c is k for k in children)]
            for c in children:
                if not any(c is o for o in ordered):
                    ordered.append(c)
            indices = []
            for c in ordered:
                if id(c) not in self.index:
                    if len(self.nodes) >= MAX_NODES:
                        self.cut = True
                        continue
                    self._add(c)
                    todo.append(c)
                indices.append(self.index[id(c)])
            self.prev[i] = indices

    def _add(self, node):
        self.index[id(node)] = len(self.nodes)
        self.nodes.append(node)
        self.prev.append([])

    def _children(self, node):
        prev = getattr(node, "_prev", ())
        if not isinstance(prev, (set, frozenset, tuple, list)):
            self.problem = f"_prev is a {_kind(prev)}, not a set"
            return []
        children = []
        for c in list(prev)[:MAX_NODES]:
            if isinstance(c, self.Value) and not any(c is k for k in children):
                children.append(c)
        return children

    def facts(self, label_of: dict) -> list:
        out = []
        for i, node in enumerate(self.nodes):
            data = getattr(node, "data", None)
            grad = getattr(node, "grad", None)
            op = getattr(node, "_op", "")
            out.append(
                {
                    "data": _number(data),
                    "data_kind": _kind(data),
                    "grad": _number(grad),
                    "grad_kind": _kind(grad),
                    "op": op[:20] if isinstance(op, str) else "",
                    "op_kind": _kind(op),
                    "label": label_of.get(id(node), ""),
                    "prev": self.prev[i],
                }
            )
        return out


class Recorder:
    """Wraps each node's `_backward` to count and record the calls, in the learner's order."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.counts = [0] * len(graph.nodes)
        self.calls = []
        self.watched = True
        for i, node in enumerate(graph.nodes):
            original = getattr(node, "_backward", None)
            if not callable(original):
                continue
            try:
                node._backward = self._wrap(i, original)
            except (AttributeError, TypeError):
                self.watched = False

    def _grads(self, i):
        return [_number(getattr(self.graph.nodes[p], "grad", None)) for p in self.graph.prev[i]]

    def _wrap(self, i, original):
        def _backward(*args, **kwargs):
            self.counts[i] += 1
            record = len(self.calls) < MAX_CALLS
            if record:
                own = _number(getattr(self.graph.nodes[i], "grad", None))
                before = self._grads(i)
            result = original(*args, **kwargs)
            if record:
                self.calls.append({"node": i, "grad": own, "before": before, "after": self._grads(i)})
            return result

        return _backward


# -- running one graph with the learner's Value ----------------------------------------------------

_OPERATORS = {
    "+": (operator.add, "__add__"),
    "-": (operator.sub, "__sub__"),
    "*": (operator.mul, "__mul__"),
    "/": (operator.truediv, "__truediv__"),
    "**": (operator.pow, "__pow__"),
    "neg": (operator.neg, "__neg__"),
}


def _needed(op: str) -> str:
    return _OPERATORS[op][1] if op in _OPERATORS else op


def run_graph(Value, job: dict) -> dict:
    """Build the job's steps with the learner's Value, call their backward(), read what they did."""
    steps = job["steps"]
    missing = sorted({_needed(s[0]) for s in steps if s[0] not in ("variable", "constant")} - set(dir(Value)))
    if missing:
        return {"missing": missing}
    _capturing[0] = bool(job.get("capture"))
    built = []
    operands = {}  # id(node) -> its operands, in the program's order
    label_of = {}
    try:
        for op, args, number, label in steps:
            if op in ("variable", "constant"):
                node = Value(number)
            elif op == "**":
                node = operator.pow(built[args[0]], number)
            elif op in _OPERATORS:
                node = _OPERATORS[op][0](*(built[a] for a in args))
            else:
                node = getattr(built[args[0]], op)()
            if not isinstance(node, Value):
                return {"not_value": {"step": label, "op": op, "kind": _kind(node)}}
            built.append(node)
            operands.setdefault(id(node), [built[a] for a in args])
            label_of.setdefault(id(node), label)
    except Exception as e:
        return {"error": _error(e), "phase": "forward"}
    output = built[-1]
    try:
        graph = Graph(Value, output, operands)
        recorder = Recorder(graph)
    except Exception as e:
        return {"error": _error(e), "phase": "graph"}
    result = {"output": 0, "watched": recorder.watched}
    try:
        output.backward()
    except Exception as e:
        result["error"] = _error(e)
        result["phase"] = "backward"
    _capturing[0] = False
    try:
        nodes = graph.facts(label_of)
    except Exception as e:
        return {"error": _error(e), "phase": "graph"}
    result.update(
        nodes=nodes,
        counts=recorder.counts,
        calls=recorder.calls,
        cut=graph.cut,
        prev_problem=graph.problem,
    )
    return result


# -- the part checks: each part of the learner's class alone, known-good stand-ins for the rest -----------
#
# The parent (lab/implement/checks.py) chooses the numbers and judges; here only what their objects did is
# read. Each part runs on its own: an error in one is that part's fact, never the next part's.


def _try(facts, run):
    try:
        run(facts)
    except Exception as e:
        facts["error"] = _error(e)
    return facts


def _grads(nodes):
    return [_number(getattr(v, "grad", None)) for v in nodes]


def _code_of(rule):
    """What a `_backward` runs (a function's code, a bound method's function's code), to tell a leaf's rule."""
    rule = getattr(rule, "__func__", rule)
    return getattr(rule, "__code__", None)


def part_record(Value, op: str, numbers: dict) -> dict:
    """`c = a op b` alone: its data, what it keeps in `_prev` and `_op`, whose `_backward` it sets."""
    function = _OPERATORS[op][0]

    def run(facts):
        a, b = Value(numbers["a"]), Value(numbers["b"])
        leaf = Value(numbers["a"])
        leaf_rule = _code_of(getattr(leaf, "_backward", None))
        before = [getattr(v, "_backward", None) for v in (a, b)]
        c = function(a, b)
        if not isinstance(c, Value):
            facts["not_value"] = _kind(c)
            return
        facts["data"] = _number(getattr(c, "data", None))
        facts["data_kind"] = _kind(getattr(c, "data", None))
        prev = getattr(c, "_prev", None)
        items = list(prev)[:10] if isinstance(prev, (set, frozenset, tuple, list)) else []
        facts["prev_kind"] = _kind(prev)
        facts["prev_has"] = [any(x is a for x in items), any(x is b for x in items)]
        facts["prev_others"] = sum(1 for x in items if x is not a and x is not b)
        op_value = getattr(c, "_op", None)
        facts["op"] = op_value[:20] if isinstance(op_value, str) else None
        rule = getattr(c, "_backward", None)
        facts["rule_callable"] = callable(rule)
        facts["rule_is_leafs"] = leaf_rule is not None and _code_of(rule) is leaf_rule
        after = [getattr(v, "_backward", None) for v in (a, b)]
        facts["inputs_rule_replaced"] = [x is not y for x, y in zip(after, before, strict=True)]

    return _try({}, run)


def part_rule(Value, op: str, numbers: dict) -> dict:
    """`c = a op b`, c.grad set (not 1), c._backward() called directly: the inputs' grads after it."""
    function = _OPERATORS[op][0]

    def run(facts):
        a, b = Value(numbers["a"]), Value(numbers["b"])
        c = function(a, b)
        a.grad, b.grad, c.grad = 0.0, 0.0, numbers["grad"]
        c._backward()
        facts["grads"] = _grads((a, b, c))

    return _try({}, run)


def part_twice(Value, op: str, numbers: dict) -> dict:
    """`c = a op a`, a.grad already holding another use's part: does c._backward() add to it?"""
    function = _OPERATORS[op][0]

    def run(facts):
        a = Value(numbers["a"])
        c = function(a, a)
        a.grad, c.grad = numbers["prior"], numbers["grad"]
        c._backward()
        facts["grads"] = _grads((a, c))

    return _try({}, run)


def part_own(Value, op: str, numbers: dict) -> dict:
    """c1 = a op b, then c2 = a op d (a used again, later): c1._backward() must change a and b alone, by c1.grad."""
    function = _OPERATORS[op][0]

    def run(facts):
        a, b, d = Value(numbers["a"]), Value(numbers["b"]), Value(numbers["d"])
        c1 = function(a, b)
        c2 = function(a, d)
        for v in (a, b, d):
            v.grad = 0.0
        c1.grad, c2.grad = numbers["grad"], numbers["grad2"]
        c1._backward()
        facts["grads"] = _grads((a, b, d, c1, c2))

    return _try({}, run)


def part_backward(Value, steps: list) -> dict:
    """Their backward() alone: every node's `_backward` replaced by a known-good one that applies the engine's
    rule and records its call (which node, the output's grad then); then their backward() on the output."""
    facts = {}
    built = []
    try:
        for op, args, number, _label in steps:
            node = Value(number) if op in ("variable", "constant") else _OPERATORS[op][0](*(built[a] for a in args))
            if not isinstance(node, Value):
                facts["not_value"] = _kind(node)
                return facts
            built.append(node)
    except Exception as e:
        facts["error"] = _error(e)
        facts["phase"] = "forward"
        return facts
    output = built[-1]
    calls = []

    def stand_in(i, op, args):
        def _backward():
            node = built[i]
            calls.append([i, _number(getattr(output, "grad", None))])
            if len(calls) > MAX_CALLS:
                raise RecursionError("too many `_backward` calls")
            grad = getattr(node, "grad", 0.0)
            try:
                if op == "+":
                    for a in args:
                        built[a].grad += grad
                elif op == "*":
                    left, right = built[args[0]], built[args[1]]
                    left.grad += right.data * grad
                    right.grad += left.data * grad
            except Exception:  # their grad is not a number: the order is still what is checked
                pass

        return _backward

    try:
        for i, (op, args, *_rest) in enumerate(steps):
            built[i]._backward = stand_in(i, op, args)
    except Exception as e:
        facts["error"] = _error(e)
        facts["phase"] = "stand_in"
        return facts
    try:
        output.backward()
    except Exception as e:
        facts["error"] = _error(e)
        facts["phase"] = "backward"
    facts["calls"] = calls[:MAX_CALLS]
    facts["grad"] = _number(getattr(output, "grad", None))
    return facts


PARTS = {"record": part_record, "rule": part_rule, "twice": part_twice, "own": part_own}


def run_parts(Value, job: dict) -> dict:
    """Every part check of the job: {"record:+": facts, ..., "backward": facts}. An operator the class lacks is
    {"missing": method} for each of its parts."""
    numbers = job["numbers"]
    out = {}
    names = dir(Value)
    for op in job.get("ops", ()):
        method = _OPERATORS[op][1]
        for part, run in PARTS.items():
            out[f"{part}:{op}"] = run(Value, op, numbers) if method in names else {"missing": method}
    steps = job.get("backward")
    if steps is not None:
        missing = sorted({_needed(s[0]) for s in steps if s[0] not in ("variable", "constant")} - set(names))
        out["backward"] = {"missing": missing[0]} if missing else part_backward(Value, steps)
    return out


def probe_method(Value, name: str, inputs: list) -> dict:
    """One unary method (tanh, relu) on its own, for each input: `a.name()` with out.grad 2, then out._backward()
    called directly (never through their backward()); and `a.name()` twice from one `a`, both rules called."""
    if name not in dir(Value):
        return {"missing": True}
    facts = {"alone": [], "twice": None}
    try:
        for x in inputs:
            a = Value(x)
            out = getattr(a, name)()
            if not isinstance(out, Value):
                return {"not_value": _kind(out)}
            prev = getattr(out, "_prev", None)
            items = list(prev) if isinstance(prev, (set, frozenset, tuple, list)) else []
            op_value = getattr(out, "_op", None)
            a.grad, out.grad = 0.0, 2.0
            rule = getattr(out, "_backward", None)
            if callable(rule):
                rule()
            facts["alone"].append(
                {
                    "data": _number(getattr(out, "data", None)),
                    "grad": _number(getattr(a, "grad", None)),
                    "prev_has": any(v is a for v in items),
                    "prev_size": len(items),
                    "op": op_value[:20] if isinstance(op_value, str) else None,
                    "callable": callable(rule),
                }
            )
        a = Value(inputs[0])
        first, second = getattr(a, name)(), getattr(a, name)()
        a.grad, first.grad, second.grad = 0.0, 2.0, 3.0
        for out in (first, second):
            rule = getattr(out, "_backward", None)
            if callable(rule):
                rule()
        facts["twice"] = _number(getattr(a, "grad", None))
    except Exception as e:
        facts["error"] = _error(e)
    return facts


def run_training(train, Value, spec: dict) -> dict:
    """The learner's own training loop, `train(w, b, points, lr, steps)`, on their Value: the losses it returns."""
    try:
        w, b = Value(spec["w"]), Value(spec["b"])
        points = [(float(x), float(y)) for x, y in spec["points"]]
        losses = train(w, b, points, spec["lr"], spec["steps"])
        if type(losses) not in (list, tuple):
            return {"not_list": _kind(losses)}
        kinds = [_kind(x) for x in losses[: spec["steps"] + 1]]
        numbers = [_number(x) for x in losses[: spec["steps"] + 1]]
        return {"losses": numbers, "kinds": kinds, "length": len(losses), "w": _number(getattr(w, "data", None))}
    except Exception as e:
        return {"error": _error(e)}


# -- the result as JSON (ASCII only), written by hand: `json` would cost its imports at every start ----

_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_ESCAPES[ord('"')] = '\\"'
_ESCAPES[ord("\\")] = "\\\\"


def _json_string(text: str) -> str:
    text = text.translate(_ESCAPES)
    if not text.isascii():
        text = "".join(c if ord(c) < 128 else _json_escape(ord(c)) for c in text)
    return '"' + text + '"'


def _json_escape(code: int) -> str:
    if code > 0xFFFF:  # a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def to_json(value) -> str:
    """Plain data (dicts with string keys, lists, strings, numbers, booleans, None) as JSON text."""
    parts = []
    _write(value, parts)
    return "".join(parts)


def _write(value, parts) -> None:
    kind = type(value)
    if value is None:
        parts.append("null")
    elif value is True or value is False:
        parts.append("true" if value else "false")
    elif kind is int:
        parts.append(str(value))
    elif kind is float:
        if value != value:
            parts.append("NaN")
        elif value in (math.inf, -math.inf):
            parts.append("Infinity" if value > 0 else "-Infinity")
        else:
            parts.append(repr(value))
    elif kind is str:
        parts.append(_json_string(value))
    elif kind is list or kind is tuple:
        parts.append("[")
        for i, item in enumerate(value):
            if i:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif kind is dict:
        parts.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                parts.append(",")
            parts.append(_json_string(str(key)))
            parts.append(":")
            _write(item, parts)
        parts.append("}")
    else:
        parts.append("null")


# -- the run -----------------------------------------------------------------------------------------------


def main() -> None:
    job = marshal.loads(sys.stdin.buffer.read())  # from the parent (runner.py), never from the learner
    result = {"problem": None, "graphs": {}}
    namespace = {"__builtins__": BUILTINS, "__name__": "learner"}
    signal.signal(signal.SIGPROF, _time_up)
    signal.signal(signal.SIGALRM, _time_up)
    signal.setitimer(signal.ITIMER_PROF, CPU_TIMER)
    signal.setitimer(signal.ITIMER_REAL, WALL_TIMER)
    try:
        try:
            code = compile(job["code"], LEARNER_FILE, "exec", dont_inherit=True)
            exec(code, namespace)
            Value = namespace.get("Value")
            if not isinstance(Value, type):
                result["problem"] = {"kind": "NoValue", "message": "", "line": None}
            else:
                _capturing[0] = False
                if "parts" in job:
                    result["parts"] = run_parts(Value, job["parts"])
                for graph_job in job.get("graphs", ()):
                    result["graphs"][graph_job["key"]] = run_graph(Value, graph_job)
                for name in job.get("methods", ()):
                    result["methods"] = result.get("methods", {})
                    result["methods"][name] = probe_method(Value, name, job["method_inputs"][name])
                if "train" in job:
                    train = namespace.get("train")
                    result["train"] = run_training(train, Value, job["train"]) if callable(train) else {"missing": True}
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as e:  # their SystemExit, a TimeUp, a MemoryError, a RecursionError ...
        result["problem"] = _error(e)
    _capturing[0] = False
    result["output"] = "".join(_output)
    result["output_cut"] = _output_size[1]
    sys.stdout.write(to_json(result))
    sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except BaseException as e:  # even our own failure goes back as data, never a traceback
        sys.stdout.write(to_json({"crash": type(e).__name__}))
        sys.stdout.flush()
