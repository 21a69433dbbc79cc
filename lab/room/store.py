"""The instructor's room, stored in a real database: rooms, learners and what each learner did.

Plain Python over SQLAlchemy Core, no Streamlit: the app hands in an engine (app/room.py gets it
from `st.connection`), the tests and the benchmark hand in their own. The same code runs on
SQLite (the default: a file in the app's data folder, WAL, writes in `BEGIN IMMEDIATE` with a
busy timeout) and on PostgreSQL (several app replicas on one database).

Events are append-only and idempotent: each carries a key (what it is about, and the answer)
that is unique per learner, and is inserted with "insert or ignore", so a learner's browser
that sends the same fact again (a reload, a dropped connection, a second tab) never counts
twice. `record` returns once the events are committed: what it acknowledged is on disk.

Privacy: a nickname and a random token per learner, nothing else about them (no address, no
browser); "Close the room" deletes every row of the room; rooms older than `ROOM_LIFETIME`
are deleted whenever a room is opened or joined.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.schema import CreateIndex

SCHEMA_VERSION = 1
CODE_LENGTH = 6
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: nothing to misread from a projector
MAX_NICKNAME = 24
ROOM_LIFETIME = 24 * 3600.0  # seconds: older rooms are deleted
STALLED_AFTER = 5 * 60.0  # seconds without progress: the instructor sees the learner as stalled
BUSY_TIMEOUT_MS = 10_000  # SQLite: how long a writer waits for another's transaction
MAX_TEXT = 300  # an event's about / answer / note is cut to this many characters

# what an event is about
STATION, PREDICTION, HAND, ANSWER, RULE, IMPLEMENTATION = "station", "prediction", "hand", "answer", "rule", "implement"
KINDS = (STATION, PREDICTION, HAND, ANSWER, RULE, IMPLEMENTATION)

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

rooms = Table(
    "rooms",
    metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("key_hash", String(64), nullable=False),  # sha256 of the instructor's key: the key itself is not kept
    Column("created_at", Float, nullable=False),
)

learners = Table(
    "learners",
    metadata,
    Column("room", String(CODE_LENGTH), primary_key=True),
    Column("token", String(64), primary_key=True),
    Column("nickname", String(MAX_NICKNAME), nullable=False),
    Column("joined_at", Float, nullable=False),
)
# one learner per nickname in a room, whatever its capitals: two joins at once with the same nickname, one wins
ONE_NICKNAME = Index("one_nickname_per_room", learners.c.room, func.lower(learners.c.nickname), unique=True)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(CODE_LENGTH), nullable=False),
    Column("token", String(64), nullable=False),
    Column("key", String(64), nullable=False),  # what the event says, hashed: the same fact has the same key
    Column("kind", String(16), nullable=False),
    Column("context", String(64), nullable=False, default=""),  # e.g. which program a prediction was about
    Column("about", Text, nullable=False),  # "backward step 2: y.grad += ?", a question, a station's key
    Column("answer", Text, nullable=False, default=""),  # what the learner typed or chose
    Column("correct", Boolean, nullable=False),
    Column("note", Text, nullable=False, default=""),  # the right answer, or the mistake named
    Column("at", Float, nullable=False),
    UniqueConstraint("room", "token", "key", name="one_fact_once"),
    Index("events_by_room", "room", "kind"),
)


class RoomError(Exception):
    """A room that cannot be used (unknown, expired) or a nickname that is refused: the message says which."""


@dataclass(frozen=True)
class Fact:
    """One thing a learner did, as sent to the room: derived from their work (lab/room/events.py)."""

    kind: str
    about: str
    answer: str = ""
    right: bool = True
    note: str = ""
    context: str = ""

    @property
    def key(self) -> str:
        """The same fact always has the same key: sent again, it is ignored."""
        text = "\x1f".join((self.kind, self.context, self.about, self.answer, "1" if self.right else "0"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Opened:
    code: str
    key: str  # the instructor's secret: only its hash is stored


@dataclass(frozen=True)
class WrongAnswer:
    kind: str
    about: str
    answer: str
    learners: int  # how many learners gave it
    note: str
    context: str = ""
    nicknames: tuple[str, ...] = ()  # who gave it, first first (the instructor's own view shows them)


@dataclass(frozen=True)
class LearnerRow:
    nickname: str
    at_station: int  # index of the first station not done (len(stations) when all are)
    done: int
    last_progress: float  # when they last sent something new (or joined)
    stalled: bool


@dataclass(frozen=True)
class RoomView:
    """What the instructor sees: built from queries, nothing cached."""

    code: str
    created_at: float
    learners: list[LearnerRow]
    at: list[int]  # per station: learners whose first station not done is this one
    past: list[int]  # per station: learners who have done it
    wrong: list[WrongAnswer] = field(default_factory=list)  # most common first

    @property
    def stalled(self) -> list[LearnerRow]:
        return [row for row in self.learners if row.stalled]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    """What a learner typed as a code, as the room calls it: capitals, no spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if not ch.isspace() and ch != "-")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def clean_nickname(text: str) -> str:
    """A nickname as kept: plain text, surrounding spaces dropped. Raises RoomError with the reason.

    HTML or Markdown is kept as typed (the pages show it as text); control characters (a tab, a line
    break, NUL, which PostgreSQL cannot store) are refused.
    """
    name = (text or "").strip()
    if not name:
        raise RoomError("Type a nickname (or keep the one offered).")
    if len(name) > MAX_NICKNAME:
        raise RoomError(f"A nickname is at most {MAX_NICKNAME} characters; yours has {len(name):,}.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise RoomError("A nickname is one line of plain text: no tabs, line breaks or other control characters.")
    return name


_ADJECTIVES = ("Quick", "Calm", "Bold", "Keen", "Brave", "Sunny", "Lucky", "Witty", "Merry", "Swift", "Clever", "Jolly")
_ANIMALS = ("Otter", "Heron", "Lynx", "Panda", "Robin", "Koala", "Gecko", "Bison", "Finch", "Tapir", "Llama", "Puffin")


def suggest_nickname() -> str:
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)} {secrets.randbelow(90) + 10}"


