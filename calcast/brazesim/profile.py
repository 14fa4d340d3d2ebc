"""The Braze profile of one person as calcast's sync leaves it: what `calcast braze send --user` reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from calcast.braze import payloads
from calcast.braze.service import facts_of
from calcast.calendars import service as calendars
from calcast.core.errors import NotFound
from calcast.subscriptions import service as subscriptions


def synced_profile(*, session: Session, account_code: str, external_id: str) -> dict[str, Any]:
    """`external_id` and the `rokt:*` arrays Braze holds after calcast synced this person's active subscriptions.

    Replays the sync oldest first: a calendar with the merge flag adds its values (Braze appends what it does not
    hold yet), one without replaces the arrays. Raises NotFound when the person has no active subscription.
    """
    found = [
        subscription
        for calendar in calendars.list_calendars(session=session, account_code=account_code)
        for subscription in subscriptions.find_by_subscriber(
            session=session, account_code=account_code, calendar_code=calendar.code, subscriber_id=external_id
        )
        if subscription.is_active and subscription.subscriber_id == external_id
    ]
    if not found:
        raise NotFound(
            f"{external_id!r} has no active subscription in account {account_code!r}; "
            "subscribe with that external id first (the landing page or POST /v2/subscribe)."
        )
    held: dict[str, list[str]] = {name: [] for name in payloads.ATTRIBUTE_NAMES}
    for subscription in sorted(found, key=lambda item: (item.created_at, item.id)):
        merge = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id).merge_flag
        for name, values in payloads.attribute_values(facts_of(session=session, subscription=subscription)).items():
            held[name] = [*held[name], *(value for value in values if value not in held[name])] if merge else values
    custom = {name: values for name, values in held.items() if values}
    return {"external_id": external_id, "custom_attributes": custom}
