"""`calcast serve`: the web server (and, on the embedded default, the outbox worker in the same process)."""

from __future__ import annotations

import gc
import os
import tempfile

import typer
import uvicorn
from fastapi import FastAPI

from calcast.app import create_app
from calcast.core.cli import open_database


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
    workers: int = typer.Option(
        0, "--workers", help="Web processes; 0 (the default) starts one per CPU core.", min=0, show_default=False
    ),
) -> None:
    """Serve the API, the feeds and the subscription pages."""
    with open_database():
        pass  # settings checked and, on SQLite, the schema migrated once before the processes start
    # Each process writes its request totals here; /metrics in any of them adds them all up.
    os.environ.setdefault("CALCAST_METRICS_DIR", tempfile.mkdtemp(prefix="calcast-metrics-"))
    uvicorn.run(
        "calcast.server:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or os.cpu_count() or 1,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )
