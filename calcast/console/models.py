"""People of the web console: users, their role in each account, and their signed-in sessions."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, utc_datetime, uuid_pk


class ConsoleUser(Base):
    """A person who signs in to the console; one e-mail address, one password, any number of accounts."""

    __tablename__ = "console_users"

    id: Mapped[uuid_pk]
    # Stored lower-cased: the address is how a person is found at sign-in.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Argon2id (argon2-cffi's PHC string); None until the person sets a password with their sign-in link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[created_at]
    last_sign_in_at: Mapped[utc_datetime | None]


class ConsoleMembership(Base):
    """What a user may do in one account: owner, editor or viewer (console.roles)."""

    __tablename__ = "console_memberships"
    __table_args__ = (UniqueConstraint("user_id", "account_id"),)

    id: Mapped[uuid_pk]
    user_id: Mapped[str] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[created_at]


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "console_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token every form of this session carries (compared in constant time).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    last_seen_at: Mapped[utc_datetime]
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # When the person last typed their password again ("confirm it's you"): secrets are created or shown only
    # for a few minutes after (CALCAST_CONSOLE_REAUTH_MINUTES).
    reauthenticated_at: Mapped[utc_datetime | None]
    # A secret just created (an OAuth client's, a webhook's, an invitation link), encrypted with the server key,
    # kept only until the next page of this session shows it: once, and never again on a reload.
    reveal_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
