"""POST /oauth2/token: OAuth 2.0 client credentials (RFC 6749 §4.4), as Braze's Connected Content calls it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from calcast.accounts import tokens
from calcast.accounts.auth import basic_credentials, count_token_failure, token_failure_wait
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.ratelimit import client_network, rate_limits
from calcast.core.rest import ERROR_RESPONSES, ErrorOut, UnreadableJson, read_json

router = APIRouter(tags=["auth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class OAuthErrorOut(BaseModel):
    error: str
    error_description: str
    Code: int
    Reason: str


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 6749 §5.2 error that also carries calcast's Code/Reason fields."""
    body = {"error": error, "error_description": description, "Code": status, "Reason": description}
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


async def token_request(request: Request) -> dict[str, str]:
    """The request's parameters: form-encoded (Braze's default) or a JSON object; anything else is empty."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed: Any = read_json(raw or b"{}")
        except UnreadableJson:
            return {}
        return {str(k): str(v) for k, v in parsed.items() if isinstance(v, str)} if isinstance(parsed, dict) else {}
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return {}


TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                    "required": ["grant_type"],
                }
            }
            for media in ("application/x-www-form-urlencoded", "application/json")
        },
    }
}


@router.post(
    "/oauth2/token",
    response_model=TokenOut,
    openapi_extra=TOKEN_FORM,
    responses={
        400: {"model": OAuthErrorOut},
        401: {"model": OAuthErrorOut},
        413: ERROR_RESPONSES[413],
        422: {"model": ErrorOut, "description": "The body holds a NUL character."},
        429: {"model": OAuthErrorOut, "description": "Too many failed requests; retry after Retry-After seconds."},
    },
)
def token(
    request: Request,
    parameters: Annotated[dict[str, str], Depends(token_request)],
    session: SessionDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Exchange client credentials (Basic header or client_id/client_secret fields) for a 5-minute access token."""
    credentials = None
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        credentials = basic_credentials(value)
    elif parameters.get("client_id"):
        credentials = (parameters["client_id"], parameters.get("client_secret", ""))
    limits, network = rate_limits(request), client_network(request)
    client_id = credentials[0] if credentials else None
    if wait := token_failure_wait(limits, network=network, client_id=client_id):
        return oauth_error(
            429,
            "temporarily_unavailable",
            f"Too many failed token requests for this client or from this network; retry in {wait} seconds "
            "(and check the client id and secret of the Connected Content credential).",
            {"Retry-After": str(wait)},
        )
    if credentials is None:
        count_token_failure(limits, network=network, client_id=None)
        return oauth_error(
            401,
            "invalid_client",
            "Send the client id and secret as HTTP Basic credentials or as client_id and client_secret fields.",
            {"WWW-Authenticate": 'Basic realm="calcast"'},
        )
    grant_type = parameters.get("grant_type")
    if not grant_type:
        return oauth_error(400, "invalid_request", "The request needs grant_type=client_credentials.")
    if grant_type != "client_credentials":
        return oauth_error(
            400, "unsupported_grant_type", f"Only grant_type=client_credentials is supported, not {grant_type!r}."
        )
    issued = tokens.issue_token(
        session=session, settings=settings, client_id=credentials[0], client_secret=credentials[1]
    )
    if issued is None:
        count_token_failure(limits, network=network, client_id=client_id)
        return oauth_error(
            401,
            "invalid_client",
            "The client id or secret is wrong, or the client was revoked; check the Connected Content credential.",
            {"WWW-Authenticate": 'Basic realm="calcast"'},
        )
    body = {"access_token": issued.access_token, "token_type": "bearer", "expires_in": issued.expires_in}
    return JSONResponse(body, headers=NO_STORE)