def _taken(name: str, code: str) -> str:
    return (
        f"The nickname “{name}” is already taken in room {code}: pick another. If it is yours, open your own "
        "link (the address of the tab where you joined) to come back as yourself."
    )


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- the engine's setup -----------------------------------------------------------------------------


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver's own BEGIN off: `_sqlite_begin` says how to begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses nothing committed
    cursor.close()


READ_ONLY = "room_read_only"  # an execution option: this connection only reads


def _sqlite_begin(connection) -> None:
    # a writer takes the write lock at its start: two writers queue (busy timeout) instead of one failing
    # with "database is locked" when it upgrades a read lock; a reader begins a plain (deferred)
    # transaction and, in WAL mode, never waits for a writer
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def prepare(engine: Engine) -> Engine:
    """Make `engine` ready for the room (once per engine): SQLite's settings, and the tables, created on first use."""
    if getattr(engine, "_room_ready", False):
        return engine
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_connect):
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    for attempt in range(3):  # two processes creating the tables at once: one wins, the other finds them
        try:
            with engine.begin() as conn:
                metadata.create_all(conn)
                if conn.execute(select(schema_version.c.version)).first() is None:
                    conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            break
        except (IntegrityError, ProgrammingError, OperationalError):
            if attempt == 2:
                raise
            time.sleep(0.2)
    try:  # a database made before the index had none; one with two learners of one nickname keeps none
        with engine.begin() as conn:
            conn.execute(CreateIndex(ONE_NICKNAME, if_not_exists=True))
    except (IntegrityError, ProgrammingError, OperationalError):
        pass  # `join` checks nicknames itself: the index only settles two joins at the same moment
    engine._room_ready = True  # type: ignore[attr-defined]
    return engine


