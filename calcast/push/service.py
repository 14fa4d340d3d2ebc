"""Push connections: made when a subscriber connects a calendar account, synced through the outbox on every change
of the subscription's content, ended with the subscription (or when the grant is lost, which ends the subscription).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.calendars.changes import BroadcastEventChange
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.core.errors import DomainError, FieldError, Invalid
from calcast.core.security import Cipher
from calcast.events.changes import PersonalEventChange
from calcast.outbox import service as outbox
from calcast.push.google import GoogleAdapter
from calcast.push.microsoft import MicrosoftAdapter
from calcast.push.models import ConnectionState, Provider, PushConnection, PushedEvent
from calcast.push.providers import Credentials, PushFault, RateLimited, ScopeMissing, Unavailable
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.changes import SubscriptionChange
from calcast.subscriptions.models import Subscription

KIND = "push"
SYNC = "sync"
RECONCILE = "reconcile"
# The subscription method each provider records (rokt:subscription_method, webhooks' subscriptionMethod).
METHOD_OF = {Provider.GOOGLE: "Google", Provider.MICROSOFT: "Microsoft", Provider.CALDAV: "CalDAV"}
UNSUBSCRIBED = "unsubscribed"


def offered(settings: Settings) -> list[Provider]:
    """The push methods this install offers: those whose settings are there."""
    return [Provider(name) for name in settings.push_methods]


class OAuthAdapter(Protocol):
    """What connecting needs of a provider that grants access by OAuth (Google, Microsoft)."""

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str) -> str: ...

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> tuple[Credentials, str]: ...

    def has_scope(self, granted: str) -> bool: ...

    def close(self) -> None: ...


OAUTH: dict[Provider, Callable[[Settings], OAuthAdapter]] = {
    Provider.GOOGLE: GoogleAdapter,
    Provider.MICROSOFT: MicrosoftAdapter,
}
# The provider a subscriptionMethod names, for the methods that connect by an authorization code.
PROVIDER_OF_METHOD = {METHOD_OF[provider]: provider for provider in OAUTH}


def callback_path(provider: Provider) -> str:
    return f"/push/{provider.value}/callback"


def callback_url(settings: Settings, provider: Provider) -> str:
    """The redirect URI of calcast's own consent walk, registered with the provider (docs/push.md)."""
    return settings.base_url + callback_path(provider)


@dataclass(frozen=True)
class Grant:
    """What the provider granted for an authorization code: the tokens and the scope."""

    credentials: Credentials
    scope: str


def exchange_code(
    *, settings: Settings, provider: Provider, code: str, redirect_uri: str, code_verifier: str | None
) -> Grant:
    """Trade an authorization code for a grant that holds calcast's calendar permission.

    Raises the provider's PushFault (code refused, provider unreachable) or ScopeMissing (the subscriber unticked
    the calendar permission). Nothing is stored: `connect` does that with the grant.
    """
    adapter = OAUTH[provider](settings)
    try:
        credentials, scope = adapter.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        has_scope = adapter.has_scope(scope)
    finally:
        adapter.close()
    if not has_scope:
        raise ScopeMissing(f"{METHOD_OF[provider]} granted {scope or 'no scope'}, without the calendar permission.")
    return Grant(credentials=credentials, scope=scope)


