"""The destination policy every outbound request shares: public https only, one total deadline, a bounded answer."""

from __future__ import annotations

import ipaddress
import ssl
import time
from pathlib import Path

import pytest

from calcast.core import outbound
from calcast.core.outbound import OutboundClient, OutboundError
from tests.support.dns import resolving
from tests.support.receivers import running_receiver
from tests.support.tls import running_tls_server


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.0.1", "a private address"),
        ("fc00::5", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "a reserved address"),  # noqa: S104 - the address under test, not a bind
        ("240.0.0.1", "a reserved address"),
        ("::", "a reserved address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("100.64.0.1", "not a public address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
        ("93.184.216.34", None),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_it_tells_public_addresses_from_the_others(address: str, problem: str | None) -> None:
    assert outbound.address_problem(ipaddress.ip_address(address)) == problem


def test_it_refuses_plain_http_when_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    with running_receiver() as receiver:
        client = OutboundClient(allow_private=False, timeout=5)
        with pytest.raises(OutboundError, match=r"calcast does not send to http:// URLs: destinations must use https"):
            client.post(receiver.url, content=b"{}", headers={})
        client.close()
    assert receiver.received == []


def test_it_connects_to_the_address_it_checked_and_keeps_the_name_for_tls_and_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_tls_server("hooks.brand.example", tmp_path) as server:
        asked = resolving(monkeypatch, {"hooks.brand.example": ["127.0.0.1", "10.9.9.9"]})
        # The stand-in is on loopback: count it as public here, and only here.
        judge = outbound.address_problem
        monkeypatch.setattr(outbound, "address_problem", lambda a: None if str(a) == "127.0.0.1" else judge(a))
        trusted = ssl.create_default_context(cafile=str(server.certificate))
        transport = outbound.DestinationTransport(allow_private=False, verify=trusted)
        client = OutboundClient(allow_private=False, timeout=5, transport=transport)
        try:
            answer = client.post(f"https://hooks.brand.example:{server.port}/hook", content=b"{}", headers={})
        finally:
            client.close()
    assert answer.status_code == 200
    # Resolved once (a second lookup would have answered 10.9.9.9), TLS and Host still speak of the name.
    assert asked == ["hooks.brand.example"]
    assert server.server_names == ["hooks.brand.example"]
    assert server.hosts == [f"hooks.brand.example:{server.port}"]


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_receiver_trickling_bytes_gets_one_total_deadline(part: str) -> None:
    with running_receiver(trickle=part, trickle_interval=0.2, trickle_for=8.0) as receiver:
        client = OutboundClient(allow_private=True, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(OutboundError, match="the request timed out: no complete answer within 1 s"):
            client.post(receiver.url, content=b"{}", headers={})
        elapsed = time.monotonic() - started
        client.close()
    assert elapsed < 2.0, f"the request ran {elapsed:.1f} s"


def test_an_earlier_deadline_cuts_the_request_shorter() -> None:
    with running_receiver(trickle="body", trickle_interval=0.2, trickle_for=8.0) as receiver:
        client = OutboundClient(allow_private=True, timeout=30.0)
        started = time.monotonic()
        with pytest.raises(OutboundError, match="timed out"):
            client.post(receiver.url, content=b"{}", headers={}, deadline=started + 0.5)
        elapsed = time.monotonic() - started
        client.close()
    assert elapsed < 1.5


def test_an_endless_answer_is_read_up_to_the_cap_only() -> None:
    with running_receiver(endless=True) as receiver:
        client = OutboundClient(allow_private=True, timeout=10.0)
        answer = client.post(receiver.url, content=b"{}", headers={})
        client.close()
        time.sleep(0.5)  # the receiver notices the hang-up
        sent = receiver.bytes_sent
    assert answer.status_code == 200
    assert answer.truncated
    assert len(answer.content) == outbound.MAX_ANSWER_BYTES
    assert sent < 32 * 1024 * 1024, f"the receiver could send {sent} bytes"


def test_nul_characters_are_gone_from_the_answers_text() -> None:
    with running_receiver(status=500, body=b"broken\x00answer\x00") as receiver:
        client = OutboundClient(allow_private=True, timeout=5.0)
        answer = client.post(receiver.url, content=b"{}", headers={})
        client.close()
    assert answer.content == b"broken\x00answer\x00"
    assert answer.text == "brokenanswer"


def test_proxies_from_the_environment_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")  # nothing listens there
    with running_receiver() as receiver:
        client = OutboundClient(allow_private=True, timeout=5.0)
        answer = client.post(receiver.url, content=b"{}", headers={})
        client.close()
    assert answer.status_code == 200
    assert len(receiver.received) == 1
