"""CalDAV by push (iCloud, Fastmail, Nextcloud, Radicale…): WebDAV verbs over httpx, under calcast's destination policy.

Plain httpx rather than the `caldav` library: five requests (PROPFIND to find the calendar home, MKCALENDAR, PUT
with If-None-Match/If-Match, DELETE, PROPFIND for versions), the same HTTP stack, timeouts and outbound policy as
every other delivery (`core.outbound`: a subscriber's server URL must not reach calcast's own network), and faults
classified like the other adapters. XML answers are parsed with defusedxml: they come from servers anyone can name.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree

from calcast.core.config import Settings
from calcast.core.outbound import DestinationTransport
from calcast.feeds.render import FeedContent, FeedEvent, render
from calcast.push.providers import (
    CalendarGone,
    Credentials,
    GrantLost,
    RateLimited,
    Refused,
    Unavailable,
    Written,
    retry_after,
)

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
# Providers a subscriber picks by name; any other server by its URL.
PRESETS = {"icloud": "https://caldav.icloud.com/", "fastmail": "https://caldav.fastmail.com/"}

_PRINCIPAL = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"""
_HOME = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><c:calendar-home-set/></d:prop></d:propfind>"""
_ETAGS = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>"""


def _mkcalendar(name: str, description: str | None) -> bytes:
    def text(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    described = f"<c:calendar-description>{text(description)}</c:calendar-description>" if description else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>'
        f"<d:displayname>{text(name)}</d:displayname>{described}"
        '<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>'
        "</d:prop></d:set></c:mkcalendar>"
    ).encode()


def _check(response: httpx.Response, *, collection: bool = False) -> None:
    """The server's answer as the engine's faults; nothing for a success."""
    status = response.status_code
    if response.is_success:
        return
    said = f"The CalDAV server answered {status} {response.reason_phrase}."
    if status == 401:
        raise GrantLost(said + " The user name or app password no longer works.", status=status)
    if status in (429, 503) and "retry-after" in response.headers:
        raise RateLimited(said, retry_after(response.headers), status=status)
    if status == 429:
        raise RateLimited(said, status=status)
    if status >= 500:
        raise Unavailable(said, status=status)
    if collection and status in (404, 409, 410):
        raise CalendarGone(said + " calcast's calendar is gone.", status=status)
    raise Refused(said, status=status)


def _hrefs(body: bytes, prop: str) -> list[str]:
    """The hrefs inside `prop` of a multistatus answer."""
    root: Element = ElementTree.fromstring(body)
    return [
        (href.text or "").strip()
        for found in root.iter(prop)
        for href in found.iter(f"{DAV}href")
        if (href.text or "").strip()
    ]


class CalDavAdapter:
    """CalDAV calls for the sync engine (`calcast.push.providers.Adapter`)."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(
            timeout=settings.push_timeout_seconds,
            transport=transport or DestinationTransport(allow_private=settings.allow_private_destinations),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, url: str, credentials: Credentials, **kwargs: Any) -> httpx.Response:
        auth = (credentials.username or "", credentials.credential or "")
        try:
            return self.http.request(method, url, auth=auth, **kwargs)
        except httpx.HTTPError as error:
            raise Unavailable(f"The CalDAV server could not be reached ({error}).") from None

    def _propfind(self, url: str, credentials: Credentials, body: bytes, depth: str = "0") -> httpx.Response:
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        return self._send("PROPFIND", url, credentials, content=body, headers=headers)

    def discover(self, server_url: str, credentials: Credentials) -> Credentials:
        """Check the user name and app password, and find the calendar home; the credentials with it as server URL.

        GrantLost when the server refuses them, Refused or Unavailable when it is not a CalDAV server.
        """
        url = server_url
        for _ in range(3):  # /.well-known/caldav and hosts like iCloud redirect to the account's own place
            response = self._propfind(url, credentials, _PRINCIPAL)
            if response.status_code in (301, 302, 307, 308) and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            break
        _check(response)
        principals = _hrefs(response.content, f"{DAV}current-user-principal")
        if not principals:
            raise Refused("The server answered, but it named no calendar account: it is not a CalDAV server.")
        principal = urljoin(url, principals[0])
        response = self._propfind(principal, credentials, _HOME)
        _check(response)
        homes = _hrefs(response.content, f"{CALDAV}calendar-home-set")
        if not homes:
            raise Refused("The server named no calendar home for this account.")
        return replace(credentials, server_url=urljoin(principal, homes[0]))

    def fresh_credentials(self, credentials: Credentials) -> Credentials:
        return credentials  # an app password does not expire; a revoked one answers 401

    def payload(self, *, connection_id: str, event: FeedEvent, content: FeedContent) -> dict[str, Any]:
        single = FeedContent(
            name=content.name, events=[event], language=content.language, manage_url=content.manage_url
        )
        return {"name": f"{quote(event.uid, safe='')}.ics", "ics": render(single).decode()}

    def create_calendar(self, credentials: Credentials, *, name: str, description: str | None) -> str:
        home = credentials.server_url or ""
        if not home.endswith("/"):
            home += "/"
        collection = urljoin(home, f"calcast-{uuid.uuid4().hex}/")
        response = self._send(
            "MKCALENDAR",
            collection,
            credentials,
            content=_mkcalendar(name, description),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        _check(response)
        return collection

    def delete_calendar(self, credentials: Credentials, calendar_id: str) -> None:
        response = self._send("DELETE", calendar_id, credentials)
        if response.status_code in (404, 410):
            return
        _check(response)

    def put_event(
        self, credentials: Credentials, calendar_id: str, payload: dict[str, Any], known: Written | None
    ) -> Written:
        url = urljoin(calendar_id, payload["name"])
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if known is None:
            headers["If-None-Match"] = "*"
        elif known.etag:
            headers["If-Match"] = known.etag
        content = payload["ics"].encode()
        response = self._send("PUT", url, credentials, content=content, headers=headers)
        if response.status_code == 412:
            # Written before (a crash before its record) or edited in the subscriber's app: the feed's version wins.
            response = self._send(
                "PUT", url, credentials, content=content, headers={"Content-Type": headers["Content-Type"]}
            )
        _check(response, collection=True)
        return Written(remote_id=unquote(urlsplit(url).path), etag=response.headers.get("etag"))

    def delete_event(self, credentials: Credentials, calendar_id: str, written: Written) -> None:
        response = self._send("DELETE", urljoin(calendar_id, quote(written.remote_id)), credentials)
        if response.status_code in (404, 410):
            return
        _check(response)

    def remote_versions(self, credentials: Credentials, calendar_id: str) -> dict[str, str | None]:
        response = self._propfind(calendar_id, credentials, _ETAGS, depth="1")
        _check(response, collection=True)
        root: Element = ElementTree.fromstring(response.content)
        versions: dict[str, str | None] = {}
        for item in root.iter(f"{DAV}response"):
            href = item.find(f"{DAV}href")
            etag = item.find(f".//{DAV}getetag")
            if href is not None and href.text:
                versions[unquote(href.text.strip())] = etag.text if etag is not None else None
        return versions
