"""`calcast serve`: the web server (and, on the embedded default, the outbox worker in the same process)."""

from __future__ import annotations

import gc

import typer
import uvicorn
from fastapi import FastAPI

from calcast.app import create_app
from calcast.core.cli import open_database
from calcast.core.config import base_url_defaults_to


def served_app() -> FastAPI:
    """The application as a long-running server process holds it (uvicorn's factory).

    Everything alive once the app is built (modules, routes, models: over 100,000 objects) is moved out of
    the cyclic garbage collector's reach: a full collection then no longer walks them all, which otherwise
    paused every request in flight for about 90 ms each time it ran.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", help="Web processes (PostgreSQL only; SQLite uses one)."),
) -> None:
    """Serve the API, the feeds and the subscription pages."""
    base_url_defaults_to(host, port)
    with open_database() as database:
        if workers > 1 and database.settings.is_sqlite:
            typer.echo("SQLite serves from one process; use PostgreSQL for --workers > 1.", err=True)
            workers = 1
    uvicorn.run(
        "calcast.server:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
