"""The shipped webhook templates: the partner page's templates plus json_escape, pointed at calcast."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calcast.braze.templates import TemplateError
from calcast.brazesim.liquid import AbortMessage, BrazeEnvironment, BrazeUser
from calcast.brazesim.templates import (
    BASE_URL_PLACEHOLDER,
    SHIPPED,
    WebhookTemplate,
    load_template,
    render,
    shipped_templates,
)

SEED = Path(__file__).parent / "seed_templates"
BASE = "https://cal.example.org"
IDS = ["06423672-b6ba-4536-aa36-70788a7a0a36", "1f6c6a5e-9f0a-4c43-9d6c-0d9a1c0b2e11"]
FAN = BrazeUser.from_export(
    {
        "external_id": "ext-42",
        "custom_attributes": {
            "rokt:account_code": ["brazetest/f5733866ade2", "brazetest/ff10919f1078"],
            "rokt:subscription_id": IDS,
        },
    }
)


def seed(name: str) -> WebhookTemplate:
    return load_template(str(SEED / f"seed-{name}.liquid"))


def with_title(template: WebhookTemplate, title: str) -> WebhookTemplate:
    body = template.body.replace(
        "{% capture eventTitle %}Event Title{% endcapture %}", f"{{% capture eventTitle %}}{title}{{% endcapture %}}"
    )
    assert body != template.body
    return WebhookTemplate(template.name, template.notes, template.method, template.url, template.headers, body)


class FakeToken(BrazeEnvironment):
    """No network: the token call is answered here (the real endpoint is exercised in test_cli_send_calcast)."""

    def __init__(self) -> None:
        super().__init__(fetcher=None)

    def render_field(self, source: str, user: BrazeUser) -> str:
        source = re.sub(r"\{% connected_content [^%]*%\}\{\{token\.access_token\}\}", "tok-123", source)
        return super().render_field(source, user)


def test_every_shipped_template_is_a_request_with_calcasts_placeholder() -> None:
    templates = shipped_templates()
    assert [t.name for t in templates] == list(SHIPPED)
    for template in templates:
        text = template.to_text()
        assert "api.roktcalendar.com" not in text
        assert BASE_URL_PLACEHOLDER in template.url
        assert dict(template.headers)["Authorization"].startswith("Bearer {% connected_content ")
        assert ":basic_auth calcast-api" in dict(template.headers)["Authorization"]
        assert ":retry" in dict(template.headers)["Authorization"]
        assert WebhookTemplate.parse(text, name=template.name) == template


def test_pointing_a_template_at_calcast_replaces_the_placeholder_and_the_rokt_host() -> None:
    for template in [*shipped_templates(), seed("new-event")]:
        pointed = template.with_base_url(BASE + "/")
        text = pointed.to_text()
        assert BASE_URL_PLACEHOLDER not in text
        assert "api.roktcalendar.com" not in text
        assert f"{BASE}/oauth2/token " in dict(pointed.headers)["Authorization"]


@pytest.mark.parametrize("name", ["new-event", "update-event"])
def test_shipped_bodies_are_the_partner_pages_plus_json_escape(name: str) -> None:
    shipped = load_template(name)
    body = shipped.body.replace(" | json_escape", "")
    # The shipped sample's event is a week after the send (the partner page's 2019 date would never show).
    body = re.sub(
        r"\{\{ 'now' \| date: '%s' \| plus: 604800 \| date: '%Y-%m-%d' \}\}T1[56]:00:00", "2019-02-21T15:00:00", body
    )
    body = "\n".join(line for line in body.splitlines() if "abort_message" not in line)
    assert body == seed(name).body.strip("\n")
    assert shipped.url.replace(BASE_URL_PLACEHOLDER, "https://api.roktcalendar.com") == seed(name).url
    assert shipped.method == seed(name).method == "POST"
    assert dict(shipped.headers)["Content-Type"] == "application/json"


def test_the_new_event_template_renders_the_reference_request() -> None:
    webhook = render(load_template("new-event").with_base_url(BASE), environment=FakeToken(), user=FAN)
    assert webhook.url == f"{BASE}/v1/subscriptionevent/brazetest"
    assert dict(webhook.headers)["Authorization"] == "Bearer tok-123"
    body = json.loads(webhook.body)
    assert body["event"]["eventId"] == "Event_0001_ext-42"
    assert body["event"]["timezone"] == "Eastern Standard Time"
    assert body["event"]["notifyBefore"] == "15"
    assert body["subscriptionIds"] == IDS


def test_the_update_template_posts_to_update_without_subscription_ids() -> None:
    webhook = render(load_template("update-event").with_base_url(BASE), environment=FakeToken(), user=FAN)
    assert webhook.url == f"{BASE}/v1/subscriptionevent/brazetest/update"
    assert set(json.loads(webhook.body)) == {"event"}


def test_the_delete_template_names_the_event_in_the_url_escaped() -> None:
    user = BrazeUser.from_export({"external_id": "a/b c", "custom_attributes": {"rokt:account_code": ["acme/1"]}})
    webhook = render(load_template("delete-event").with_base_url(BASE), environment=FakeToken(), user=user)
    assert webhook.method == "DELETE"
    assert webhook.url == f"{BASE}/v1/subscriptionevent/acme/Event_0001_a%2Fb%20c"
    assert webhook.body == ""


def test_a_quote_breaks_the_partner_pages_body_but_not_the_shipped_one() -> None:
    title = 'The "Big" Match \\ Finals'
    broken = render(with_title(seed("new-event"), title), environment=FakeToken(), user=FAN)
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.body)
    fixed = render(with_title(load_template("new-event"), title), environment=FakeToken(), user=FAN)
    assert json.loads(fixed.body)["event"]["title"] == title


def test_a_user_without_subscriptions_is_skipped_by_the_shipped_template() -> None:
    nobody = BrazeUser.from_export({"external_id": "ext-7", "custom_attributes": {"rokt:account_code": ["a/1"]}})
    with pytest.raises(AbortMessage, match="no calcast subscription"):
        render(load_template("new-event"), environment=FakeToken(), user=nobody)
    # The partner page's template sends [""], which calcast answers with a 422.
    seed_body = render(seed("new-event"), environment=FakeToken(), user=nobody).body
    assert json.loads(seed_body)["subscriptionIds"] == [""]


def test_a_template_file_that_is_not_a_request_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "bad.liquid"
    path.write_text("SEND https://x\n")
    with pytest.raises(TemplateError, match="must start with a method"):
        load_template(str(path))
    path.write_text("POST https://x\nno header here\n")
    with pytest.raises(TemplateError, match="header line"):
        load_template(str(path))
    with pytest.raises(TemplateError, match="neither a shipped template"):
        load_template(str(tmp_path / "missing.liquid"))
