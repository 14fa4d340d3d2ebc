"""90 days of believable history for the demo calendar, so that the console's charts and numbers show something.

Subscriptions made over the last 90 days (more on weekends and after each match, from a few sources, apps,
devices and countries), some of them ended or lapsed, their feed polls, matches with reminders, and clicks on the
matches' links by some of the subscribers (and a few by link scanners). Written once (the rows carry subscriber
ids `history-…`), in bulk, then rolled up as the worker would; the numbers come out the same on every run of the
same day because the generator is seeded.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from calcast.analytics import rollups
from calcast.calendars import service as calendars
from calcast.calendars.models import BroadcastEvent, Tag
from calcast.core.db import new_uuid, utcnow
from calcast.engagement.models import Click
from calcast.feeds.models import FeedPoll
from calcast.subscriptions.models import Subscription, subscription_tags

DAYS = 90
PREFIX = "history-"
SOURCES = (("newsletter", "spring-mailing"), ("website", None), ("instagram", "matchday"), ("app", None))
APPS = (("apple", "iOS"), ("apple", "macOS"), ("google", "Android"), ("outlook", "Desktop"), ("icsx5", "Android"))
COUNTRIES = (("DE", "Germany"), ("AT", "Austria"), ("CH", "Switzerland"), ("GB", "United Kingdom"))
METHODS = ("WebCal", "WebCal", "Google", "Microsoft")


@dataclass(frozen=True)
class History:
    subscriptions: int
    ended: int
    polls: int
    clicks: int


def fill_history(*, session: Session, account_code: str, calendar_code: str, now: datetime | None = None) -> History:
    """Write the history once (a second call finds it and writes nothing); returns what there is."""
    moment = now or utcnow()
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    mine = Subscription.subscriber_id.like(f"{PREFIX}%")
    existing = session.scalar(select(func.count()).where(Subscription.calendar_id == calendar.id, mine))
    if not existing:
        _write(session, calendar.account_id, calendar.id, moment)
        rollups.roll_up(transaction=lambda: _same(session), now=moment)
    count, ended = session.execute(
        select(func.count(), func.count(Subscription.deactivated_at)).where(
            Subscription.calendar_id == calendar.id, mine
        )
    ).one()
    polls = session.scalar(
        select(func.coalesce(func.sum(FeedPoll.polls), 0)).where(FeedPoll.calendar_id == calendar.id)
    )
    clicks = session.scalar(select(func.count()).select_from(Click).where(Click.calendar_id == calendar.id))
    return History(subscriptions=int(count), ended=int(ended), polls=int(polls or 0), clicks=int(clicks or 0))


class _same:  # noqa: N801 - used as a function: the demo's own transaction as the rollup's "transaction"
    """The session already open, for `rollups.roll_up` (which opens one transaction per day)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *_: object) -> None:
        self.session.flush()


