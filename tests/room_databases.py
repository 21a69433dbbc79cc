"""The room's two databases for tests: a SQLite file, and a real PostgreSQL server started from Debian's package.

No mocks: `postgres_server` runs initdb and pg_ctl from /usr/lib/postgresql/<version>/bin on a
Unix socket in a temporary folder (no TCP port is opened), as the `postgres` user when the tests
run as root (PostgreSQL refuses to run as root), and stops it at the end of the session. Without
PostgreSQL the PostgreSQL tests are skipped on a laptop and fail under CI=true, as the browser
tests do without Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from lab.room import store as room_store

PG_ROOT = Path("/usr/lib/postgresql")


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or None."""
    found = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists() and (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="room-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()  # names the socket file; listen_addresses='' opens no TCP port
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.root}&port={self.port}"

    def _run(self, *args: str) -> None:
        result = subprocess.run(_as_postgres(list(args)), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=on"
        log = self.root / "server.log"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL server for this test session (a skip without PostgreSQL; a failure under CI=true)."""
    bin_dir = postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        reason = f"PostgreSQL is not installed in {PG_ROOT} (apt-get install postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the PostgreSQL tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {e}", pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


def fresh_postgres(url: str) -> Engine:
    """An engine on the session's PostgreSQL with the room's tables emptied (each test starts clean)."""
    engine = create_engine(url, pool_size=20, max_overflow=20)
    room_store.metadata.drop_all(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def room_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A room database's URL, once for each kind: a fresh SQLite file, and the session's PostgreSQL emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'room.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    fresh_postgres(url).dispose()
    yield url


@pytest.fixture
def room_engine(room_url: str) -> Iterator[Engine]:
    engine = create_engine(room_url, pool_size=20, max_overflow=20)
    try:
        yield engine
    finally:
        engine.dispose()
