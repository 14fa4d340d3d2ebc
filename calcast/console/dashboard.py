"""The dashboard's numbers: the analytics service asked for a range and the range before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from calcast.analytics import service as analytics
from calcast.analytics.service import SubscriberCounts
from calcast.console.charts import Chart, bar_chart
from calcast.core.db import utcnow

# range parameter → days it looks back (None: all time). The same windows as `calcast stats ACCOUNT --days N`.
RANGES: dict[str, int | None] = {"1d": 1, "7d": 7, "30d": 30, "all": None}
DEFAULT_RANGE = "7d"
TILES = ("active", "new", "unsubscribed", "lapsed")


@dataclass(frozen=True)
class Tile:
    metric: str
    value: int
    # The change against the previous period of the same length; None for "all time", which has none.
    change: int | None


@dataclass(frozen=True)
class Dashboard:
    range: str
    days: int | None
    tiles: list[Tile]
    chart: Chart


def dashboard(*, session: Session, account_code: str, range_name: str, now: datetime | None = None) -> Dashboard:
    """Tiles (each with its change against the previous period) and the new-vs-unsubscribed chart of a range."""
    days = RANGES.get(range_name, RANGES[DEFAULT_RANGE])
    range_name = range_name if range_name in RANGES else DEFAULT_RANGE
    until = now or utcnow()
    current: SubscriberCounts
    previous: SubscriberCounts | None
    if days is None:
        current = analytics.account_counts(session=session, account_code=account_code, since=None, until=until)
        previous = None
        since = analytics.first_subscription_at(session=session, account_code=account_code) or until
    else:
        since = until - timedelta(days=days)
        current = analytics.account_counts(session=session, account_code=account_code, since=since, until=until)
        previous = analytics.account_counts(
            session=session, account_code=account_code, since=since - timedelta(days=days), until=since
        )
    tiles = [
        Tile(
            metric=metric,
            value=getattr(current, metric),
            change=None if previous is None else getattr(current, metric) - getattr(previous, metric),
        )
        for metric in TILES
    ]
    series = analytics.daily_counts(session=session, account_code=account_code, since=since, until=until)
    return Dashboard(range=range_name, days=days, tiles=tiles, chart=bar_chart(series))