def _origin(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def redirect_allowed(settings: Settings, provider: Provider, redirect_to: str) -> bool:
    """Whether `redirect_to` may be used as the redirect URI of a code exchange (and handed back to the caller).

    Allowed: calcast's own callback for the provider, an exact entry of CALCAST_PUSH_REDIRECT_ORIGINS, or any
    address on an origin listed there (an entry without a path). Compared after trimming one trailing slash.
    """
    wanted = redirect_to.strip()
    if wanted == callback_url(settings, provider):
        return True
    parts = urlsplit(wanted)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return wanted.rstrip("/") in settings.push_redirect_allowed  # e.g. "postmessage", when listed
    for entry in settings.push_redirect_allowed:
        if wanted.rstrip("/") == entry:
            return True
        entry_parts = urlsplit(entry)
        if entry_parts.scheme and entry_parts.netloc and not entry_parts.path and _origin(wanted) == _origin(entry):
            return True
    return False


class ProviderUnavailable(DomainError):
    """The provider could not be reached or asked to wait: try the same request again later."""


def subscribe_with_code(
    *,
    session: Session,
    settings: Settings,
    account_code: str,
    calendar_code: str,
    details: subscriptions.SubscriberDetails,
    provider: Provider,
    code: str,
    redirect_to: str,
) -> subscriptions.Subscribed:
    """Subscribe and connect by push in one step (`POST /v2/subscribe` with `authCode` + `redirectTo`).

    Everything is checked and the code exchanged before anything is written, so a refused code or an unreachable
    provider leaves nothing behind: no subscription, no connection (the caller may simply try again).
    """
    method = METHOD_OF[provider]
    if provider not in offered(settings):
        message = f"Subscribing by {method} is not offered here: its settings are not configured."
        raise Invalid(message, [FieldError("subscriptionMethod", message)])
    if not redirect_allowed(settings, provider, redirect_to):
        message = (
            f"redirectTo {redirect_to[:200]!r} is not an allowed redirect address; "
            "add its origin to CALCAST_PUSH_REDIRECT_ORIGINS."
        )
        raise Invalid(message, [FieldError("redirectTo", message)])
    calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)  # 404 before the exchange
    try:
        grant = exchange_code(
            settings=settings, provider=provider, code=code, redirect_uri=redirect_to.strip(), code_verifier=None
        )
    except ScopeMissing:
        message = f"The {method} grant lacks the calendar permission; ask the subscriber to allow it and try again."
        raise Invalid(message, [FieldError("authCode", message)]) from None
    except (Unavailable, RateLimited) as error:
        raise ProviderUnavailable(f"{method} could not be reached ({error}); nothing was stored, try again.") from None
    except PushFault as error:
        message = (
            f"{method} refused the authorization code ({error}): it is used, expired or was issued for another "
            "redirectTo. Nothing was stored; get a new code and try again."
        )
        raise Invalid(message, [FieldError("authCode", message)]) from None
    done = subscriptions.subscribe(
        session=session, settings=settings, account_code=account_code, calendar_code=calendar_code, details=details
    )
    connect(
        session=session,
        settings=settings,
        subscription=done.subscription,
        provider=provider,
        credentials=grant.credentials,
        granted_scope=grant.scope,
    )
    return done


def ordering_key(subscription_id: str) -> str:
    return f"push:{subscription_id}"


def credentials_of(cipher: Cipher, connection: PushConnection) -> Credentials:
    """The connection's secrets, decrypted."""
    return Credentials(
        credential=cipher.decrypt(connection.credential) if connection.credential else None,
        access_token=cipher.decrypt(connection.access_token) if connection.access_token else None,
        access_token_expires_at=connection.access_token_expires_at,
        server_url=connection.server_url,
        username=connection.username,
    )


def store_credentials(cipher: Cipher, connection: PushConnection, credentials: Credentials) -> None:
    """Encrypt and keep new secrets (a refreshed access token, a rotated refresh token) on the connection."""
    connection.credential = cipher.encrypt(credentials.credential) if credentials.credential else None
    connection.access_token = cipher.encrypt(credentials.access_token) if credentials.access_token else None
    connection.access_token_expires_at = credentials.access_token_expires_at


def connect(
    *,
    session: Session,
    settings: Settings,
    subscription: Subscription,
    provider: Provider,
    credentials: Credentials,
    granted_scope: str | None = None,
) -> PushConnection:
    """Serve an active subscription by push: keep the grant (encrypted), record the method, queue the first sync."""
    if not subscription.is_active:
        raise Invalid("This subscription has ended; subscribe again to connect a calendar.")
    connection = session.scalar(select(PushConnection).where(PushConnection.subscription_id == subscription.id))
    if connection is None:
        connection = PushConnection(
            subscription_id=subscription.id, account_id=subscription.account_id, provider=provider
        )
        session.add(connection)
    elif connection.provider != provider or connection.state != ConnectionState.ACTIVE:
        # Another account or provider: calcast's calendar there is made anew; the old one is the subscriber's now.
        session.execute(delete(PushedEvent).where(PushedEvent.connection_id == connection.id))
        connection.remote_calendar_id = None
    connection.provider = provider
    connection.state = ConnectionState.ACTIVE
    connection.ended_reason = None
    connection.granted_scope = granted_scope
    connection.server_url = credentials.server_url
    connection.username = credentials.username
    connection.last_error = None
    store_credentials(Cipher(settings.secret_key), connection, credentials)
    session.flush()
    subscriptions.set_method(session=session, subscription=subscription, method=METHOD_OF[provider])
    enqueue_syncs(session=session, connections=[connection])
    return connection


