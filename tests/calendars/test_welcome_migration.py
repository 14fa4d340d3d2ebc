"""The welcome migration adds the calendars' welcome columns without copying the table (SQLite keeps its triggers)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from calcast.core.db import alembic_config
from tests.conftest import make_settings

FEED_TRIGGERS = {
    "feed_change_subscriptions_update",
    "feed_change_subscriptions_delete",
    "feed_change_calendars_update",
    "feed_change_calendars_delete",
    "feed_change_feed_tokens_update",
    "feed_change_feed_tokens_delete",
}
NOW = "2026-01-01 00:00:00+00:00"


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_engine(url)
    try:
        config = alembic_config(make_settings(url))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def triggers(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type='trigger'")))
    finally:
        engine.dispose()


def test_the_feed_triggers_survive_the_welcome_migration_both_ways(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'welcome.db'}"
    migrate(url, "0006_feed_changes")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO accounts (id, code, name, created_at) VALUES ('a1', 'b', 'B', :now)"), {"now": NOW}
        )
        connection.execute(
            text(
                "INSERT INTO calendars (id, account_id, code, name, language, default_duration_minutes,"
                " email_capture, merge_flag, subscriber_id_fallback, feed_version, created_at, updated_at)"
                " VALUES ('c1', 'a1', 'main', 'Main', 'en', 60, 'off', true, false, 1, :now, :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()
    assert triggers(url) == FEED_TRIGGERS

    migrate(url, "0007_welcome")
    assert triggers(url) == FEED_TRIGGERS
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            row = connection.execute(
                text("SELECT welcome_title, welcome_after_minutes, welcome_duration_minutes FROM calendars")
            ).one()
            assert tuple(row) == (None, 5, 30)
            # The calendars trigger still announces a feed change.
            connection.execute(text("UPDATE calendars SET feed_version = 2"))
            assert connection.scalar(text("SELECT calendar_id FROM feed_changes")) == "c1"
    finally:
        engine.dispose()

    migrate(url, "0006_feed_changes", down=True)
    assert triggers(url) == FEED_TRIGGERS
