"""Who is calling the API: Bearer access tokens (also as the German "Träger"), or HTTP Basic client credentials."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.exceptions import HTTPException

from calcast.accounts.tokens import Caller, caller_from_credentials, caller_from_token
from calcast.core.errors import Forbidden
from calcast.core.http import SessionDep, SettingsDep

# The German Braze page translates "Bearer" as "Träger"; a header may carry it as UTF-8 read as Latin-1.
BEARER_SCHEMES = frozenset({"bearer", "träger", "trã¤ger", "traeger"})
WWW_AUTHENTICATE = 'Bearer realm="calcast", Basic realm="calcast"'


class _Documented(SecurityBase):
    """Declares a scheme in the OpenAPI document; the header itself is read by `current_client`."""

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


def current_client(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _bearer_scheme: Annotated[None, Depends(_bearer)],
    _basic_scheme: Annotated[None, Depends(_basic)],
) -> Caller:
    """The authenticated caller, or 401 with a sentence that says how to authenticate."""
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
        caller = caller_from_token(session=session, settings=settings, token=value) if value else None
        if caller is None:
            raise _unauthorized(
                "The access token is not valid, has expired (tokens last 5 minutes) or its client was revoked; "
                "fetch a new one from POST /oauth2/token."
            )
        return caller
    if scheme == "basic":
        credentials = basic_credentials(value)
        caller = None
        if credentials is not None:
            caller = caller_from_credentials(session=session, client_id=credentials[0], client_secret=credentials[1])
        if caller is None:
            raise _unauthorized("The client id or secret is wrong, or the client was revoked; check the credentials.")
        return caller
    raise _unauthorized(f"The Authorization scheme {scheme!r} is not supported; use Bearer or Basic.")


CurrentClient = Annotated[Caller, Depends(current_client)]


async def client_of_account(caller: CurrentClient, account_code: Annotated[str, Path(alias="accountCode")]) -> Caller:
    """The caller, if the account in the path is its own; 403 otherwise (async: no worker-thread hop needed)."""
    if account_code != caller.account_code:
        raise Forbidden(
            f"These credentials belong to the account {caller.account_code!r}, not {account_code!r}; "
            "use the client credentials of the account in the URL."
        )
    return caller


AccountClient = Annotated[Caller, Depends(client_of_account)]
