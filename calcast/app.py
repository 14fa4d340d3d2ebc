"""create_app(): the FastAPI application with every front door mounted."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from calcast import assembly
from calcast import start as start_page
from calcast.accounts import api as accounts_api
from calcast.calendars import api as calendars_api
from calcast.console import pages as console_pages
from calcast.console.auth import Refusal, refusal_handler
from calcast.core.config import Settings, get_settings
from calcast.core.db import Database
from calcast.core.http import RequestGuard, install_error_handlers
from calcast.events import api as events_api
from calcast.feeds import api as feeds_api
from calcast.outbox import api as outbox_api
from calcast.outbox.worker import embedded_worker
from calcast.subscribers import api as subscribers_api
from calcast.subscriptions import api as subscriptions_api
from calcast.subscriptions import pages as subscription_pages
from calcast.timezones import api as timezones_api
from calcast.web import api as web_api
from calcast.web.templating import static_files


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application; tests pass their own settings or database."""
    settings = settings or get_settings()
    database = database or assembly.database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        database.ensure_schema()
        if not settings.run_worker_in_server:
            yield
            return
        with embedded_worker(assembly.worker(database, name=f"embedded:{os.getpid()}")):
            yield

    app = FastAPI(
        title="calcast",
        summary="Calendar marketing: per-subscriber iCalendar feeds, a Rokt Calendar compatible API, Braze sync.",
        version="0.1.0",
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.database = database
    app.state.settings = settings
    install_error_handlers(app)
    app.add_exception_handler(Refusal, refusal_handler)
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes)
    # Routers: one line per front door.
    app.include_router(web_api.router)
    app.include_router(start_page.router)
    app.include_router(feeds_api.router)
    app.include_router(accounts_api.router)
    app.include_router(events_api.router)
    app.include_router(subscriptions_api.router)
    app.include_router(subscribers_api.router)
    app.include_router(timezones_api.router)
    app.include_router(calendars_api.router)
    app.include_router(outbox_api.router)
    app.include_router(console_pages.router)
    app.mount("/static", static_files(), name="static")
    # Last: its /{accountCode}/{calendarCode} would shadow the two-segment paths above.
    app.include_router(subscription_pages.router)
    return app
