"""Accounts (brands, the tenants) and their OAuth clients."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, utc_datetime, uuid_pk


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid_pk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    braze_rest_endpoint: Mapped[str | None] = mapped_column(String(255))
    # Encrypted with the server key (core.security); never stored in clear.
    braze_api_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The key that signs external ids in landing-page links (HMAC-SHA256), encrypted like the Braze key.
    link_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the ≥256-bit random secret: cheap to check on every Braze send, useless if leaked.
    secret_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    revoked_at: Mapped[utc_datetime | None]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"OAuthClient({self.client_id!r})"
