"""Feed polls answered from memory before the framework, and how every process keeps up with changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from calcast import assembly
from calcast.app import create_app
from calcast.core.db import Database, upgrade
from calcast.feeds import telemetry
from calcast.feeds.watcher import ChangeWatcher, FeedChanges, watch_local_writes
from calcast.subscriptions import service as subscriptions
from tests.conftest import BACKENDS, POSTGRES_ADMIN, Persona, make_settings
from tests.feeds.conftest import World, in_days, summaries


def statements_of(database: Database, client: TestClient, path: str, **headers: str) -> tuple[int, object]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(seen), response


def from_memory(database: Database, client: TestClient, path: str) -> None:
    """Until a poll of `path` is answered without the database (the change watcher caught up), at most 2 s."""
    deadline = time.monotonic() + 2
    while statements_of(database, client, path)[0] != 0:
        assert time.monotonic() < deadline, "the feed was never answered from memory"
        time.sleep(0.05)


@pytest.fixture
def other_process(database: Database) -> Iterator[Database]:
    """A second connection pool to the same database, as another server process or the CLI would write."""
    other = assembly.database(database.settings)
    yield other
    other.dispose()


def test_a_repeated_poll_is_answered_from_memory_exactly_as_from_the_database(
    database: Database, client: TestClient, world: World
) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    variants = [
        {},
        {"Accept-Encoding": "gzip"},
        {"If-None-Match": "ETAG"},
        {"If-None-Match": "ETAG", "Accept-Encoding": "gzip"},
        {"If-Modified-Since": "LAST"},
        {"If-None-Match": '"other", W/"ETAG-UNQUOTED"'},
    ]
    first = client.get(feed.path)
    etag, last = first.headers["etag"], first.headers["last-modified"]

    def fill(headers: dict[str, str]) -> dict[str, str]:
        return {
            name: value.replace("ETAG-UNQUOTED", etag.strip('"')).replace("ETAG", etag).replace("LAST", last)
            for name, value in headers.items()
        }

    with TestClient(create_app(database.settings, database)) as cold:
        from_database = [cold.get(feed.path, headers=fill(headers)) for headers in variants]
    from_memory(database, client, feed.path)
    for headers, expected in zip(variants, from_database, strict=True):
        count, answered = statements_of(database, client, feed.path, **fill(headers))
        assert count == 0, f"{headers} needed the database"
        assert answered.status_code == expected.status_code, headers  # type: ignore[attr-defined]
        assert answered.content == expected.content, headers  # type: ignore[attr-defined]
        assert dict(answered.headers) == dict(expected.headers), headers  # type: ignore[attr-defined]
    head = client.head(feed.path, headers={"Accept-Encoding": "identity"})
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(first.content))


def test_a_change_committed_by_another_process_is_served_within_a_second(
    database: Database, client: TestClient, world: World, other_process: Database
) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    assert summaries(client.get(feed.path).content) == ["Kick-off"]
    from_memory(database, client, feed.path)
    elsewhere = World(other_process, world_owner(world))
    elsewhere.personal([feed], "seat", "Your seat", in_days(4))
    committed = time.monotonic()
    while summaries(client.get(feed.path).content) != ["Kick-off", "Your seat"]:
        assert time.monotonic() - committed < 1, "the change was not served within a second"
        time.sleep(0.02)


def test_a_rotated_or_ended_feed_is_not_served_from_memory_beyond_a_second(
    database: Database, client: TestClient, world: World, other_process: Database
) -> None:
    rotated, ended = world.subscribe("fan-1"), world.subscribe("fan-2")
    world.broadcast("Kick-off", in_days(3))
    for feed in (rotated, ended):
        client.get(feed.path)
        from_memory(database, client, feed.path)
    with other_process.transaction() as session:
        subscriptions.rotate_feed_token(
            session=session, settings=database.settings, subscription_id=rotated.subscription_id
        )
        row = subscriptions.get_subscription(session=session, subscription_id=ended.subscription_id)
        subscriptions.deactivate(session=session, subscription=row)
    committed = time.monotonic()
    for feed in (rotated, ended):
        while b"(unsubscribed)" not in client.get(feed.path).content:
            assert time.monotonic() - committed < 1, "a stale feed was served after a second"
            time.sleep(0.02)


def test_polls_answered_from_memory_are_counted_and_written_when_the_server_stops(
    database: Database, world: World
) -> None:
    feed = world.subscribe("fan-1")
    with TestClient(create_app(database.settings, database)) as client:
        client.get(feed.path, headers={"User-Agent": "Google-Calendar-Importer"})
        from_memory(database, client, feed.path)
        for _ in range(5):
            assert client.get(feed.path, headers={"User-Agent": "ICSx5/2.2"}).status_code == 200
    with database.sessions() as session:
        polled = subscriptions.get_subscription(session=session, subscription_id=feed.subscription_id)
    assert polled.poll_count >= 7  # the first fetch, those of from_memory, and five more
    assert polled.client_family == "icsx5"


def test_a_telemetry_batch_that_fails_is_kept_for_the_next_one(
    database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = world.subscribe("fan-1")
    counter = telemetry.FetchCounter()
    writer = telemetry.TelemetryWriter(sessions=database.sessions, settings=database.settings, counter=counter)
    for _ in range(3):
        counter.add(feed.subscription_id, "Evolution/3.46", time.time())
    original = telemetry.write_polls

    def unreachable(**_arguments: object) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(telemetry, "write_polls", unreachable)
    assert writer.flush() is False
    counter.add(feed.subscription_id, "Evolution/3.46", time.time())
    monkeypatch.setattr(telemetry, "write_polls", original)
    assert writer.flush() is True
    with database.sessions() as session:
        polled = subscriptions.get_subscription(session=session, subscription_id=feed.subscription_id)
    assert (polled.poll_count, polled.client_family) == (4, "evolution")


def world_owner(world: World) -> Persona:
    return Persona(world.account_code, world.calendar_code, None, None)


def watcher_of(database: Database) -> ChangeWatcher:
    return ChangeWatcher(settings=database.settings, engine=database.engine, changes=FeedChanges())


def test_a_migrated_database_has_every_feed_change_trigger(database: Database) -> None:
    assert watcher_of(database).missing_triggers() == set()


def test_without_a_change_trigger_feeds_are_read_from_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A later migration that rebuilt a table on SQLite would drop its triggers: memory must never answer then."""
    database = assembly.database(make_settings(f"sqlite:///{tmp_path / 'calcast.db'}"))
    try:
        upgrade(database.settings, database.engine)
        with database.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER feed_change_calendars_update"))
        watcher = watcher_of(database)
        assert watcher.missing_triggers() == {"feed_change_calendars_update"}
        watcher.start()
        try:
            time.sleep(0.5)  # several of the watcher's rounds, were it following changes
            stamp = watcher.changes.stamp()
            assert not watcher.changes.current("any-subscription", "any-calendar", stamp)
        finally:
            watcher.stop()
        assert "lacks the feed change triggers feed_change_calendars_update" in caplog.text
    finally:
        database.dispose()


# Cutting one connection from the server side needs PostgreSQL (pg_terminate_backend).
@pytest.mark.parametrize("backend", [name for name in BACKENDS if name == "postgresql"], indirect=True)
def test_a_connection_the_database_cut_ends_the_request_with_the_database_error(database: Database) -> None:
    """The watcher's rollback hook must not hide it (an OperationalError is answered 503, anything else 500)."""

    def query_after_the_cut() -> None:
        with database.transaction() as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            session.execute(text("SELECT 1"))

    stop = watch_local_writes(database.engine, FeedChanges(), wake=lambda: None)
    try:
        with pytest.raises(OperationalError):
            query_after_the_cut()
    finally:
        stop()
    with database.transaction() as session:  # the pool hands out a working connection again
        assert session.execute(text("SELECT 1")).scalar_one() == 1
