from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from calcast.core.db import Database, utcnow
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli, Persona

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def subscribe(database: Database, subscriber_id: str, **details: Any) -> str:
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id=subscriber_id, **details),
        )
        return done.subscription.id


def test_it_counts_growth_churn_engagement_and_origins(cli: Cli, database: Database, owner: Persona) -> None:
    first = subscribe(
        database,
        "u1",
        tags=["Team I"],
        opt_in1=True,
        capture=capture(user_agent=IPHONE, country_code="AU", utm_source="newsletter", utm_campaign="spring"),
    )
    subscribe(database, "u2", tags=["Team I", "Team II"], capture=capture(user_agent=WINDOWS, country_code="DE"))
    gone = subscribe(database, "u3", capture=capture(user_agent=WINDOWS, referrer="https://www.brand.example/x"))
    old = subscribe(database, "u4", capture=capture(user_agent=WINDOWS))
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=gone)
        subscriptions.deactivate(session=session, subscription=subscription, reason_text="Too many events")
        long_ago = utcnow() - timedelta(days=90)
        session.execute(update(Subscription).where(Subscription.id == old).values(created_at=long_ago))
        session.execute(
            update(Subscription)
            .where(Subscription.id == first)
            .values(last_polled_at=utcnow() - timedelta(hours=2), client_family="apple")
        )
        session.execute(update(Subscription).where(Subscription.id == old).values(lapsed_at=utcnow()))

    done = cli("stats", "owner", "main", "--json")
    assert done.exit_code == 0, done.stderr
    stats = json.loads(done.stdout)[0]
    assert stats["active"] == 3
    assert stats["new"] == 3  # u1, u2 and u3 joined in the last 30 days; u4 long before
    assert stats["unsubscribed"] == 1
    assert stats["lapsed"] == 1
    assert stats["polled_last_day"] == 1
    assert stats["opt_in1"] == 1
    assert stats["by_tag"] == {"All Teams": 1, "Team I": 2, "Team II": 1}
    assert stats["by_device"] == {"Desktop": 2, "iOS": 1}
    assert stats["by_client"] == {"unknown": 2, "apple": 1}
    assert stats["top_countries"] == {"unknown": 1, "AU": 1, "DE": 1}
    assert stats["top_sources"] == {"unknown": 2, "newsletter": 1}
    assert stats["top_campaigns"] == {"unknown": 2, "spring": 1}

    human = cli("stats", "owner").stdout
    assert "subscribers 3 active · +3 new · -1 unsubscribed in the last 30 days" in human
    assert "Team I 2 (67%)" in human


def test_stats_of_an_unknown_calendar_fail_clearly(cli: Cli, owner: Persona) -> None:
    done = cli("stats", "owner", "nope")
    assert done.exit_code == 1
    assert "has no calendar 'nope'" in done.stderr


def test_it_counts_only_the_filtered_subscribers(cli: Cli, database: Database, owner: Persona) -> None:
    subscribe(database, "u1", tags=["Team I"], capture=capture(user_agent=IPHONE, country_code="AU"))
    subscribe(database, "u2", tags=["Team II"], capture=capture(user_agent=WINDOWS, country_code="DE"))
    human = cli("stats", "owner", "--tag", "Team I").stdout
    assert "subscribers 1 active · +1 new" in human
    assert "Team I 1 (100%), Team II 0 (0%)" in human
    # Feed fetches are kept per calendar and app only: under a tag filter they are not counted, not shown as none.
    assert "polls       not counted with this filter" in human
    [germany] = json.loads(cli("stats", "owner", "main", "--country", "DE", "--json").stdout)
    assert (germany["active"], germany["top_countries"], germany["polls"]) == (1, {"DE": 1}, None)
    [unknown] = json.loads(cli("stats", "owner", "main", "--country", "unknown", "--json").stdout)
    assert unknown["active"] == 0