def _insert_ignore(engine: Engine, table: Table):
    """INSERT that skips a row whose unique key is already there (SQLite: OR IGNORE; PostgreSQL: ON CONFLICT)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise RoomError(f"The room needs SQLite or PostgreSQL, not {engine.dialect.name}.")


# -- the store --------------------------------------------------------------------------------------


class RoomStore:
    """Rooms on one database. Every method is one transaction; nothing is cached between calls."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = prepare(engine)
        self.reader = self.engine.execution_options(**{READ_ONLY: True})
        self.clock = clock

    # rooms

    def open_room(self) -> Opened:
        """A new room with a fresh code and instructor key (old rooms are purged first)."""
        self.purge()
        key = secrets.token_urlsafe(18)
        for _ in range(20):
            code = new_code()
            try:
                with self.engine.begin() as conn:
                    conn.execute(rooms.insert().values(code=code, key_hash=_hash_key(key), created_at=self.clock()))
                return Opened(code, key)
            except IntegrityError:
                continue  # that code is taken: draw another
        raise RoomError("No free room code was found; try again.")

    def _room_row(self, conn, code: str):
        row = conn.execute(select(rooms.c.key_hash, rooms.c.created_at).where(rooms.c.code == code)).first()
        if row is None or row.created_at < self.clock() - ROOM_LIFETIME:
            return None
        return row

    def room_exists(self, code: str) -> bool:
        with self.reader.connect() as conn:
            return self._room_row(conn, clean_code(code)) is not None

    def is_instructor(self, code: str, key: str | None) -> bool:
        """Does `key` open room `code`'s instructor view? A missing or wrong key never does."""
        if not key:
            return False
        with self.reader.connect() as conn:
            row = self._room_row(conn, clean_code(code))
        return row is not None and hmac.compare_digest(row.key_hash, _hash_key(key))

    def close_room(self, code: str, key: str) -> bool:
        """Delete every row of the room (only with its instructor key). Returns False for a wrong key."""
        code = clean_code(code)
        if not self.is_instructor(code, key):
            return False
        with self.engine.begin() as conn:
            _delete_rooms(conn, [code])
        return True

    def purge(self) -> int:
        """Delete rooms older than ROOM_LIFETIME with all their rows. Returns how many."""
        limit = self.clock() - ROOM_LIFETIME
        with self.engine.begin() as conn:
            old = list(conn.execute(select(rooms.c.code).where(rooms.c.created_at < limit)).scalars())
            if old:
                _delete_rooms(conn, old)
        return len(old)

    # learners

    def join(self, code: str, nickname: str, token: str) -> str:
        """Put learner `token` in room `code` as `nickname` (a rejoin keeps their events). Returns the clean code.

        Raises RoomError for an unknown or expired room, or a refused nickname: one another learner of the room
        has (capitals aside). A nickname never makes one browser another learner: the token decides who is who.
        """
        code = clean_code(code)
        name = clean_nickname(nickname)
        if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
            raise RoomError(
                f"A room code is {CODE_LENGTH} letters and digits, like {new_code()}: check it on the screen."
            )
        self.purge()
        try:
            with self.engine.begin() as conn:
                if self._room_row(conn, code) is None:
                    raise RoomError(f"There is no room {code} (it may have been closed, or be older than a day).")
                others = conn.execute(
                    select(learners.c.nickname).where(learners.c.room == code, learners.c.token != token)
                ).scalars()
                if any(other.casefold() == name.casefold() for other in others):
                    raise RoomError(_taken(name, code))
                found = conn.execute(
                    select(learners.c.nickname).where(learners.c.room == code, learners.c.token == token)
                ).first()
                if found is None:
                    row = {"room": code, "token": token, "nickname": name, "joined_at": self.clock()}
                    conn.execute(learners.insert().values(**row))
                elif found.nickname != name:
                    conn.execute(
                        update(learners).where(learners.c.room == code, learners.c.token == token).values(nickname=name)
                    )
        except IntegrityError:  # another browser took this nickname at the same moment
            raise RoomError(_taken(name, code)) from None
        return code

    def nickname_of(self, code: str, token: str) -> str | None:
        """The learner's own nickname in the room (None when they are not in it, or it is closed)."""
        with self.reader.connect() as conn:
            if self._room_row(conn, code) is None:
                return None
            found = conn.execute(select(learners.c.nickname).where(learners.c.room == code, learners.c.token == token))
            return found.scalar_one_or_none()

    def is_member(self, code: str, token: str) -> bool:
        """Is learner `token` in room `code`, and the room open? One query: a learner's page asks every few seconds."""
        limit = self.clock() - ROOM_LIFETIME
        found = (
            select(learners.c.token)
            .join(rooms, rooms.c.code == learners.c.room)
            .where(learners.c.room == code, learners.c.token == token, rooms.c.created_at >= limit)
        )
        with self.reader.connect() as conn:
            return conn.execute(found).first() is not None

    def members(self, code: str) -> set[str]:
        """The tokens of room `code`'s learners; none when the room is closed or expired. One query."""
        limit = self.clock() - ROOM_LIFETIME
        found = (
            select(learners.c.token)
            .join(rooms, rooms.c.code == learners.c.room)
            .where(learners.c.room == code, rooms.c.created_at >= limit)
        )
        with self.reader.connect() as conn:
            return set(conn.execute(found).scalars())

    def leave(self, code: str, token: str) -> None:
        """The learner leaves: their row and everything they sent are deleted."""
        with self.engine.begin() as conn:
            conn.execute(delete(events).where(events.c.room == code, events.c.token == token))
            conn.execute(delete(learners).where(learners.c.room == code, learners.c.token == token))

    # events

    def record(self, code: str, token: str, facts: Iterable[Fact]) -> int:
        """Append the learner's facts (one transaction; a fact already there is skipped). Returns how many were new.

        Raises RoomError when the learner is not in the room (closed, expired, or left).
        Once this returns, the facts are committed.
        """
        now = self.clock()
        rows = [
            {
                "room": code,
                "token": token,
                "key": f.key,
                "kind": f.kind,
                "context": f.context[:64],
                "about": _cut(f.about),
                "answer": _cut(f.answer),
                "correct": bool(f.right),
                "note": _cut(f.note),
                "at": now,
            }
            for f in facts
        ]
        with self.engine.begin() as conn:
            if self._room_row(conn, code) is None:
                raise RoomError(f"The room {code} is closed.")
            member = conn.execute(select(learners.c.token).where(learners.c.room == code, learners.c.token == token))
            if member.first() is None:
                raise RoomError(f"You are not in room {code} any more.")
            if not rows:
                return 0
            # RETURNING names the rows that were new (a driver's rowcount of a many-row insert is not reliable)
            added = conn.execute(_insert_ignore(self.engine, events).returning(events.c.key), rows)
            return len(added.all())

    def facts_of(self, code: str, token: str) -> set[str]:
        """The keys of what this learner has sent (a learner sees only their own)."""
        with self.reader.connect() as conn:
            found = conn.execute(select(events.c.key).where(events.c.room == code, events.c.token == token))
            return set(found.scalars())

    def count_events(self, code: str) -> int:
        with self.reader.connect() as conn:
            return conn.execute(select(func.count()).select_from(events).where(events.c.room == code)).scalar_one()

    # the instructor's view

    def view(self, code: str, key: str | None, stations: Sequence[str], top: int = 12) -> RoomView | None:
        """What the instructor sees, or None when `key` does not open room `code` (nothing of the room is read)."""
        code = clean_code(code)
        if not self.is_instructor(code, key):
            return None
        now = self.clock()
        with self.reader.connect() as conn:
            room = self._room_row(conn, code)
            if room is None:
                return None
            people = conn.execute(
                select(learners.c.token, learners.c.nickname, learners.c.joined_at)
                .where(learners.c.room == code)
                .order_by(learners.c.joined_at, learners.c.nickname)
            ).all()
            last = dict(
                conn.execute(
                    select(events.c.token, func.max(events.c.at)).where(events.c.room == code).group_by(events.c.token)
                ).all()
            )
            done: dict[str, set[str]] = {}
            for token, about in conn.execute(
                select(events.c.token, events.c.about).where(events.c.room == code, events.c.kind == STATION)
            ):
                done.setdefault(token, set()).add(about)
            wrong = _wrong_events(conn, code)
        at = [0] * len(stations)
        past = [0] * len(stations)
        rows = []
        for token, nickname, joined_at in people:
            mine = done.get(token, set())
            first = next((i for i, s in enumerate(stations) if s not in mine), len(stations))
            if first < len(stations):
                at[first] += 1
            for i, s in enumerate(stations):
                past[i] += s in mine
            progress = max(joined_at, last.get(token) or joined_at)
            stalled = first < len(stations) and now - progress >= STALLED_AFTER
            rows.append(LearnerRow(nickname, first, len(mine & set(stations)), progress, stalled))
        names = {token: nickname for token, nickname, _ in people}
        return RoomView(code, room.created_at, rows, at, past, most_common(wrong, names, top))


