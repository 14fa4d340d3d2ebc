"""Requests to brands' destinations (webhooks, Braze, and any later consumer such as push providers or event sources).

One policy for all of them, in this one place:

- **https and public addresses only.** The address is checked when connecting, after DNS resolution: the name is
  resolved once, every address it resolves to must be public (`address_problem`), and the connection goes to a
  checked address while TLS still verifies the certificate for the name and sends it as SNI, and the Host header
  keeps the name. A name that was public when it was configured and resolves to 127.0.0.1 later (DNS rebinding) is
  refused at that later connection. Redirects are never followed and proxies from the environment are not used (a
  proxy would connect on calcast's behalf, unchecked). Configuration refuses such URLs early with a sentence
  (`check_destination`), but the check at connection time is the one that counts.
- `CALCAST_ALLOW_PRIVATE_DESTINATIONS=true` allows plain http and private addresses (tests, on-premises receivers).
- **A total deadline per request**: connecting, sending and every read of the answer share one deadline, so a
  receiver trickling one byte at a time cannot hold a delivery past the worker's lease.
- **A bounded answer**: at most `MAX_ANSWER_BYTES` are read, and NUL characters are removed from its text
  (PostgreSQL cannot store them).
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from calcast.core.errors import invalid

ALLOW_SETTING = "CALCAST_ALLOW_PRIVATE_DESTINATIONS"
MAX_ANSWER_BYTES = 64 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# The instant (time.monotonic) by which the current thread's request must be over; None outside a request.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("calcast_outbound_deadline", default=None)


def address_problem(address: IPAddress) -> str | None:
    """Why calcast does not send to this address ("a loopback address", …), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 form of an IPv4 address (mapped, 6to4, NAT64) reaches that IPv4 address: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def _is_literal(host: str, address: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")) == address
    except ValueError:
        return False


def _refusal(host: str, address: IPAddress, problem: str) -> str:
    named = host.strip("[]") if _is_literal(host, address) else f"{host} ({address})"
    return (
        f"calcast does not send to {named}, {problem}: destinations must be public addresses "
        f"({ALLOW_SETTING}=true allows private ones for tests and on-premises receivers)."
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def check_destination(url: str, *, allow_private: bool, what: str, field: str = "url") -> str:
    """The URL, stripped, when calcast may send to it; otherwise Invalid with a sentence (at configuration time).

    A name that does not resolve (yet) is accepted: the check when connecting decides then.
    """
    cleaned = url.strip()
    try:
        parts = urlsplit(cleaned)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        parts, port = urlsplit(""), 0
    if parts.scheme not in ("https", "http") or not parts.hostname or not port:
        raise invalid(
            field, "The {what} {url!r} must be an https URL such as https://example.com/calcast.", what=what, url=url
        )
    if allow_private:
        return cleaned
    if parts.scheme != "https":
        raise invalid(
            field,
            "The {what} {url!r} must start with https://: over plain http its content and credentials travel "
            "in clear ({setting}=true allows http for tests and on-premises receivers).",
            what=what,
            url=url,
            setting=ALLOW_SETTING,
        )
    try:
        addresses = _resolve(parts.hostname, port)
    except (OSError, UnicodeError, ValueError):
        return cleaned
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            raise invalid(
                field,
                "The {what} {url!r} cannot be used: {why}",
                what=what,
                url=url,
                why=_refusal(parts.hostname, address, problem),
            )
    return cleaned


def storable(text: str) -> str:
    """Text a database can store: without NUL characters."""
    return text.replace("\x00", "")


# --- the transport ----------------------------------------------------------------------------------------


class _AddressRefused(httpcore.ConnectError):
    """The name resolved to an address calcast does not send to."""


class DestinationRefused(httpx.ConnectError):
    """The URL is not one calcast sends to (plain http, or a private address); the message says why."""


def _remaining(timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
    """The time an operation may take: its own timeout, cut to what is left of the request's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        secured = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(secured)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """Connects by the deadline; with `check_addresses`, only to public addresses, resolved and checked here."""

    def __init__(self, *, check_addresses: bool) -> None:
        self._plain = httpcore.SyncBackend()
        self._check = check_addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if not self._check:
            stream = self._plain.connect_tcp(
                host, port, _remaining(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
            return _DeadlineStream(stream)
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError, ValueError) as error:
            raise httpcore.ConnectError(f"{host} could not be resolved ({error}).") from error
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise _AddressRefused(_refusal(host, address, problem))
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            # The checked address itself, not the name: a second lookup could answer differently.
            try:
                stream = self._plain.connect_tcp(
                    str(address), port, _remaining(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _DeadlineStream(stream)
        raise failure or httpcore.ConnectError(f"{host} resolved to no address.")


class DestinationTransport(httpx.HTTPTransport):
    """httpx's transport with calcast's destination policy and per-request deadline (see the module's docstring)."""

    def __init__(self, *, allow_private: bool, verify: ssl.SSLContext | bool = True) -> None:
        # Not httpx's own __init__: it would build a pool on the default network backend, to be thrown away.
        self._allow_private = allow_private
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=64,
            max_keepalive_connections=16,
            keepalive_expiry=5.0,
            network_backend=_Backend(check_addresses=not allow_private),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._allow_private and request.url.scheme != "https":
            raise DestinationRefused(
                f"calcast does not send to {request.url.scheme}:// URLs: destinations must use https "
                f"({ALLOW_SETTING}=true allows http for tests and on-premises receivers).",
                request=request,
            )
        return super().handle_request(request)


# --- the client -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A destination's answer: its status, headers and at most MAX_ANSWER_BYTES of its body."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    truncated: bool = False

    @property
    def text(self) -> str:
        """The body as text, without NUL characters (so it can be stored)."""
        return storable(self.content.decode("utf-8", errors="replace"))


class OutboundError(Exception):
    """No usable answer (refused destination, network problem, deadline); the message is one storable sentence."""


def _sentence(failure: httpx.HTTPError, seconds: float) -> str:
    if isinstance(failure, httpx.TimeoutException):
        return f"the request timed out: no complete answer within {seconds:.3g} s"
    if isinstance(failure, DestinationRefused) or isinstance(failure.__cause__, _AddressRefused):
        return storable(str(failure))
    return storable(f"{type(failure).__name__}: {failure}".rstrip(": "))


class OutboundClient:
    """A pooled HTTP client for destinations: the policy, a total deadline per request, a bounded answer."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float,
        user_agent: str = "calcast",
        transport: httpx.BaseTransport | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._http = httpx.Client(
            transport=transport or DestinationTransport(allow_private=allow_private),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            # A compressed answer could grow far beyond the bytes read; ask for it plain.
            headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
        )

    def post(self, url: str, *, content: bytes, headers: Mapping[str, str], deadline: float | None = None) -> Answer:
        """POST and read the answer, all within `timeout` seconds (or by `deadline`, a time.monotonic instant, if
        sooner); raises OutboundError when there is no answer."""
        return self._send("POST", url, content=content, headers=headers, deadline=deadline)

    def get(self, url: str, *, headers: Mapping[str, str], deadline: float | None = None) -> Answer:
        """GET and read the answer under the same policy, deadline and bound as `post` (event sources)."""
        return self._send("GET", url, content=None, headers=headers, deadline=deadline)

    def _send(
        self, method: str, url: str, *, content: bytes | None, headers: Mapping[str, str], deadline: float | None
    ) -> Answer:
        started = time.monotonic()
        until = started + self.timeout if deadline is None else min(started + self.timeout, deadline)
        token = _deadline.set(until)
        try:
            with self._http.stream(method, url, content=content, headers=dict(headers)) as response:
                body = bytearray()
                truncated = False
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) > self.max_answer_bytes:
                        truncated = True
                        break
                return Answer(
                    status_code=response.status_code,
                    headers=response.headers,
                    content=bytes(body[: self.max_answer_bytes]),
                    truncated=truncated,
                )
        except httpx.HTTPError as failure:
            raise OutboundError(_sentence(failure, until - started)) from failure
        finally:
            _deadline.reset(token)

    def close(self) -> None:
        self._http.close()
