"""The console's integrations as an owner uses them: confirm it's you, secrets shown once, Braze, webhooks, the
outbox and people; and the protections (CSRF, Fetch Metadata, re-authentication) that each fail without their check."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from calcast.accounts import service as accounts
from calcast.accounts.models import OAuthClient
from calcast.console import service
from calcast.console.models import ConsoleMembership, ConsoleSession
from calcast.core.db import Database, utcnow
from calcast.core.security import Cipher, digest
from calcast.outbox import service as outbox
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.webhooks import signing
from calcast.webhooks.models import WebhookEndpoint
from tests.conftest import Persona
from tests.console.conftest import PASSWORD, ConsolePersona, act_as, confirm_now
from tests.support.braze_sync import connect_braze
from tests.support.fake_braze import FakeBraze
from tests.support.receivers import running_receiver

CLIENTS = "/console/owner/integrations/clients"
WEBHOOKS = "/console/owner/integrations/webhooks"
BRAZE = "/console/owner/integrations/braze"
SECRET = re.compile(r"<code class=\"secret\" data-secret>([^<]+)</code>")


def shown_secret(text: str) -> str | None:
    found = SECRET.search(text)
    return found.group(1).replace("&amp;", "&") if found else None


def owner_clients(database: Database) -> list[OAuthClient]:
    with database.sessions() as session:
        return accounts.list_clients(session=session, account_code="owner")


def as_owner(client: TestClient, personas: dict[str, ConsolePersona]) -> ConsolePersona:
    act_as(client, personas["owner"])
    return personas["owner"]


def post(client: TestClient, persona: ConsolePersona, path: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": persona.csrf_token, **data}, follow_redirects=False)


# ---------------------------------------------------------------------------------------------- confirm it's you


def test_creating_a_client_secret_needs_a_recent_password_confirmation(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    unconfirmed = post(client, owner, CLIENTS)
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == "/console/owner/confirm?next=/console/owner/integrations/clients"
    assert len(owner_clients(database)) == 1  # the persona's own, made by the fixture
    too_long_ago = timedelta(minutes=database.settings.console_reauth_minutes + 1)
    confirm_now(database, owner, ago=too_long_ago)
    assert post(client, owner, CLIENTS).headers["location"].startswith("/console/owner/confirm?")
    assert len(owner_clients(database)) == 1

    with database.transaction() as session:  # the owner gets a password to confirm with
        service.add_member(
            session=session, email="owner@example.com", account_code="owner", role="owner", password=PASSWORD
        )
    form = client.get(unconfirmed.headers["location"])
    assert 'name="next" value="/console/owner/integrations/clients"' in form.text
    wrong = post(client, owner, "/console/owner/confirm", password="not it", next=CLIENTS)
    assert wrong.status_code == 401
    assert "This is not your password" in wrong.text
    right = post(client, owner, "/console/owner/confirm", password=PASSWORD, next=CLIENTS)
    assert right.status_code == 303
    assert right.headers["location"] == CLIENTS
    assert post(client, owner, CLIENTS).headers["location"] == CLIENTS
    assert len(owner_clients(database)) == 2


def test_confirming_is_throttled_like_signing_in(
    app_with: Any, personas: dict[str, ConsolePersona], database: Database
) -> None:
    client = app_with(console_sign_in_failures=2)
    owner = as_owner(client, personas)
    with database.transaction() as session:
        service.add_member(
            session=session, email="owner@example.com", account_code="owner", role="owner", password=PASSWORD
        )
    for _ in range(2):
        assert post(client, owner, "/console/owner/confirm", password="guess").status_code == 401
    blocked = post(client, owner, "/console/owner/confirm", password=PASSWORD)  # even the right one waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    with database.sessions() as session:
        assert session.get(ConsoleSession, digest(owner.token or "")).reauthenticated_at is None  # type: ignore[union-attr]


SECRET_FORMS: tuple[tuple[str, dict[str, Any]], ...] = (
    (CLIENTS, {}),
    (WEBHOOKS, {"url": "http://127.0.0.1:9/hook", "event": ["Subscribe"]}),
    (BRAZE, {"rest_endpoint": "http://127.0.0.1:9", "api_key": "k-1234"}),
    (f"{BRAZE}/link-key", {}),
    ("/console/owner/people", {"email": "new@example.com", "role": "viewer"}),
)


def test_every_form_that_makes_a_secret_asks_for_the_password_first(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    before = state(database, owner)
    for path, fields in SECRET_FORMS:
        response = post(client, owner, path, **fields)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith(f"/console/owner/confirm?next={path.split('/link-key')[0]}")
    assert state(database, owner) == before


def test_a_confirmation_belongs_to_its_session_only(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    confirm_now(database, personas["owner"])
    with database.transaction() as session:  # the same person in a second browser
        user = service.find_user(session=session, email="owner@example.com")
        assert user is not None
        token, other_browser = service.start_session(session=session, user=user)
    second = ConsolePersona("owner", "owner@example.com", token, other_browser.record.csrf_token)
    act_as(client, second)
    assert post(client, second, CLIENTS).headers["location"].startswith("/console/owner/confirm?")


# ---------------------------------------------------------------------------------------------- secrets once


def test_a_client_secret_is_shown_once_and_works(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    confirm_now(database, owner)
    page = client.post(CLIENTS, data={"csrf_token": owner.csrf_token})
    assert page.status_code == 200
    secret = shown_secret(page.text)
    assert secret is not None
    assert "Copy it now" in page.text
    newest = owner_clients(database)[0]
    assert newest.client_id in page.text
    with database.sessions() as session:
        assert accounts.authenticate_client(session=session, client_id=newest.client_id, client_secret=secret)
        record = session.get(ConsoleSession, digest(owner.token or ""))
        assert record is not None
        assert record.reveal_encrypted is None  # nothing of it is left with the session
    again = client.get(CLIENTS)
    assert secret not in again.text
    assert shown_secret(again.text) is None
    assert newest.client_id in again.text  # listed, without its secret

    revoked = post(client, owner, f"{CLIENTS}/{newest.client_id}/revoke")
    assert revoked.status_code == 303
    assert f"The client {newest.client_id} is revoked" in client.get(revoked.headers["location"]).text
    with database.sessions() as session:
        assert accounts.authenticate_client(session=session, client_id=newest.client_id, client_secret=secret) is None


def test_a_webhook_secret_is_shown_once_and_signs_the_test_delivery(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    confirm_now(database, owner)
    with running_receiver(status=500, body=b"receiver is down") as receiver:
        data = {"csrf_token": owner.csrf_token, "url": receiver.url, "event": ["Subscribe", "Unsubscribe"]}
        page = client.post(WEBHOOKS, data=data)
        secret = shown_secret(page.text)
        assert secret is not None
        assert secret.startswith("whsec_")
        assert shown_secret(client.get(WEBHOOKS).text) is None
        with database.sessions() as session:
            endpoint = session.scalars(select(WebhookEndpoint)).one()
            assert Cipher(database.settings.secret_key).decrypt(endpoint.secret_encrypted) == secret
            assert endpoint.event_types == ["Subscribe", "Unsubscribe"]
        log_path = f"{WEBHOOKS}/{endpoint.id}"

        # Send a test: delivered right after the request, answered 500, shown in the log with the excerpt.
        tested = client.post(f"{log_path}/test", data={"csrf_token": owner.csrf_token})
        assert tested.status_code == 200
        row = re.search(r'<tr data-delivery="\d+" data-status="500">.*?</tr>', tested.text, re.S)
        assert row is not None, tested.text
        assert "Test" in row.group(0)
        assert "receiver is down" in row.group(0)
        headers, body = receiver.received[0]
        assert signing.verify(secret, headers["calcast-signature"], body)

        # A failed delivery can be sent again; the receiver works now.
        with database.transaction() as session:
            session.execute(update(OutboxMessage).values(status=OutboxStatus.FAILED))
            message_id = session.scalars(select(OutboxMessage.id)).one()
        page = client.get(log_path)
        retry_path = f"{log_path}/deliveries/{message_id}/retry"
        assert f'action="{retry_path}"' in page.text
        receiver.status, receiver.body = 200, b"thanks"
        retried = client.post(retry_path, data={"csrf_token": owner.csrf_token})
        assert retried.status_code == 200
        assert re.search(r'data-status="200">.*?thanks', retried.text, re.S)
        assert f'action="{retry_path}"' not in retried.text  # delivered: nothing to retry
        assert len(receiver.received) == 2

        disabled = client.post(f"{log_path}/disable", data={"csrf_token": owner.csrf_token})
        assert "The webhook is disabled" in disabled.text
        assert f'action="{log_path}/test"' not in disabled.text


def test_an_invitation_link_is_shown_once_and_lets_the_person_in(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    assert (
        post(client, owner, "/console/owner/people", email="new@example.com", role="editor")
        .headers["location"]
        .startswith("/console/owner/confirm?")
    )
    confirm_now(database, owner)
    page = client.post(
        "/console/owner/people", data={"csrf_token": owner.csrf_token, "email": "New@Example.com", "role": "editor"}
    )
    link = shown_secret(page.text)
    assert link is not None
    assert link.startswith("https://calcast.test/console/password/")
    assert 'data-person="new@example.com"' in page.text
    reloaded = client.get(str(page.url))
    assert shown_secret(reloaded.text) is None
    assert "new@example.com is invited. Their link was shown once" in reloaded.text
    client.cookies.clear()
    assert "Choose your password" in client.get(link.removeprefix("https://calcast.test")).text

    # A person with access elsewhere gets no link here: it would let this owner set their password.
    act_as(client, owner)
    existing = client.post(
        "/console/owner/people",
        data={"csrf_token": owner.csrf_token, "email": "stranger@example.com", "role": "viewer"},
    )
    assert shown_secret(existing.text) is None
    assert "stranger@example.com has access now and signs in with the password they already have" in existing.text
    twice = post(client, owner, "/console/owner/people", email="new@example.com", role="viewer")
    assert twice.status_code == 409
    assert "has access to owner already" in twice.text


def test_owners_change_roles_and_remove_people_but_never_the_last_owner(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    assert (
        post(client, owner, "/console/owner/people/role", email="editor@example.com", role="viewer").status_code == 303
    )
    assert post(client, owner, "/console/owner/people/remove", email="viewer@example.com").status_code == 303
    assert act_as(client, personas["viewer"]).get("/console/owner", follow_redirects=False).status_code == 302
    with database.sessions() as session:
        roles = {m.user.email: m.membership.role for m in service.list_members(session=session, account_code="owner")}
    assert roles == {"owner@example.com": "owner", "editor@example.com": "viewer"}

    act_as(client, owner)
    demote = post(client, owner, "/console/owner/people/role", email="owner@example.com", role="editor")
    assert demote.status_code == 409
    assert "the only owner of owner" in demote.text
    assert post(client, owner, "/console/owner/people/remove", email="owner@example.com").status_code == 409
    unknown = post(client, owner, "/console/owner/people/remove", email="stranger@example.com")
    assert unknown.status_code == 404  # in another account only: not a person of this one
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleMembership)) == 3  # owner, editor, stranger


# ---------------------------------------------------------------------------------------------- Braze


def test_the_braze_key_is_stored_encrypted_and_never_shown_again(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    confirm_now(database, owner)
    key = "braze-rest-key-0123456789-abcd"
    bad = post(client, owner, BRAZE, rest_endpoint="ftp://braze.example", api_key=key)
    assert bad.status_code == 422
    assert "must be an https URL" in bad.text
    assert key not in bad.text
    saved = post(client, owner, BRAZE, rest_endpoint="http://127.0.0.1:9/", api_key=key)
    assert saved.headers["location"] == f"{BRAZE}?saved=1"
    page = client.get(saved.headers["location"])
    assert "a key ending in …abcd" in page.text
    assert key not in page.text
    with database.sessions() as session:
        account = accounts.get_account(session=session, code="owner")
        assert account.braze_api_key_encrypted is not None
        assert key.encode() not in account.braze_api_key_encrypted
        assert accounts.braze_api_key(cipher=Cipher(database.settings.secret_key), account=account) == key
        assert account.braze_rest_endpoint == "http://127.0.0.1:9"


def test_the_link_key_is_shown_once_and_signs_links(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = as_owner(client, personas)
    confirm_now(database, owner)
    page = client.post(f"{BRAZE}/link-key", data={"csrf_token": owner.csrf_token})
    key = shown_secret(page.text)
    assert key is not None
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert "hmac_sha256_hex: &#39;" + key in page.text
    with database.sessions() as session:
        account = accounts.get_account(session=session, code="owner")
        signature = accounts.link_signature(key, "fan-1")
        cipher = Cipher(database.settings.secret_key)
        assert accounts.is_signed_external_id(cipher=cipher, account=account, external_id="fan-1", signature=signature)
    again = client.get(BRAZE)
    assert key not in again.text
    assert "This account has a link key." in again.text
    twice = post(client, owner, f"{BRAZE}/link-key")  # without rotate: refused, the key stays
    assert twice.status_code == 409
    assert "Pass --rotate to replace it" in twice.text
    rotated = client.post(f"{BRAZE}/link-key", data={"csrf_token": owner.csrf_token, "rotate": "true"})
    assert shown_secret(rotated.text) not in (None, key)


def test_the_braze_page_has_the_templates_with_this_calcasts_url_and_the_credential_name(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    page = act_as(client, personas["owner"]).get(BRAZE).text
    for name in ("new-event", "update-event", "delete-event"):
        assert f'data-template="{name}"' in page
    assert "https://calcast.test/v1/subscriptionevent/" in page
    assert ":basic_auth calcast-api" in page
    assert "https://calcast.example.com" not in page


def test_send_a_test_to_braze_shows_its_answer_ok_refused_or_unreachable(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, braze: FakeBraze
) -> None:
    owner = as_owner(client, personas)
    accepted = post(client, owner, f"{BRAZE}/test")
    assert accepted.status_code == 200
    assert 'data-status="201"' in accepted.text
    assert "Braze answered 201. The endpoint and the key work." in accepted.text
    assert "success" in accepted.text  # the body excerpt
    assert braze.accepted_attributes()[0]["external_id"] == "calcast-test-user"

    braze.fail_with = 401
    refused = post(client, owner, f"{BRAZE}/test")
    assert refused.status_code == 200
    assert 'data-status="401"' in refused.text
    assert "Braze refused the key" in refused.text
    assert "simulated 401" in refused.text

    braze.fail_with = None
    braze.url = "http://127.0.0.1:9"  # nothing listens there
    connect_braze(database, braze)
    unreachable = post(client, owner, f"{BRAZE}/test")
    assert unreachable.status_code == 200
    assert 'data-status="none"' in unreachable.text
    assert "Braze could not be reached" in unreachable.text


def test_send_a_test_without_braze_says_how_to_set_it_up(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    owner = as_owner(client, personas)
    refused = post(client, owner, f"{BRAZE}/test")
    assert refused.status_code == 422
    assert "Braze is not configured for this account" in refused.text


# ---------------------------------------------------------------------------------------------- outbox health


def test_the_outbox_health_counts_and_retries_this_accounts_messages_only(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, owner: Persona, other: Persona
) -> None:
    with database.transaction() as session:
        ids = {code: accounts.get_account(session=session, code=code).id for code in ("owner", "other")}
        queued = outbox.enqueue(
            session=session,
            messages=[
                outbox.NewMessage(account_id=ids[code], kind="braze.track", topic="subscribe", payload={})
                for code in ("owner", "owner", "owner", "other", "other")
            ],
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(queued[2:])).values(status=OutboxStatus.FAILED)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == queued[0])
            .values(created_at=utcnow() - timedelta(minutes=10))
        )
    owner_persona = as_owner(client, personas)
    page = client.get("/console/owner/integrations").text
    assert 'data-metric="pending" data-value="2"' in page
    assert 'data-metric="failed" data-value="1"' in page
    oldest = re.search(r'data-metric="oldest-pending" data-value="(\d+)"', page)
    assert oldest is not None
    assert 595 <= int(oldest.group(1)) <= 900
    assert "10 min" in page
    done = post(client, owner_persona, "/console/owner/integrations/outbox/retry-failed")
    assert done.headers["location"] == "/console/owner/integrations?requeued=1"
    assert "1 failed messages are queued again." in client.get(done.headers["location"]).text
    with database.sessions() as session:
        statuses = {row.id: row.status for row in session.execute(select(OutboxMessage.id, OutboxMessage.status))}
    assert [statuses[number] for number in queued] == [OutboxStatus.PENDING] * 3 + [OutboxStatus.FAILED] * 2


def test_the_integrations_speak_german_to_a_german_browser(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    act_as(client, personas["owner"])
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    overview = client.get("/console/owner/integrations", headers=german).text
    assert "Postausgang" in overview
    assert "Gescheiterte erneut senden" not in overview  # nothing failed
    assert "Webhook-Vorlagen für Braze" in client.get(BRAZE, headers=german).text
    assert "Person einladen" in client.get("/console/owner/people", headers=german).text


# ---------------------------------------------------------------------------------------------- CSRF


POSTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/console/owner/confirm", {"password": PASSWORD}),
    (CLIENTS, {}),
    (f"{CLIENTS}/{{client}}/revoke", {}),
    (BRAZE, {"rest_endpoint": "http://127.0.0.1:9", "api_key": "k-1234"}),
    (f"{BRAZE}/test", {}),
    (f"{BRAZE}/link-key", {"rotate": "true"}),
    (WEBHOOKS, {"url": "http://127.0.0.1:9/hook", "event": ["Subscribe"]}),
    (f"{WEBHOOKS}/{{hook}}/test", {}),
    (f"{WEBHOOKS}/{{hook}}/disable", {}),
    (f"{WEBHOOKS}/{{hook}}/deliveries/1/retry", {}),
    ("/console/owner/integrations/outbox/retry-failed", {}),
    ("/console/owner/people", {"email": "new@example.com", "role": "viewer"}),
    ("/console/owner/people/role", {"email": "editor@example.com", "role": "viewer"}),
    ("/console/owner/people/remove", {"email": "editor@example.com"}),
)


def state(database: Database, persona: ConsolePersona) -> tuple[Any, ...]:
    """Everything the forms above could change."""
    with database.sessions() as session:
        return (
            [(c.client_id, c.revoked_at) for c in accounts.list_clients(session=session, account_code="owner")],
            [(e.id, e.disabled_at) for e in session.scalars(select(WebhookEndpoint))],
            accounts.get_account(session=session, code="owner").braze_rest_endpoint,
            accounts.get_account(session=session, code="owner").link_key_encrypted,
            [(m.user.email, m.membership.role) for m in service.list_members(session=session, account_code="owner")],
            session.scalar(select(func.count()).select_from(OutboxMessage)),
            session.scalar(
                select(ConsoleSession.reauthenticated_at).where(
                    ConsoleSession.token_digest == digest(persona.token or "")
                )
            ),
        )


def test_every_form_needs_the_sessions_token_and_our_own_origin(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, owner: Persona
) -> None:
    owner_persona = personas["owner"]
    with database.transaction() as session:
        service.add_member(
            session=session, email="owner@example.com", account_code="owner", role="owner", password=PASSWORD
        )
        endpoint = WebhookEndpoint(
            account_id=accounts.get_account(session=session, code="owner").id,
            url="http://127.0.0.1:9/hook",
            event_types=["Subscribe"],
            secret_encrypted=Cipher(database.settings.secret_key).encrypt("whsec_x"),
        )
        session.add(endpoint)
        session.flush()
        hook = endpoint.id
    confirm_now(database, owner_persona, ago=timedelta(days=1))
    before = state(database, owner_persona)
    act_as(client, owner_persona)
    for path, fields in POSTS:
        url = path.format(client=owner.client_id, hook=hook)
        for token in ("", "a-guessed-token", personas["editor"].csrf_token):
            response = client.post(url, data={**fields, "csrf_token": token}, follow_redirects=False)
            assert response.status_code == 403, (url, token)
            assert "reload the page and try again" in response.text
        for header in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            data = {**fields, "csrf_token": owner_persona.csrf_token}
            response = client.post(url, data=data, headers=header, follow_redirects=False)
            assert response.status_code == 403, (url, header)
            assert "sent from another website" in response.text
    assert state(database, owner_persona) == before
