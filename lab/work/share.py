"""The learner's work as a file and as a link: encoding and decoding, no Streamlit.

`Work` is everything a learner makes. The work file (JSON), the link (the address bar's query)
and the report all read it from here, so a new kind of work is added once, in `Work`, and in
the two tables below that say how it travels in the link.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from engine.errors import ExpressionError
from lab.model.analysis import analyse
from lab.model.identity import program_id

WORK_FORMAT = "backprop-lab-work"
# 6: predictions keyed by their program at its values (lab/model/identity.py); older files' and links' were keyed by
#    the program's text, and those of the work's own program are keyed anew when read (`owned_predictions`);
# 5: which version of the lesson the learner walks (`lesson`: "full" or "rescue"; older files: the full lesson);
# 4: hand entries keyed by their program ("<program key>|<row key>"; older files' are given to their program);
# 3: the learner's code (Implement it)
WORK_VERSION = 6
MAX_WORK_FILE_BYTES = 1_000_000
OWNER = "|"  # in a hand entry's key, between its program's id (lab/model/identity.py) and its row's key
MIN_TOLERANCE, MAX_TOLERANCE, DEFAULT_TOLERANCE = 1e-12, 1.0, 1e-3

FULL_LESSON, RESCUE_LESSON = "full", "rescue"  # the two versions of the lesson a learner can walk
LESSON_VERSIONS = (FULL_LESSON, RESCUE_LESSON)

DEFAULT_SETTINGS: dict[str, object] = {
    "tolerance": DEFAULT_TOLERANCE,  # how close a hand entry must be (relative; absolute near 0)
    "hand_first": True,  # the lesson says by hand first: the engine's numbers wait for the learner's
    "presenter": False,  # the projector view
    "predict": False,  # Watch gradients flow asks for each step before it shows it
}


@dataclass
class Work:
    """What a learner has entered: enough to put the dashboard back as it was."""

    program: str
    hand: dict[str, str] = field(default_factory=dict)  # "<program key>|<row key>" -> what the learner typed
    settings: dict[str, object] = field(default_factory=dict)
    takeaway: str = ""
    answers: dict[str, str] = field(default_factory=dict)  # checkpoint question id -> the learner's answer
    rules: dict[str, str] = field(default_factory=dict)  # operator -> the backward rule the learner wrote
    predictions: dict[str, str] = field(default_factory=dict)  # a step's prediction key -> what was typed
    code: str = ""  # the learner's Value class and backward() ("": nothing typed yet, the page shows the skeleton)
    lesson: str = FULL_LESSON  # which version of the lesson they walk: the full one (90 min) or the rescue (15 min)

    @property
    def tolerance(self) -> float:
        """How close a hand entry or a prediction must be, as a usable number."""
        return tolerance_from(self.settings.get("tolerance"))


def tolerance_from(setting: object) -> float:
    """The tolerance setting as a usable number (a link or a loaded file may carry anything: `true` is not 1)."""
    if isinstance(setting, bool):
        return DEFAULT_TOLERANCE
    try:
        tolerance = float(setting)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_TOLERANCE
    if not math.isfinite(tolerance):
        return DEFAULT_TOLERANCE
    return min(max(tolerance, MIN_TOLERANCE), MAX_TOLERANCE)


# -- how the work travels in the link ------------------------------------------------------------

PROGRAM_PARAM = "expr"
# the learner's text fields that are dicts of text, and their link parameter (JSON)
DICT_PARAMS = {"hand": "hand", "answers": "ans", "rules": "rules", "predictions": "pred"}
TAKEAWAY_PARAM = "take"
CODE_PARAM = "code"
LESSON_PARAM = "lesson"  # only written for the rescue version: a link without it is the full lesson
# settings and their link parameter; only a setting that differs from its default is written
SETTING_PARAMS = {"tolerance": "tol", "hand_first": "first", "presenter": "present", "predict": "predict"}
ALL_PARAMS = (
    PROGRAM_PARAM,
    *DICT_PARAMS.values(),
    TAKEAWAY_PARAM,
    CODE_PARAM,
    LESSON_PARAM,
    *SETTING_PARAMS.values(),
)


def _setting_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value)


def _setting_from_text(name: str, text: str) -> object:
    """A setting read from the link. Raises ValueError for text that is not one."""
    default = DEFAULT_SETTINGS[name]
    if isinstance(default, bool):
        if text not in ("0", "1"):
            raise ValueError(f"`{SETTING_PARAMS[name]}` is 1 or 0")
        return text == "1"
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"`{SETTING_PARAMS[name]}` must be a finite number")
    return number


def work_to_params(work: Work) -> dict[str, str]:
    """The link's query parameters that carry this work (empty fields and default settings left out)."""
    params = {PROGRAM_PARAM: work.program}
    for attribute, param in DICT_PARAMS.items():
        entries = getattr(work, attribute)
        if entries:
            params[param] = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    if work.takeaway:
        params[TAKEAWAY_PARAM] = work.takeaway
    if work.code:
        params[CODE_PARAM] = work.code
    if work.lesson != FULL_LESSON:
        params[LESSON_PARAM] = work.lesson
    for name, param in SETTING_PARAMS.items():
        if name in work.settings and work.settings[name] != DEFAULT_SETTINGS[name]:
            params[param] = _setting_text(work.settings[name])
    return params


