"""The learner's work as a file and as a link: encoding and decoding, no Streamlit."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

WORK_FORMAT = "backprop-lab-work"
WORK_VERSION = 1
MAX_WORK_FILE_BYTES = 1_000_000


@dataclass
class Work:
    """What a learner has entered: enough to put the dashboard back as it was."""

    program: str
    hand: dict[str, str] = field(default_factory=dict)  # hand-entry key -> what the learner typed
    settings: dict[str, object] = field(default_factory=dict)
    takeaway: str = ""


def work_to_json(work: Work) -> str:
    return json.dumps({"format": WORK_FORMAT, "version": WORK_VERSION, **asdict(work)}, indent=2)


def work_from_json(text: str | bytes) -> Work:
    """Read a saved work file. Raises ValueError with a message for the learner."""
    if isinstance(text, bytes):
        if len(text) > MAX_WORK_FILE_BYTES:
            raise ValueError(
                f"that file is too large to be a Backprop Lab work file: {len(text):,} bytes "
                f"(the limit is {MAX_WORK_FILE_BYTES:,} bytes)"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("that file is not a Backprop Lab work file (it is not text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("that file is not a Backprop Lab work file (it is not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != WORK_FORMAT:
        raise ValueError("that file is not a Backprop Lab work file")
    program = data.get("program")
    hand = data.get("hand", {})
    settings = data.get("settings", {})
    takeaway = data.get("takeaway", "")
    if not isinstance(program, str):
        raise ValueError("the work file has no program")
    if not isinstance(hand, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in hand.items()):
        raise ValueError("the work file's hand entries are damaged")
    if not isinstance(settings, dict):
        raise ValueError("the work file's settings are damaged")
    if not isinstance(takeaway, str):
        takeaway = ""
    return Work(program, hand, settings, takeaway)


def share_query(program: str) -> str:
    """The query string of a link that opens the dashboard with this program: `expr=...`."""
    return urlencode({"expr": program})
