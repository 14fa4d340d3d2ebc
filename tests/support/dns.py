"""Name resolution under a test's control: chosen names resolve to chosen addresses, lookup by lookup."""

from __future__ import annotations

import socket
from typing import Any

import pytest


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make the named hosts resolve to the given addresses, one per lookup (the last one repeats).

    Returns the list of lookups of those names made so far (other names resolve as usual).
    """
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        lookups = answers[host]
        address = lookups[min(len(asked) - 1, len(lookups) - 1)]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked
