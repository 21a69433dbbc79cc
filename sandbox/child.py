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
         "record": bool, "capture": bool}], "probes": ["+", "*"],
         "methods": ["tanh", "relu"], "method_inputs": {name: [numbers]},
         "train": {"w", "b", "points", "lr", "steps"}}  (the last two for lesson 2, each optional)
Result (JSON):  {"problem": error | null, "output": str, "graphs": {key: graph facts}, "probes": {op: facts},
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
    return {"kind": kind, "message": message[:MAX_TEXT], "line": line}


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


def probe(Value, op: str) -> dict:
    """One operator on its own: does `a op b` record _prev and _op, and is out's _backward its own?"""
    function = _OPERATORS[op][0]
    facts = {}
    try:
        a1, b1, a2, b2 = Value(2.0), Value(3.0), Value(5.0), Value(7.0)
        leaf_rules = [getattr(v, "_backward", None) for v in (a1, b1)]
        c1 = function(a1, b1)
        c2 = function(a2, b2)
        if not isinstance(c1, Value) or not isinstance(c2, Value):
            return {"not_value": _kind(c1 if not isinstance(c1, Value) else c2)}
        prev = getattr(c1, "_prev", None)
        items = list(prev) if isinstance(prev, (set, frozenset, tuple, list)) else []
        facts["prev_kind"] = _kind(prev)
        facts["prev_has"] = [any(x is a1 for x in items), any(x is b1 for x in items)]
        facts["prev_size"] = len(items)
        op_value = getattr(c1, "_op", None)
        facts["op"] = op_value[:20] if isinstance(op_value, str) else None
        facts["op_kind"] = _kind(op_value)
        facts["data"] = _number(getattr(c1, "data", None))
        rules_now = [getattr(v, "_backward", None) for v in (a1, b1)]
        facts["inputs_rule_replaced"] = [now is not before for now, before in zip(rules_now, leaf_rules, strict=True)]
        nodes = (a1, b1, c1, a2, b2, c2)
        for v, g in zip(nodes, (0.0, 0.0, 2.0, 0.0, 0.0, 10.0), strict=True):
            v.grad = g
        rule = getattr(c1, "_backward", None)
        if callable(rule):
            rule()
        facts["callable"] = callable(rule)
        facts["grads"] = [_number(getattr(v, "grad", None)) for v in nodes]
    except Exception as e:
        facts["error"] = _error(e)
    return facts


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
    result = {"problem": None, "graphs": {}, "probes": {}}
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
                for op in job.get("probes", ()):
                    result["probes"][op] = probe(Value, op) if _OPERATORS[op][1] in dir(Value) else {"missing": True}
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
