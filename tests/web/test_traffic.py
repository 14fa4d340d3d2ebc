"""Request metrics per route family on /metrics (summed over processes) and the JSON-lines access log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from calcast.app import create_app
from calcast.core.db import Database
from calcast.web.traffic import Traffic, TrafficCollector
from tests.conftest import Persona, make_settings
from tests.feeds.conftest import World


@pytest.fixture
def world(database: Database, owner: Persona) -> World:
    return World(database, owner)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (labels in any order)."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if found and all(f'{key}="{value}"' in found.group(1) for key, value in labels.items()):
            return float(found.group(2))
    return 0.0


def test_metrics_count_requests_per_route_family_without_tokens(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    for _ in range(3):
        assert client.get(feed.path).status_code == 200
    assert client.get("/webcal/unknown-token").status_code == 404
    assert client.get("/healthz").status_code == 200
    text = client.get("/metrics").text
    assert sample(text, "calcast_http_requests_total", family="feed", method="GET", code="200") == 3
    assert sample(text, "calcast_http_requests_total", family="feed", method="GET", code="404") == 1
    assert sample(text, "calcast_http_requests_total", family="operations", method="GET", code="200") >= 1
    assert sample(text, "calcast_http_request_duration_seconds_bucket", family="feed", le="+Inf") == 4
    assert sample(text, "calcast_http_response_bytes_total", family="feed", method="GET", code="200") > 0
    assert feed.token not in text
    assert "unknown-token" not in text


def test_metrics_add_up_every_process_of_the_server(tmp_path: Path) -> None:
    first, second = (Traffic(metrics_dir=str(tmp_path), access_log=False) for _ in range(2))
    second._file = tmp_path / "other-process.json"  # as another process's pid names its file
    scope = {"type": "http", "method": "GET", "path": "/webcal/secret", "headers": []}
    first.record(scope, 200, 100, 0.002)
    for _ in range(2):
        second.record(scope, 304, 0, 0.0004)
    second.write_file()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrafficCollector(first))
    text = generate_latest(registry).decode()
    assert sample(text, "calcast_http_requests_total", family="feed", code="200") == 1
    assert sample(text, "calcast_http_requests_total", family="feed", code="304") == 2
    assert sample(text, "calcast_http_request_duration_seconds_bucket", family="feed", le="0.001") == 2
    assert sample(text, "calcast_http_request_duration_seconds_bucket", family="feed", le="+Inf") == 3


def test_the_access_log_writes_json_lines_without_secrets(
    database: Database, world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    feed = world.subscribe("fan-1")
    settings = make_settings(database.settings.database_url, access_log=True)
    with TestClient(create_app(settings, database)) as client:
        client.get(feed.path, headers={"User-Agent": "Google-Calendar-Importer"})
        client.get("/manage/0b5c6f1e-0000-4000-8000-000000000001/manage-token-secret")
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    polled = next(line for line in lines if line["family"] == "feed")
    assert polled["path"] == "/webcal/***"
    assert (polled["method"], polled["status"], polled["client"]) == ("GET", 200, "google")
    assert polled["bytes"] > 0
    assert polled["ms"] >= 0
    managed = next(line for line in lines if line["family"] == "manage")
    assert managed["path"] == "/manage/0b5c6f1e-0000-4000-8000-000000000001/***"
    assert feed.token not in json.dumps(lines)
    assert "manage-token-secret" not in json.dumps(lines)
