"""The signed landing link of docs/braze.md, rendered by the Braze simulator, is one calcast's landing page trusts."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from calcast.accounts import service as accounts
from calcast.brazesim.liquid import BrazeEnvironment, BrazeUser
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona

DOCS = Path(__file__).resolve().parents[2] / "docs" / "braze.md"
LINK = (
    "https://calendar.example.com/{accountCode}/{calendarCode}?external_id={{${user_id} | url_param_escape}}"
    "&sig={{${user_id} | hmac_sha256_hex: 'YOUR_LINK_KEY'}}"
)


def test_the_documented_link_is_the_one_rendered_here() -> None:
    assert LINK in DOCS.read_text(encoding="utf-8")


def test_a_link_signed_in_braze_liquid_identifies_the_subscriber(
    client: TestClient, database: Database, owner: Persona
) -> None:
    with database.transaction() as session:
        key = accounts.create_link_key(session=session, cipher=Cipher(database.settings.secret_key), code="owner")
    source = LINK.replace("{accountCode}/{calendarCode}", "owner/main").replace("YOUR_LINK_KEY", key)
    url = urlsplit(BrazeEnvironment().render_field(source, BrazeUser.from_export({"external_id": "crm 42/&ä"})))
    assert re.fullmatch(r"external_id=crm%2042%2F%26%C3%A4&sig=[0-9a-f]{64}", url.query)

    page = client.get(f"{url.path}?{url.query}")
    hidden = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
    }
    response = client.post(url.path, data={**hidden, "tags": ["All Teams"]}, follow_redirects=False)
    assert response.status_code == 303
    with database.sessions() as session:
        subscription = session.scalars(select(Subscription)).one()
        assert (subscription.subscriber_id, subscription.unverified_subscriber_id) == ("crm 42/&ä", None)