def _delete_rooms(conn, codes: list[str]) -> None:
    conn.execute(delete(events).where(events.c.room.in_(codes)))
    conn.execute(delete(learners).where(learners.c.room.in_(codes)))
    conn.execute(delete(rooms).where(rooms.c.code.in_(codes)))


def _wrong_events(conn, code: str) -> list:
    """The room's wrong answers, oldest first: every wrong fact but stations and runs, and each learner's last run
    of their own code when it failed (a run that passes later takes the learner out of that mistake's count)."""
    columns = (events.c.id, events.c.token, events.c.kind, events.c.context, events.c.about, events.c.answer)
    columns += (events.c.note,)
    learners_in = select(learners.c.token).where(learners.c.room == code)
    last_runs = (
        select(func.max(events.c.id))
        .where(events.c.room == code, events.c.kind == IMPLEMENTATION)
        .group_by(events.c.token)
        .scalar_subquery()
    )
    answers = select(*columns).where(
        events.c.room == code,
        events.c.correct.is_(False),
        events.c.kind.not_in((STATION, IMPLEMENTATION)),
        events.c.token.in_(learners_in),
    )
    runs = select(*columns).where(
        events.c.id.in_(last_runs), events.c.correct.is_(False), events.c.token.in_(learners_in)
    )
    return sorted([*conn.execute(answers).all(), *conn.execute(runs).all()], key=lambda row: row.id)