def connection_of(*, session: Session, subscription_id: str) -> PushConnection | None:
    return session.scalar(select(PushConnection).where(PushConnection.subscription_id == subscription_id))


def enqueue_syncs(*, session: Session, connections: Iterable[PushConnection], reconcile: bool = False) -> int:
    """Queue one sync per connection, replacing any sync of it that no worker has taken yet (they coalesce)."""
    chosen = list(connections)
    keys = [ordering_key(connection.subscription_id) for connection in chosen]
    waiting = outbox.supersede_waiting(session=session, kind=KIND, ordering_keys=keys)
    messages = [
        outbox.NewMessage(
            account_id=connection.account_id,
            kind=KIND,
            topic=RECONCILE if reconcile or RECONCILE in waiting.get(key, ()) else SYNC,
            payload={"connection_id": connection.id},
            ordering_key=key,
        )
        for connection, key in zip(chosen, keys, strict=True)
    ]
    outbox.enqueue(session=session, messages=messages)
    return len(messages)


def _active_connections(session: Session, subscription_ids: Sequence[str]) -> list[PushConnection]:
    if not subscription_ids:
        return []
    query = select(PushConnection).where(
        PushConnection.subscription_id.in_(list(subscription_ids)), PushConnection.state == ConnectionState.ACTIVE
    )
    return list(session.scalars(query))


def on_subscription_change(session: Session, change: SubscriptionChange) -> None:
    """Tags, state or method changed: the subscription's push calendar (if any) follows."""
    enqueue_syncs(session=session, connections=_active_connections(session, [change.subscription.id]))


def on_personal_event_change(session: Session, change: PersonalEventChange) -> None:
    """A personal event was attached, changed, detached or deleted: the push calendars that hold it follow."""
    enqueue_syncs(session=session, connections=_active_connections(session, change.subscription_ids))


def on_broadcast_event_change(session: Session, change: BroadcastEventChange) -> None:
    """A broadcast event changed: every push calendar of the calendar's active subscriptions follows."""
    query = (
        select(PushConnection)
        .join(Subscription, Subscription.id == PushConnection.subscription_id)
        .where(
            Subscription.calendar_id == change.calendar_id,
            Subscription.deactivated_at.is_(None),
            PushConnection.state == ConnectionState.ACTIVE,
        )
    )
    enqueue_syncs(session=session, connections=session.scalars(query))


def end_connection(*, session: Session, connection: PushConnection, reason: str, detail: str | None = None) -> None:
    """Stop writing into the connection for good and forget its secrets and what was written."""
    connection.state = ConnectionState.ENDED
    connection.ended_reason = reason
    connection.last_error = detail
    connection.credential = None
    connection.access_token = None
    connection.access_token_expires_at = None
    session.execute(delete(PushedEvent).where(PushedEvent.connection_id == connection.id))


def end_for_lost_access(*, transaction: Transaction, connection_id: str, reason: str, detail: str) -> None:
    """The grant was revoked or calcast's calendar deleted: the connection and its subscription end, with the reason.

    Through the subscriptions service, so Braze and the webhooks hear of it as of any unsubscribe.
    """
    with transaction() as session:
        connection = session.get(PushConnection, connection_id)
        if connection is None or connection.state != ConnectionState.ACTIVE:
            return
        end_connection(session=session, connection=connection, reason=reason, detail=detail)
        session.flush()
        subscription = subscriptions.get_subscription(session=session, subscription_id=connection.subscription_id)
        subscriptions.deactivate(session=session, subscription=subscription, reason_id=reason, reason_text=detail)


class Reconciliation:
    """The periodic job: queue a reconciling sync for every active connection not compared lately."""

    def __init__(self, batch: int = 1000) -> None:
        self.batch = batch

    def __call__(self, *, transaction: Transaction, settings: Settings, now: datetime) -> int:
        before = now - timedelta(minutes=settings.push_reconcile_minutes)
        with transaction() as session:
            query = (
                select(PushConnection)
                .where(
                    PushConnection.state == ConnectionState.ACTIVE,
                    or_(PushConnection.last_reconciled_at.is_(None), PushConnection.last_reconciled_at < before),
                )
                .order_by(PushConnection.last_reconciled_at.nulls_first(), PushConnection.id)
                .limit(self.batch)
            )
            due = list(session.scalars(query))
            for connection in due:
                # Marked now, so the next run picks others; the sync itself may take a while to come due.
                connection.last_reconciled_at = utcnow()
            return enqueue_syncs(session=session, connections=due, reconcile=True)
