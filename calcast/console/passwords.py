"""Password hashing for console users: Argon2id with argon2-cffi's current defaults, rehashed when they change."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # a cap on the work one sign-in attempt can cause

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("calcast-console-no-such-user")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; without a stored hash, a dummy one is checked so both take the same time."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's defaults (then it is replaced at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