def mistake_of(kind: str, context: str, about: str, answer: str, note: str) -> tuple[str, ...]:
    """What makes two wrong answers the same mistake: the same prediction (program, step, box) with the same
    number, the same question with the same choice, the same hand-check row and entry, a rule's mistake (its
    named slip, whichever operator), a run's one mistake (its check)."""
    if kind == RULE and note:
        return (kind, note)
    if kind == IMPLEMENTATION:
        return (kind, answer)
    if kind == ANSWER:
        return (kind, context, answer)
    return (kind, context, about, answer)


def most_common(rows: Iterable, names: dict[str, str], top: int) -> list[WrongAnswer]:
    """The wrong answers grouped by mistake, each counted once per learner, most learners first (then oldest)."""
    groups: dict[tuple[str, ...], tuple[object, list[str]]] = {}
    for row in rows:
        key = mistake_of(row.kind, row.context, row.about, row.answer, row.note)
        _, tokens = groups.setdefault(key, (row, []))
        if row.token not in tokens:
            tokens.append(row.token)
    ranked = sorted(groups.values(), key=lambda group: -len(group[1]))  # stable: the oldest first among equals
    return [
        WrongAnswer(
            row.kind,
            row.about,
            row.answer,
            len(tokens),
            row.note or "",
            row.context,
            tuple(names.get(token, "") for token in tokens),
        )
        for row, tokens in ranked[:top]
    ]
