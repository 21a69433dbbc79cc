"""The room's store on both real databases: SQLite (a file) and PostgreSQL (a server the fixture starts).

Every test runs twice, once per database (`room_engine` from tests/room_databases.py); nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from room_databases import postgres_url, room_engine, room_url  # noqa: F401  (fixtures)
from sqlalchemy import create_engine, func, select

from lab.room import store as room_store
from lab.room.events import STATION_KEYS, Sender
from lab.room.store import (
    ANSWER,
    CODE_ALPHABET,
    IMPLEMENTATION,
    PREDICTION,
    ROOM_LIFETIME,
    RULE,
    STALLED_AFTER,
    STATION,
    Fact,
    RoomError,
    RoomStore,
)

WRITER = Path(__file__).resolve().parent / "room_writer.py"


class Clock:
    """The store's clock, moved by the test (for expiry and stalled learners)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(room_engine, clock) -> RoomStore:  # noqa: F811  (the fixture imported above)
    return RoomStore(room_engine, clock)


def rows_of_room(store: RoomStore, code: str) -> int:
    with store.engine.connect() as conn:
        total = 0
        for table, column in (
            (room_store.rooms, "code"),
            (room_store.learners, "room"),
            (room_store.events, "room"),
        ):
            total += conn.execute(select(func.count()).select_from(table).where(table.c[column] == code)).scalar_one()
        return total


def station(key: str) -> Fact:
    return Fact(STATION, key)


def test_a_room_code_is_six_characters_without_look_alikes(store):
    codes = [store.open_room().code for _ in range(30)]
    assert len(set(codes)) == 30
    for code in codes:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1lIL")


def test_the_instructor_key_is_not_stored_only_its_hash(store):
    opened = store.open_room()
    with store.engine.connect() as conn:
        stored = conn.execute(select(room_store.rooms.c.key_hash).where(room_store.rooms.c.code == opened.code))
        assert stored.scalar_one() != opened.key
    assert store.is_instructor(opened.code, opened.key)


def test_joining_an_unknown_room_says_so(store):
    with pytest.raises(RoomError, match="There is no room"):
        store.join("ABCDEF", "Ann", "t1")
    with pytest.raises(RoomError, match="6 letters and digits"):
        store.join("AB", "Ann", "t1")


def test_a_room_older_than_a_day_expires_and_is_purged(store, clock):
    old = store.open_room()
    store.join(old.code, "Ann", "t1")
    store.record(old.code, "t1", [station("graph")])
    clock.now += ROOM_LIFETIME + 1
    with pytest.raises(RoomError, match="There is no room"):
        store.join(old.code, "Bob", "t2")
    assert store.view(old.code, old.key, STATION_KEYS) is None
    assert rows_of_room(store, old.code) == 0  # the join purged it, every row


def test_an_expired_room_is_unusable_before_any_purge(store, clock):
    old = store.open_room()
    store.join(old.code, "Ann", "t1")
    clock.now += ROOM_LIFETIME + 1  # a day later, and nothing has purged it yet
    assert rows_of_room(store, old.code) == 2
    with pytest.raises(RoomError, match="closed"):
        store.record(old.code, "t1", [station("graph")])
    assert not store.room_exists(old.code) and not store.is_instructor(old.code, old.key)
    assert store.view(old.code, old.key, STATION_KEYS) is None
    assert store.nickname_of(old.code, "t1") is None
    assert store.count_events(old.code) == 0


def test_a_learner_is_a_member_until_the_room_closes_expires_or_they_leave(store, clock):
    one, two, three = store.open_room(), store.open_room(), store.open_room()
    for room in (one, two, three):
        store.join(room.code, "Ann", "a")
    store.join(one.code, "Bob", "b")
    assert store.is_member(one.code, "a") and store.is_member(one.code, "b") and not store.is_member(two.code, "b")
    assert store.members(one.code) == {"a", "b"} and store.members(two.code) == {"a"}
    store.close_room(one.code, one.key)
    store.leave(two.code, "a")
    assert not store.is_member(one.code, "a") and not store.is_member(one.code, "b")
    assert not store.is_member(two.code, "a") and store.is_member(three.code, "a")
    assert store.members(one.code) == set() and store.members(two.code) == set()
    clock.now += ROOM_LIFETIME + 1
    assert not store.is_member(three.code, "a") and store.members(three.code) == set()


