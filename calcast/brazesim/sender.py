"""Send a rendered webhook the way Braze does.

Only the template's headers plus `User-Agent: Braze Sender <hash>`; redirects are never followed (a 3xx is
dropped); 408, 429, 5xx and unreachable hosts are retried up to five times with exponential backoff, waiting as
long as `Retry-After` asks when it is given; every other 4xx is dropped for good. Braze re-renders a message for a
retry, so each attempt renders again (and mints a fresh token through Connected Content).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from calcast.brazesim.liquid import (
    AbortMessage,
    BrazeEnvironment,
    BrazeUser,
    ConnectedContentCall,
    ConnectedContentFetcher,
    ConnectedContentResult,
    Credentials,
    TemplateError,
)
from calcast.brazesim.templates import RenderedWebhook, WebhookTemplate, render

USER_AGENT = "Braze Sender " + hashlib.sha1(b"calcast braze simulator").hexdigest()  # noqa: S324 - an id, not a hash of secrets
WEBHOOK_TIMEOUT_SECONDS = 90.0
MAX_RETRIES = 5
UNREACHABLE = 599  # Braze's status for a connection error

Outcome = Literal["delivered", "dropped", "gave up", "aborted"]


@dataclass(frozen=True)
class Delivery:
    """What became of one message: Braze's view of it."""

    outcome: Outcome
    status_code: int | None
    attempts: int
    reason: str
    response_text: str = ""
    request_body: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"

    @property
    def summary(self) -> EventSummary | None:
        """calcast's 202 summary of a delivered personal-event request; None for any other answer."""
        return EventSummary.read(self) if self.delivered else None


@dataclass(frozen=True)
class EventSummary:
    """What calcast did with a delivered request: how many of the sent subscription ids it knew, and its note."""

    sent: int
    unknown: tuple[str, ...]
    note: str | None

    @property
    def known(self) -> int:
        return max(self.sent - len(self.unknown), 0)

    @classmethod
    def read(cls, delivery: Delivery) -> EventSummary | None:
        answer = _json_object(delivery.response_text)
        if answer is None or "eventId" not in answer:
            return None
        unknown = tuple(str(item) for item in answer.get("unknownSubscriptionIds") or [])
        request = _json_object(delivery.request_body) or {}
        ids = request.get("subscriptionIds")
        sent = len({str(item) for item in ids if item}) if isinstance(ids, list) else len(unknown)
        note = answer.get("note")
        return cls(sent=max(sent, len(unknown)), unknown=unknown, note=str(note) if note else None)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def is_retried(status_code: int) -> bool:
    return status_code in (408, 429) or status_code >= 500


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _without_user_agent(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() != "user-agent"]


def _reason(response: httpx.Response) -> str:
    """The receiver's own sentence when it gave one (calcast's `Reason`), else the start of the answer."""
    if response.is_redirect:
        return f"Redirect to {response.headers.get('location', '?')} not followed (Braze drops 3xx answers)."
    try:
        data = json.loads(response.text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        for key in ("Reason", "message", "detail", "error_description", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
    text = " ".join(response.text.split())
    return text[:200] or response.reason_phrase


def send_webhook(
    *,
    render: Callable[[], RenderedWebhook],
    client: httpx.Client,
    retry_delay: float = 1.0,
    max_wait: float = 60.0,
    max_retries: int = MAX_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Render and send one message, retrying as Braze does; never raises for what the receiver answers."""
    attempts = 0
    status: int | None = None
    reason = ""
    text = ""
    while True:
        attempts += 1
        try:
            webhook = render()
        except AbortMessage as abort:
            return Delivery("aborted", None, attempts, abort.reason or "The message was aborted.")
        try:
            response = client.request(
                webhook.method,
                webhook.url,
                headers=[*_without_user_agent(webhook.headers), ("User-Agent", USER_AGENT)],
                content=webhook.body.encode() if webhook.body and webhook.method != "GET" else None,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                follow_redirects=False,
            )
        except httpx.HTTPError as error:
            status, reason, text, wait = UNREACHABLE, f"{webhook.url} could not be reached ({error}).", "", None
        else:
            status, reason, text = response.status_code, _reason(response), response.text
            if response.is_success:
                return Delivery("delivered", status, attempts, reason, text, webhook.body)
            if not is_retried(status):
                return Delivery("dropped", status, attempts, reason, text, webhook.body)
            wait = retry_after_seconds(response.headers.get("retry-after"))
        if attempts > max_retries:
            return Delivery("gave up", status, attempts, reason, text)
        backoff = retry_delay * 2 ** (attempts - 1)
        sleep(min(wait if wait is not None else backoff, max_wait))


class CheckedFetcher(ConnectedContentFetcher):
    """Braze's Connected Content, run locally: a call whose credential is refused stops the run.

    Braze itself would insert nothing and send `Authorization: Bearer` with no token, which the receiver then
    refuses as if the token had expired. Locally the cause is the operator's credential, so it is named instead.
    """

    def fetch(self, call: ConnectedContentCall) -> ConnectedContentResult:
        result = super().fetch(call)
        if call.basic_auth and result.status_code in (401, 403):
            raise TemplateError(
                f"Connected Content: {urlsplit(call.url).path} answered {result.status_code} — "
                "check the credential's client id and secret."
            )
        return result


class BrazeSimulator:
    """Braze's "Test" tab, locally: renders templates for user profiles and sends them as Braze would."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        client: httpx.Client | None = None,
        retry_delay: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client or httpx.Client(follow_redirects=False)
        self.fetcher = CheckedFetcher(
            credentials=credentials, client=self.client, retry_delay=retry_delay / 2, sleep=sleep, user_agent=USER_AGENT
        )
        self.environment = BrazeEnvironment(fetcher=self.fetcher)
        self.retry_delay = retry_delay
        self.max_wait = max_wait
        self.sleep = sleep

    def render(self, template: WebhookTemplate, user: BrazeUser) -> RenderedWebhook:
        """The request Braze would send for `user`; raises AbortMessage when the message would not be sent."""
        return render(template, environment=self.environment, user=user)

    def send(self, template: WebhookTemplate, user: BrazeUser) -> Delivery:
        """Send the message for `user` and report what became of it."""
        return send_webhook(
            render=lambda: self.render(template, user),
            client=self.client,
            retry_delay=self.retry_delay,
            max_wait=self.max_wait,
            sleep=self.sleep,
        )

    def close(self) -> None:
        self.client.close()
