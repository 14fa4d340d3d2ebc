"""Braze's REST API as calcast uses it: `POST /users/track`, and what each answer means for a retry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from calcast.core.outbound import OutboundClient, OutboundError

Verdict = Literal["ok", "rate_limited", "transient", "permanent"]
MAX_KEPT_ANSWER = 2000


@dataclass(frozen=True)
class MinorError:
    """One object Braze refused inside a 2xx answer: `index` is its position in the array as sent."""

    input_array: str
    index: int
    type: str


@dataclass(frozen=True)
class TrackAnswer:
    """What came back from one users.track request (status None: no HTTP answer at all).

    `rate_limit_reset` is the X-RateLimit-Reset header as Braze sent it, unparsed: the sync decides what to trust.
    """

    status: int | None
    text: str = ""
    error: str | None = None
    rate_limit_reset: str | None = None
    minor_errors: list[MinorError] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """2xx done; 429 wait for the reset; 5xx, 408 and network errors back off; any other 4xx is permanent."""
        if self.status is None or self.status == 408 or self.status >= 500:
            return "transient"
        if self.status == 429:
            return "rate_limited"
        if 200 <= self.status < 300:
            return "ok"
        return "permanent"

    def describe(self) -> str:
        """One line for the operator: Braze's status and answer, or the network problem."""
        if self.status is None:
            return f"No answer from Braze: {self.error}"
        return f"Braze answered {self.status}: {self.text[:MAX_KEPT_ANSWER]}".rstrip(": ")


def _minor_errors(body: Any) -> list[MinorError]:
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    found = []
    for item in body["errors"]:
        if isinstance(item, dict) and isinstance(item.get("index"), int):
            found.append(
                MinorError(
                    input_array=str(item.get("input_array", "attributes")),
                    index=item["index"],
                    type=str(item.get("type", "refused")),
                )
            )
    return found


class BrazeClient:
    """A pooled HTTP client for users.track (core.outbound's policy and deadline); one per worker, reused."""

    def __init__(self, *, timeout: float, allow_private: bool, transport: httpx.BaseTransport | None = None) -> None:
        self._http = OutboundClient(allow_private=allow_private, timeout=timeout, transport=transport)

    def track(
        self, *, rest_endpoint: str, api_key: str, body: dict[str, Any], deadline: float | None = None
    ) -> TrackAnswer:
        """Send one users.track request, over by `deadline` (time.monotonic) at the latest; never raises for HTTP
        or network problems, it reports them."""
        try:
            answer = self._http.post(
                f"{rest_endpoint.rstrip('/')}/users/track",
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
                deadline=deadline,
            )
        except OutboundError as error:
            return TrackAnswer(status=None, error=str(error))
        text = answer.text
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = None
        return TrackAnswer(
            status=answer.status_code,
            text=text[:MAX_KEPT_ANSWER],
            rate_limit_reset=answer.headers.get("X-RateLimit-Reset"),
            minor_errors=_minor_errors(parsed) if 200 <= answer.status_code < 300 else [],
        )

    def close(self) -> None:
        self._http.close()
