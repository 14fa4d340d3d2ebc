"""Rules for the URL-safe codes of accounts and calendars."""

from __future__ import annotations

import re

from calcast.core.errors import invalid

# Matched with fullmatch: `$` would also accept the code followed by a newline.
CODE_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")

# Top-level paths of calcast itself: an account with such a code would collide with them in its pages'
# `/{accountCode}/{calendarCode}` URLs.
RESERVED_ACCOUNT_CODES = frozenset(
    {
        "admin",
        "api",
        "assets",
        "calcast",
        "console",
        "docs",
        "favicon.ico",
        "healthz",
        "manage",
        "metrics",
        "oauth2",
        "openapi.json",
        "push",
        "r",
        "redoc",
        "robots.txt",
        "sign-in",  # /console/sign-in would hide the console of an account with this code
        "static",
        "subscribe",
        "v1",
        "v2",
        "v3",
        "webcal",
        "www",
    }
)


def check_code(value: str, *, what: str, field: str = "code") -> str:
    """The code if it is 1-64 lowercase letters, digits and inner hyphens; Invalid otherwise."""
    if not CODE_PATTERN.fullmatch(value):
        raise invalid(
            field,
            "The {what} code {value!r} is not valid; use 1 to 64 lowercase letters, digits and hyphens "
            "(not at the start or end), for example 'brazetest'.",
            what=what,
            value=value,
        )
    return value
