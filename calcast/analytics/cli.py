from __future__ import annotations

from dataclasses import asdict

import typer

from calcast.analytics import service
from calcast.analytics.service import CalendarStats
from calcast.core.cli import JsonOption, emit, unit_of_work


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _line(title: str, values: dict[str, int], whole: int) -> str:
    shown = ", ".join(f"{name} {count} ({_share(count, whole)})" for name, count in values.items())
    return f"  {title:<12}{shown or '-'}"


def describe(stats: CalendarStats) -> str:
    whole = stats.active
    return "\n".join(
        [
            f"{stats.calendar_code}: {stats.title}",
            f"  subscribers {stats.active} active · +{stats.new} new · -{stats.unsubscribed} unsubscribed"
            f" in the last {stats.days} days",
            f"  engagement  {stats.polled_last_day} polled in the last 24 h ({_share(stats.polled_last_day, whole)})"
            f" · {stats.lapsed} lapsed",
            f"  clicks      {stats.clicked_people} people clicked ({_share(stats.clicked_people, whole)} of active)"
            f" · {stats.clicks} clicks · {stats.bot_clicks} by bots and scanners",
            *(
                f"    {event['title']} ({event['event_id'] or event['kind']}): {event['people']} people,"
                f" {event['clicks']} clicks"
                for event in stats.clicks_by_event
            ),
            f"  consent     opt-in 1 {_share(stats.opt_in1, whole)} · opt-in 2 {_share(stats.opt_in2, whole)}"
            f" · {stats.unmatched_in_crm} not matched in Braze",
            _line("tags", stats.by_tag, whole),
            _line("method", stats.by_method, whole),
            _line("device", stats.by_device, whole),
            _line("app", stats.by_client, whole),
            _line("countries", stats.top_countries, whole),
            _line("sources", stats.top_sources, whole),
            _line("campaigns", stats.top_campaigns, whole),
        ]
    )


def stats(
    account: str,
    calendar: str | None = typer.Argument(None, help="One calendar; default: all of the account's."),
    days: int = typer.Option(30, "--days", min=1, help="The period for new and unsubscribed counts and clicks."),
    as_json: bool = JsonOption,
) -> None:
    """Subscriber numbers per calendar: growth, churn, engagement, clicks, tags, apps, devices, countries, sources."""
    with unit_of_work() as (session, _):
        if calendar is None:
            found = service.account_stats(session=session, account_code=account, days=days)
        else:
            found = [service.calendar_stats(session=session, account_code=account, calendar_code=calendar, days=days)]
        emit(
            [asdict(item) for item in found],
            as_json=as_json,
            human="\n\n".join(describe(item) for item in found) or "No calendars.",
        )
