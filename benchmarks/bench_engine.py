"""Engine benchmark: Backprop Lab's ``engine.value.Value`` against micrograd 0.1.0.

Run from the repository root:

    python benchmarks/bench_engine.py            # 100,000-node graph, 1,000,000-deep chain (~35 s)
    python benchmarks/bench_engine.py --quick    # 10,000-node graph, 100,000-deep chain (seconds)

Both engines build the same random graph from one precomputed plan (same seed, same
operations in the same order, only operations micrograd has: +, *, ** number, relu).
Printed: node counts, a correctness check (output and gradients agree), forward and
backward time (best of N), memory per node (tracemalloc), and a deep chain at the
default recursion limit. Timings are only printed, never asserted; the exit status is 1
only if the engines disagree or our engine fails the deep chain.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `python benchmarks/bench_engine.py` puts only benchmarks/ on the path

from micrograd.engine import Value as MicroValue  # noqa: E402

from engine.value import Value as OurValue  # noqa: E402

ENGINES = {"micrograd": MicroValue, "ours": OurValue}
SPEED_BAR = 1.5  # micrograd time / our time must be at least this
MEMORY_BAR = 0.5  # our bytes per node / micrograd's must be at most this
REL_TOL = 1e-9  # output and gradients must agree this closely
CHAIN_FACTOR = 1.0000001

# plan operations; AVG is two nodes: s = a + b (never picked again), then s * half, a shared 0.5 leaf
MUL, ADD, AVG, RELU, SQUARE = range(5)
OP_TEXT = {MUL: "a*b", ADD: "a+b", AVG: "(a+b)*0.5", RELU: "relu(a)", SQUARE: "a**2"}


# -- the graph -----------------------------------------------------------------------


@dataclass
class Plan:
    """What to build, as plain numbers, so both engines do exactly the same operations."""

    leaves: list[float]  # values of the random leaves; a constant 0.5 leaf follows them
    ops: list[tuple[int, int, int]]  # (op, index of a, index of b or -1) into the nodes picked so far
    unused: list[int]  # indices of nodes never used as a child: summed by a balanced tree into the output
    nodes: int  # total nodes of the finished graph, output included
    depth: int  # longest path from the output to a leaf, in edges


def make_plan(n_nodes: int, n_leaves: int, seed: int, window: int = 1000) -> Plan:
    """A random plan whose graph has exactly n_nodes nodes, every one of them reaching the output.

    Each operation takes its operands from the nodes built so far: half of the picks from
    the last `window` nodes (so the graph has some depth), half from anywhere. The plan
    follows the values in plain floats, and every node that can be picked stays in [-1, 1]:
    a sum a+b is planned only when it stays in [-1, 1], otherwise the average (a+b)*0.5;
    products, relu and squares of numbers in [-1, 1] stay there. The nodes no operation
    used are summed pairwise at the end, so the output depends on every node.
    """
    if n_nodes < 2 * (n_leaves + 1):
        raise ValueError(f"{n_nodes} nodes is too few for {n_leaves} leaves")
    rng = random.Random(seed)
    leaves = [rng.uniform(-1.0, 1.0) for _ in range(n_leaves)]
    value = [*leaves, 0.5]  # per pickable node: its value
    depth = [0] * (n_leaves + 1)  # per pickable node: longest path down to a leaf
    used = [False] * (n_leaves + 1)
    n_unused = n_leaves + 1
    n_hidden = 0  # the a + b nodes of AVG, which are not pickable
    ops: list[tuple[int, int, int]] = []

    def pick(n: int) -> int:
        if rng.random() < 0.5:
            return rng.randrange(max(0, n - window), n)
        return rng.randrange(n)

    while True:
        # the sum tree will add n_unused - 1 nodes
        remaining = n_nodes - (len(depth) + n_hidden + n_unused - 1)
        if remaining <= 0:
            break
        n = len(depth)
        if remaining <= 3:  # land exactly on n_nodes: relu of an unused node adds exactly one
            op, i, j = RELU, next(k for k in range(n - 1, -1, -1) if not used[k]), -1
        else:
            r = rng.random()
            op = MUL if r < 0.3 else ADD if r < 0.8 else RELU if r < 0.9 else SQUARE
            i, j = pick(n), -1
            if op in (MUL, ADD):
                j = pick(n)
                while j == i:
                    j = pick(n)
        a = value[i]
        d = 1 + max(depth[i], depth[j] if j >= 0 else 0)
        if op == MUL:
            x = a * value[j]
        elif op == ADD:
            x = a + value[j]
            if abs(x) > 1.0:
                op, x = AVG, x * 0.5
                n_hidden += 1
                d += 1
        elif op == RELU:
            x = a if a > 0 else 0.0
        else:
            x = a**2
        for k in (i, j):
            if k >= 0 and not used[k]:
                used[k] = True
                n_unused -= 1
        value.append(x)
        depth.append(d)
        used.append(False)
        n_unused += 1
        ops.append((op, i, j))

    unused = [k for k in range(len(depth)) if not used[k]]
    layer = [depth[k] for k in unused]
    while len(layer) > 1:
        paired = [1 + max(layer[k], layer[k + 1]) for k in range(0, len(layer) - 1, 2)]
        layer = paired + layer[-1:] if len(layer) % 2 else paired
    return Plan(leaves, ops, unused, len(depth) + n_hidden + len(unused) - 1, layer[0])


def build(V, plan: Plan):
    """Build the plan's graph with Value class V; return (output, the nodes the plan indexes, in order)."""
    nodes = [V(x) for x in plan.leaves]
    half = V(0.5)
    nodes.append(half)
    append = nodes.append
    for op, i, j in plan.ops:
        a = nodes[i]
        if op == MUL:
            append(a * nodes[j])
        elif op == ADD:
            append(a + nodes[j])
        elif op == AVG:
            append((a + nodes[j]) * half)
        elif op == RELU:
            append(a.relu())
        else:
            append(a**2)
    layer = [nodes[k] for k in plan.unused]
    while len(layer) > 1:
        paired = [layer[k] + layer[k + 1] for k in range(0, len(layer) - 1, 2)]
        layer = [*paired, layer[-1]] if len(layer) % 2 else paired
    return layer[0], nodes


