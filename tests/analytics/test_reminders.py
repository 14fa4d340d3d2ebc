"""Reminders sent (analytics.reminders) under the rule's client clause: a subscription written into the person's
calendar by a push method counts, whichever calendar app last fetched its feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from calcast.analytics import reminders
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.push.models import Provider, PushConnection
from calcast.subscriptions.models import Subscription
from tests.console.test_numbers import World


def _sent(database: Database, world: World) -> dict[str, int]:
    """Reminders sent per event title over the last week to the subscriptions of the calendar "main"."""
    with database.transaction() as session:
        main = calendars.get_calendar(session=session, account_code="owner", code="main").id
        found = reminders.reminders_sent(
            session=session, calendar_ids=[main], since=world.today - timedelta(days=7), until=world.now
        )
    titles = {event_id: title for title, event_id in world.events.items()}
    return {titles[item.event_id]: item.reminders for item in found}


@pytest.mark.parametrize("sweep", [False, True], ids=["each event joined", "one pass"])
def test_it_counts_a_push_connected_subscription_whatever_app_fetched_its_feed(
    database: Database, world: World, monkeypatch: pytest.MonkeyPatch, sweep: bool
) -> None:
    if sweep:
        monkeypatch.setattr(reminders, "SWEEP_FROM", 1)
    # Match (Team I): s1, s3. Final (everyone): s1, s3, s5; not s2, whose feed Google Calendar fetches.
    assert _sent(database, world) == {"Match": 2, "Final": 3}
    with database.transaction() as session:
        account_id = session.scalar(select(Subscription.account_id).where(Subscription.id == world.ids["s2"]))
        assert account_id is not None
        session.add(PushConnection(subscription_id=world.ids["s2"], account_id=account_id, provider=Provider.GOOGLE))
    # s2, now written into the calendar by push, gets Final; Match is for Team I only.
    assert _sent(database, world) == {"Match": 2, "Final": 4}
