"""Webhook endpoints of an account, and the log of their deliveries: add, list, disable, read, prune, erase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.core import outbound
from calcast.core.config import Settings
from calcast.core.db import Transaction, delete_in_batches, utcnow
from calcast.core.errors import NotFound, invalid
from calcast.core.security import Cipher, random_secret
from calcast.outbox import service as outbox
from calcast.outbox.service import PRUNE_BATCH
from calcast.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def add_endpoint(
    *,
    session: Session,
    cipher: Cipher,
    account_code: str,
    url: str,
    event_types: Sequence[str],
    allow_private_destinations: bool = False,
) -> NewEndpoint:
    """Register an endpoint (https, public: core.outbound) for the chosen event types; its secret is shown once."""
    account = accounts.get_account(session=session, code=account_code)
    url = outbound.check_destination(url, allow_private=allow_private_destinations, what="webhook URL")
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown or not chosen:
        if unknown:
            raise invalid(
                "event",
                "Choose event types among {types}; {unknown} is not one.",
                types=", ".join(EVENT_TYPES),
                unknown=", ".join(map(repr, unknown)),
            )
        raise invalid("event", "Choose event types among {types}.", types=", ".join(EVENT_TYPES))
    secret = "whsec_" + random_secret(32)
    endpoint = WebhookEndpoint(
        account_id=account.id, url=url, event_types=chosen, secret_encrypted=cipher.encrypt(secret)
    )
    session.add(endpoint)
    session.flush()
    return NewEndpoint(endpoint=endpoint, secret=secret)


def list_endpoints(*, session: Session, account_code: str) -> list[WebhookEndpoint]:
    """The account's webhook endpoints, oldest first."""
    account = accounts.get_account(session=session, code=account_code)
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list(session.scalars(query))


def get_endpoint(*, session: Session, endpoint_id: str, account_code: str | None = None) -> WebhookEndpoint:
    """The endpoint (of `account_code`, when given: another account's is as unknown as a missing one)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if (
        endpoint is not None
        and account_code is not None
        and endpoint.account_id != accounts.get_account(session=session, code=account_code).id
    ):
        endpoint = None
    if endpoint is None:
        raise NotFound(
            "There is no webhook {endpoint_id!r}; `calcast webhook list ACCOUNT` shows them.", endpoint_id=endpoint_id
        )
    return endpoint


def disable_endpoint(*, session: Session, endpoint_id: str, account_code: str | None = None) -> WebhookEndpoint:
    """Stop sending to an endpoint (its log stays); queued deliveries to it are dropped."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id, account_code=account_code)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = utcnow()
    session.flush()
    return endpoint


def delivery_log(
    *, session: Session, endpoint_id: str, limit: int = 50, account_code: str | None = None
) -> list[WebhookDelivery]:
    """The endpoint's latest delivery attempts, newest first."""
    get_endpoint(session=session, endpoint_id=endpoint_id, account_code=account_code)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def retry_delivery(
    *, session: Session, endpoint_id: str, message_id: int, account_code: str | None = None
) -> outbox.Retried:
    """Send a logged delivery of this endpoint again (`calcast outbox retry`), unless that would undo a newer one."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id, account_code=account_code)
    logged = session.scalar(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.outbox_id == message_id)
        .limit(1)
    )
    if logged is None:
        raise NotFound(
            "The webhook {endpoint} has no delivery {message_id}; its log shows the ones it has.",
            endpoint=endpoint.id,
            message_id=message_id,
        )
    return outbox.retry(session=session, message_id=message_id, account_id=endpoint.account_id)


def prune_delivery_log(*, session: Session, before: datetime, limit: int) -> int:
    """Delete up to `limit` delivery attempts logged before `before` (the outbox retention); returns how many."""
    query = select(WebhookDelivery.id).where(WebhookDelivery.created_at < before).order_by(WebhookDelivery.id)
    ids = list(session.scalars(query.limit(limit)))
    if ids:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    return len(ids)


def erase_responses(*, session: Session, outbox_ids: Sequence[int]) -> None:
    """Forget what receivers answered to these deliveries: an answer may echo the personal data it was sent."""
    if outbox_ids:
        statement = update(WebhookDelivery).where(WebhookDelivery.outbox_id.in_(list(outbox_ids)))
        session.execute(statement.values(response_excerpt=None), execution_options={"synchronize_session": False})


def prune_delivery_logs(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """The periodic job: delete delivery logs older than `CALCAST_OUTBOX_RETENTION_DAYS`, in batches."""
    before = now - timedelta(days=settings.outbox_retention_days)
    return delete_in_batches(
        transaction, lambda session: prune_delivery_log(session=session, before=before, limit=PRUNE_BATCH), PRUNE_BATCH
    )
