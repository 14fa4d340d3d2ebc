"""The seed page's Braze webhook templates, unchanged but for the host, work against calcast.

The templates (tests/events/seed/, copied verbatim from the Braze partner page) are rendered with python-liquid
after rewriting Braze's `${…}` references to plain variables; the Connected Content token call is made over
HTTP exactly as Braze makes it (Basic credentials, form body grant_type=client_credentials).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from liquid import Environment, StrictUndefined

from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import stored_event, subscribe, targets_of

SEED = Path(__file__).parent / "seed"
ROKT_HOST = "https://api.roktcalendar.com"
CONNECTED_CONTENT = re.compile(r"\{%\s*connected_content\s+(?P<url>\S+)(?P<options>.*?)%\}")


def braze_rewrite(template: str) -> str:
    """Braze's reference syntax as plain Liquid: custom attributes and ${user_id} become variables."""
    template = re.sub(
        r"\{\{\s*custom_attribute\.\$\{rokt:(\w+)\}\s*\}\}(?=[^{]*%\})", r"rokt_\1", template
    )  # {{…}} nested inside a tag
    template = re.sub(r"custom_attribute\.\$\{rokt:(\w+)\}", r"rokt_\1", template)
    return re.sub(r"\$\{(\w+)\}", r"\1", template)


def render(name: str, client: TestClient, persona: Persona, profile: dict[str, Any], base_url: str) -> str:
    source = braze_rewrite((SEED / name).read_text(encoding="utf-8")).replace(ROKT_HOST, base_url)
    context = dict(profile)
    match = CONNECTED_CONTENT.search(source)
    if match:
        options = match.group("options")
        assert ":method post" in options
        assert ":basic_auth" in options
        body = re.search(r":body (\S+)", options)
        assert body is not None
        response = client.post(
            urlsplit(match.group("url")).path,
            content=body.group(1),
            auth=persona.basic_auth,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200, response.text
        context["token"] = response.json()
        source = CONNECTED_CONTENT.sub("", source)
    return Environment(undefined=StrictUndefined).from_string(source).render(**context).strip()


def change_captures(template: str, **captures: str) -> str:
    for name, value in captures.items():
        template = re.sub(rf"(\{{% capture {name} %\}}).*?(\{{% endcapture %\}})", rf"\g<1>{value}\g<2>", template)
    return template


def send(client: TestClient, url: str, authorization: str, body: str) -> Any:
    headers = [(b"authorization", authorization.encode()), (b"content-type", b"application/json")]
    return client.post(urlsplit(url).path, content=body.encode(), headers=headers)


@pytest.mark.parametrize("header_language", ["German page as printed (Träger)", "English original (Bearer)"])
def test_the_seed_new_and_update_templates_create_then_replace_the_event(
    client: TestClient, database: Database, owner: Persona, header_language: str
) -> None:
    first, second = subscribe(database, owner, "ext-42"), subscribe(database, owner, "ext-42-tablet")
    profile = {
        "user_id": "ext-42",
        "rokt_account_code": ["owner/f5733866ade2", "owner/ff10919f1078"],
        "rokt_subscription_id": [first, second],
    }
    base_url = "http://testserver"
    authorization = render("authorization_header.liquid", client, owner, profile, base_url)
    if header_language.startswith("English"):
        authorization = authorization.replace("Träger", "Bearer")
    assert authorization.split()[0] in {"Träger", "Bearer"}

    url = render("new_event_url.liquid", client, owner, profile, base_url)
    assert url == f"{base_url}/v1/subscriptionevent/owner"
    body = render("new_event_body.liquid", client, owner, profile, base_url)
    response = send(client, url, authorization, body)
    assert response.status_code == 202, response.text
    assert response.json()["attached"] == 2
    event = stored_event(database, "Event_0001_ext-42")
    assert event is not None
    assert event.title == "Event Title"
    assert event.start_at == datetime(2019, 2, 21, 20, 0, tzinfo=UTC)  # 15:00 EST
    assert event.end_at == event.start_at
    assert event.notify_before == 15
    assert targets_of(database, "Event_0001_ext-42") == {first, second}

    update_source = change_captures(
        (SEED / "update_event_body.liquid").read_text(encoding="utf-8"),
        eventTitle="Sale moved",
        eventStart="2019-02-22T09:00:00",
        eventEnd="2019-02-22T10:00:00",
    )
    update_url = render("update_event_url.liquid", client, owner, profile, base_url)
    assert update_url == f"{base_url}/v1/subscriptionevent/owner/update"
    update_body = braze_rewrite(update_source)
    rendered = Environment(undefined=StrictUndefined).from_string(update_body).render(**profile).strip()
    response = send(client, update_url, authorization, rendered)
    assert response.status_code == 202, response.text
    event = stored_event(database, "Event_0001_ext-42")
    assert event is not None
    assert event.title == "Sale moved"
    assert event.start_at == datetime(2019, 2, 22, 14, 0, tzinfo=UTC)
    assert event.end_at == datetime(2019, 2, 22, 15, 0, tzinfo=UTC)
    assert event.sequence == 1
    assert targets_of(database, "Event_0001_ext-42") == {first, second}

    # Braze retries and double renders: the same update again leaves the same SEQUENCE.
    assert send(client, update_url, authorization, rendered).json()["sequence"] == 1


def test_a_user_without_subscriptions_renders_an_empty_id_and_is_refused_clearly(
    client: TestClient, database: Database, owner: Persona
) -> None:
    profile = {"user_id": "ext-7", "rokt_account_code": ["owner/f5733866ade2"], "rokt_subscription_id": []}
    authorization = render("authorization_header.liquid", client, owner, profile, "http://testserver")
    body = render("new_event_body.liquid", client, owner, profile, "http://testserver")
    assert '"subscriptionIds": [""]' in body
    response = send(client, "http://testserver/v1/subscriptionevent/owner", authorization, body)
    assert response.status_code == 422
    assert "subscriptionIds" in response.json()["Reason"]
