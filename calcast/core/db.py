"""Engine, sessions, the declarative base, shared column types, and migrations."""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.engine import CursorResult, Dialect, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from calcast.core.changes import SESSION_KEY, Consumers
from calcast.core.config import ConfigError, Settings

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How work that needs its own transactions (a delivery, a periodic job) opens one: `Database.transaction`.
Transaction = Callable[[], AbstractContextManager[Session]]


def delete_in_batches(transaction: Transaction, delete_batch: Callable[[Session], int], batch_size: int) -> int:
    """Run `delete_batch` (deleting at most `batch_size` rows) in short transactions until a batch comes back short;
    the rows deleted in all. Retention jobs use it so that no write holds the database for long."""
    deleted = 0
    while True:
        with transaction() as session:
            batch = delete_batch(session)
        deleted += batch
        if batch < batch_size:
            return deleted


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (`Session.execute` returns a CursorResult but types it as Result)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"Only an UPDATE or DELETE result has a row count, not a {type(result).__name__}.")
    return result.rowcount


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


uuid_pk = Annotated[str, mapped_column(String(36), primary_key=True, default=new_uuid)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
updated_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve().parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"CALCAST_DATABASE_URL points to {database}, but its folder cannot be created ({error.strerror})."
        ) from None
    target = Path(database)
    writable = os.access(directory, os.W_OK | os.X_OK) and (
        not os.access(target, os.F_OK) or os.access(target, os.W_OK)
    )
    if not writable:
        raise ConfigError(
            f"CALCAST_DATABASE_URL points to {database}, which calcast cannot write; "
            "choose a writable path or fix its permissions."
        )


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The transaction the sqlite3 module opens before the first write is BEGIN IMMEDIATE: it takes the write lock
    # at once, waiting in the busy timeout for a writer in another process, instead of starting as a reader and
    # failing with SQLITE_BUSY when it must become a writer after another process committed.
    dbapi_connection.isolation_level = "IMMEDIATE"
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _SQLiteWriters:
    """One write transaction at a time per SQLite file, queued on a lock in this process and one between processes.

    SQLite lets one connection write at a time. Writers that meet in SQLite's busy handler wait in sleeps of
    up to 100 ms each, so a short write could wait a second behind a few others. Here a thread takes the
    lock just before the statement that starts its write transaction (the sqlite3 module begins one, IMMEDIATE,
    at the first INSERT, UPDATE, DELETE or REPLACE) and hands it on right after that transaction's COMMIT or
    ROLLBACK. The lock is a thread lock plus an exclusive `flock` on a file next to the database, so that the
    processes of `calcast serve --workers N` queue too (the kernel wakes the next one at once, and frees the
    lock of a process that dies). Anything else (a CLI, a writer that gave up waiting) meets SQLite's own lock:
    BEGIN IMMEDIATE and the busy timeout.
    """

    VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
    WAIT_SECONDS = 10.0  # as long as the busy timeout; then SQLite's own locking decides

    def __init__(self, engine: Engine, lock_path: Path | None) -> None:
        self._lock = threading.Lock()
        # A plain descriptor, closed when the engine is disposed.
        self._file = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600) if lock_path is not None else None
        if self._file is not None:
            event.listen(engine, "engine_disposed", self._close)
        self._holders: set[int] = set()
        dialect: Any = engine.dialect
        commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close

        def do_commit(connection: Any) -> None:
            try:
                commit(connection)
            finally:
                self._release(connection)

        def do_rollback(connection: Any) -> None:
            try:
                rollback(connection)
            finally:
                self._release(connection)

        def do_close(connection: Any) -> None:
            try:
                close(connection)
            finally:
                self._release(connection)

        dialect.do_commit, dialect.do_rollback, dialect.do_close = do_commit, do_rollback, do_close
        event.listen(engine, "before_cursor_execute", self._before_execute)

    def _close(self, _engine: Any) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None

    def _before_execute(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        raw = cursor.connection
        if raw.in_transaction or id(raw) in self._holders:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in self.VERBS and self._lock.acquire(timeout=self.WAIT_SECONDS):
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            self._holders.add(id(raw))

    def _release(self, connection: Any) -> None:
        key = id(getattr(connection, "dbapi_connection", connection))
        if key in self._holders:
            self._holders.discard(key)
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._lock.release()


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; SQLite gets WAL, a busy timeout, foreign keys and queued writers."""
    if settings.is_sqlite:
        _prepare_sqlite_file(settings.database_url)
        engine = create_engine(settings.database_url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _on_sqlite_connect)
        path = make_url(settings.database_url).database
        _SQLiteWriters(engine, Path(f"{path}.writers.lock") if path and path != ":memory:" else None)
        return engine
    # No JIT compilation: it adds hundreds of milliseconds to every query the planner thinks large (the dashboard's
    # counts) and saves nothing on queries that read an index (docs/operations.md).
    return create_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )


def make_sessionmaker(engine: Engine, consumers: Consumers) -> sessionmaker[Session]:
    """Sessions of one database; each knows the consumers of the changes recorded in it."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={SESSION_KEY: consumers})


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(settings: Settings) -> Any:
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent  # the calcast package carries its migrations
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, engine: Engine) -> None:
    """Create or migrate the schema to the newest revision."""
    from alembic import command

    config = alembic_config(settings)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(settings: Settings) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(settings)).get_current_head()


class Database:
    """The engine and session factory of one process, built from the settings.

    `consumers` react to the changes that service functions record in this database's sessions; the
    assembly (`calcast/assembly.py`) passes the application's. They are never implied: a database opened
    without them (`Consumers()`) would let changes reach nobody, so every caller says which it wants.
    """

    def __init__(self, settings: Settings, consumers: Consumers) -> None:
        self.settings = settings
        self.consumers = consumers
        self.engine = make_engine(settings)
        self.sessions = make_sessionmaker(self.engine, consumers)

    def transaction(self) -> AbstractContextManager[Session]:
        """A session committed on success and rolled back on any error."""
        return transaction(self.sessions)

    def ensure_schema(self) -> None:
        """Migrate SQLite on start (the embedded default); PostgreSQL must be migrated by `calcast db upgrade`."""
        if self.settings.is_sqlite:
            upgrade(self.settings, self.engine)
            return
        if current_revision(self.engine) != head_revision(self.settings):
            raise ConfigError(
                "The PostgreSQL database is not at calcast's schema version; run `calcast db upgrade` first."
            )

    def dispose(self) -> None:
        self.engine.dispose()
