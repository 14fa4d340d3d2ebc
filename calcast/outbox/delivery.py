"""What a worker hands to a delivery kind (claimed rows) and what it gets back (one result per row)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal


@dataclass(frozen=True)
class Claimed:
    """One outbox row a worker holds a lease on."""

    id: int
    account_id: str
    kind: str
    topic: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Result:
    """done: delivered; retry: try again at `retry_at` (None: exponential backoff); failed: kept for the operator."""

    id: int
    outcome: Literal["done", "retry", "failed"]
    status_code: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


LEASE_ENDING = "Not sent: the worker's lease on this delivery was ending; the next claim sends it."


def lease_deadline(lease_seconds: float) -> float:
    """The time.monotonic instant by which a claim's requests must be over, for a claim taken just now.

    The lease less a margin (a fifth, at most 10 s) to record the results: a request still running when the
    lease ends would let another worker deliver the same row a second time.
    """
    return time.monotonic() + lease_seconds - min(10.0, lease_seconds / 5)


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential backoff with jitter: base·2^(attempts-1), capped, then scaled by a random 50–100 %."""
    exponent = min(max(attempts - 1, 0), 30)
    delay = min(cap, base * 2**exponent)
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
