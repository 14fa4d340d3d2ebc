"""Google Calendar by push: OAuth 2.0 (authorization code + PKCE) and Calendar API v3, over plain httpx.

Plain httpx instead of google-api-python-client and google-auth: about six endpoints, one retry policy that honours
`Retry-After` (the client library ignores it and runs on httplib2, sync only), every base URL from the settings (its
batch URI ignores `api_endpoint`), and the same HTTP stack as the rest of calcast.
Scope `calendar.app.created`: calcast sees and changes only the calendars it made, never the subscriber's others.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.feeds.render import FeedContent, FeedEvent, all_day_dates, clean_text, event_description, event_url
from calcast.push.providers import (
    AccessExpired,
    CalendarGone,
    Credentials,
    GrantLost,
    HttpAdapter,
    RateLimited,
    Refused,
    Unavailable,
    Written,
    retry_after,
)
from calcast.timezones.service import zone

SCOPE = "https://www.googleapis.com/auth/calendar.app.created"
# Google allows at most 5 reminder overrides, each 0–40320 minutes (four weeks) before the start.
MAX_REMINDER_MINUTES = 40320
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
# An access token is refreshed when it has less than this left.
REFRESH_MARGIN = timedelta(minutes=5)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(settings: Settings, *, redirect_uri: str, state: str, code_verifier: str) -> str:
    """Where the subscriber grants calcast its calendar: offline access, consent asked every time (a new grant)."""
    query = {
        "client_id": settings.google_client_id or "",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": SCOPE,
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
        "code_challenge": pkce_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    return f"{settings.google_auth_url}?{urlencode(query)}"


def event_id(connection_id: str, uid: str) -> str:
    """The Google event id of a feed event in one connection's calendar: base32hex (a–v, 0–9), 52 characters."""
    raw = hashlib.sha256(f"{connection_id}/{uid}".encode()).digest()
    return base64.b32hexencode(raw).decode().rstrip("=").lower()