def test_a_nickname_taken_in_the_room_is_refused_and_never_makes_one_learner_another(store):
    opened, other = store.open_room(), store.open_room()
    store.join(opened.code, "Ana", "a")
    store.record(opened.code, "a", [station("graph")])
    for token, name in (("b", "Ana"), ("b", " ana "), ("c", "ANA")):
        with pytest.raises(RoomError, match=r"“.*” is already taken in room .*pick another.*your own link"):
            store.join(opened.code, name, token)
    store.join(opened.code, "Bo", "b")
    with pytest.raises(RoomError, match="already taken"):
        store.join(opened.code, "Ana", "b")  # Bo cannot rename himself Ana either
    store.join(opened.code, "Ana", "a")  # Ana's own link: herself again
    store.join(other.code, "Ana", "b")  # another room's Ana is another learner
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [(r.nickname, r.done) for r in view.learners] == [("Ana", 1), ("Bo", 0)]
    assert store.facts_of(opened.code, "b") == set()


def test_two_browsers_joining_with_one_nickname_at_once_make_one_learner(store):
    opened = store.open_room()
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def join(i: int) -> None:
        start.wait()
        try:
            store.join(opened.code, "Ana", f"t{i}")
            outcomes.append("in")
        except RoomError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=join, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("in") == 1 and all("already taken" in o for o in outcomes if o != "in")
    assert [r.nickname for r in store.view(opened.code, opened.key, STATION_KEYS).learners] == ["Ana"]


def test_a_code_is_read_as_capitals_without_spaces(store):
    opened = store.open_room()
    typed = f" {opened.code[:3].lower()}-{opened.code[3:].lower()} "
    assert store.join(typed, "Ann", "t1") == opened.code


@pytest.mark.parametrize("nickname", ["<b>Ann</b>", "**b** _i_ [x](e.io)", "Zoë 🦊", "x'); DROP TABLE rooms;--"])
def test_a_nickname_with_html_or_markdown_is_kept_as_typed(store, nickname):
    opened = store.open_room()
    store.join(opened.code, nickname, "t1")
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [row.nickname for row in view.learners] == [nickname]


def test_a_ten_kilobyte_nickname_is_refused_with_the_limit(store):
    opened = store.open_room()
    with pytest.raises(RoomError, match="at most 24 characters; yours has 10,240"):
        store.join(opened.code, "x" * 10_240, "t1")
    assert store.view(opened.code, opened.key, STATION_KEYS).learners == []


@pytest.mark.parametrize("nickname", ["Ann\nBob", "a\tb", "nul\x00", "bell\x07", "rtl\u202e"])
def test_a_nickname_with_control_characters_is_refused(store, nickname):
    opened = store.open_room()
    with pytest.raises(RoomError, match="control characters"):
        store.join(opened.code, nickname, "t1")


