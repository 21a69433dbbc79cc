"""Where "Watch gradients flow" stands: the step shown, the pass, playing or not, and the slider.

Plain classes, no Streamlit: the page keeps one `Watch` (a `Stepper` and the prediction drafts) in its
session (app/state.py) and calls these methods from its buttons' callbacks, then asks `settle` which
step to draw on this run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lab.model.steps import BACKWARD, FORWARD


class Keyed(Protocol):
    key: str  # a prediction box's key (lab.views.predict.Blank)


@dataclass
class Stepper:
    step: int = 0
    mode: str = BACKWARD
    playing: bool = False
    speed: float = 1.0  # seconds a step while playing
    clicked: bool = False  # a click moved the step since the last run: the timer's tick must not add one
    program: str | None = None  # the program shown last (lab/model/identity.py: the same at any values)
    slider_key: str | None = None  # the slider drawn last and the step it started at
    slider_start: int = 0
    jumps: int = 0  # how many times the slider moved the step: a part of the next slider's key

    def where(self) -> str:
        """Where it stands, as the link carries it: "2" (a step of the backward pass), "forward:2", or "" at the
        start of the backward pass (the link leaves it out)."""
        if self.mode == BACKWARD:
            return str(self.step) if self.step else ""
        return f"{self.mode}:{self.step}"

    def stand_at(self, where: str, program: str) -> None:
        """Stand where a link says (`where()`'s text), on this program: a reload comes back to the step it left.
        Text that is not a place is ignored (the start); a step past the end is clamped when it is drawn."""
        mode, _, step = where.rpartition(":")
        mode = mode or BACKWARD
        if mode not in (BACKWARD, FORWARD) or not step.isdigit() or len(step) > 6:
            return
        self.mode, self.step = mode, int(step)
        self.program = program

    def slider_key_for(self, prefix: str) -> str:
        """A new slider for each step shown, and after each jump (a jump that `settle` holds back
        must not leave the old slider at the step it was dragged to)."""
        return f"{prefix}_{self.mode}_{self.step}_{self.jumps}"

    def follow(self, program: str) -> None:
        """A new program (its id, lab/model/identity.py) starts again at step 0; a variable's new value is the same
        program, so the step stays."""
        if self.program != program:
            self.step = 0
            self.playing = False
        self.program = program

    def go_to(self, step: int) -> None:
        """A click: stop playing and show `step` (settle clamps it to the pass)."""
        self.step = step
        self.playing = False
        self.clicked = True

    def move(self, delta: int, last: int) -> None:
        """Step (+1) or back (-1), within 0..last."""
        self.go_to(max(0, min(last, self.step + delta)))

    def set_mode(self, mode: str) -> None:
        """The other pass starts at its beginning."""
        self.mode = mode
        self.go_to(0)

    def play(self, last: int) -> None:
        """Start playing; the first step comes right away, and at the end play starts again from 0.

        Safe to run twice: the browser can send a click again while the timer runs.
        """
        if self.playing:
            return
        self.step = 0 if self.step >= last else self.step + 1
        self.playing = True
        self.clicked = True

    def pause(self) -> None:
        self.playing = False
        self.clicked = True

    def slider_drawn(self, key: str, start: int) -> None:
        """The page drew a slider with this key, starting at step `start`."""
        self.slider_key, self.slider_start = key, start

    def slider_read(self, value: int | None) -> None:
        """What the slider drawn last says now (None: it is gone). A value it did not start at is a jump.

        A slider is read back rather than given a callback: the browser reports a new slider's
        value once even when nobody moved it.
        """
        if self.slider_key is not None and value is not None and value != self.slider_start:
            self.go_to(value)
            self.slider_key = None
            self.jumps += 1

    def settle(self, ticking: bool, last: int, limit: int | None = None) -> bool:
        """Fix the step to draw on this run; True when the whole page must rerun (play started or stopped).

        `ticking`: this run is the play timer's (the stepping part was drawn while playing): one
        step on, unless a click just moved it. `limit`: the furthest step that may be shown
        (while predicting, the first step not checked yet).
        """
        furthest = last if limit is None else max(0, min(last, limit))
        step = max(0, min(int(self.step), furthest))
        if ticking and self.playing and not self.clicked:
            step = min(furthest, step + 1)
        if step >= furthest:
            self.playing = False
        self.clicked = False
        self.step = step
        return ticking != self.playing


@dataclass
class Drafts:
    """What the learner typed into a step's boxes (back in them after a page switch), and why the last
    Check revealed nothing."""

    texts: dict[str, str] = field(default_factory=dict)  # blank key -> what its box held at the last Check
    problem: tuple[str, str] | None = None  # (the key of the first box of the step, why nothing was revealed)

    def check(self, shown: Sequence[Keyed], entries: Mapping[str, str], problems: Sequence[str]) -> bool:
        """Keep what was typed; True when every entry can be read (`problems`: why some cannot, from
        lab.views.predict.problems), and then the predictions may be kept."""
        self.texts.update(entries)
        if problems:
            self.problem = (shown[0].key, "; ".join(problems))
            return False
        self.problem = None
        return True

    def problem_at(self, shown: Sequence[Keyed]) -> str | None:
        """Why the last Check of this step revealed nothing (None: it was not refused)."""
        if self.problem and shown and self.problem[0] == shown[0].key:
            return self.problem[1]
        return None


@dataclass
class Watch:
    """Everything "Watch gradients flow" keeps for one learner between runs (app/state.py holds one a session):
    where it stands, the prediction boxes' drafts, and whether the learner's own rules run."""

    stepper: Stepper = field(default_factory=Stepper)
    drafts: Drafts = field(default_factory=Drafts)
    my_rules: bool = False  # run the backward pass with the rules the learner wrote
    my_value: bool = False  # step through the learner's own backward() (their code on Implement it)
