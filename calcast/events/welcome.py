"""The welcome event: a personal event put into a new subscriber's feed right after subscribing.

The calendar says what it is (`calcast calendar update … --welcome-title`); this consumer of `SubscriptionCreated`
attaches it to that one subscription through the personal-event service, in the subscribe's transaction. Its eventId
is derived from the subscription, so the same subscription never gets it twice. Its times are UTC instants
(subscription time + N minutes) and it is shown in UTC: calendar apps display it in the subscriber's own zone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.events import service as events
from calcast.subscriptions.changes import SubscriptionCreated


def welcome_event_id(subscription_id: str) -> str:
    """The eventId of a subscription's welcome event."""
    return f"welcome-{subscription_id}"


def on_subscription_created(session: Session, change: SubscriptionCreated) -> None:
    """Attach the calendar's welcome event, if it has one, to the new subscription."""
    subscription = change.subscription
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    welcome = calendars.welcome_event(calendar)
    if welcome is None:
        return
    start = subscription.created_at + timedelta(minutes=welcome.after_minutes)
    end = start + timedelta(minutes=welcome.duration_minutes)
    events.push_event(
        session=session,
        account_id=subscription.account_id,
        event=events.PersonalEventInput(
            event_id=welcome_event_id(subscription.id),
            title=welcome.title,
            description=welcome.description,
            url=welcome.url,
            start=start.isoformat(),
            end=end.isoformat(),
            timezone="UTC",
        ),
        subscription_ids=[subscription.id],
    )
