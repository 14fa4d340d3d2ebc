"""A local stand-in for Google's OAuth 2.0 endpoints and Calendar API v3, for push sync tests (never in the product).

Every Calendar request is checked against the v3 discovery document that google-api-python-client ships
(`calendar.v3.json`): the method must exist for the path and HTTP verb, the token's scope must be among the method's
`scopes`, query parameters must be the method's, and the body must use only the schema's fields with the schema's
types (a `reminder` where `reminders` is meant is refused, as Google refuses it). Google's documented rules that the
document states in prose are enforced too: event ids in base32hex (5–1024 characters), not both `id` and `iCalUID`
on insert, at most 5 reminder overrides of 0–40320 minutes, 409 for an id used before, 410 for a deleted event.
Errors come in Google's shape (`{"error": {"code", "message", "errors": [{"domain", "reason", "message"}],
"status"}}`; the OAuth endpoints: `{"error", "error_description"}`). Tests can throttle (429 or 403
`rateLimitExceeded`, with `Retry-After`), expire access tokens, revoke grants and delete calendars as the user would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "calcast-test.apps.googleusercontent.com"
CLIENT_SECRET = "standin-client-secret"
APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"
USER = "subscriber@example.com"
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def discovery() -> dict[str, Any]:
    """Calendar v3's discovery document as shipped in google-api-python-client."""
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / "calendar.v3.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


class GoogleError(Exception):
    def __init__(
        self, status: int, message: str, reason: str = "invalid", domain: str = "global", **headers: str
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.reason, self.domain, self.headers = status, message, reason, domain, headers

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [{"domain": self.domain, "reason": self.reason, "message": self.message}],
                "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@dataclass(frozen=True)
class Method:
    id: str
    verb: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


@dataclass
class StoredCalendar:
    id: str
    owner: str
    summary: str
    description: str | None
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Grant:
    user: str
    scope: str
    revoked: bool = False


@dataclass
class Fault:
    status: int
    reason: str
    retry_after: str | None


class SchemaChecker:
    """The discovery document's request schemas, applied to request bodies."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = document["schemas"]

    def check(self, value: Any, schema: dict[str, Any], where: str, method_id: str) -> None:
        if "$ref" in schema:
            target = self.schemas[schema["$ref"]]
            self.check(value, {**target, **{k: v for k, v in schema.items() if k != "$ref"}}, where, method_id)
            return
        kind = schema.get("type")
        if kind == "object":
            if not isinstance(value, dict):
                raise GoogleError(400, f"Invalid value at '{where}': expected an object.")
            properties: dict[str, Any] = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for name, item in value.items():
                if name in properties:
                    self.check(item, properties[name], f"{where}.{name}" if where else name, method_id)
                elif extra is not None:
                    self.check(item, extra, f"{where}.{name}" if where else name, method_id)
                else:
                    raise GoogleError(
                        400, f"Invalid JSON payload received. Unknown name \"{name}\" at '{where or 'event'}'."
                    )
            for name, item in properties.items():
                required = item.get("annotations", {}).get("required", [])
                if method_id in required and name not in value:
                    raise GoogleError(400, f"Missing {name}.", reason="required")
        elif kind == "array":
            if not isinstance(value, list):
                raise GoogleError(400, f"Invalid value at '{where}': expected a list.")
            for index, item in enumerate(value):
                self.check(item, schema.get("items", {}), f"{where}[{index}]", method_id)
        elif kind == "string" and not isinstance(value, str):
            raise GoogleError(400, f"Invalid value at '{where}': expected a string.")
        elif kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            raise GoogleError(400, f"Invalid value at '{where}': expected an integer.")
        elif kind == "boolean" and not isinstance(value, bool):
            raise GoogleError(400, f"Invalid value at '{where}': expected true or false.")


class GoogleStandIn:
    """Google's OAuth and Calendar v3 for one test; state kept in memory, inspected by the test."""

    def __init__(self) -> None:
        self.document = discovery()
        self.checker = SchemaChecker(self.document)
        self.methods = list(self._methods())
        self.url = ""
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}
        self.grants: dict[str, Grant] = {}  # refresh token → grant
        self.access_tokens: dict[str, tuple[Grant, float]] = {}
        self.calendars: dict[str, StoredCalendar] = {}
        self.faults: deque[Fault] = deque()
        self.calls: list[tuple[str, str]] = []
        self.etags = itertools.count(1)
        self.token_lifetime = 3599
        self.consent_user = USER
        # Benchmarks: every Calendar answer this late, and Google's quotas enforced (None: not enforced).
        self.latency = 0.0
        self.project_per_minute: int | None = None
        self.user_per_minute: int | None = None
        self.recent: deque[float] = deque()
        self.recent_by_user: dict[str, deque[float]] = {}
        self.throttled = 0

    # ------------------------------------------------------------------------------------------ test controls

    def throttle(self, times: int, *, status: int = 429, retry_after: str | None = None) -> None:
        """The next `times` Calendar calls are refused: 429, or 403 `rateLimitExceeded` (status=403)."""
        reason = "rateLimitExceeded"
        with self.lock:
            self.faults.extend(Fault(status, reason, retry_after) for _ in range(times))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def revoke_all(self) -> None:
        """The user removes calcast at myaccount.google.com: every grant and token stops working."""
        with self.lock:
            for grant in self.grants.values():
                grant.revoked = True
            self.access_tokens.clear()

    def delete_calendar_as_user(self, calendar_id: str) -> None:
        with self.lock:
            del self.calendars[calendar_id]

    def edit_event_as_user(self, calendar_id: str, event_id: str, **fields: Any) -> None:
        with self.lock:
            event = self.calendars[calendar_id].events[event_id]
            event.update(fields)
            event["etag"] = f'"{next(self.etags)}"'

    def live_events(self, calendar_id: str) -> list[dict[str, Any]]:
        return [event for event in self.calendars[calendar_id].events.values() if event["status"] != "cancelled"]

    def api_calls(self, method_id: str) -> int:
        return sum(1 for called, _ in self.calls if called == method_id)

    # ------------------------------------------------------------------------------------------ app

    def _methods(self) -> Iterator[Method]:
        root = self.document["servicePath"]
        for resource in self.document["resources"].values():
            for spec in resource.get("methods", {}).values():
                regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape("/" + root + spec["path"]))
                yield Method(spec["id"], spec["httpMethod"], re.compile(regex + "$"), spec)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/o/oauth2/v2/auth", self.authorize, methods=["GET"]),
                Route("/o/oauth2/v2/approve", self.approve, methods=["POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/revoke", self.revoke, methods=["POST"]),
                Route("/calendar/v3/{rest:path}", self.api, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
                Route("/bench/grants", self.bench_grants, methods=["POST"]),
                Route("/bench/stats", self.bench_stats, methods=["GET"]),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        problems = [
            name
            for name, ok in (
                ("client_id", query.get("client_id") == CLIENT_ID),
                ("redirect_uri", bool(query.get("redirect_uri"))),
                ("response_type", query.get("response_type") == "code"),
                ("scope", bool(query.get("scope"))),
                # PKCE is optional for a web client (Google Identity Services' code model sends none); when sent
                # it must be S256 with a 43-character challenge.
                ("code_challenge_method", query.get("code_challenge_method", "S256") == "S256"),
                ("code_challenge", len(query.get("code_challenge", "x" * 43)) == 43),
                ("code_challenge", ("code_challenge" in query) == ("code_challenge_method" in query)),
            )
            if not ok
        ]
        if problems:
            return HTMLResponse(f"<h1>Error 400: invalid_request</h1><p>{', '.join(problems)}</p>", status_code=400)
        fields = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in query.items()
        )
        page = (
            "<!doctype html><title>Sign in - Google Accounts</title>"
            f"<h1>calcast wants to access your Google Account</h1><p>{html.escape(self.consent_user)}</p>"
            f"<p>Scopes: {html.escape(query['scope'])}</p>"
            f'<form method="post" action="/o/oauth2/v2/approve">{fields}'
            '<button name="decision" value="allow">Allow</button>'
            '<button name="decision" value="deny">Cancel</button></form>'
        )
        return HTMLResponse(page)

    async def approve(self, request: Request) -> Response:
        form = await request.form()
        values = {name: str(value) for name, value in form.items()}
        target = values["redirect_uri"]
        if values.get("decision") != "allow":
            return RedirectResponse(
                f"{target}?{urlencode({'error': 'access_denied', 'state': values.get('state', '')})}", 302
            )
        code = "4/" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = values
        query = {"code": code, "scope": values["scope"], "state": values.get("state", "")}
        return RedirectResponse(f"{target}?{urlencode(query)}", 302)

    def _issue(self, grant: Grant) -> str:
        token = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens[token] = (grant, time.monotonic() + self.token_lifetime)
        return token

    async def token(self, request: Request) -> Response:
        form = {name: str(value) for name, value in (await request.form()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                issued = self.codes.pop(form.get("code", ""), None)
                if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                    return _oauth_error("invalid_grant", "Malformed auth code.")
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if "code_challenge" in issued and challenge != issued["code_challenge"]:
                    return _oauth_error("invalid_grant", "Invalid code verifier.")
                grant = Grant(user=self.consent_user, scope=issued["scope"])
                refresh = "1//" + secrets.token_urlsafe(32)
                self.grants[refresh] = grant
                body = {
                    "access_token": self._issue(grant),
                    "expires_in": self.token_lifetime,
                    "refresh_token": refresh,
                    "scope": grant.scope,
                    "token_type": "Bearer",
                }
                return JSONResponse(body)
            if form.get("grant_type") == "refresh_token":
                grant_or_none = self.grants.get(form.get("refresh_token", ""))
                if grant_or_none is None or grant_or_none.revoked:
                    return _oauth_error("invalid_grant", "Token has been expired or revoked.")
                body = {
                    "access_token": self._issue(grant_or_none),
                    "expires_in": self.token_lifetime,
                    "scope": grant_or_none.scope,
                    "token_type": "Bearer",
                }
                return JSONResponse(body)
        return _oauth_error("unsupported_grant_type", "Invalid grant_type.")

    async def revoke(self, request: Request) -> Response:
        token = str((await request.form()).get("token", ""))
        with self.lock:
            grant = self.grants.get(token) or (self.access_tokens.get(token, (None, 0.0))[0])
            if grant is None:
                return _oauth_error("invalid_token", "Token expired or revoked")
            grant.revoked = True
        return JSONResponse({})

    # ------------------------------------------------------------------------------------------ Calendar v3

    async def api(self, request: Request) -> Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            return await self._api(request)
        except GoogleError as error:
            return error.response()

    async def bench_grants(self, request: Request) -> Response:
        """Benchmarks: `count` grants of distinct users at once, as if each had pressed "Allow"."""
        count = int(str((await request.form()).get("count", "1")))
        found = []
        with self.lock:
            for number in range(count):
                grant = Grant(user=f"user-{number}@example.com", scope=APP_CREATED)
                refresh = "1//" + secrets.token_urlsafe(32)
                self.grants[refresh] = grant
                found.append({"refresh_token": refresh, "access_token": self._issue(grant)})
        return JSONResponse({"grants": found, "expires_in": self.token_lifetime})

    async def bench_stats(self, request: Request) -> Response:
        with self.lock:
            calls: dict[str, int] = {}
            for method_id, _ in self.calls:
                calls[method_id] = calls.get(method_id, 0) + 1
            return JSONResponse({"calls": calls, "throttled": self.throttled})

    def _quota(self, user: str) -> None:
        """Google's per-project and per-user requests per minute (403 `rateLimitExceeded`/`userRateLimitExceeded`)."""
        now = time.monotonic()
        for window, limit, reason in (
            (self.recent, self.project_per_minute, "rateLimitExceeded"),
            (self.recent_by_user.setdefault(user, deque()), self.user_per_minute, "userRateLimitExceeded"),
        ):
            while window and window[0] < now - 60:
                window.popleft()
            if limit is not None and len(window) >= limit:
                self.throttled += 1
                raise GoogleError(403, "Rate Limit Exceeded", reason=reason, domain="usageLimits")
        self.recent.append(now)
        self.recent_by_user[user].append(now)

    async def _api(self, request: Request) -> Response:
        path = request.url.path
        found = [
            (method, match)
            for method in self.methods
            if method.verb == request.method and (match := method.pattern.match(path)) is not None
        ]
        if not found:
            raise GoogleError(404, "Not Found", reason="notFound")
        # The most specific route: `calendars/{calendarId}/events` before `calendars/{calendarId}`.
        method, match = min(found, key=lambda pair: len(pair[1].groupdict()))
        grant = self._grant(request)
        if grant.scope not in method.spec.get("scopes", []):
            raise GoogleError(403, "Request had insufficient authentication scopes.", reason="insufficientPermissions")
        parameters = method.spec.get("parameters", {})
        for name in request.query_params:
            if name not in parameters or parameters[name].get("location") != "query":
                raise GoogleError(400, f"Invalid parameter: {name}.", reason="invalidParameter")
        body: Any = None
        if "request" in method.spec:
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise GoogleError(400, "Parse Error", reason="parseError") from None
            self.checker.check(body, method.spec["request"], "", method.id)
        with self.lock:
            self._quota(grant.user)
            self.calls.append((method.id, path))
            if self.faults:
                fault = self.faults.popleft()
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                message = "Rate Limit Exceeded"
                if fault.status == 429:
                    raise GoogleError(429, message, reason=fault.reason, domain="usageLimits", **headers)
                raise GoogleError(fault.status, message, reason=fault.reason, domain="usageLimits", **headers)
            return self._run(method.id, match.groupdict(), body, grant, request)

    def _grant(self, request: Request) -> Grant:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.lock:
            found = self.access_tokens.get(token)
        if found is None or found[1] < time.monotonic() or found[0].revoked:
            raise GoogleError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential.",
                reason="authError",
            )
        return found[0]

    def _calendar(self, calendar_id: str, grant: Grant) -> StoredCalendar:
        calendar = self.calendars.get(calendar_id)
        # With calendar.app.created a calendar the app did not make is invisible: 404, as Google answers.
        if calendar is None or calendar.owner != grant.user:
            raise GoogleError(404, "Not Found", reason="notFound")
        return calendar

    def _run(self, method_id: str, path: dict[str, str], body: Any, grant: Grant, request: Request) -> Response:
        if method_id == "calendar.calendars.insert":
            calendar_id = secrets.token_hex(26) + "@group.calendar.google.com"
            self.calendars[calendar_id] = StoredCalendar(
                calendar_id, grant.user, body.get("summary", ""), body.get("description")
            )
            etag = f'"{next(self.etags)}"'
            return JSONResponse(
                {"kind": "calendar#calendar", "etag": etag, "id": calendar_id, "summary": body.get("summary")}
            )
        if method_id == "calendar.calendars.delete":
            self._calendar(path["calendarId"], grant)
            del self.calendars[path["calendarId"]]
            return Response(status_code=204)
        calendar = self._calendar(path.get("calendarId", ""), grant)
        if method_id == "calendar.events.insert":
            return JSONResponse(self._insert(calendar, body))
        if method_id == "calendar.events.list":
            show_deleted = request.query_params.get("showDeleted") == "true"
            items = [event for event in calendar.events.values() if show_deleted or event["status"] != "cancelled"]
            return JSONResponse({"kind": "calendar#events", "items": items})
        event = calendar.events.get(path.get("eventId", ""))
        if event is None:
            raise GoogleError(404, "Not Found", reason="notFound")
        if method_id == "calendar.events.delete":
            if event["status"] == "cancelled":
                raise GoogleError(410, "Resource has been deleted", reason="deleted")
            event["status"] = "cancelled"
            return Response(status_code=204)
        if method_id == "calendar.events.patch":
            if event["status"] == "cancelled" and body.get("status") != "confirmed":
                raise GoogleError(410, "Resource has been deleted", reason="deleted")
            self._check_event(body)
            _merge(event, body)
            event["etag"] = f'"{next(self.etags)}"'
            return JSONResponse(event)
        raise GoogleError(501, f"The stand-in does not implement {method_id}.", reason="notImplemented")

    def _check_event(self, body: dict[str, Any]) -> None:
        reminders = body.get("reminders") or {}
        overrides = reminders.get("overrides") or []
        if len(overrides) > 5:
            raise GoogleError(400, "Too many reminders.", reason="tooManyReminders")
        if reminders.get("useDefault") and overrides:
            raise GoogleError(
                400,
                "Cannot specify both default reminders and overrides at the same time.",
                reason="cannotUseDefaultRemindersAndSpecifyOverride",
            )
        for override in overrides:
            if not 0 <= override.get("minutes", -1) <= 40320:
                raise GoogleError(400, "Invalid reminder minutes.", reason="invalid")
            if override.get("method") not in ("popup", "email"):
                raise GoogleError(400, "Invalid reminder method.", reason="invalid")
        for end in ("start", "end"):
            moment = body.get(end)
            if moment is not None and ("date" in moment) == ("dateTime" in moment):
                raise GoogleError(400, "Invalid start or end: exactly one of date and dateTime.", reason="invalid")

    def _insert(self, calendar: StoredCalendar, body: dict[str, Any]) -> dict[str, Any]:
        if "id" in body and "iCalUID" in body:
            raise GoogleError(400, "Only one of id and iCalUID may be given on insert.", reason="invalid")
        event_id = body.get("id") or secrets.token_hex(13)
        if not _EVENT_ID.fullmatch(event_id):
            raise GoogleError(400, "Invalid resource id value.", reason="invalid")
        if event_id in calendar.events:
            raise GoogleError(409, "The requested identifier already exists.", reason="duplicate")
        self._check_event(body)
        event = {
            "kind": "calendar#event",
            "status": "confirmed",
            **body,
            "id": event_id,
            "iCalUID": f"{event_id}@google.com",
            "etag": f'"{next(self.etags)}"',
        }
        calendar.events[event_id] = event
        return event


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Patch semantics: objects merge field by field, everything else (arrays included) is replaced."""
    for name, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            _merge(target[name], value)
        else:
            target[name] = value


@contextmanager
def running_google_standin() -> Iterator[GoogleStandIn]:
    """The stand-in served over real HTTP on a free loopback port (`standin.url`)."""
    standin = GoogleStandIn()
    config = uvicorn.Config(standin.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("The Google stand-in did not start.")
        time.sleep(0.02)
    standin.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    """Run alone (`python -m tests.support.google_standin [--delay-ms N] [--quotas]`): prints the settings that
    point calcast at it, serves on until killed. `--quotas` enforces Google's default 10,000 requests per minute
    per project and 600 per user; its consent page answers for the user subscriber@example.com.
    """
    import sys

    with running_google_standin() as standin:
        if "--delay-ms" in sys.argv:
            standin.latency = float(sys.argv[sys.argv.index("--delay-ms") + 1]) / 1000
        if "--quotas" in sys.argv:
            standin.project_per_minute, standin.user_per_minute = 10_000, 600
        sys.stdout.write(
            f"CALCAST_GOOGLE_CLIENT_ID={CLIENT_ID}\n"
            f"CALCAST_GOOGLE_CLIENT_SECRET={CLIENT_SECRET}\n"
            f"CALCAST_GOOGLE_AUTH_URL={standin.url}/o/oauth2/v2/auth\n"
            f"CALCAST_GOOGLE_TOKEN_URL={standin.url}/token\n"
            f"CALCAST_GOOGLE_REVOKE_URL={standin.url}/revoke\n"
            f"CALCAST_GOOGLE_API_URL={standin.url}/calendar/v3\n"
        )
        sys.stdout.flush()
        threading.Event().wait()


if __name__ == "__main__":
    main()
