"""`calcast demo` prints a Braze setup that works: its credential and template deliver an event to a fan."""

from __future__ import annotations

import json
import re
from pathlib import Path

from calcast.core.db import Database
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.brazesim.live_server import serve_calcast
from tests.conftest import Cli
from tests.rokt_api import stored_event


def test_the_demos_braze_setup_delivers_an_event(cli: Cli, database: Database, tmp_path: Path) -> None:
    printed = cli("demo", "--no-serve").stdout
    credential = printed[printed.index("Connected Content > Credentials") :]  # the Braze part, after the console's
    username = re.search(r"username\s+(\S+)", credential)
    password = re.search(r"password\s+(\S+)", credential)
    assert username
    assert password
    assert "name      calcast-api" in printed
    base_url = database.settings.base_url
    assert f"{base_url}/v1/subscriptionevent/{{{{accountCode}}}}" in printed
    assert f"{base_url}/oauth2/token :method post :basic_auth calcast-api" in printed

    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="demo",
            calendar_code="season",
            details=subscriptions.SubscriberDetails(subscriber_id="fan-1"),
        )
        subscription: Subscription = done.subscription
        profile = {
            "external_id": "fan-1",
            "custom_attributes": {
                "rokt:account_code": [f"demo/{subscription.suffix}"],
                "rokt:subscription_id": [subscription.id],
            },
        }
    user = tmp_path / "fan-1.json"
    user.write_text(json.dumps(profile))
    with serve_calcast(database) as url:
        credentials = f"{username.group(1)}:{password.group(1)}"
        result = cli("braze", "send", "new-event", "--user", str(user), "--base-url", url, "--credentials", credentials)
    assert result.stdout.startswith("fan-1: delivered 202"), result.stdout + result.stderr
    assert stored_event(database, "Event_0001_fan-1") is not None
