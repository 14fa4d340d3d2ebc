"""What a worker hands to a delivery kind (claimed rows) and gets back (one result per row); periodic jobs."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from calcast.core.config import Settings
from calcast.core.db import Transaction


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


class Handler(Protocol):
    """Delivers the outbox rows of one kind; the worker knows handlers by kind, never a consumer by name."""

    kind: str
    # Rows per claim: enough to keep the handler busy, few enough that several workers share a burst.
    claim_size: int

    def deliver(self, rows: Sequence[Claimed]) -> list[Result]:
        """One result per row (a row without one is retried)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class JobRun(Protocol):
    """One run of a periodic job: as many short transactions as it needs; returns how many rows it changed."""

    def __call__(self, *, transaction: Transaction, settings: Settings, now: datetime) -> int: ...


@dataclass(frozen=True)
class PeriodicJob:
    """Housekeeping of a feature (lapse marking, retention) that every worker runs now and then; idempotent."""

    name: str
    interval: timedelta
    run: JobRun
    # Logged with the count the run returns, when it is not zero: "Marked %d subscriptions lapsed."
    report: str
