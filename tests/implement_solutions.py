"""For tests: the lesson's solution of Implement it and its slips, from the catalog (lab/implement/slips.py).

`BUGS[id]` is (code, the check that must fail, the line it must name), one per record of the catalog.
"""

from __future__ import annotations

from lab.implement.slips import SLIPS, SOLUTION

BUGS = {slip.id: (slip.code, slip.check, slip.line) for slip in SLIPS}

__all__ = ["BUGS", "SOLUTION"]
