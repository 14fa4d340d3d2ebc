"""Rate limits of the front doors: one storage per application, in Redis when CALCAST_REDIS_URL is set.

Each limit is a moving window of one minute (the `limits` library). In memory a limit holds per process;
with Redis every process and every server behind the same Redis shares it. When Redis does not answer, requests
are let through and the fault is logged: a rate limit must not take the service down with it.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time

from fastapi import Depends, Request
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException as StarletteHTTPException

from calcast.core.config import Settings

log = logging.getLogger("calcast")

# A rate-limit check waits this long for Redis at most, then lets the request through.
REDIS_TIMEOUT_SECONDS = 0.5


def storage_for(settings: Settings) -> Storage:
    """Redis storage when CALCAST_REDIS_URL is set, memory otherwise."""
    if not settings.redis_url:
        return MemoryStorage()
    return RedisStorage(
        settings.redis_url,
        key_prefix="calcast",
        wrap_exceptions=True,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def redis_problem(settings: Settings) -> str | None:
    """None when the configured Redis answers (or none is configured); otherwise one sentence for a person."""
    if not settings.redis_url:
        return None
    try:
        answers = storage_for(settings).check()
    except StorageError:
        answers = False
    if answers:
        return None
    shown = re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", settings.redis_url)  # never print a password
    return f"CALCAST_REDIS_URL is set to {shown}, but no Redis answers there; start Redis or fix the URL."


class RateLimits:
    """Every limit of one application, on one storage."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_for(settings))
        self.subscribe = RateLimitItemPerMinute(settings.subscribe_rate_per_minute, namespace="subscribe")
        self.manage = RateLimitItemPerMinute(settings.manage_rate_per_minute, namespace="manage")
        self.token_failures_by_network = RateLimitItemPerMinute(
            settings.token_failures_per_minute, namespace="token-failures-ip"
        )
        self.token_failures_by_client = RateLimitItemPerMinute(
            settings.token_failures_per_minute, namespace="token-failures-client"
        )
        self._last_fault_logged = 0.0

    def hit(self, limit: RateLimitItem, key: str) -> int:
        """Count one request; 0 when it is within the limit, else the seconds until it would be (not counted)."""
        try:
            if self._limiter.hit(limit, key):
                return 0
            return self._seconds_to_wait(limit, key)
        except StorageError as error:
            self._log_fault(error)
            return 0

    def wait(self, limit: RateLimitItem, key: str) -> int:
        """Seconds until one more request is within the limit (0: now), counting nothing."""
        try:
            if self._limiter.test(limit, key):
                return 0
            return self._seconds_to_wait(limit, key)
        except StorageError as error:
            self._log_fault(error)
            return 0

    def _seconds_to_wait(self, limit: RateLimitItem, key: str) -> int:
        reset_at = self._limiter.get_window_stats(limit, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def _log_fault(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._last_fault_logged > 60:  # once a minute is enough to be noticed
            self._last_fault_logged = now
            log.warning("rate limits not applied: the Redis storage failed (%s)", error.storage_error)


_creating = threading.Lock()


def rate_limits(request: Request) -> RateLimits:
    """The application's rate limits, created on first use."""
    found: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if found is None:
        with _creating:
            found = getattr(request.app.state, "rate_limits", None) or RateLimits(request.app.state.settings)
            request.app.state.rate_limits = found
    return found


def client_network(request: Request) -> str:
    """The client's address, or its /64 for IPv6 (one household gets a whole /64, and can rotate inside it)."""
    address = request.client.host if request.client else ""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def too_many(seconds: int) -> StarletteHTTPException:
    reason = f"Too many requests from your network; wait {seconds} seconds and try again."
    return StarletteHTTPException(429, reason, headers={"Retry-After": str(seconds)})


def limit_manage_pages(request: Request) -> None:
    """At most `manage_rate_per_minute` manage-page requests per client network (sync: Redis is a blocking call)."""
    limits = rate_limits(request)
    seconds = limits.hit(limits.manage, client_network(request))
    if seconds:
        raise too_many(seconds)


# For a route's `dependencies=[…]`.
MANAGE_PAGE_LIMIT = Depends(limit_manage_pages)