def _error_reason(response: httpx.Response) -> tuple[str, str]:
    """Google's error `reason` (first of `errors[]`, or the OAuth `error`) and message."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the OAuth endpoints: {"error": "invalid_grant", "error_description": …}
        return error, str(body.get("error_description", ""))
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        first = errors[0] if isinstance(errors[0], dict) else {}
        return str(first.get("reason", error.get("status", ""))), str(error.get("message", ""))
    return "", response.text[:200]


def raise_for(response: httpx.Response, *, calendar_call: bool = False) -> None:
    """Google's answer as the engine's faults; nothing for a success."""
    if response.is_success:
        return
    status = response.status_code
    reason, message = _error_reason(response)
    said = f"Google answered {status} {reason}: {message}".strip()
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        raise RateLimited(said, retry_after(response.headers), status=status)
    if status >= 500:
        raise Unavailable(said, status=status)
    if reason == "invalid_grant" or (status == 403 and reason == "insufficientPermissions"):
        raise GrantLost(said, status=status)
    if calendar_call and status == 404:
        raise CalendarGone(said, status=status)
    raise Refused(said, status=status)


class GoogleAdapter(HttpAdapter):
    """Calendar API v3 calls for the sync engine (`calcast.push.providers.Adapter`)."""

    provider = "Google"

    # ------------------------------------------------------------------------------------------ OAuth

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str) -> str:
        return authorization_url(self.settings, redirect_uri=redirect_uri, state=state, code_verifier=code_verifier)

    def has_scope(self, granted: str) -> bool:
        """Whether the grant holds calcast's scope (with granular consent a subscriber can untick it)."""
        return SCOPE in granted.split()

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> tuple[Credentials, str]:
        """Trade an authorization code for tokens; returns the credentials and the granted scope.

        `code_verifier` is None for a code obtained without PKCE (Google Identity Services' code model).
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.google_client_id or "",
            "client_secret": self.settings.google_client_secret or "",
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        response = self._send("POST", self.settings.google_token_url, data=form)
        raise_for(response)
        body = response.json()
        credentials = Credentials(
            credential=body.get("refresh_token"),
            access_token=body["access_token"],
            access_token_expires_at=utcnow() + timedelta(seconds=int(body.get("expires_in", 3600))),
        )
        return credentials, str(body.get("scope", ""))

    def fresh_credentials(self, credentials: Credentials) -> Credentials:
        expires = credentials.access_token_expires_at
        if credentials.access_token and expires is not None and expires - REFRESH_MARGIN > utcnow():
            return credentials
        return self.refresh(credentials)

    def refresh(self, credentials: Credentials) -> Credentials:
        """A new access token from the refresh token; GrantLost when the subscriber revoked it."""
        if not credentials.credential:
            raise GrantLost("There is no Google refresh token; the subscriber must connect again.")
        response = self._send(
            "POST",
            self.settings.google_token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": credentials.credential,
                "client_id": self.settings.google_client_id or "",
                "client_secret": self.settings.google_client_secret or "",
            },
        )
        if response.status_code in (400, 401):
            reason, message = _error_reason(response)
            if reason in ("invalid_grant", "unauthorized_client", "invalid_client"):
                raise GrantLost(f"Google refused the refresh token: {reason} {message}".strip())
        raise_for(response)
        body = response.json()
        return Credentials(
            credential=body.get("refresh_token") or credentials.credential,
            access_token=body["access_token"],
            access_token_expires_at=utcnow() + timedelta(seconds=int(body.get("expires_in", 3600))),
        )

    def revoke(self, credentials: Credentials) -> None:
        """Give the grant back (unsubscribe); a failure changes nothing the subscriber would see."""
        token = credentials.credential or credentials.access_token
        if token:
            try:
                self.http.post(self.settings.google_revoke_url, data={"token": token})
            except httpx.HTTPError:
                return

    # ------------------------------------------------------------------------------------------ Calendar v3

    def _api(
        self, credentials: Credentials, method: str, path: str, *, calendar_call: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credentials.access_token}"}
        response = self._send(method, self.settings.google_api_url + path, headers=headers, **kwargs)
        if response.status_code == 401:
            # The access token expired early or was revoked: the engine refreshes once and tries again.
            raise AccessExpired(f"Google answered 401: {_error_reason(response)[1]}", status=401)
        raise_for(response, calendar_call=calendar_call)
        return response

    def payload(self, *, connection_id: str, event: FeedEvent, content: FeedContent) -> dict[str, Any]:
        start: dict[str, str]
        end: dict[str, str]
        if event.all_day:
            first, after = all_day_dates(event)
            start, end = {"date": first.isoformat()}, {"date": after.isoformat()}
        else:
            tz = zone(event.timezone)
            start = {"dateTime": event.start_at.astimezone(tz).isoformat(), "timeZone": tz.key}
            end = {"dateTime": event.end_at.astimezone(tz).isoformat(), "timeZone": tz.key}
        overrides = []
        if event.notify_before is not None:
            minutes = min(max(event.notify_before, 0), MAX_REMINDER_MINUTES)
            overrides.append({"method": "popup", "minutes": minutes})
        body: dict[str, Any] = {
            "id": event_id(connection_id, event.uid),
            "summary": clean_text(event.title),
            "start": start,
            "end": end,
            "reminders": {"useDefault": False, "overrides": overrides},
            "extendedProperties": {"private": {"calcastUid": event.uid}},
        }
        description = event_description(event, content)
        if description:
            body["description"] = description
        if event.location:
            body["location"] = clean_text(event.location)
        url = event_url(event)
        if url:
            body["source"] = {"title": clean_text(event.title)[:255] or url, "url": url}
        return body

    def create_calendar(self, credentials: Credentials, *, name: str, description: str | None) -> str:
        body: dict[str, Any] = {"summary": name}
        if description:
            body["description"] = description
        response = self._api(credentials, "POST", "/calendars", json=body)
        return str(response.json()["id"])

    def delete_calendar(self, credentials: Credentials, calendar_id: str) -> None:
        try:
            self._api(credentials, "DELETE", f"/calendars/{quote(calendar_id, safe='')}", calendar_call=True)
        except CalendarGone:
            return

    def put_event(
        self, credentials: Credentials, calendar_id: str, payload: dict[str, Any], known: Written | None
    ) -> Written:
        events = f"/calendars/{quote(calendar_id, safe='')}/events"
        event_path = f"{events}/{payload['id']}"
        if known is None:
            try:
                response = self._api(credentials, "POST", events, json=payload, calendar_call=True)
                return _written(response)
            except Refused as refused:
                if refused.status != 409:
                    raise
                # Written before (a crash between the write and its record, or a repeat): patch it instead.
        patch = {key: value for key, value in payload.items() if key != "id"}
        try:
            response = self._api(credentials, "PATCH", event_path, json={**patch, "status": "confirmed"})
        except Refused as refused:
            if refused.status not in (404, 410):
                raise
            # Deleted by the subscriber: left alone (docs/push.md), the id stays recorded so nothing is re-sent.
            return Written(remote_id=payload["id"], etag=None)
        return _written(response)

    def delete_event(self, credentials: Credentials, calendar_id: str, written: Written) -> None:
        path = f"/calendars/{quote(calendar_id, safe='')}/events/{quote(written.remote_id, safe='')}"
        try:
            self._api(credentials, "DELETE", path)
        except Refused as refused:
            if refused.status not in (404, 410):
                raise

    def remote_versions(self, credentials: Credentials, calendar_id: str) -> dict[str, str | None]:
        versions: dict[str, str | None] = {}
        path = f"/calendars/{quote(calendar_id, safe='')}/events"
        params: dict[str, str] = {"maxResults": "2500"}
        while True:
            body = self._api(credentials, "GET", path, params=params, calendar_call=True).json()
            for item in body.get("items", []):
                versions[str(item["id"])] = item.get("etag")
            token = body.get("nextPageToken")
            if not token:
                return versions
            params = {"maxResults": "2500", "pageToken": str(token)}


def _written(response: httpx.Response) -> Written:
    body = response.json()
    return Written(remote_id=str(body["id"]), etag=body.get("etag"))