def test_the_same_fact_sent_twice_counts_once(store):
    opened = store.open_room()
    store.join(opened.code, "Ann", "t1")
    facts = [station("graph"), Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p|backward|2")]
    assert store.record(opened.code, "t1", facts) == 2
    assert store.record(opened.code, "t1", facts) == 0  # a resend after a dropped connection
    assert store.record(opened.code, "t1", list(reversed(facts)) + facts) == 0
    assert store.count_events(opened.code) == 2


def test_the_same_answer_at_another_step_or_in_another_program_is_another_fact(store):
    opened = store.open_room()
    store.join(opened.code, "Ann", "a")
    store.join(opened.code, "Bob", "b")
    here = Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p1|backward|2")
    other_step = Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p1|backward|1")
    other_program = Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p2|backward|2")
    sender = Sender(store, opened.code, "a")
    assert sender.send([here]) == 1
    assert sender.send([here, other_step, other_program]) == 2  # neither is taken for a resend of the first
    Sender(store, opened.code, "b").send([other_step])
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert sorted((w.context, w.learners) for w in view.wrong) == [
        ("p1|backward|1", 2),
        ("p1|backward|2", 1),
        ("p2|backward|2", 1),
    ]


def test_stations_at_and_past_and_the_most_common_wrong_answer(store):
    opened = store.open_room()
    for token in ("a", "b", "c", "d"):
        store.join(opened.code, token.upper(), token)
    # by hand: a has done graph and rules (at the third station), b graph (at rules), c nothing (at graph), d all
    store.record(opened.code, "a", [station("graph"), station("rules")])
    store.record(opened.code, "b", [station("graph")])
    store.record(opened.code, "d", [station(k) for k in STATION_KEYS])
    wrong = Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p|backward|2")
    other = Fact(PREDICTION, "y.grad += ?", "6", False, "it adds 2", "p|backward|2")
    store.record(opened.code, "a", [wrong])
    store.record(opened.code, "b", [wrong, other])
    store.record(opened.code, "c", [wrong, Fact(ANSWER, "Why seed 1?", "value", False, "Not quite.", "seed")])
    view = store.view(opened.code, opened.key, STATION_KEYS)
    rest = len(STATION_KEYS) - 3
    assert view.at == [1, 1, 1] + [0] * rest
    assert view.past == [3, 2, 1] + [1] * rest
    top = view.wrong[0]
    assert (top.about, top.answer, top.learners, top.note) == ("y.grad += ?", "3", 3, "it adds 2")
    assert {(w.answer, w.learners) for w in view.wrong[1:]} == {("6", 1), ("value", 1)}


def test_learners_without_progress_for_five_minutes_are_stalled(store, clock):
    opened = store.open_room()
    store.join(opened.code, "Ann", "a")
    store.join(opened.code, "Bob", "b")
    store.join(opened.code, "Done", "d")
    store.record(opened.code, "d", [station(k) for k in STATION_KEYS])
    clock.now += STALLED_AFTER - 10
    store.record(opened.code, "b", [station("graph")])
    clock.now += 20  # Ann: 5 min 10 s since she joined; Bob: 10 s since his last station
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [row.nickname for row in view.stalled] == ["Ann"]  # Done has finished: not stalled
    store.record(opened.code, "b", [station("graph")])  # a resend is not progress
    clock.now += STALLED_AFTER
    assert [row.nickname for row in store.view(opened.code, opened.key, STATION_KEYS).stalled] == ["Ann", "Bob"]


def run(n: int, mistake: str = "") -> Fact:
    """A run of a learner's own code, as lab/room/events.py's run_fact sends it: its one mistake, or a pass."""
    if not mistake:
        return Fact(IMPLEMENTATION, "all checks pass", "", True, "", f"run|{n}")
    return Fact(IMPLEMENTATION, f"the {mistake} check", mistake, False, f"line {n}: {mistake}", f"run|{n}")


def test_each_run_counts_as_activity_and_the_last_run_decides_the_mistake(store, clock):
    opened = store.open_room()
    for token in ("a", "b", "c"):
        store.join(opened.code, token.upper(), token)
    store.record(opened.code, "a", [run(1, "overwrite")])
    store.record(opened.code, "b", [run(2, "overwrite")])
    store.record(opened.code, "c", [run(3, "seed")])
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [(w.answer, w.learners, w.nicknames) for w in view.wrong] == [
        ("overwrite", 2, ("A", "B")),
        ("seed", 1, ("C",)),
    ]
    store.record(opened.code, "a", [run(4)])  # A fixed it: all checks pass
    store.record(opened.code, "c", [run(5, "overwrite")])  # C's next run has another mistake
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [(w.answer, w.learners, w.nicknames) for w in view.wrong] == [("overwrite", 2, ("B", "C"))]
    # B runs the same code again and again for five minutes: each run is activity, never "no progress"
    for minute in range(1, 7):
        clock.now += 60
        store.record(opened.code, "b", [run(10 + minute, "overwrite")])
    assert [row.nickname for row in store.view(opened.code, opened.key, STATION_KEYS).stalled] == ["A", "C"]


def test_one_slip_is_one_entry_counting_learners_not_events(store):
    opened = store.open_room()
    store.join(opened.code, "Ann", "a")
    store.join(opened.code, "Bob", "b")
    overwrite = "`=` instead of `+=`"
    ann = [
        Fact(RULE, "your + rule", "self.grad = out.grad", False, overwrite, "+"),
        Fact(RULE, "your * rule", "self.grad = other.data * out.grad", False, overwrite, "*"),
        Fact(RULE, "your tanh rule", "self.grad = (1 - t**2) * out.grad", False, overwrite, "tanh"),
    ]
    store.record(opened.code, "a", ann)
    store.record(opened.code, "b", [Fact(RULE, "your * rule", "self.grad = out.grad", False, "no `* out.grad`", "*")])
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [(w.note, w.learners, w.nicknames) for w in view.wrong] == [
        (overwrite, 1, ("Ann",)),
        ("no `* out.grad`", 1, ("Bob",)),
    ]


def test_two_rooms_never_see_each_others_learners(store):
    one, two = store.open_room(), store.open_room()
    store.join(one.code, "Ann", "a")
    store.join(two.code, "Bob", "b")
    store.record(one.code, "a", [station("graph"), Fact(PREDICTION, "x.grad += ?", "2", False, "", "p")])
    view_one, view_two = (store.view(r.code, r.key, STATION_KEYS) for r in (one, two))
    assert [r.nickname for r in view_one.learners] == ["Ann"] and view_one.past[0] == 1 and len(view_one.wrong) == 1
    assert [r.nickname for r in view_two.learners] == ["Bob"] and view_two.past[0] == 0 and view_two.wrong == []
    assert store.view(two.code, one.key, STATION_KEYS) is None  # one room's key does not open another
    with pytest.raises(RoomError):
        store.record(two.code, "a", [station("rules")])  # Ann is not in room two


@pytest.mark.parametrize("key", [None, "", "wrong", "a"])
def test_a_wrong_or_missing_key_shows_nothing(store, key):
    opened = store.open_room()
    store.join(opened.code, "Ann", "a")  # "a" is the learner's token: a learner's link is not a key either
    assert store.view(opened.code, key, STATION_KEYS) is None
    assert not store.is_instructor(opened.code, key)
    assert not store.close_room(opened.code, key or "")


def test_closing_the_room_deletes_every_row_of_it(store):
    opened, other = store.open_room(), store.open_room()
    for room in (opened, other):
        store.join(room.code, "Ann", "a")
        store.record(room.code, "a", [station("graph")])
    assert rows_of_room(store, opened.code) == 3
    assert store.close_room(opened.code, opened.key)
    assert rows_of_room(store, opened.code) == 0
    assert rows_of_room(store, other.code) == 3
    with pytest.raises(RoomError, match="closed"):
        store.record(opened.code, "a", [station("rules")])


def test_leaving_deletes_the_learners_rows_and_stops_sending(store):
    opened, other = store.open_room(), store.open_room()
    store.join(opened.code, "Ann", "a")
    store.join(opened.code, "Bob", "b")
    store.join(other.code, "Ann", "a")
    wrong = Fact(PREDICTION, "y.grad += ?", "3", False, "it adds 2", "p|backward|2")
    store.record(opened.code, "a", [station("graph"), wrong])
    store.record(opened.code, "b", [station("graph"), station("rules"), wrong])
    store.record(other.code, "a", [station("graph")])
    store.leave(opened.code, "a")
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [r.nickname for r in view.learners] == ["Bob"] and view.past[:2] == [1, 1]  # Bob's events stay
    assert [(w.answer, w.learners) for w in view.wrong] == [("3", 1)]
    assert store.count_events(opened.code) == 3
    assert store.facts_of(other.code, "a") == {station("graph").key}  # Ann's other room keeps hers
    with pytest.raises(RoomError, match="not in room"):
        store.record(opened.code, "a", [station("rules")])


def test_a_rejoin_with_the_same_token_is_the_same_learner(store):
    opened = store.open_room()
    store.join(opened.code, "Ann", "a")
    store.record(opened.code, "a", [station("graph")])
    store.join(opened.code, "Ann B", "a")  # a reload: the token from the link
    view = store.view(opened.code, opened.key, STATION_KEYS)
    assert [(r.nickname, r.done) for r in view.learners] == [("Ann B", 1)]


# -- reliability ------------------------------------------------------------------------------------


LEARNERS = 200


STATIONS = 8  # the plan walks the first eight stations (the lesson has at least that many)


def plan(i: int) -> list[Fact]:
    """Learner i's facts, by a rule the expected counts below follow: i % 8 stations done, a wrong prediction
    `y.grad += 3` for every third learner, `y.grad += 4` for every seventh that is not a third, else right."""
    facts = [station(k) for k in STATION_KEYS[: i % STATIONS]]
    answer = "3" if i % 3 == 0 else "4" if i % 7 == 0 else "2"
    facts.append(Fact(PREDICTION, "y.grad += ?", answer, answer == "2", "it adds 2", "p|backward|2"))
    facts += [Fact(ANSWER, f"question {q}", f"answer {i}", True, "Right.", f"q{q}") for q in range(3)]
    return facts


def test_200_learners_in_bursts_lose_nothing_and_double_nothing(store):
    opened = store.open_room()
    senders = [Sender(store, opened.code, f"learner-{i}") for i in range(LEARNERS)]
    for i in range(LEARNERS):
        store.join(opened.code, f"L{i}", f"learner-{i}")
    barrier = threading.Barrier(LEARNERS, timeout=60)
    errors: list[BaseException] = []

    def learner(i: int) -> None:
        try:
            facts = plan(i)
            for round_ in range(3):  # each round: all 200 at once (a burst of 200 sends)
                barrier.wait()
                senders[i].send(facts[: len(facts) * (round_ + 1) // 3])
            barrier.wait()
            Sender(store, opened.code, f"learner-{i}").send(facts)  # a reload: a new session sends it all again
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(LEARNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    expected = sum(len(plan(i)) for i in range(LEARNERS))
    assert store.count_events(opened.code) == expected
    view = store.view(opened.code, opened.key, STATION_KEYS)
    # by the plan: learner i is at station i % 8 (25 learners each), and has done stations 0 .. i%8 - 1
    rest = len(STATION_KEYS) - STATIONS
    assert view.at == [25] * STATIONS + [0] * rest
    assert view.past == [25 * (7 - s) for s in range(STATIONS)] + [0] * rest
    wrong = {(w.answer, w.learners) for w in view.wrong}
    assert wrong == {("3", 67), ("4", 19)}  # multiples of 3 below 200: 67; of 7 but not 3: 28 - 9 = 19


def _acknowledged(process: subprocess.Popen, at_least: int, timeout: float = 60) -> list[str]:
    keys: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout.readline().strip() == "ready"
    while len(keys) < at_least and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        keys.append(line.strip())
    return keys


def test_kill_9_in_the_middle_of_a_burst_loses_no_acknowledged_event(room_url):  # noqa: F811
    engine = create_engine(room_url)
    store = RoomStore(engine)
    opened = store.open_room()
    store.join(opened.code, "Ann", "writer")
    acknowledged: list[str] = []
    for start in (0, 100_000):  # the first writer is killed, then a restarted one is killed too
        process = subprocess.Popen(
            [sys.executable, str(WRITER), room_url, opened.code, "writer", str(start), "20000"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            acknowledged += _acknowledged(process, 200)
            os.kill(process.pid, signal.SIGKILL)  # in the middle of a burst: it writes without pause
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()
        assert process.returncode == -signal.SIGKILL
    engine.dispose()
    after = RoomStore(create_engine(room_url))  # a new process's view of the database
    kept = after.facts_of(opened.code, "writer")
    assert len(acknowledged) >= 400
    assert set(acknowledged) <= kept
    assert len(kept) % 20 == 0  # a burst is all or nothing: the one being written at the kill is not half there


def test_a_send_the_room_refused_is_not_counted_as_sent(store):
    opened = store.open_room()
    sender = Sender(store, opened.code, "a")  # never joined
    with pytest.raises(RoomError):
        sender.send([station("graph")])
    assert sender.sent == set()  # so it is sent again once the learner is in
    store.join(opened.code, "Ann", "a")
    assert sender.send([station("graph")]) == 1
