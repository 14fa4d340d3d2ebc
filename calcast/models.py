"""Every table, imported in one place so that migrations and tests see the whole schema."""

from calcast.accounts.models import Account, OAuthClient
from calcast.analytics.models import (
    ClickDay,
    PollDay,
    ReminderDay,
    ReminderValueDay,
    RollupDay,
    SubscriptionDay,
    SubscriptionFilterDay,
    SubscriptionValueDay,
)
from calcast.audiences.models import Audience, AudienceMember
from calcast.calendars.models import BroadcastEvent, Calendar, CalendarSource, Tag
from calcast.console.models import ConsoleMembership, ConsoleSession, ConsoleUser
from calcast.core.db import Base
from calcast.engagement.models import Click, FirstClick
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.feeds.models import FeedPoll, FeedState
from calcast.outbox.models import OutboxMessage
from calcast.push.models import PushConnection, PushedEvent
from calcast.subscriptions.models import FeedToken, Subscription
from calcast.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "Audience",
    "AudienceMember",
    "Base",
    "BroadcastEvent",
    "Calendar",
    "CalendarSource",
    "Click",
    "ClickDay",
    "ConsoleMembership",
    "ConsoleSession",
    "ConsoleUser",
    "FeedPoll",
    "FeedState",
    "FeedToken",
    "FirstClick",
    "OAuthClient",
    "OutboxMessage",
    "PersonalEvent",
    "PersonalEventTarget",
    "PollDay",
    "PushConnection",
    "PushedEvent",
    "ReminderDay",
    "ReminderValueDay",
    "RollupDay",
    "Subscription",
    "SubscriptionDay",
    "SubscriptionFilterDay",
    "SubscriptionValueDay",
    "Tag",
    "WebhookDelivery",
    "WebhookEndpoint",
]
