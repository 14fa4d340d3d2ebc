"""`/metrics`: Prometheus text with the outbox's state, read from the database at each scrape."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from calcast.core.db import Database
from calcast.outbox import service
from calcast.web.traffic import TrafficCollector

router = APIRouter(tags=["operations"])


class OutboxCollector(Collector):
    """Counts by status and kind, and the age of the oldest undelivered message."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.database.sessions() as session:
            counts = service.counts(session=session)
            lag = service.oldest_pending_age_seconds(session=session)
        messages = GaugeMetricFamily(
            "calcast_outbox_messages", "Outbox messages by status and kind.", labels=["status", "kind"]
        )
        for (status, kind), count in sorted(counts.items()):
            messages.add_metric([status, kind], count)
        yield messages
        yield GaugeMetricFamily(
            "calcast_outbox_oldest_pending_age_seconds", "Age of the oldest message not yet delivered.", value=lag
        )


def _registry(request: Request) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(OutboxCollector(request.app.state.database))
        registry.register(TrafficCollector(request.app.state.traffic))
        request.app.state.metrics_registry = registry
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus exposition format."""
    return Response(generate_latest(_registry(request)), media_type=CONTENT_TYPE_LATEST)
