"""`calcast subscription …`: feed URLs and poll telemetry."""

from __future__ import annotations

import typer

from calcast.core.cli import JsonOption, emit, unit_of_work
from calcast.feeds import telemetry
from calcast.subscriptions import service as subscriptions

subscription_app = typer.Typer(help="Subscriptions: feed URLs and poll telemetry.", no_args_is_help=True)


@subscription_app.command("rotate-token")
def rotate_token(subscription_id: str, as_json: bool = JsonOption) -> None:
    """Give a subscription a new feed URL; the old one shows an 'unsubscribed' calendar, then answers 410."""
    with unit_of_work() as (session, settings):
        subscriptions.rotate_feed_token(session=session, settings=settings, subscription_id=subscription_id)
        subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
        result = {
            "subscriptionId": subscription.id,
            "subscriptionUrl": subscriptions.feed_url(settings, subscription),
            "webcalUrl": subscriptions.webcal_url(settings, subscription),
            "graceDays": settings.feed_grace_days,
        }
    emit(
        result,
        as_json=as_json,
        human=(
            f"New feed URL: {result['subscriptionUrl']}\n"
            f"The old URL shows an empty 'unsubscribed' calendar for {settings.feed_grace_days} days, then 410 Gone."
        ),
    )


@subscription_app.command("mark-lapsed")
def mark_lapsed(as_json: bool = JsonOption) -> None:
    """Mark subscriptions lapsed whose feed was not polled for a while now (the worker also does it hourly)."""
    with unit_of_work() as (session, settings):
        marked = telemetry.mark_lapsed(session=session, settings=settings)
    emit({"lapsed": marked}, as_json=as_json, human=f"{marked} subscription(s) newly marked as lapsed.")
