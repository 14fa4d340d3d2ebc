"""A local stand-in for the Microsoft identity platform's authorize/token endpoints and Microsoft Graph's calendar
routes, for push sync tests (never in the product).

Checked against a hand-written contract of exactly the fields calcast may send (Graph publishes no small machine-
readable document for them): an unknown field is refused as Graph refuses it (400 `RequestBodyRead`). Behaviour
from Microsoft's documentation: refresh tokens rotate on every use (the one used stops working here, so a client
that does not store the new one loses the grant), `transactionId` makes a repeated event POST return the first
event, a deleted calendar answers 404 `ErrorItemNotFound`, throttling is 429 `TooManyRequests` with `Retry-After`,
an expired access token 401 `InvalidAuthenticationToken`, a revoked grant `invalid_grant` (AADSTS50173).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "7f1e2d3c-0000-4000-8000-00000000ca1c"
CLIENT_SECRET = "standin-entra-secret"
TENANT = "common"
USER = "subscriber@outlook.example"

# The fields calcast may send, per Graph resource (`str`, `bool`, `int`, or a nested contract).
DATE_TIME_TIME_ZONE: dict[str, Any] = {"dateTime": str, "timeZone": str}
CONTRACT: dict[str, dict[str, Any]] = {
    "calendar": {"name": str},
    "event": {
        "subject": str,
        "body": {"contentType": str, "content": str},
        "start": DATE_TIME_TIME_ZONE,
        "end": DATE_TIME_TIME_ZONE,
        "isAllDay": bool,
        "isReminderOn": bool,
        "reminderMinutesBeforeStart": int,
        "transactionId": str,
        "location": {"displayName": str},
        "showAs": str,
    },
}


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message, "innerError": {"request-id": "standin"}}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _check(value: Any, contract: Any, kind: str) -> None:
    if isinstance(contract, dict):
        if not isinstance(value, dict):
            raise GraphError(400, "RequestBodyRead", f"Expected an object for microsoft.graph.{kind}.")
        for name, item in value.items():
            if name not in contract:
                raise GraphError(
                    400, "RequestBodyRead", f"The property '{name}' does not exist on type 'microsoft.graph.{kind}'."
                )
            _check(item, contract[name], kind)
    elif contract is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise GraphError(400, "RequestBodyRead", f"Cannot convert {value!r} to Edm.Int32.")
    elif contract in (str, bool) and not isinstance(value, contract):
        raise GraphError(400, "RequestBodyRead", f"Cannot convert {value!r} for microsoft.graph.{kind}.")


@dataclass
class Grant:
    user: str
    revoked: bool = False


@dataclass
class StoredCalendar:
    id: str
    name: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


class MicrosoftStandIn:
    """Entra's token endpoint and Graph's calendars for one test; state in memory, inspected by the test."""

    def __init__(self) -> None:
        self.url = ""
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_tokens: dict[str, tuple[Grant, float]] = {}
        self.calendars: dict[str, StoredCalendar] = {}
        self.faults: deque[tuple[int, str | None]] = deque()
        self.refreshes = 0
        self.without_immutable_ids = 0
        self.change_keys = itertools.count(1)

    # ------------------------------------------------------------------------------------------ test controls

    def throttle(self, times: int, *, retry_after: str | None = "0") -> None:
        with self.lock:
            self.faults.extend((429, retry_after) for _ in range(times))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def revoke_all(self) -> None:
        with self.lock:
            for grant in self.refresh_tokens.values():
                grant.revoked = True
            self.access_tokens.clear()

    def delete_calendar_as_user(self, calendar_id: str) -> None:
        with self.lock:
            del self.calendars[calendar_id]

    # ------------------------------------------------------------------------------------------ app

    def app(self) -> Starlette:
        base = f"/{TENANT}/oauth2/v2.0"
        return Starlette(
            routes=[
                Route(f"{base}/authorize", self.authorize, methods=["GET"]),
                Route(f"{base}/approve", self.approve, methods=["POST"]),
                Route(f"{base}/token", self.token, methods=["POST"]),
                Route("/v1.0/{rest:path}", self.graph, methods=["GET", "POST", "PATCH", "DELETE"]),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        # PKCE is optional for a confidential web client; when sent it must be S256.
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method", "S256") != "S256":
            return HTMLResponse("<h1>AADSTS700016: Application not found</h1>", status_code=400)
        fields = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in query.items()
        )
        return HTMLResponse(
            "<!doctype html><title>Permissions requested</title>"
            f"<h1>calcast wants to read and write your calendars</h1><p>{USER}</p>"
            f'<form method="post" action="/{TENANT}/oauth2/v2.0/approve">{fields}'
            '<button name="decision" value="accept">Accept</button>'
            '<button name="decision" value="cancel">Cancel</button></form>'
        )

    async def approve(self, request: Request) -> Response:
        values = {name: str(value) for name, value in (await request.form()).items()}
        target = values["redirect_uri"]
        if values.get("decision") != "accept":
            query = {"error": "access_denied", "error_description": "AADSTS65004", "state": values.get("state", "")}
            return RedirectResponse(f"{target}?{urlencode(query)}", 302)
        code = "M." + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = values
        return RedirectResponse(f"{target}?{urlencode({'code': code, 'state': values.get('state', '')})}", 302)

    def _tokens(self, grant: Grant) -> dict[str, Any]:
        access = "eyJ0eXAi." + secrets.token_urlsafe(24)
        refresh = "M.C5" + secrets.token_urlsafe(32)
        self.access_tokens[access] = (grant, time.monotonic() + 3600)
        self.refresh_tokens[refresh] = grant
        return {
            "token_type": "Bearer",
            "scope": "https://graph.microsoft.com/Calendars.ReadWrite",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": access,
            "refresh_token": refresh,
        }

    async def token(self, request: Request) -> Response:
        form = {name: str(value) for name, value in (await request.form()).items()}

        def refused(code: str, description: str, status: int = 400) -> JSONResponse:
            return JSONResponse(
                {"error": code, "error_description": description, "error_codes": [int(description[6:11])]},
                status_code=status,
            )

        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return refused("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401)
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                issued = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                    return refused("invalid_grant", "AADSTS70000: The provided authorization code is invalid.")
                if "code_challenge" in issued and challenge != issued["code_challenge"]:
                    return refused("invalid_grant", "AADSTS50148: The code_verifier does not match.")
                return JSONResponse(self._tokens(Grant(USER)))
            if form.get("grant_type") == "refresh_token":
                # Rotation: the refresh token is used up; the answer carries the next one.
                grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if grant is None:
                    return refused("invalid_grant", "AADSTS70000: The provided refresh token is invalid or used.")
                if grant.revoked:
                    return refused("invalid_grant", "AADSTS50173: The provided grant has expired due to revocation.")
                self.refreshes += 1
                return JSONResponse(self._tokens(grant))
        return refused("unsupported_grant_type", "AADSTS70003: The grant type is not supported.")

    async def graph(self, request: Request) -> Response:
        try:
            return await self._graph(request)
        except GraphError as error:
            return error.response()

    async def _graph(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self.lock:
            found = self.access_tokens.get(token)
        if found is None or found[1] < time.monotonic() or found[0].revoked:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        parts = request.url.path.removeprefix("/v1.0/").split("/")
        body: Any = json.loads(await request.body()) if request.method in ("POST", "PATCH") else None
        with self.lock:
            if self.faults:
                status, wait = self.faults.popleft()
                headers = {"Retry-After": wait} if wait is not None else {}
                raise GraphError(
                    status, "TooManyRequests", "Application is over its MailboxConcurrency limit.", **headers
                )
            if parts[:2] == ["me", "calendars"]:
                return self._calendars(request, parts[2:], body)
            if parts[:2] == ["me", "events"] and len(parts) == 3:
                return self._event(request, parts[2], body)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")

    def _calendar(self, calendar_id: str) -> StoredCalendar:
        calendar = self.calendars.get(calendar_id)
        if calendar is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return calendar

    def _calendars(self, request: Request, rest: list[str], body: Any) -> Response:
        if not rest and request.method == "POST":
            _check(body, CONTRACT["calendar"], "calendar")
            calendar_id = "AAMkAG" + secrets.token_urlsafe(30)
            self.calendars[calendar_id] = StoredCalendar(calendar_id, body["name"])
            return JSONResponse({"id": calendar_id, "name": body["name"], "canEdit": True}, status_code=201)
        if len(rest) == 1 and request.method == "DELETE":
            self._calendar(rest[0])
            del self.calendars[rest[0]]
            return Response(status_code=204)
        if len(rest) == 2 and rest[1] == "events":
            calendar = self._calendar(rest[0])
            if request.headers.get("prefer") != 'IdType="ImmutableId"':
                self.without_immutable_ids += 1
            if request.method == "GET":
                items = [{"id": event["id"], "changeKey": event["changeKey"]} for event in calendar.events.values()]
                return JSONResponse({"value": items})
            if request.method == "POST":
                _check(body, CONTRACT["event"], "event")
                for event in calendar.events.values():
                    if body.get("transactionId") and event.get("transactionId") == body["transactionId"]:
                        return JSONResponse(event, status_code=201)
                event_id = "AAkALg" + secrets.token_urlsafe(40)
                event = {**body, "id": event_id, "changeKey": f"CK{next(self.change_keys)}", "calendar": calendar.id}
                calendar.events[event_id] = event
                return JSONResponse(event, status_code=201)
        raise GraphError(405, "ErrorInvalidRequest", "The OData request is not supported.")

    def _event(self, request: Request, event_id: str, body: Any) -> Response:
        if request.headers.get("prefer") != 'IdType="ImmutableId"':
            self.without_immutable_ids += 1
        for calendar in self.calendars.values():
            event = calendar.events.get(event_id)
            if event is None:
                continue
            if request.method == "DELETE":
                del calendar.events[event_id]
                return Response(status_code=204)
            if request.method == "PATCH":
                _check(body, CONTRACT["event"], "event")
                if "transactionId" in body:
                    raise GraphError(400, "ErrorInvalidProperty", "transactionId cannot be changed.")
                event.update(body)
                event["changeKey"] = f"CK{next(self.change_keys)}"
                return JSONResponse(event)
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


@contextmanager
def running_microsoft_standin() -> Iterator[MicrosoftStandIn]:
    """The stand-in served over real HTTP on a free loopback port (`standin.url`)."""
    standin = MicrosoftStandIn()
    server = uvicorn.Server(
        uvicorn.Config(standin.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("The Microsoft stand-in did not start.")
        time.sleep(0.02)
    standin.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