def count_by_walk(root) -> int:
    """Nodes reachable from root through _prev (for micrograd, which has no traversal of its own)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# -- the measurements ----------------------------------------------------------------


def check(plan: Plan, sample: int, seed: int) -> dict:
    """Build and backprop once with each engine; compare output and gradients."""
    out = {}
    for name, V in ENGINES.items():
        root, nodes = build(V, plan)
        count = len(root.topological_order()) if name == "ours" else count_by_walk(root)
        root.backward()
        out[name] = (count, root.data, [n.grad for n in nodes])
        del root, nodes
        gc.collect()
    n_leaves = len(plan.leaves) + 1
    rng = random.Random(seed + 1)
    inner = rng.sample(range(n_leaves, len(out["ours"][2])), min(sample, len(out["ours"][2]) - n_leaves))
    compared = list(range(n_leaves)) + inner

    def rel(a: float, b: float) -> float:
        return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))

    data_diff = rel(out["ours"][1], out["micrograd"][1])
    grad_diff = max(rel(out["ours"][2][k], out["micrograd"][2][k]) for k in compared)
    return {
        "count_ours": out["ours"][0],
        "count_micrograd": out["micrograd"][0],
        "data": (out["ours"][1], out["micrograd"][1]),
        "data_diff": data_diff,
        "grad_diff": grad_diff,
        "n_leaves_compared": n_leaves,
        "n_inner_compared": len(inner),
        "agree": data_diff <= REL_TOL and grad_diff <= REL_TOL,
    }


def time_engines(plan: Plan, repeats: int, gc_on: bool) -> dict:
    """Best of `repeats` for forward (building), backward, and the two together.

    Same conditions for both engines: the engines alternate (which goes first alternates
    too), the previous graph is freed and gc.collect() runs before each timed phase.
    gc_on: the cyclic gc stays enabled with its default thresholds while timing, as in
    real use; otherwise it is disabled during each timed phase, as timeit does.
    """
    times = {name: {"forward": [], "backward": [], "total": []} for name in ENGINES}
    order = list(ENGINES)
    for r in range(repeats):
        for name in order if r % 2 == 0 else order[::-1]:
            V = ENGINES[name]
            gc.collect()
            if not gc_on:
                gc.disable()
            t0 = time.perf_counter()
            root, nodes = build(V, plan)
            t1 = time.perf_counter()
            gc.enable()
            del nodes
            gc.collect()
            if not gc_on:
                gc.disable()
            t2 = time.perf_counter()
            root.backward()
            t3 = time.perf_counter()
            gc.enable()
            del root
            times[name]["forward"].append(t1 - t0)
            times[name]["backward"].append(t3 - t2)
            times[name]["total"].append((t1 - t0) + (t3 - t2))
    gc.collect()
    return {name: {phase: min(ts) for phase, ts in by_phase.items()} for name, by_phase in times.items()}


def measure_memory(plan: Plan) -> dict:
    """Bytes per node that tracemalloc sees: after building, after backward (grads filled in), peak in backward."""
    result = {}
    for name, V in ENGINES.items():
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        root, nodes = build(V, plan)
        del nodes  # the harness's list of nodes; every node stays reachable from root
        gc.collect()
        built = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        root.backward()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del root
        gc.collect()
        result[name] = {
            "built": built / plan.nodes,
            "after_backward": (after - base) / plan.nodes,
            "peak_backward": (peak - base) / plan.nodes,
        }
    return result


def chain_child(engine: str, depth: int) -> None:
    """In a fresh interpreter (default recursion limit): a chain `depth` operations deep, then backward."""
    V = ENGINES[engine]
    limit = sys.getrecursionlimit()
    gc.collect()
    t0 = time.perf_counter()
    x0 = V(1.0)
    x = x0
    for _ in range(depth // 2):
        x = x * CHAIN_FACTOR + 0.0
    t1 = time.perf_counter()
    try:
        x.backward()
    except RecursionError as error:
        print(json.dumps({"ok": False, "error": f"RecursionError: {error}", "limit": limit}))
        return
    t2 = time.perf_counter()
    expected = 1.0
    for _ in range(depth // 2):
        expected = expected * CHAIN_FACTOR + 0.0
    ok = math.isfinite(x.data) and x.data == expected and math.isclose(x0.grad, expected, rel_tol=REL_TOL)
    result = {"ok": ok, "limit": limit, "forward": t1 - t0, "backward": t2 - t1}
    result.update(data=x.data, grad=x0.grad, expected=expected, nodes=1 + 4 * (depth // 2))
    print(json.dumps(result))


def run_chain(engine: str, depth: int) -> dict:
    """Run chain_child in a subprocess, so that nothing it does can take this process down."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--chain-child", engine, str(depth)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timed out after 600 s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"ok": False, "error": f"process died with exit code {proc.returncode}: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the report ----------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "yes" if passed else "NO"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 nodes and a 100,000-deep chain")
    parser.add_argument("--nodes", type=int, help="nodes of the random graph (default 100,000)")
    parser.add_argument("--leaves", type=int, default=1000, help="random leaves of the graph (default 1,000)")
    parser.add_argument("--chain", type=int, help="depth of our engine's chain (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats, best is shown (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chain-child", nargs=2, metavar=("ENGINE", "DEPTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.chain_child:
        chain_child(args.chain_child[0], int(args.chain_child[1]))
        return 0

    n_nodes = args.nodes or (10_000 if args.quick else 100_000)
    chain_depth = args.chain or (100_000 if args.quick else 1_000_000)
    micro_chain_depth = 1_000
    default_limit = sys.getrecursionlimit()
    started = time.perf_counter()

    print("Backprop Lab engine benchmark: engine.value.Value (ours) vs micrograd 0.1.0")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}")
    print(f"{platform.machine()}, {os.cpu_count()} CPUs")
    print()

    plan = make_plan(n_nodes, args.leaves, args.seed)
    counts = {op: sum(1 for o, _, _ in plan.ops if o == op) for op in OP_TEXT}
    print(f"graph: {plan.nodes:,} nodes, seed {args.seed}, depth {plan.depth:,} (longest path to a leaf)")
    print(f"  {args.leaves:,} random leaves in [-1, 1] and one constant 0.5 leaf")
    print("  " + ", ".join(f"{counts[op]:,} x {text}" for op, text in OP_TEXT.items()))
    print(f"  a balanced tree of + over the {len(plan.unused):,} nodes no operation used")

    # micrograd sorts the graph recursively: one Python frame per level of depth
    needed = plan.depth + 100
    if needed > default_limit:
        sys.setrecursionlimit(needed + 1000)
        print(f"recursion limit: RAISED from {default_limit:,} to {sys.getrecursionlimit():,} for micrograd")
    else:
        print(f"recursion limit: {default_limit:,} (default, unchanged; enough for micrograd at depth {plan.depth:,})")
    print()

    c = check(plan, sample=1000, seed=args.seed)
    print(f"nodes counted: ours {c['count_ours']:,} (its topological_order), micrograd {c['count_micrograd']:,}")
    print(f"output: ours {c['data'][0]!r}, micrograd {c['data'][1]!r} (relative difference {c['data_diff']:.1e})")
    compared = f"{c['n_leaves_compared']:,} leaves and {c['n_inner_compared']:,} random inner nodes"
    print(f"gradients of {compared}: largest relative difference {c['grad_diff']:.1e}")
    if c["agree"]:
        print(f"gradients agree (within {REL_TOL:g} relative)")
    else:
        print(f"GRADIENTS DISAGREE (more than {REL_TOL:g} relative)")
    print()

    print(f"speed: best of {args.repeats}, seconds; gc.collect() before each phase, engines alternate")
    print(f"  {'':<19}{'micrograd':>11}{'ours':>11}{'micrograd/ours':>16}   >= {SPEED_BAR}x")
    for gc_on, heading in ((True, "gc enabled while timing (as in real use)"), (False, "gc disabled while timing")):
        t = time_engines(plan, args.repeats, gc_on)
        print(f"  {heading}")
        for phase, text in (("forward", "forward (build)"), ("backward", "backward"), ("total", "forward+backward")):
            ratio = t["micrograd"][phase] / t["ours"][phase]
            row = f"{t['micrograd'][phase]:>11.4f}{t['ours'][phase]:>11.4f}{ratio:>15.2f}x"
            print(f"    {text:<17}{row}   {verdict(ratio >= SPEED_BAR)}")
    print()

    m = measure_memory(plan)
    print("memory: bytes per node (tracemalloc, graph only, own runs)")
    print(f"  {'':<28}{'micrograd':>11}{'ours':>9}{'ours/micrograd':>16}   <= {MEMORY_BAR}")
    rows = (
        ("built", "after forward", False),
        ("after_backward", "after backward (with grads)", True),
        ("peak_backward", "peak during backward", False),
    )
    for key, text, has_bar in rows:
        ratio = m["ours"][key] / m["micrograd"][key]
        row = f"{m['micrograd'][key]:>11.0f}{m['ours'][key]:>9.0f}{ratio:>16.2f}"
        print(f"  {text:<28}{row}   {verdict(ratio <= MEMORY_BAR) if has_bar else ''}".rstrip())
    print()

    print("deep chain: `x = x * 1.0000001 + 0.0`, two chain operations per step, new interpreter each")
    ours = run_chain("ours", chain_depth)
    label = f"  ours,      {chain_depth:>9,} deep"
    if ours["ok"]:
        print(
            f"{label} ({ours['nodes']:,} nodes), recursion limit {ours['limit']:,}: "
            f"forward {ours['forward']:.2f} s, backward {ours['backward']:.2f} s; "
            f"ok (output {ours['data']:.9f}, grad {ours['grad']:.9f})"
        )
    else:
        print(f"{label}: FAILED: {ours.get('error', ours)}")
    micro = run_chain("micrograd", micro_chain_depth)
    label = f"  micrograd, {micro_chain_depth:>9,} deep"
    if micro["ok"]:
        print(f"{label}, recursion limit {micro['limit']:,}: succeeded (backward {micro['backward']:.3f} s)")
    else:
        limit = f", recursion limit {micro['limit']:,}" if "limit" in micro else ""
        print(f"{label}{limit}: fails: {micro['error']}")
    print()
    print(f"total run time {time.perf_counter() - started:.0f} s")
    return 0 if c["agree"] and ours["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
