from __future__ import annotations

import typer

from calcast.analytics import rollups, service
from calcast.analytics.periods import RANGES, Filters, last_days, parse_day
from calcast.analytics.service import CalendarStats
from calcast.core.cli import JsonOption, command_errors, emit, open_database, unit_of_work
from calcast.core.db import utcnow


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _line(title: str, values: dict[str, int], whole: int) -> str:
    shown = ", ".join(f"{name} {count} ({_share(count, whole)})" for name, count in values.items())
    return f"  {title:<12}{shown or '-'}"


def _period_words(stats: CalendarStats) -> str:
    if stats.period.endswith("d") and stats.period[:-1].isdigit():
        return f"in the last {stats.period[:-1]} days"
    return f"from {stats.since[:10]} to {stats.until[:16].replace('T', ' ')} UTC ({stats.period})"


def describe(stats: CalendarStats) -> str:
    whole = stats.active
    if stats.polls is None:
        polls = "not counted with this filter (kept per calendar and app only)"
    else:
        polls = ", ".join(f"{name} {count}" for name, count in stats.polls.items()) or "-"
    return "\n".join(
        [
            f"{stats.calendar_code}: {stats.title}",
            f"  subscribers {stats.active} active · +{stats.new} new · -{stats.unsubscribed} unsubscribed"
            f" {_period_words(stats)} · {stats.lapsed} lapsed",
            f"  reminders   {stats.reminders_sent} sent",
            f"  engagement  {_percent(stats.engagement)} of active subscribers clicked a link",
            f"  clicks      {stats.clicked_people} people clicked ({_share(stats.clicked_people, whole)} of active)"
            f" · {stats.clicks} clicks · {stats.bot_clicks} by bots and scanners",
            *(
                f"    {event['title']} ({event['event_id'] or event['kind']}): {event['people']} people"
                f" ({_percent(event['engagement'])}), {event['clicks']} clicks, {event['reminders']} reminders"
                for event in stats.clicks_by_event
            ),
            f"  polls       {polls} · {stats.polled_last_day} subscribers polled in the last 24 h"
            f" ({_share(stats.polled_last_day, whole)})",
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
    days: int = typer.Option(30, "--days", min=1, help="The last N UTC days, today included (as the range 30d)."),
    range_name: str | None = typer.Option(
        None, "--range", help=f"One of {', '.join(RANGES)} (the console's ranges); overrides --days."
    ),
    start: str | None = typer.Option(None, "--from", help="With --range custom: the first day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--to", help="With --range custom: the last day, YYYY-MM-DD (included)."),
    tag: str | None = typer.Option(None, "--tag", help="Only subscriptions with this tag (a tag name)."),
    source: str | None = typer.Option(None, "--source", help="Only subscriptions from this source."),
    app: str | None = typer.Option(None, "--app", help="Only subscriptions of this calendar app (client family)."),
    device: str | None = typer.Option(None, "--device", help="Only subscriptions from this device."),
    country: str | None = typer.Option(None, "--country", help="Only subscriptions from this country (ISO code)."),
    method: str | None = typer.Option(None, "--method", help="Only subscriptions made with this method."),
    as_json: bool = JsonOption,
) -> None:
    """Subscriber numbers per calendar: growth, churn, reminders sent, engagement, polls, apps, devices, sources.

    The filters are the dashboard's; "unknown" selects the subscriptions where the value was not captured.
    """
    filters = Filters(tag=tag, source=source, app=app, device=device, country=country, method=method)
    with unit_of_work() as (session, _):
        if range_name is None:
            chosen = last_days(days, now=utcnow())
        else:
            chosen = service.account_period(
                session=session,
                account_code=account,
                name=range_name,
                start=parse_day(start, "--from") if start else None,
                end=parse_day(end, "--to") if end else None,
            )
        if calendar is None:
            found = service.account_stats(session=session, account_code=account, period=chosen, filters=filters)
        else:
            found = [
                service.calendar_stats(
                    session=session, account_code=account, calendar_code=calendar, period=chosen, filters=filters
                )
            ]
        emit(
            [item.as_json() for item in found],
            as_json=as_json,
            human="\n\n".join(describe(item) for item in found) or "No calendars.",
        )


def rollup(
    since: str | None = typer.Option(
        None, "--since", help="Roll up every ended day from this one (YYYY-MM-DD) again, e.g. after an import."
    ),
) -> None:
    """Write the daily rollups (polls, reminders sent, clicks) of every ended day that needs it, and today's
    reminders so far, as the workers do."""
    with command_errors(), open_database() as database:
        first = parse_day(since, "--since") if since else None
        done = rollups.roll_up(transaction=database.transaction, since=first)
        today = rollups.roll_up_today(transaction=database.transaction)
        typer.echo(f"Rolled up {done} day(s), and the reminders of {today} event(s) triggered today.")
