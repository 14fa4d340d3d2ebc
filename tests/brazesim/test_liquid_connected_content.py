"""`connected_content` against a real local HTTP server: options, credentials, caching, retries, limits."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcast.brazesim.liquid import (
    AbortMessage,
    BrazeEnvironment,
    BrazeUser,
    ConnectedContentFetcher,
    Credentials,
    TemplateError,
)
from tests.brazesim.local_http import Answer, LocalServer, local_server

USER = BrazeUser.from_export({"external_id": "ext-42", "custom_attributes": {"city name": "Köln"}})
TOKEN = '{"access_token": "tok-123", "token_type": "bearer", "expires_in": 300}'


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


def environment(credentials: Credentials | None = None) -> BrazeEnvironment:
    sleeps: list[float] = []
    fetcher = ConnectedContentFetcher(credentials=credentials, sleep=sleeps.append)
    return BrazeEnvironment(fetcher=fetcher)


def test_the_partner_pages_token_call_posts_basic_auth_and_saves_the_token(server: LocalServer) -> None:
    server.on("/oauth2/token", Answer(200, TOKEN))
    env = environment(Credentials.from_pair("client-1:s3cret"))
    header = env.render_field(
        f"Bearer {{% connected_content {server.url}/oauth2/token :method post :basic_auth <Rokt-Calendar-API> "
        ":body grant_type=client_credentials :save token :retry %}{{token.access_token}}",
        USER,
    )
    assert header == "Bearer tok-123"
    [call] = server.seen
    assert call.method == "POST"
    assert call.body == "grant_type=client_credentials"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.headers["authorization"] == "Basic " + base64.b64encode(b"client-1:s3cret").decode()
    assert call.headers["user-agent"].startswith("Braze Sender")


def test_named_credentials_come_from_a_local_file(server: LocalServer, tmp_path: Path) -> None:
    server.on("/oauth2/token", Answer(200, TOKEN))
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"calcast-api": {"username": "id-9", "password": "pw-9"}}))
    env = environment(Credentials.from_file(path))
    source = f"{{% connected_content {server.url}/oauth2/token :method post :basic_auth calcast-api :save t %}}"
    env.render_field(source + "{{t.access_token}}", USER)
    assert server.seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"id-9:pw-9").decode()
    with pytest.raises(TemplateError, match='credential "other" is not defined'):
        env.render_field(source.replace("calcast-api", "other"), USER)


def test_a_json_object_is_saved_with_its_status_code(server: LocalServer) -> None:
    server.on("/profile", Answer(200, '{"tier": "gold", "missing": null}'))
    rendered = environment().render_field(
        f"{{% connected_content {server.url}/profile :save p %}}{{{{p.tier}}}} {{{{p.__http_status_code__}}}}"
        "[{{p.missing}}]",
        USER,
    )
    assert rendered == "gold 200[]"


def test_without_save_json_lands_in_connected_and_text_replaces_the_tag(server: LocalServer) -> None:
    server.on("/json", Answer(200, '{"n": 7}'))
    server.on("/text", Answer(200, "plain words", {"Content-Type": "text/plain"}))
    env = environment()
    assert env.render_field(f"{{% connected_content {server.url}/json %}}{{{{connected.n}}}}", USER) == "7"
    assert env.render_field(f"<{{% connected_content {server.url}/text %}}>", USER) == "<plain words>"


def test_the_url_is_rendered_with_the_users_attributes(server: LocalServer) -> None:
    server.on("/weather", Answer(200, "sunny", {"Content-Type": "text/plain"}))
    city = "{{custom_attribute.${city name} | url_param_escape}}"
    source = f"{{% connected_content {server.url}/weather?city={city} %}}"
    assert environment().render_field(source, USER) == "sunny"
    assert server.seen[0].path == "/weather?city=K%C3%B6ln"


def test_headers_and_content_type_are_sent_and_a_form_body_becomes_json(server: LocalServer) -> None:
    server.on("/api", Answer(200, "{}"))
    environment().render_field(
        f'{{% connected_content {server.url}/api :method post :headers {{"X-App-Id": "app 1"}} '
        ":body grant_type=client_credentials&scope=a%2Fb :content_type application/json %}",
        USER,
    )
    [call] = server.seen
    assert call.headers["x-app-id"] == "app 1"
    assert call.headers["content-type"] == "application/json"
    assert call.headers["accept"] == "application/json"
    assert json.loads(call.body) == {"grant_type": "client_credentials", "scope": "a/b"}


def test_a_failed_call_renders_empty_and_liquid_carries_on(server: LocalServer) -> None:
    server.on("/down", Answer(500, '{"error": "boom"}'))
    server.on("/missing", Answer(404, '{"error": "nope"}'))
    env = environment()
    assert env.render_field(f"a{{% connected_content {server.url}/down :save r %}}[{{{{r.error}}}}]b", USER) == "a[]b"
    assert env.render_field(f"a{{% connected_content {server.url}/missing %}}b", USER) == "ab"
    assert len(server.requests_to("/down")) == 1  # no :retry, no retry


def test_retry_makes_five_more_attempts_then_aborts_the_message(server: LocalServer) -> None:
    server.on("/flaky", Answer(503, ""))
    with pytest.raises(AbortMessage, match="answered 503 after 5 retries"):
        environment().render_field(f"{{% connected_content {server.url}/flaky :method post :retry %}}", USER)
    assert len(server.requests_to("/flaky")) == 6


def test_retry_stops_as_soon_as_a_call_succeeds(server: LocalServer) -> None:
    server.on("/flaky", Answer(502, ""), Answer(429, ""), Answer(200, TOKEN))
    rendered = environment().render_field(
        f"{{% connected_content {server.url}/flaky :method post :save t :retry %}}{{{{t.access_token}}}}", USER
    )
    assert rendered == "tok-123"
    assert len(server.requests_to("/flaky")) == 3


def test_a_client_error_is_not_retried(server: LocalServer) -> None:
    server.on("/denied", Answer(401, '{"error": "invalid_client"}'))
    assert environment().render_field(f"{{% connected_content {server.url}/denied :retry %}}", USER) == ""
    assert len(server.requests_to("/denied")) == 1


def test_an_answer_slower_than_two_seconds_inserts_nothing(server: LocalServer) -> None:
    server.on("/slow", Answer(200, '{"late": "yes"}', delay=2.6))
    started = time.monotonic()
    rendered = environment().render_field(f"[{{% connected_content {server.url}/slow :save s %}}{{{{s.late}}}}]", USER)
    assert rendered == "[]"
    assert 1.9 < time.monotonic() - started < 2.5


def test_redirects_are_not_followed(server: LocalServer) -> None:
    server.on("/moved", Answer(302, "", {"Location": "/target"}))
    server.on("/target", Answer(200, '{"ok": 1}'))
    rendered = environment().render_field(f"[{{% connected_content {server.url}/moved %}}{{{{connected.ok}}}}]", USER)
    assert rendered == "[]"
    assert server.requests_to("/target") == []


def test_gets_are_cached_by_url_posts_only_with_cache_max_age(server: LocalServer) -> None:
    server.on("/data", Answer(200, '{"v": 1}'))
    env = environment()
    for _ in range(2):
        env.render_field(f"{{% connected_content {server.url}/data %}}", USER)
    assert len(server.requests_to("/data")) == 1
    for _ in range(2):
        env.render_field(f"{{% connected_content {server.url}/data?fresh=1 :no_cache %}}", USER)
    assert len(server.requests_to("/data")) == 3
    for _ in range(2):
        env.render_field(f"{{% connected_content {server.url}/data :method post %}}", USER)
    assert len(server.requests_to("/data")) == 5
    for _ in range(2):
        env.render_field(f"{{% connected_content {server.url}/data?p=1 :method post :cache_max_age 900 %}}", USER)
    assert len(server.requests_to("/data")) == 6


def test_bad_options_are_explained(server: LocalServer) -> None:
    with pytest.raises(TemplateError, match=":method get or post"):
        environment().render_field(f"{{% connected_content {server.url}/x :method delete %}}", USER)
    with pytest.raises(TemplateError, match=":headers must be a JSON object"):
        environment().render_field(f"{{% connected_content {server.url}/x :headers nope %}}", USER)
