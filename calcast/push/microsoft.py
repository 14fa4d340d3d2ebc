"""Outlook and Microsoft 365 by push: OAuth 2.0 (authorization code + PKCE) at the Microsoft identity platform and
Microsoft Graph's calendar routes, over plain httpx.

Plain httpx instead of MSAL and the Graph SDK, for the same reasons as Google (`push/google.py`): five Graph routes
and one token endpoint, one retry policy honouring `Retry-After`, base URLs from the settings. Above all, Microsoft
refresh tokens rotate on every use: the engine stores the new one, encrypted, before anything else is done with it
(`engine._Session._keep`); MSAL's token cache would be a second copy of the secret to encrypt and keep in step across
workers, and MSAL refuses plain-http authorities, so a local stand-in could not be used through the same code.
Scope `Calendars.ReadWrite offline_access`: Graph has no narrower scope for a calendar the app made.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from calcast.core.db import utcnow
from calcast.feeds.render import FeedContent, FeedEvent, all_day_dates, clean_text, event_description
from calcast.push.google import REFRESH_MARGIN, pkce_challenge
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
from calcast.timezones.service import windows_name, zone

SCOPE = "Calendars.ReadWrite offline_access"
# Immutable ids: an event keeps its id when it moves, so calcast's stored id stays right.
IMMUTABLE = {"Prefer": 'IdType="ImmutableId"'}
_TRANSACTIONS = uuid.UUID("3f0d2c4e-9a1b-4c7e-8d5f-6a2b1c0e9f03")
GRANT_ERRORS = {"invalid_grant", "interaction_required", "consent_required", "unauthorized_client"}


def transaction_id(connection_id: str, uid: str) -> str:
    """Graph's idempotency key for creating one feed event in one connection's calendar."""
    return str(uuid.uuid5(_TRANSACTIONS, f"{connection_id}/{uid}"))


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the token endpoint
        return error, str(body.get("error_description", ""))[:300]
    if isinstance(error, dict):
        return str(error.get("code", "")), str(error.get("message", ""))[:300]
    return "", response.text[:200]


def raise_for(response: httpx.Response, *, calendar_call: bool = False) -> None:
    """Graph's answer as the engine's faults; nothing for a success."""
    if response.is_success:
        return
    status = response.status_code
    code, message = _error(response)
    said = f"Microsoft answered {status} {code}: {message}".strip()
    if status == 429 or (status in (503, 504) and "retry-after" in response.headers):
        raise RateLimited(said, retry_after(response.headers), status=status)
    if status >= 500:
        raise Unavailable(said, status=status)
    if status == 401:
        raise AccessExpired(said, status=status)
    if code in GRANT_ERRORS or code == "ErrorAccessDenied":
        raise GrantLost(said, status=status)
    if calendar_call and status == 404:
        raise CalendarGone(said, status=status)
    raise Refused(said, status=status)


class MicrosoftAdapter(HttpAdapter):
    """Microsoft Graph calls for the sync engine (`calcast.push.providers.Adapter`)."""

    provider = "Microsoft"

    # ------------------------------------------------------------------------------------------ OAuth

    def _endpoint(self, name: str) -> str:
        return f"{self.settings.microsoft_login_url}/{quote(self.settings.microsoft_tenant)}/oauth2/v2.0/{name}"

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str) -> str:
        query = {
            "client_id": self.settings.microsoft_client_id or "",
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "response_mode": "query",
            "scope": SCOPE,
            "state": state,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
        return f"{self._endpoint('authorize')}?{urlencode(query)}"

    def has_scope(self, granted: str) -> bool:
        names = {part.rsplit("/", 1)[-1].lower() for part in granted.split()}
        return "calendars.readwrite" in names

    def _tokens(self, form: dict[str, str], previous: Credentials | None) -> tuple[Credentials, str]:
        base = {
            "client_id": self.settings.microsoft_client_id or "",
            "client_secret": self.settings.microsoft_client_secret or "",
            "scope": SCOPE,
        }
        response = self._send("POST", self._endpoint("token"), data={**base, **form})
        if response.status_code in (400, 401):
            code, message = _error(response)
            if code in GRANT_ERRORS:
                raise GrantLost(f"Microsoft refused the grant: {code} {message}".strip(), status=response.status_code)
        raise_for(response)
        body = response.json()
        credentials = Credentials(
            # Rotated on every use: the new refresh token replaces the old one, which may stop working.
            credential=body.get("refresh_token") or (previous.credential if previous else None),
            access_token=body["access_token"],
            access_token_expires_at=utcnow() + timedelta(seconds=int(body.get("expires_in", 3600))),
        )
        return credentials, str(body.get("scope", ""))

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> tuple[Credentials, str]:
        """Trade an authorization code for tokens (`code_verifier` None: a code obtained without PKCE)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return self._tokens(form, None)

    def fresh_credentials(self, credentials: Credentials) -> Credentials:
        expires = credentials.access_token_expires_at
        if credentials.access_token and expires is not None and expires - REFRESH_MARGIN > utcnow():
            return credentials
        if not credentials.credential:
            raise GrantLost("There is no Microsoft refresh token; the subscriber must connect again.")
        refreshed, _scope = self._tokens(
            {"grant_type": "refresh_token", "refresh_token": credentials.credential}, credentials
        )
        return refreshed

    # ------------------------------------------------------------------------------------------ Graph

    def _graph(
        self, credentials: Credentials, method: str, path: str, *, calendar_call: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credentials.access_token}", **IMMUTABLE, **kwargs.pop("headers", {})}
        response = self._send(method, self.settings.microsoft_graph_url + path, headers=headers, **kwargs)
        raise_for(response, calendar_call=calendar_call)
        return response

    def payload(self, *, connection_id: str, event: FeedEvent, content: FeedContent) -> dict[str, Any]:
        tz = zone(event.timezone)
        if event.all_day:
            first, after = all_day_dates(event)
            start = {"dateTime": f"{first.isoformat()}T00:00:00", "timeZone": "UTC"}
            end = {"dateTime": f"{after.isoformat()}T00:00:00", "timeZone": "UTC"}
        else:
            name = windows_name(tz.key)
            shown = tz if name else zone("UTC")
            local = "%Y-%m-%dT%H:%M:%S"
            start = {"dateTime": event.start_at.astimezone(shown).strftime(local), "timeZone": name or "UTC"}
            end = {"dateTime": event.end_at.astimezone(shown).strftime(local), "timeZone": name or "UTC"}
        body: dict[str, Any] = {
            "subject": clean_text(event.title),
            "body": {"contentType": "text", "content": event_description(event, content) or ""},
            "start": start,
            "end": end,
            "isAllDay": event.all_day,
            # Outlook keeps one reminder per event.
            "isReminderOn": event.notify_before is not None,
            "reminderMinutesBeforeStart": max(event.notify_before or 0, 0),
            "transactionId": transaction_id(connection_id, event.uid),
        }
        if event.location:
            body["location"] = {"displayName": clean_text(event.location)}
        return body

    def create_calendar(self, credentials: Credentials, *, name: str, description: str | None) -> str:
        response = self._graph(credentials, "POST", "/me/calendars", json={"name": name})
        return str(response.json()["id"])

    def delete_calendar(self, credentials: Credentials, calendar_id: str) -> None:
        try:
            self._graph(credentials, "DELETE", f"/me/calendars/{quote(calendar_id, safe='')}", calendar_call=True)
        except CalendarGone:
            return

    def put_event(
        self, credentials: Credentials, calendar_id: str, payload: dict[str, Any], known: Written | None
    ) -> Written:
        if known is None:
            # A repeated POST with the same transactionId returns the event the first one made.
            path = f"/me/calendars/{quote(calendar_id, safe='')}/events"
            response = self._graph(credentials, "POST", path, json=payload, calendar_call=True)
            return _written(response)
        patch = {key: value for key, value in payload.items() if key != "transactionId"}
        try:
            response = self._graph(credentials, "PATCH", f"/me/events/{quote(known.remote_id, safe='')}", json=patch)
        except Refused as refused:
            if refused.status != 404:
                raise
            return known  # deleted by the subscriber: left alone, as with Google
        return _written(response)

    def delete_event(self, credentials: Credentials, calendar_id: str, written: Written) -> None:
        try:
            self._graph(credentials, "DELETE", f"/me/events/{quote(written.remote_id, safe='')}")
        except Refused as refused:
            if refused.status != 404:
                raise

    def remote_versions(self, credentials: Credentials, calendar_id: str) -> dict[str, str | None]:
        versions: dict[str, str | None] = {}
        url = f"/me/calendars/{quote(calendar_id, safe='')}/events"
        params: dict[str, str] | None = {"$select": "id,changeKey", "$top": "100"}
        while True:
            body = self._graph(credentials, "GET", url, params=params, calendar_call=True).json()
            for item in body.get("value", []):
                versions[str(item["id"])] = item.get("changeKey")
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return versions
            url, params = str(next_link).removeprefix(self.settings.microsoft_graph_url), None


def _written(response: httpx.Response) -> Written:
    body = response.json()
    return Written(remote_id=str(body["id"]), etag=body.get("changeKey"))
