"""Scale-out under faults, shortly: bench/scale's run for half a minute (the benchmark runs it for ten).

Two web processes behind one port, two workers, a private PostgreSQL restarted once, Redis, a Braze stand-in
answering after 50 ms; one web process and one worker SIGKILLed. Everything accepted must arrive: personal
events in their subscribers' feeds, subscriptions and unsubscriptions in Braze, webhooks at the receiver or
visible as failed; no 5xx but a 503 with Retry-After while the database restarts.
"""

from __future__ import annotations

import glob
import shutil

import pytest

from bench.scale.harness import Plan, run, tables
from tests.conftest import BACKENDS

pytestmark = pytest.mark.slow


def test_a_deployment_loses_nothing_when_processes_die_and_the_database_restarts() -> None:
    if "postgresql" not in BACKENDS:
        pytest.skip("the scale run needs PostgreSQL, and CALCAST_TEST_BACKENDS leaves it out")
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("redis-server") is None:
        pytest.skip("the scale run needs PostgreSQL's server binaries and redis-server (scripts/prepare-tests)")
    plan = Plan(
        seconds=24,
        seeded=20,
        feed_polls_per_second=15,
        events_per_second=2,
        subscribes_per_second=1,
        unsubscribes_per_second=0.5,
        drain_timeout_seconds=60,
    )

    report = run(plan, log=lambda _text: None)

    shown = tables(report) + "\n" + report.logs
    assert [window.name for window in report.observed.faults] == [
        "SIGKILL a web process",
        "SIGKILL a worker, start it again",
        "restart PostgreSQL",
    ], shown
    assert "replaced by" in report.observed.faults[0].note, shown  # uvicorn's supervisor started another
    assert not report.violations, shown
    assert all(passed for _, passed, _ in report.reconciliation), shown
    # The load did what it says: every kind of request was answered, and people came and went.
    routes = {sample.route for sample in report.observed.samples if sample.status is not None}
    assert {"GET feed", "POST personal event", "POST landing page (subscribe)", "POST unsubscribe"} <= routes, shown
    assert report.observed.accepted_events, shown
    assert report.observed.subscribed, shown
    assert report.observed.unsubscribed, shown
