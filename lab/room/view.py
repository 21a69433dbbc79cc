"""The instructor's live view of a room, as sentences and as one HTML block (no Streamlit).

Everything a learner typed (a nickname, an answer) is escaped: it is shown as typed, never as
HTML or Markdown. The projector form leaves nicknames out and is large.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace

from lab.lesson import lesson2
from lab.lesson.stations import STATIONS
from lab.room.events import LESSON2_KEYS, NOT_RUN, STATION_KEYS, prediction_place
from lab.room.store import ANSWER, HAND, IMPLEMENTATION, PREDICTION, RULE, STALLED_AFTER, RoomView, WrongAnswer

e = html.escape

# The instructor's view, one lesson at a time: its stations (records), their keys in the store, and its answers.
LESSONS = {"Lesson 1": (STATIONS, STATION_KEYS), "Lesson 2": (lesson2.LESSON.stations, LESSON2_KEYS)}
LESSON2_ANSWERS = frozenset(q.id for q in lesson2.QUESTIONS)


def of_lesson(view: RoomView, name: str) -> RoomView:
    """The view with the wrong answers of lesson `name` only: lesson 2's are its questions' answers; every other
    wrong answer (predictions, hand checks, rules, runs, lesson 1's questions) is lesson 1's."""
    second = name == "Lesson 2"
    return replace(view, wrong=[w for w in view.wrong if (w.kind == ANSWER and w.context in LESSON2_ANSWERS) == second])


def wrong_sentence(w: WrongAnswer) -> str:
    """`12 said y.grad += 3 at step 2; it adds 2`: how many learners made this mistake, and the right answer.

    Code is between backticks (`wrong_html` shows it as code).
    """
    if w.kind == PREDICTION:
        said = w.about.replace("?", w.answer, 1) if "?" in w.about else f"{w.about} {w.answer}"
        return f"{w.learners} said {said} at {prediction_place(w.context)}; {w.note}"
    if w.kind == ANSWER:
        return f"{w.learners} answered “{w.answer}” to “{w.about}”"
    if w.kind == HAND:
        return f"{w.learners} wrote {w.answer} for {w.about} by hand" + (f"; {w.note}" if w.note else "")
    if w.kind == RULE:
        where = w.about.replace("your ", "their ", 1)
        if w.note:  # grouped by the slip: one example of it
            return f"{w.learners} wrote a backward rule with {w.note}, like `{w.answer}` as {where}"
        return f"{w.learners} wrote `{w.answer}` as {where}"
    if w.kind == IMPLEMENTATION:
        if w.answer == NOT_RUN:
            return f"{w.learners} ran a Value class that did not run" + (f": {w.note}" if w.note else "")
        return f"{w.learners} ran a Value class that fails “{w.about}”" + (f": {w.note}" if w.note else "")
    return f"{w.learners}: {w.about} {w.answer}"


NAMES_SHOWN = 8  # nicknames listed after a wrong answer; more are counted


def code_spans(escaped: str) -> str:
    """HTML-escaped text with its `code` between backticks shown as code (the backticks themselves not shown)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def wrong_html(w: WrongAnswer, projector: bool = False) -> str:
    """One wrong answer as a list item: its sentence with code as code, and who (not on the projector)."""
    who = ""
    if not projector and w.nicknames:
        names = ", ".join(e(name) for name in w.nicknames[:NAMES_SHOWN])
        more = len(w.nicknames) - NAMES_SHOWN
        names += f" and {more} more" if more > 0 else ""
        who = f' <span class="who">({names})</span>'
    return f"<li>{code_spans(e(wrong_sentence(w)))}{who}</li>"


def _ago(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    return "just now" if minutes == 0 else f"{minutes} min ago"


STYLE = """<style>
.room-live { font-size: 1rem; }
.room-live.projector { font-size: 1.45rem; }
.room-live p, .room-live ol, .room-live li, .room-live td, .room-live th {
  font-size: inherit !important; line-height: 1.35;
}
.room-live .cols { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 0 2rem; }
.room-live table { border-collapse: collapse; width: 100%; }
.room-live th, .room-live td { text-align: left; padding: 0.15em 0.4em; border-bottom: 1px solid #ddd; }
.room-live td.n { text-align: right; font-variant-numeric: tabular-nums; width: 2.5em; }
.room-live .bar { background: #4c78a8; height: 0.7em; border-radius: 2px; }
.room-live h4 { margin: 0.2em 0 0.3em; font-size: 1.1em; }
.room-live ol { margin: 0; padding-left: 1.4em; }
.room-live code { font-size: 0.92em; padding: 0 0.15em; background: #f0f0ef; border-radius: 3px; color: inherit; }
.room-live .who { color: #444; }
</style>"""


def live_html(view: RoomView, now: float, projector: bool = False, stations: Sequence = STATIONS) -> str:
    """The instructor's view as HTML: stations (at and past), most common wrong answers, stalled learners."""
    total = len(view.learners)
    parts = [STYLE, f'<div class="room-live{" projector" if projector else ""}" data-testid="room-live">']
    parts.append(
        f'<p data-testid="room-count"><b>{total}</b> learner{"s" if total != 1 else ""} in room '
        f"<b>{e(view.code)}</b></p>"
    )
    parts.append('<div class="cols"><div>')  # stations on the left, what went wrong on the right
    parts.append('<table data-testid="room-stations"><tr><th>station</th><th>at</th><th>past</th><th></th></tr>')
    for i, station in enumerate(stations):
        width = 0 if not total else round(100 * view.past[i] / total)
        # the projector: the station's short name (a word or two), so each row stays one line at 1280 px
        title = e((station.short or station.title if projector else station.title).replace("`", ""))
        parts.append(
            f'<tr data-station="{station.key}"><td>{station.number}. {title}</td>'
            f'<td class="n">{view.at[i]}</td><td class="n">{view.past[i]}</td>'
            f'<td style="width:20%"><div class="bar" style="width:{width}%"></div></td></tr>'
        )
    parts.append("</table></div><div>")
    parts.append("<h4>Most common wrong answers</h4>")
    if view.wrong:
        parts.append('<ol data-testid="room-wrong">')
        parts += [wrong_html(w, projector) for w in view.wrong]
        parts.append("</ol>")
    else:
        parts.append('<p data-testid="room-wrong">None yet.</p>')
    minutes = int(STALLED_AFTER // 60)
    stalled = view.stalled
    parts.append(f"<h4>No progress for {minutes} minutes</h4>")
    if not stalled:
        parts.append('<p data-testid="room-stalled">Nobody.</p>')
    elif projector:
        parts.append(f'<p data-testid="room-stalled">{len(stalled)} learner{"s" if len(stalled) != 1 else ""}</p>')
    else:
        names = ", ".join(e(row.nickname) for row in stalled)
        parts.append(f'<p data-testid="room-stalled">{names}</p>')
    parts.append("</div></div>")
    if not projector and view.learners:
        parts.append("<h4>Learners</h4>")
        parts.append('<table data-testid="room-learners">')
        parts.append("<tr><th>nickname</th><th>at station</th><th>last progress</th></tr>")
        for row in view.learners:
            at = "all done" if row.at_station >= len(stations) else f"{stations[row.at_station].number}"
            parts.append(f"<tr><td>{e(row.nickname)}</td><td>{at}</td><td>{_ago(now - row.last_progress)}</td></tr>")
        parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)
