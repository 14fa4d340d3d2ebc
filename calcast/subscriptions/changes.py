"""What the subscriptions feature announces when a subscription changes (see `calcast.core.changes`).

Consumers read the subscription as the change left it, before the session is flushed: the values a change
replaced are still in the session's attribute history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from calcast.core.changes import Change
from calcast.subscriptions.models import Subscription


@dataclass(frozen=True)
class SubscriptionChange(Change):
    subscription: Subscription


@dataclass(frozen=True)
class SubscriptionCreated(SubscriptionChange):
    """A person subscribed."""


@dataclass(frozen=True)
class SubscriptionChanged(SubscriptionChange):
    """Tags, method, e-mail or opt-ins of an active subscription changed."""


@dataclass(frozen=True)
class SubscriptionEnded(SubscriptionChange):
    """The subscription was deactivated (unsubscribe page, API, CLI or lapse of a push grant)."""


@dataclass(frozen=True)
class SubscriptionLapsed(Change):
    """The subscription's feed was not polled for its client family's lapse days; it stays active.

    Not a `SubscriptionChange`: lapse marking is one bulk update, so the record names the subscription by id.
    """

    subscription_id: str
    lapsed_at: datetime
