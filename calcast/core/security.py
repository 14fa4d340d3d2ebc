"""Digests, encryption at rest, derived feed tokens and signed access tokens, all from the server key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken


def digest(secret: str) -> str:
    """SHA-256 hex digest: right for high-entropy secrets that are only ever compared."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Constant-time check of a presented secret against its stored digest."""
    return hmac.compare_digest(digest(secret), stored_digest)


def random_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def _subkey(secret_key: str, purpose: str) -> bytes:
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cipher:
    """Symmetric encryption for secrets calcast must read back (Braze REST keys, webhook secrets)."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_subkey(secret_key, "encryption-at-rest")))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken:
            raise ValueError("this secret was encrypted with another CALCAST_SECRET_KEY") from None


def derived_token(secret_key: str, purpose: str, subject: str) -> str:
    """A 256-bit token only the server can compute, e.g. a subscription's feed or manage token.

    Nothing reversible is stored: the database keeps the digest for lookup, and the server can show
    the same URL again (a second subscribe, the manage page) by deriving it once more.
    """
    mac = hmac.new(_subkey(secret_key, purpose), subject.encode(), hashlib.sha256).digest()
    return _b64(mac)


def feed_token(secret_key: str, subscription_id: str, generation: int) -> str:
    return derived_token(secret_key, "feed", f"{subscription_id}:{generation}")


def manage_token(secret_key: str, subscription_id: str, generation: int) -> str:
    """Follows the feed token's generation: rotating the feed token also retires the old manage links."""
    # Generation 1 keeps the subject manage links had before they followed rotation, so those links still work.
    subject = subscription_id if generation == 1 else f"{subscription_id}:{generation}"
    return derived_token(secret_key, "manage", subject)


@dataclass(frozen=True)
class AccessTokenClaims:
    client_id: str
    expires_at: int


def issue_access_token(secret_key: str, client_id: str, ttl_seconds: int, now: float | None = None) -> str:
    """A signed bearer token `<client_id>.<expiry>.<nonce>.<mac>`: checked without a database write."""
    expires_at = int((time.time() if now is None else now) + ttl_seconds)
    body = f"{_b64(client_id.encode())}.{expires_at}.{secrets.token_urlsafe(6)}"
    mac = hmac.new(_subkey(secret_key, "access-token"), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_access_token(secret_key: str, token: str, now: float | None = None) -> AccessTokenClaims | None:
    """The claims of a genuine, unexpired token; None for anything else."""
    parts = token.split(".")
    if len(parts) != 4:
        return None
    body = ".".join(parts[:3])
    expected = hmac.new(_subkey(secret_key, "access-token"), body.encode(), hashlib.sha256).digest()
    try:
        presented = _unb64(parts[3])
        client_id = _unb64(parts[0]).decode()
        expires_at = int(parts[1])
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(expected, presented):
        return None
    if expires_at <= (time.time() if now is None else now):
        return None
    return AccessTokenClaims(client_id=client_id, expires_at=expires_at)
