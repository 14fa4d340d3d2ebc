"""What a subscription records about where it came from: device, country, source, anonymized IP."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import pycountry
from ua_parser import parse

# Device classes as Braze segments see them in `rokt:device_name`.
_MOBILE_OS = {"iOS": "iOS", "iPadOS": "iOS", "Android": "Android"}


# What of a User-Agent is parsed and cached: real ones are a few hundred characters, and the cache holds
# 4,096 entries, so a header of megabytes must not become a key.
PARSED_USER_AGENT_CHARS = 512


def operating_system(user_agent: str | None) -> str | None:
    """The operating system family ("iOS", "Mac OS X", "Windows", "Android"…) by ua-parser's maintained rules."""
    return _operating_system(user_agent[:PARSED_USER_AGENT_CHARS]) if user_agent else None


@lru_cache(maxsize=4096)
def _operating_system(user_agent: str) -> str | None:
    result = parse(user_agent)
    return str(result.os.family) if result.os else None


def device_class(user_agent: str | None) -> str | None:
    """Desktop, iOS, Android or Other, from the browser's User-Agent."""
    if not user_agent:
        return None
    family = operating_system(user_agent)
    if family in _MOBILE_OS:
        return _MOBILE_OS[family]
    if family in {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD"}:
        return "Desktop"
    return "Other"


def country_name(code: str | None) -> str | None:
    """The English short name of an ISO 3166 alpha-2 code (pycountry), or None for unknown codes."""
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code.strip().upper())
    return str(country.name) if country else None


def normalize_country_code(code: str | None) -> str | None:
    """An ISO alpha-2 code in upper case, or None (Cloudflare's XX and T1 mean unknown / Tor)."""
    if not code:
        return None
    cleaned = code.strip().upper()
    return cleaned if country_name(cleaned) else None


def anonymize_ip(address: str | None) -> str | None:
    """Zero the host part: the last octet of IPv4, all but the first 48 bits of IPv6."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def source_of(utm_source: str | None, referrer: str | None) -> str | None:
    """Where the subscriber came from: utm_source, else the referring host."""
    if utm_source and utm_source.strip():
        return utm_source.strip()[:255]
    if referrer:
        host = urlsplit(referrer.strip()).hostname
        return host[:255] if host else None
    return None


@dataclass(frozen=True)
class Capture:
    """The capture data of one subscribe request, ready to store."""

    device: str | None = None
    user_agent: str | None = None
    ip_address: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    source: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None


def capture(
    *,
    user_agent: str | None = None,
    ip_address: str | None = None,
    country_code: str | None = None,
    referrer: str | None = None,
    utm_source: str | None = None,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
    utm_content: str | None = None,
    keep_full_ip: bool = False,
) -> Capture:
    """Derive everything a subscription records from what the request carried."""
    code = normalize_country_code(country_code)
    ip = (ip_address or "").strip() or None
    return Capture(
        device=device_class(user_agent),
        user_agent=(user_agent or None) and user_agent[:1024],
        ip_address=ip if keep_full_ip and ip else anonymize_ip(ip),
        country_code=code,
        country_name=country_name(code),
        source=source_of(utm_source, referrer),
        referrer=(referrer or None) and referrer[:2048],
        utm_source=_clip(utm_source),
        utm_medium=_clip(utm_medium),
        utm_campaign=_clip(utm_campaign),
        utm_content=_clip(utm_content),
    )


def _clip(value: str | None) -> str | None:
    cleaned = (value or "").strip()
    return cleaned[:255] or None
