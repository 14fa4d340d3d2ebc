"""Braze's REST API as calcast uses it: `POST /users/track`, and what each answer means for a retry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

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
    """What came back from one users.track request (status None: no HTTP answer at all)."""

    status: int | None
    text: str = ""
    error: str | None = None
    rate_limit_reset: float | None = None
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


def _reset_at(headers: httpx.Headers) -> float | None:
    raw = headers.get("X-RateLimit-Reset")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


class BrazeClient:
    """A pooled HTTP client for users.track; one per worker, reused across requests."""

    def __init__(self, *, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "calcast"})

    def track(self, *, rest_endpoint: str, api_key: str, body: dict[str, Any]) -> TrackAnswer:
        """Send one users.track request; never raises for HTTP or network problems, it reports them."""
        try:
            response = self._http.post(
                f"{rest_endpoint.rstrip('/')}/users/track",
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            )
        except httpx.TimeoutException:
            return TrackAnswer(status=None, error="the request timed out")
        except httpx.HTTPError as error:
            return TrackAnswer(status=None, error=f"{type(error).__name__}: {error}")
        text = response.text
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = None
        return TrackAnswer(
            status=response.status_code,
            text=text[:MAX_KEPT_ANSWER],
            rate_limit_reset=_reset_at(response.headers),
            minor_errors=_minor_errors(parsed) if 200 <= response.status_code < 300 else [],
        )

    def close(self) -> None:
        self._http.close()