def _write(session: Session, account_id: str, calendar_id: str, now: datetime) -> None:
    rng = random.Random(f"{calendar_id}:{now.date()}")  # noqa: S311 - demo data, not a secret
    today = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    start = today - timedelta(days=DAYS)
    tags = list(session.execute(select(Tag.id, Tag.name).where(Tag.calendar_id == calendar_id).order_by(Tag.position)))
    # A match every five days with a reminder an hour before; its link is what people click.
    matches: list[tuple[str, datetime, str]] = []
    for number, day in enumerate(range(DAYS - 2, 0, -5)):
        kickoff = today - timedelta(days=day) + timedelta(hours=18 + number % 3)
        event_id = new_uuid()
        url = f"https://tickets.demo.example/matchday-{number + 1}"
        session.execute(
            insert(BroadcastEvent).values(
                id=event_id,
                calendar_id=calendar_id,
                event_key=f"{PREFIX}match-{number + 1}",
                title=f"Matchday {number + 1}",
                url=url,
                location="Demo Arena",
                start_at=kickoff,
                end_at=kickoff + timedelta(hours=2),
                timezone="Europe/Berlin",
                all_day=False,
                notify_before=60,
                sequence=0,
                created_at=start,
                updated_at=start,
            )
        )
        matches.append((event_id, kickoff, url))
    subscriptions: list[dict[str, object]] = []
    chosen_tags: list[dict[str, object]] = []
    polls: list[dict[str, object]] = []
    clicks: list[dict[str, object]] = []
    number = 0
    for day in range(DAYS):
        date_start = start + timedelta(days=day)
        after_match = any(
            timedelta(0) <= date_start - kickoff.replace(hour=0) <= timedelta(days=1) for _, kickoff, _ in matches
        )
        base = 10 + day // 6 + (8 if date_start.weekday() >= 5 else 0) + (12 if after_match else 0)
        for _ in range(rng.randint(base // 2, base)):
            number += 1
            made = date_start + timedelta(minutes=rng.randint(6 * 60, 23 * 60))
            if made >= now:
                continue
            family, device = rng.choices(APPS, weights=(5, 1, 3, 2, 1))[0]
            source, campaign = rng.choices(SOURCES, weights=(4, 3, 2, 1))[0]
            country, country_name = rng.choices(COUNTRIES, weights=(6, 2, 2, 1))[0]
            ended = made + timedelta(days=rng.uniform(1, 60)) if rng.random() < 0.12 else None
            if ended is not None and ended >= now:
                ended = None
            last = min(ended or now, now - timedelta(minutes=rng.randint(5, 600)))
            # A subscription lapses after weeks without a fetch, so only one made before that.
            lapsed = rng.random() < 0.05 and ended is None and made < now - timedelta(days=15)
            if lapsed:
                last = max(made, now - timedelta(days=rng.randint(15, 40)))
            subscription_id = new_uuid()
            subscriptions.append(
                {
                    "id": subscription_id,
                    "account_id": account_id,
                    "calendar_id": calendar_id,
                    "suffix": secrets.token_hex(6),
                    "subscriber_id": f"{PREFIX}{number}",
                    "method": "Google" if family == "google" else rng.choice(METHODS[:2] + METHODS[3:]),
                    "action_type": "SubscriptionViaCalendarPage",
                    "device": device,
                    "country_code": country,
                    "country_name": country_name,
                    "source": source,
                    "utm_source": source,
                    "utm_campaign": campaign,
                    "opt_in1": rng.random() < 0.4,
                    "opt_in2": rng.random() < 0.15,
                    "crm_status": "matched",
                    "created_at": made,
                    "updated_at": made,
                    "deactivated_at": ended,
                    "deactivation_reason_id": "too_many" if ended else None,
                    "client_family": family,
                    "last_polled_at": last if last > made else None,
                    "poll_count": 0,
                    "lapsed_at": now - timedelta(days=1) if lapsed else None,
                }
            )
            picked = [tags[0]] + [tag for tag in tags[1:] if rng.random() < 0.4]
            chosen_tags.extend({"subscription_id": subscription_id, "tag_id": tag_id} for tag_id, _ in picked)
            # Calendar apps fetch a few times a day (Google about once): one row per two days with their fetches.
            moment = made + timedelta(hours=1)
            fetched = 0
            while moment < last:
                polls.append(
                    {
                        "subscription_id": subscription_id,
                        "calendar_id": calendar_id,
                        "client_family": family,
                        "polled_at": moment,
                        "polls": (count := 2 if family == "google" else rng.randint(6, 24)),
                    }
                )
                fetched += count
                moment += timedelta(days=2, minutes=rng.randint(-90, 90))
            subscriptions[-1]["poll_count"] = fetched
            for event_id, kickoff, url in matches:
                if made < kickoff < (ended or now) and kickoff < now and rng.random() < 0.04:
                    clicked = kickoff - timedelta(minutes=rng.randint(20, 55))
                    bot = rng.random() < 0.1
                    clicks.append(
                        {
                            "subscription_id": subscription_id,
                            "calendar_id": calendar_id,
                            "event_kind": "broadcast",
                            "event_id": event_id,
                            "link": url,
                            "clicked_at": clicked,
                            "client_family": family,
                            "is_bot": bot,
                            "bot_reason": "head" if bot else None,
                        }
                    )
    # Core inserts (executemany), not the ORM's bulk path: a tenth of the time for these many rows.
    connection = session.connection()
    connection.execute(insert(Subscription), subscriptions)
    connection.execute(insert(subscription_tags), chosen_tags)
    connection.execute(insert(FeedPoll), polls)
    if clicks:
        connection.execute(insert(Click), clicks)