def work_from_params(params: Mapping[str, str]) -> tuple[Work | None, list[str]]:
    """The work a link carries (None when it carries none), and what in it could not be read.

    A link without `expr` gives a Work whose program is "": it carries only the other fields.
    """
    if not any(param in params for param in ALL_PARAMS):
        return None, []
    problems: list[str] = []
    work = Work(params.get(PROGRAM_PARAM, ""))
    for attribute, param in DICT_PARAMS.items():
        if param in params:
            try:
                setattr(work, attribute, text_dict(json.loads(params[param])))
            except ValueError:
                problems.append(f"the link's `{param}` could not be read (it is damaged), so it was left out")
    work.hand = owned_hand(work.program, work.hand)
    work.predictions = owned_predictions(work.program, work.predictions)
    if TAKEAWAY_PARAM in params:
        work.takeaway = str(params[TAKEAWAY_PARAM])
    if CODE_PARAM in params:
        work.code = str(params[CODE_PARAM])
    if LESSON_PARAM in params:
        if params[LESSON_PARAM] in LESSON_VERSIONS:
            work.lesson = params[LESSON_PARAM]
        else:
            versions = " or ".join(LESSON_VERSIONS)
            problems.append(f"the link's `{LESSON_PARAM}` is not {versions}, so the full lesson is shown")
    for name, param in SETTING_PARAMS.items():
        if param in params:
            try:
                work.settings[name] = _setting_from_text(name, params[param])
            except ValueError:
                problems.append(f"the link's `{param}` could not be read, so the default is used")
    return work, problems


def owned_hand(program: str, hand: Mapping[str, str]) -> dict[str, str]:
    """Hand entries of an older link or file (keyed by row alone, version 2 and before), given to the program
    they came with; entries already keyed by their program stay as they are.

    A program that does not build keeps its entries keyed by row: they are given to it once it builds."""
    plain = {key: text for key, text in hand.items() if OWNER not in key}
    if not plain:
        return dict(hand)
    try:
        owner = program_id(analyse(program))
    except ExpressionError:
        return dict(hand)
    owned = {key: text for key, text in hand.items() if OWNER in key}
    return {**owned, **{f"{owner}{OWNER}{key}": text for key, text in plain.items()}}


def _text_id(program: str) -> str:
    """How a prediction's program was named before version 6: the first 8 hex digits of its text's SHA-1."""
    return hashlib.sha1(program.encode("utf-8")).hexdigest()[:8]


def owned_predictions(program: str, predictions: Mapping[str, str]) -> dict[str, str]:
    """Predictions of an older link or file (keyed by the program's text, before version 6) keyed anew by the
    program's id at its values (lab/model/identity.py), as Watch gradients flow reads them.

    Only the work's own program's are known by their text; other programs' keep their keys (nothing is lost,
    though no program reads them). A program that does not build keeps them all as they are."""
    old = _text_id(program) + "|"
    if not any(key.startswith(old) for key in predictions):
        return dict(predictions)
    try:
        new = program_id(analyse(program), at_values=True) + "|"
    except ExpressionError:
        return dict(predictions)
    return {(new + key[len(old) :] if key.startswith(old) else key): text for key, text in predictions.items()}


def text_dict(value: object) -> dict[str, str]:
    """A JSON object of text to text. Raises ValueError for anything else."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("not an object of text")
    return dict(value)


# -- the work file ------------------------------------------------------------------------------


def work_to_json(work: Work) -> str:
    return json.dumps({"format": WORK_FORMAT, "version": WORK_VERSION, **asdict(work)}, indent=2, ensure_ascii=False)


def work_from_json(text: str | bytes) -> Work:
    """Read a saved work file. Raises ValueError with a message for the learner.

    Fields a newer or older file lacks take their defaults; unknown fields are ignored; a damaged
    optional field (answers, rules, predictions, takeaway) is left out rather than refusing the file.
    """
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
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("that file is not a Backprop Lab work file (it is not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != WORK_FORMAT:
        raise ValueError("that file is not a Backprop Lab work file")
    program = data.get("program")
    if not isinstance(program, str):
        raise ValueError("the work file has no program")
    try:
        hand = text_dict(data.get("hand", {}))
    except ValueError:
        raise ValueError("the work file's hand entries are damaged") from None
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ValueError("the work file's settings are damaged")
    work = Work(program, owned_hand(program, hand), dict(settings))
    takeaway = data.get("takeaway", "")
    work.takeaway = takeaway if isinstance(takeaway, str) else ""
    code = data.get("code", "")
    work.code = code if isinstance(code, str) else ""  # damaged: left out, the rest still loads
    lesson = data.get("lesson", FULL_LESSON)  # a file before version 5 has none: the full lesson
    work.lesson = lesson if lesson in LESSON_VERSIONS else FULL_LESSON
    for attribute in ("answers", "rules", "predictions"):
        # an optional part that is damaged is left out: the rest of the work still loads
        with contextlib.suppress(ValueError):
            setattr(work, attribute, text_dict(data.get(attribute, {})))
    work.predictions = owned_predictions(program, work.predictions)
    return work


def clean_settings(settings: Mapping[str, object]) -> dict[str, object]:
    """The known settings, each of the right type; anything else takes its default."""
    merged = dict(DEFAULT_SETTINGS)
    for name, default in DEFAULT_SETTINGS.items():
        value = settings.get(name)
        if isinstance(default, bool):
            if isinstance(value, bool):
                merged[name] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            merged[name] = float(value)
    return merged
