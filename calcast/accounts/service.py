"""Accounts, their Braze settings and OAuth clients."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from calcast.accounts.models import Account, OAuthClient
from calcast.core import outbound
from calcast.core.codes import RESERVED_ACCOUNT_CODES, check_code
from calcast.core.db import utcnow
from calcast.core.errors import Conflict, Invalid, NotFound
from calcast.core.security import Cipher, digest, matches, random_secret


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    client_secret: str


def create_account(*, session: Session, code: str, name: str) -> Account:
    """Create an account (a brand); its code must be free and not one of calcast's own paths."""
    check_code(code, what="account")
    if code in RESERVED_ACCOUNT_CODES:
        raise Invalid(f"The account code {code!r} is reserved by calcast's own URLs; choose another code.")
    if not name.strip():
        raise Invalid("The account needs a name; pass --name with the brand's name.")
    if session.scalar(select(Account.id).where(Account.code == code)) is not None:
        raise Conflict(f"An account with the code {code!r} already exists; choose another code.")
    account = Account(code=code, name=name.strip())
    session.add(account)
    session.flush()
    return account


def list_accounts(*, session: Session) -> list[Account]:
    """Every account, by code."""
    return list(session.scalars(select(Account).order_by(Account.code)))


def get_account(*, session: Session, code: str) -> Account:
    """The account with this code, or NotFound."""
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound(f"There is no account with the code {code!r}; `calcast account list` shows them.")
    return account


def get_account_by_id(*, session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    return account


def set_braze(
    *,
    session: Session,
    cipher: Cipher,
    code: str,
    rest_endpoint: str,
    api_key: str,
    allow_private_destinations: bool = False,
) -> Account:
    """Store the account's Braze REST endpoint (https, public: core.outbound) and its users.track key (encrypted)."""
    account = get_account(session=session, code=code)
    endpoint = outbound.check_destination(
        rest_endpoint.strip().rstrip("/"),
        allow_private=allow_private_destinations,
        what="Braze REST endpoint",
        field="rest_endpoint",
    )
    if not api_key.strip():
        raise Invalid("The Braze REST API key is empty; pass the key that has users.track permission.")
    account.braze_rest_endpoint = endpoint
    account.braze_api_key_encrypted = cipher.encrypt(api_key.strip())
    session.flush()
    return account


def braze_api_key(*, cipher: Cipher, account: Account) -> str | None:
    """The account's Braze REST key in clear, for the outbound request only."""
    if account.braze_api_key_encrypted is None:
        return None
    return cipher.decrypt(account.braze_api_key_encrypted)


def braze_key_ending(*, cipher: Cipher, account: Account) -> str | None:
    """The last 4 characters of the account's Braze key (all the console ever shows of it); None without a key."""
    try:
        key = braze_api_key(cipher=cipher, account=account)
    except ValueError:  # saved under another CALCAST_SECRET_KEY: unreadable, so nothing to show
        return "????"
    return None if key is None else key[-4:]


def create_link_key(*, session: Session, cipher: Cipher, code: str, rotate: bool = False) -> str:
    """A new key for signing landing-page links, returned here once and stored encrypted.

    Replacing a key (`rotate`) stops every link signed with the old one from identifying anybody.
    """
    account = get_account(session=session, code=code)
    if account.link_key_encrypted is not None and not rotate:
        raise Conflict(
            "The account {code!r} already has a link key; it is shown only when it is created. "
            "Pass --rotate to replace it (links signed with the old key are no longer trusted).",
            code=code,
        )
    key = secrets.token_hex(32)
    account.link_key_encrypted = cipher.encrypt(key)
    session.flush()
    return key


def link_signature(link_key: str, external_id: str) -> str:
    """HMAC-SHA256 of the external id with the link key, lowercase hex: Braze's `hmac_sha256_hex` filter."""
    return hmac.new(link_key.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def _link_key(*, cipher: Cipher, account: Account) -> str | None:
    if account.link_key_encrypted is None:
        return None
    return cipher.decrypt(account.link_key_encrypted)


def sign_external_id(*, cipher: Cipher, account: Account, external_id: str) -> str:
    """The signature a landing-page link carries next to this external id (`sig`)."""
    try:
        key = _link_key(cipher=cipher, account=account)
    except ValueError:
        raise Invalid(
            "The link key of {code!r} was stored under another CALCAST_SECRET_KEY; "
            "create a new one with `calcast account link-key {code} --rotate`.",
            code=account.code,
        ) from None
    if key is None:
        raise Invalid(
            "The account {code!r} has no link key yet; create one with `calcast account link-key {code}`.",
            code=account.code,
        )
    return link_signature(key, external_id)


def is_signed_external_id(*, cipher: Cipher, account: Account, external_id: str, signature: str) -> bool:
    """Whether the brand signed this external id with its current link key (checked in constant time)."""
    try:
        key = _link_key(cipher=cipher, account=account)
    except ValueError:  # encrypted with another server key: nothing can be verified with it
        return False
    if key is None or not signature:
        return False
    return hmac.compare_digest(link_signature(key, external_id), signature.strip().lower())


def create_client(*, session: Session, account_code: str) -> NewClient:
    """A new OAuth client of the account; its secret is returned here once and stored only as a digest."""
    account = get_account(session=session, code=account_code)
    secret = random_secret(32)
    client = OAuthClient(
        account_id=account.id,
        client_id=f"{account.code}-{secrets.token_hex(8)}",
        secret_digest=digest(secret),
    )
    session.add(client)
    session.flush()
    return NewClient(client=client, client_secret=secret)


def list_clients(*, session: Session, account_code: str) -> list[OAuthClient]:
    """The account's OAuth clients, newest first."""
    account = get_account(session=session, code=account_code)
    query = (
        select(OAuthClient)
        .where(OAuthClient.account_id == account.id)
        .order_by(OAuthClient.created_at.desc(), OAuthClient.client_id)
    )
    return list(session.scalars(query))


def revoke_client(*, session: Session, client_id: str, account_code: str | None = None) -> OAuthClient:
    """Revoke a client (of `account_code`, when given): its secret and every token issued to it stop at once."""
    client = session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if (
        client is not None
        and account_code is not None
        and client.account_id != get_account(session=session, code=account_code).id
    ):
        client = None  # another account's client is as unknown here as a missing one
    if client is None:
        raise NotFound(
            "There is no OAuth client {client_id!r}; `calcast client list ACCOUNT` shows them.", client_id=client_id
        )
    if client.revoked_at is None:
        client.revoked_at = utcnow()
    session.flush()
    return client


def get_active_client(*, session: Session, client_id: str) -> OAuthClient | None:
    """The client if it exists and is not revoked."""
    client = session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None or client.revoked_at is not None:
        return None
    return client


def authenticate_client(*, session: Session, client_id: str, client_secret: str) -> OAuthClient | None:
    """The active client whose secret this is; None for anything else (checked in constant time)."""
    client = get_active_client(session=session, client_id=client_id)
    if client is None or not matches(client_secret, client.secret_digest):
        return None
    return client
