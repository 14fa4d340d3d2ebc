"""Who is calling the API: Bearer access tokens (also as the German "Träger"), or HTTP Basic client credentials."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from calcast.accounts.tokens import Caller, active_caller, caller_from_credentials
from calcast.core.errors import Forbidden
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.ratelimit import RateLimits
from calcast.core.security import read_access_token

# The German Braze page translates "Bearer" as "Träger"; a header may carry it as UTF-8 read as Latin-1.
BEARER_SCHEMES = frozenset({"bearer", "träger", "trã¤ger", "traeger"})
WWW_AUTHENTICATE = 'Bearer realm="calcast", Basic realm="calcast"'


class _Documented(SecurityBase):
    """Declares a scheme in the OpenAPI document; the header itself is read by `presented_credentials`."""

    def __init__(self, model: HTTPBaseModel, name: str) -> None:
        self.model = model
        self.scheme_name = name

    async def __call__(self) -> None:
        return None


_bearer = _Documented(HTTPBearerModel(description="Access token from POST /oauth2/token."), "Bearer")
_basic = _Documented(HTTPBaseModel(scheme="basic", description="client_id and client_secret directly."), "Basic")


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def basic_credentials(value: str) -> tuple[str, str] | None:
    """client_id and client_secret from the base64 part of a Basic header; None when it is not that."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, colon, client_secret = decoded.partition(":")
    return (client_id, client_secret) if colon and client_id else None


def _authorization(request: Request) -> str | None:
    # MoEngage's documentation spells the header the British way; accept both.
    return request.headers.get("authorization") or request.headers.get("authorisation")


EXPIRED_OR_REVOKED = (
    "The access token is not valid, has expired (tokens last 5 minutes) or its client was revoked; "
    "fetch a new one from POST /oauth2/token."
)
WRONG_CLIENT = "The client id or secret is wrong, or the client was revoked; check the credentials."


@dataclass(frozen=True)
class Credentials:
    """What the Authorization header presents, checked as far as it can be without the database."""

    client_id: str
    client_secret: str | None = None  # None: a genuine, unexpired access token issued to client_id


async def presented_credentials(
    request: Request,
    settings: SettingsDep,
    _bearer_scheme: Annotated[None, Depends(_bearer)],
    _basic_scheme: Annotated[None, Depends(_basic)],
) -> Credentials:
    """The credentials of the request, or 401 with a sentence that says how to authenticate.

    Async and without a query (a token's signature and expiry are checked here, on the event loop), so a
    request without usable credentials is refused before its body is validated; `caller_of` then asks the
    database whether the client is still active.
    """
    header = _authorization(request)
    if not header or not header.strip():
        raise _unauthorized(
            "This request needs credentials: send Authorization: Bearer <access_token> from POST /oauth2/token, "
            "or Basic with the client id and secret."
        )
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip().strip("`'\"")
    if scheme in BEARER_SCHEMES:
        claims = read_access_token(settings.secret_key, value) if value else None
        if claims is None:
            raise _unauthorized(EXPIRED_OR_REVOKED)
        return Credentials(client_id=claims.client_id)
    if scheme == "basic":
        credentials = basic_credentials(value)
        if credentials is None:
            raise _unauthorized(WRONG_CLIENT)
        return Credentials(client_id=credentials[0], client_secret=credentials[1])
    raise _unauthorized(f"The Authorization scheme {scheme!r} is not supported; use Bearer or Basic.")


PresentedCredentials = Annotated[Credentials, Depends(presented_credentials)]


def caller_of(*, session: Session, credentials: Credentials) -> Caller:
    """The caller the credentials stand for while its client is active (one query); 401 otherwise."""
    if credentials.client_secret is None:
        caller = active_caller(session=session, client_id=credentials.client_id)
        if caller is None:
            raise _unauthorized(EXPIRED_OR_REVOKED)
        return caller
    caller = caller_from_credentials(
        session=session, client_id=credentials.client_id, client_secret=credentials.client_secret
    )
    if caller is None:
        raise _unauthorized(WRONG_CLIENT)
    return caller


def own_account(caller: Caller, account_code: str) -> Caller:
    """The caller, if the account in the path is its own; 403 otherwise."""
    if account_code != caller.account_code:
        raise Forbidden(
            f"These credentials belong to the account {caller.account_code!r}, not {account_code!r}; "
            "use the client credentials of the account in the URL."
        )
    return caller


def account_caller(*, session: Session, credentials: Credentials, account_code: str) -> Caller:
    """For a route that opens its own transaction (one worker-thread hop): `caller_of`, then `own_account`."""
    return own_account(caller_of(session=session, credentials=credentials), account_code)


def current_client(credentials: PresentedCredentials, session: SessionDep) -> Caller:
    """The authenticated caller, or 401 with a sentence that says how to authenticate."""
    return caller_of(session=session, credentials=credentials)


CurrentClient = Annotated[Caller, Depends(current_client)]
AccountCode = Annotated[str, Path(alias="accountCode")]


async def client_of_account(caller: CurrentClient, account_code: AccountCode) -> Caller:
    """The caller, if the account in the path is its own; 403 otherwise (async: no worker-thread hop needed)."""
    return own_account(caller, account_code)


AccountClient = Annotated[Caller, Depends(client_of_account)]


def _client_key(client_id: str) -> str:
    return client_id[:64]  # no client id is longer; a longer one still counts, against the same key


def token_failure_wait(limits: RateLimits, *, network: str, client_id: str | None) -> int:
    """Seconds before POST /oauth2/token may be tried again from this network or for this client id (0: now).

    Only failures count, so a client with the right secret is held back only while its own client id, or the
    network it calls from, has used up `token_failures_per_minute` in the last minute.
    """
    wait = limits.wait(limits.token_failures_by_network, network)
    if client_id:
        wait = max(wait, limits.wait(limits.token_failures_by_client, _client_key(client_id)))
    return wait


def count_token_failure(limits: RateLimits, *, network: str, client_id: str | None) -> None:
    """Count one failed token request against the network and the client id it named."""
    limits.hit(limits.token_failures_by_network, network)
    if client_id:
        limits.hit(limits.token_failures_by_client, _client_key(client_id))
