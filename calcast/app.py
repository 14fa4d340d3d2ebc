"""create_app(): the FastAPI application with every front door mounted."""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from calcast import assembly
from calcast import start as start_page
from calcast.accounts import api as accounts_api
from calcast.analytics import api as analytics_api
from calcast.calendars import api as calendars_api
from calcast.console import audiences as console_audiences
from calcast.console import calendars as console_calendars
from calcast.console import events as console_events
from calcast.console import integrations as console_integrations
from calcast.console import pages as console_pages
from calcast.console import subscribers as console_subscribers
from calcast.console.auth import Refusal, refusal_handler
from calcast.core.config import Settings, get_settings
from calcast.core.db import Database
from calcast.core.http import RequestGuard, install_error_handlers
from calcast.engagement import pages as engagement_pages
from calcast.engagement.recorder import ClickRecorder
from calcast.events import api as events_api
from calcast.feeds import api as feeds_api
from calcast.feeds import front as feeds_front
from calcast.feeds.cache import FeedRuntime
from calcast.feeds.front import FeedFront
from calcast.outbox import api as outbox_api
from calcast.outbox.worker import embedded_worker_slot
from calcast.push import api as push_api
from calcast.push import pages as push_pages
from calcast.subscribers import api as subscribers_api
from calcast.subscriptions import api as subscriptions_api
from calcast.subscriptions import pages as subscription_pages
from calcast.timezones import api as timezones_api
from calcast.web import api as web_api
from calcast.web.templating import static_files
from calcast.web.traffic import App, Traffic, TrafficWriter


@contextmanager
def running(writer: TrafficWriter | ClickRecorder) -> Iterator[None]:
    """A background writer started while the app serves, stopped (writing what it still holds) after."""
    writer.start()
    try:
        yield
    finally:
        writer.stop()


class CalcastApp(FastAPI):
    """FastAPI, with feed polls (nearly all of the traffic) answered before the framework by `feeds.front`."""

    feed_front: FeedFront
    traffic: Traffic
    observed: App  # dispatch, counted by `traffic`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.observed(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and feeds_front.handles(scope):
            await self.feed_front(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, database: Database | None = None) -> CalcastApp:
    """The application; tests pass their own settings or database."""
    settings = settings or get_settings()
    database = database or assembly.database(settings)
    feed_runtime = FeedRuntime.create(settings.feed_cache_bytes)
    clicks = ClickRecorder(sessions=database.sessions, settings=settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        database.ensure_schema()
        with ExitStack() as stack:
            stack.enter_context(running(TrafficWriter(app.traffic)))
            stack.enter_context(feeds_front.running(database, feed_runtime))
            stack.enter_context(running(clicks))
            if settings.run_worker_in_server:
                worker = functools.partial(assembly.worker, database, name=f"embedded:{os.getpid()}")
                stack.enter_context(embedded_worker_slot(worker, database.settings))
            yield

    app = CalcastApp(
        title="calcast",
        summary="Calendar marketing: per-subscriber iCalendar feeds, a Rokt Calendar compatible API, Braze sync.",
        version="0.1.0",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.feed_runtime = feed_runtime
    app.state.clicks = clicks
    app.feed_front = FeedFront(database=database, runtime=feed_runtime)
    app.traffic = app.state.traffic = Traffic(metrics_dir=settings.metrics_dir, access_log=settings.access_log)
    app.observed = app.traffic.wrap(app.dispatch)
    install_error_handlers(app)
    app.add_exception_handler(Refusal, refusal_handler)
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.console_upload_max_bytes,
        upload_path=console_audiences.UPLOAD_PATH,
    )
    # Routers: one line per front door.
    app.include_router(web_api.router)
    app.include_router(start_page.router)
    app.include_router(feeds_api.router)
    app.include_router(accounts_api.router)
    app.include_router(events_api.router)
    app.include_router(push_api.router)
    app.include_router(subscriptions_api.router)
    app.include_router(subscribers_api.router)
    app.include_router(timezones_api.router)
    app.include_router(calendars_api.router)
    app.include_router(analytics_api.router)
    app.include_router(outbox_api.router)
    app.include_router(engagement_pages.router)
    app.include_router(console_audiences.router)
    app.include_router(console_subscribers.router)
    app.include_router(console_pages.router)
    app.include_router(console_calendars.router)
    app.include_router(console_events.router)
    app.include_router(console_integrations.router)
    app.include_router(push_pages.router)
    app.mount("/static", static_files(), name="static")
    # Last: its /{accountCode}/{calendarCode} would shadow the two-segment paths above.
    app.include_router(subscription_pages.router)
    return app
