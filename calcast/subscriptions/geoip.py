"""Country of a subscriber's IP address from a MaxMind GeoIP2/GeoLite2 database, when one is configured."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geoip2.database import Reader


@lru_cache(maxsize=4)
def _reader(path: str) -> Reader:
    # Imported here: only deployments that set CALCAST_GEOIP_DATABASE open a database.
    from geoip2.database import Reader

    return Reader(path)


def country_code(database_path: str | None, ip_address: str | None) -> str | None:
    """The ISO country code of the address (looked up before it is anonymized), or None when unknown."""
    if not database_path or not ip_address:
        return None
    from geoip2.errors import AddressNotFoundError

    try:
        response = _reader(database_path).country(ip_address)
    except (AddressNotFoundError, ValueError):
        return None
    return response.country.iso_code
