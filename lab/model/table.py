"""The graph as a pandas table: one row per node, in topological order."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lab.model.analysis import Analysis

COLUMNS = ["node", "kind", "op", "formula", "data", "grad", "uses"]


def values_table(a: Analysis, grads: Sequence[float] | None = None, hide_grads: bool = False) -> pd.DataFrame:
    """node, kind, op, formula, data, grad and how many times each node is used.

    `grads` replaces the nodes' own gradients (a step of the backward pass); `hide_grads`
    leaves the grad column empty (the "by hand first" mode).
    """
    grads = list(grads) if grads is not None else a.grads
    rows = []
    for i, node in enumerate(a.graph.nodes):
        rows.append(
            {
                "node": a.names[i],
                "kind": a.kinds[i],
                "op": a.op_text(i) if node._prev else "",
                "formula": a.formulas[i],
                "data": node.data,
                "grad": None if hide_grads else grads[i],
                "uses": a.graph.uses[i],
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def table_csv(a: Analysis) -> str:
    return values_table(a).to_csv(index=False)
