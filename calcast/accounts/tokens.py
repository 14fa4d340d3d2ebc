"""OAuth 2.0 client credentials: issuing access tokens and telling which account a caller acts for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from calcast.accounts.models import Account, OAuthClient
from calcast.core.config import Settings
from calcast.core.security import issue_access_token, matches, read_access_token


@dataclass(frozen=True)
class Caller:
    """An authenticated API client and the one account it belongs to."""

    client_id: str
    account_id: str
    account_code: str


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


_ACTIVE_CALLER = (
    select(OAuthClient.client_id, OAuthClient.secret_digest, Account.id, Account.code)
    .join(Account, Account.id == OAuthClient.account_id)
    .where(OAuthClient.client_id == bindparam("client_id"), OAuthClient.revoked_at.is_(None))
)


def _active_caller(session: Session, client_id: str) -> tuple[Caller, str] | None:
    """The caller and its secret digest when the client exists and is not revoked (one indexed query)."""
    if "\x00" in client_id:  # no client id holds one, and PostgreSQL refuses it in a query
        return None
    # Core, and built once: no ORM result processing, no statement construction per request.
    row = session.connection().execute(_ACTIVE_CALLER, {"client_id": client_id}).first()
    if row is None:
        return None
    return Caller(client_id=row[0], account_id=row[2], account_code=row[3]), row[1]


def caller_from_credentials(*, session: Session, client_id: str, client_secret: str) -> Caller | None:
    """The caller whose client id and secret these are; None for a wrong, unknown or revoked client."""
    found = _active_caller(session, client_id)
    if found is None or not matches(client_secret, found[1]):
        return None
    return found[0]


def active_caller(*, session: Session, client_id: str) -> Caller | None:
    """The caller acting through this client id (from a verified access token); None once it is revoked."""
    found = _active_caller(session, client_id)
    return None if found is None else found[0]


def caller_from_token(*, session: Session, settings: Settings, token: str) -> Caller | None:
    """The caller of a genuine, unexpired access token whose client is still active; None otherwise."""
    claims = read_access_token(settings.secret_key, token)
    if claims is None:
        return None
    return active_caller(session=session, client_id=claims.client_id)


def issue_token(*, session: Session, settings: Settings, client_id: str, client_secret: str) -> IssuedToken | None:
    """A short-lived access token for valid client credentials (SHA-256 check, no slow hash); None otherwise."""
    caller = caller_from_credentials(session=session, client_id=client_id, client_secret=client_secret)
    if caller is None:
        return None
    token = issue_access_token(settings.secret_key, caller.client_id, settings.token_ttl_seconds)
    return IssuedToken(access_token=token, expires_in=settings.token_ttl_seconds)
