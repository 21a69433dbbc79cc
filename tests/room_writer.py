"""A learner's server process for the kill -9 test: records facts into a room and prints each acknowledged key.

Run as `python tests/room_writer.py URL CODE TOKEN START COUNT`: it sends facts START .. START+COUNT-1 in
bursts of 20 (one transaction each, as the app sends one run's new facts) and, after each `record`
returns, prints the keys it acknowledged, one a line, flushed: the parent knows exactly what was
acknowledged when it kills this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine

from lab.room.store import PREDICTION, Fact, RoomStore

BURST = 20


def main() -> None:
    url, code, token, start, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    store = RoomStore(create_engine(url))
    print("ready", flush=True)
    for first in range(start, start + count, BURST):
        numbers = range(first, first + BURST)
        burst = [Fact(PREDICTION, f"x.grad += ? #{i}", str(i), i % 3 != 0, "it adds 3") for i in numbers]
        store.record(code, token, burst)
        sys.stdout.write("".join(f"{f.key}\n" for f in burst))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
