"""GET /v2/stats: the numbers of `calcast stats --json` over HTTP, for the dashboard's ranges and filters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from calcast.accounts.auth import AccountClient
from calcast.analytics import service
from calcast.analytics.periods import RANGES, Filters, Period, parse_day
from calcast.analytics.service import CalendarStats
from calcast.core.http import SessionDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute

router = APIRouter(tags=["analytics"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

DEFAULT_RANGE = "30d"  # as `calcast stats` without --range


def _filter(description: str) -> Any:
    return Query(max_length=255, description=f"{description}; `unknown`: where it was not captured.")


@dataclass(frozen=True)
class StatsQuery:
    """The range and filters asked for, as the dashboard's GET parameters name them."""

    range: str
    start: str | None
    end: str | None
    filters: Filters


def stats_query(
    range_name: Annotated[
        str, Query(alias="range", max_length=32, description=f"One of {', '.join(RANGES)} (UTC days).")
    ] = DEFAULT_RANGE,
    start: Annotated[
        str | None, Query(max_length=32, description="With range=custom: the first day, YYYY-MM-DD.")
    ] = None,
    end: Annotated[
        str | None, Query(max_length=32, description="With range=custom: the last day, YYYY-MM-DD (included).")
    ] = None,
    tag: Annotated[str | None, _filter("Only subscriptions with this tag (a tag name)")] = None,
    source: Annotated[str | None, _filter("Only subscriptions from this source")] = None,
    app: Annotated[str | None, _filter("Only subscriptions of this calendar app (client family)")] = None,
    device: Annotated[str | None, _filter("Only subscriptions from this device")] = None,
    country: Annotated[str | None, _filter("Only subscriptions from this country (ISO code)")] = None,
    method: Annotated[str | None, _filter("Only subscriptions made with this method")] = None,
) -> StatsQuery:
    def chosen(value: str | None) -> str | None:
        return (value or "").strip() or None

    return StatsQuery(
        range=range_name.strip() or DEFAULT_RANGE,
        start=chosen(start),
        end=chosen(end),
        filters=Filters(
            tag=chosen(tag),
            source=chosen(source),
            app=chosen(app),
            device=chosen(device),
            country=chosen(country),
            method=chosen(method),
        ),
    )


StatsQueryDep = Annotated[StatsQuery, Depends(stats_query)]


def _period(session: Session, account_code: str, query: StatsQuery) -> Period:
    return service.account_period(
        session=session,
        account_code=account_code,
        name=query.range,
        start=parse_day(query.start, "start") if query.start else None,
        end=parse_day(query.end, "end") if query.end else None,
    )


@router.get("/v2/stats/{accountCode}", response_model=list[CalendarStats])
def account_stats(
    caller: AccountClient,
    session: SessionDep,
    query: StatsQueryDep,
    calendar: Annotated[str | None, Query(max_length=64, description="Only this calendar (a calendar code).")] = None,
) -> list[dict[str, Any]]:
    """Every calendar's numbers over the range, of the subscriptions that meet the filters: `calcast stats ACCOUNT
    --json`, entry for entry. An account's total is the sum of its calendars (engagement: people who clicked over
    active subscribers)."""
    period = _period(session, caller.account_code, query)
    filters = replace(query.filters, calendar=(calendar or "").strip() or None)
    found = service.account_stats(session=session, account_code=caller.account_code, period=period, filters=filters)
    return [item.as_json() for item in found]


@router.get("/v2/stats/{accountCode}/{calendarCode}", response_model=CalendarStats)
def calendar_stats(
    calendar_code: Annotated[str, Path(alias="calendarCode", max_length=64)],
    caller: AccountClient,
    session: SessionDep,
    query: StatsQueryDep,
) -> dict[str, Any]:
    """One calendar's numbers over the range, of the subscriptions that meet the filters: the entry `calcast stats
    ACCOUNT CALENDAR --json` prints."""
    period = _period(session, caller.account_code, query)
    found = service.calendar_stats(
        session=session,
        account_code=caller.account_code,
        calendar_code=calendar_code,
        period=period,
        filters=query.filters,
    )
    return found.as_json()
