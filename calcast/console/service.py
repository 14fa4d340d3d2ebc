"""Console people: users, their role per account, sign-in, sessions and the one-time link to set a password."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.accounts.models import Account
from calcast.console.models import ConsoleMembership, ConsoleSession, ConsoleUser
from calcast.console.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, needs_rehash, verify_password
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.core.errors import Conflict, Invalid, NotFound, invalid
from calcast.core.security import Cipher, derived_token, digest

# A session's last_seen_at is written at most this often: idle expiry needs minutes, not every request.
TOUCH_INTERVAL = timedelta(minutes=1)


class Role(StrEnum):
    """What a person may do in an account; each role may do everything the ones before it may."""

    viewer = "viewer"  # read-only
    editor = "editor"  # calendars, events, audiences
    owner = "owner"  # everything, people and secrets included


RANKS = {Role.viewer: 0, Role.editor: 1, Role.owner: 2}


def allows(role: str, needed: Role) -> bool:
    """Whether `role` may do what `needed` may."""
    return role in RANKS and RANKS[Role(role)] >= RANKS[needed]


def check_role(role: str) -> Role:
    if role not in RANKS:
        raise invalid("role", "The role {role!r} does not exist; use owner, editor or viewer.", role=role)
    return Role(role)


def normalize_email(email: str) -> str:
    """The address lower-cased, or Invalid with a sentence."""
    cleaned = email.strip()
    try:
        return str(validate_email(cleaned, check_deliverability=False).normalized).lower()
    except EmailNotValidError:
        raise invalid("email", "{address!r} is not a valid e-mail address; check it.", address=cleaned) from None


def check_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise invalid(
            "password", "The password must be {least} to {most} characters long.", least=MIN_LENGTH, most=MAX_LENGTH
        )
    return password


# ---------------------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Member:
    user: ConsoleUser
    membership: ConsoleMembership
    account: Account


def find_user(*, session: Session, email: str) -> ConsoleUser | None:
    return session.scalar(select(ConsoleUser).where(ConsoleUser.email == email.strip().lower()))


def add_member(*, session: Session, email: str, account_code: str, role: str, password: str | None = None) -> Member:
    """Give the person with this e-mail the role in the account; creates the person if new, changes the role if not."""
    account = accounts.get_account(session=session, code=account_code)
    checked_role = check_role(role)
    address = normalize_email(email)
    if password is not None:
        check_password(password)
    user = find_user(session=session, email=address)
    if user is None:
        user = ConsoleUser(email=address)
        session.add(user)
        session.flush()
    if password is not None:
        user.password_hash = hash_password(password)
    membership = session.scalar(
        select(ConsoleMembership).where(
            ConsoleMembership.user_id == user.id, ConsoleMembership.account_id == account.id
        )
    )
    if membership is None:
        membership = ConsoleMembership(user_id=user.id, account_id=account.id, role=checked_role.value)
        session.add(membership)
    membership.role = checked_role.value
    session.flush()
    return Member(user=user, membership=membership, account=account)


@dataclass(frozen=True)
class Invitation:
    member: Member
    # The one-time link to set a password; None when the person has a password already (they sign in with it)
    # or belongs to other accounts (a link would let this account's owner take over their access there).
    link: str | None


def invite_member(*, session: Session, settings: Settings, email: str, account_code: str, role: str) -> Invitation:
    """An owner's invitation from the console: the person gets the role, and a new person a one-time link."""
    existing = find_user(session=session, email=normalize_email(email))
    if existing is not None and membership_in(session=session, user=existing, account_code=account_code) is not None:
        raise Conflict(
            "{email} has access to {account} already; change their role in the list instead.",
            email=existing.email,
            account=account_code,
        )
    member = add_member(session=session, email=email, account_code=account_code, role=role)
    others = session.scalar(
        select(func.count())
        .select_from(ConsoleMembership)
        .where(ConsoleMembership.user_id == member.user.id, ConsoleMembership.account_id != member.account.id)
    )
    if member.user.password_hash is not None or others:
        return Invitation(member=member, link=None)
    return Invitation(member=member, link=password_link(settings=settings, user=member.user))


def list_members(*, session: Session, account_code: str) -> list[Member]:
    """The account's people, by e-mail."""
    account = accounts.get_account(session=session, code=account_code)
    rows = session.execute(
        select(ConsoleUser, ConsoleMembership)
        .join(ConsoleMembership, ConsoleMembership.user_id == ConsoleUser.id)
        .where(ConsoleMembership.account_id == account.id)
        .order_by(ConsoleUser.email)
    )
    return [Member(user=user, membership=membership, account=account) for user, membership in rows]


def _existing_member(*, session: Session, email: str, account_code: str) -> Member:
    account = accounts.get_account(session=session, code=account_code)
    user = find_user(session=session, email=email)
    membership = (
        None
        if user is None
        else session.scalar(
            select(ConsoleMembership).where(
                ConsoleMembership.user_id == user.id, ConsoleMembership.account_id == account.id
            )
        )
    )
    if user is None or membership is None:
        raise NotFound(
            "{email!r} has no access to the account {account!r}; `calcast user list {account}` shows who has.",
            email=email.strip(),
            account=account_code,
        )
    return Member(user=user, membership=membership, account=account)


def _check_an_owner_remains(*, session: Session, member: Member, new_role: Role | None) -> None:
    """The console never leaves an account without an owner (the command line, the operator's tool, may)."""
    if member.membership.role != Role.owner or new_role == Role.owner:
        return
    owners = session.scalar(
        select(func.count())
        .select_from(ConsoleMembership)
        .where(ConsoleMembership.account_id == member.account.id, ConsoleMembership.role == Role.owner.value)
    )
    if (owners or 0) <= 1:
        raise Conflict(
            "{email} is the only owner of {account}; make someone else owner first.",
            email=member.user.email,
            account=member.account.code,
        )


def change_role(*, session: Session, email: str, account_code: str, role: str, keep_an_owner: bool = False) -> Member:
    """Change the role of a person who is in the account already (NotFound otherwise); it acts at once."""
    checked_role = check_role(role)
    member = _existing_member(session=session, email=email, account_code=account_code)
    if keep_an_owner:
        _check_an_owner_remains(session=session, member=member, new_role=checked_role)
    member.membership.role = checked_role.value
    session.flush()
    return member


def remove_member(*, session: Session, email: str, account_code: str, keep_an_owner: bool = False) -> None:
    """Take the person out of the account at once; a person left in no account is deleted with their sessions."""
    member = _existing_member(session=session, email=email, account_code=account_code)
    if keep_an_owner:
        _check_an_owner_remains(session=session, member=member, new_role=None)
    user, membership = member.user, member.membership
    session.delete(membership)
    session.flush()
    remaining = session.scalar(select(ConsoleMembership.id).where(ConsoleMembership.user_id == user.id).limit(1))
    if remaining is None:
        session.delete(user)
        session.flush()


def memberships(*, session: Session, user: ConsoleUser) -> list[Member]:
    """Every account the user belongs to, by account code."""
    found = [
        Member(
            user=user,
            membership=membership,
            account=accounts.get_account_by_id(session=session, account_id=membership.account_id),
        )
        for membership in session.scalars(select(ConsoleMembership).where(ConsoleMembership.user_id == user.id))
    ]
    return sorted(found, key=lambda member: member.account.code)


def membership_in(*, session: Session, user: ConsoleUser, account_code: str) -> Member | None:
    """The user's role in the account; None when the account does not exist or the user is not in it."""
    try:
        account = accounts.get_account(session=session, code=account_code)
    except NotFound:
        return None
    membership = session.scalar(
        select(ConsoleMembership).where(
            ConsoleMembership.user_id == user.id, ConsoleMembership.account_id == account.id
        )
    )
    return None if membership is None else Member(user=user, membership=membership, account=account)


# ---------------------------------------------------------------------------------------------- sign-in and sessions


def password_matches(*, user: ConsoleUser, password: str) -> bool:
    """Whether this is the user's password (nothing is recorded: not a sign-in)."""
    return verify_password(user.password_hash, password)


def authenticate(*, session: Session, email: str, password: str, now: datetime | None = None) -> ConsoleUser | None:
    """The user when the password is right (the hash renewed if its parameters are outdated); None otherwise."""
    user = find_user(session=session, email=email)
    if len(password) > MAX_LENGTH:
        return None
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    assert user.password_hash is not None  # verify_password is False without a hash
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now or utcnow()
    session.flush()
    return user


@dataclass(frozen=True)
class SignedIn:
    user: ConsoleUser
    record: ConsoleSession


def start_session(
    *,
    session: Session,
    user: ConsoleUser,
    ip_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> tuple[str, SignedIn]:
    """A new session for the user: (the token for the cookie, the session). A new token at every sign-in."""
    token = secrets.token_urlsafe(32)
    moment = now or utcnow()
    record = ConsoleSession(
        token_digest=digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=moment,
        last_seen_at=moment,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(record)
    session.flush()
    return token, SignedIn(user=user, record=record)


def current_session(
    *, session: Session, settings: Settings, token: str | None, now: datetime | None = None
) -> SignedIn | None:
    """The live session of this cookie token; None when there is none or it has expired (then it is deleted)."""
    if not token:
        return None
    record = session.get(ConsoleSession, digest(token))
    if record is None:
        return None
    moment = now or utcnow()
    if _expired(record, settings, moment):
        return None  # deleted by the caller in a transaction of its own (this one ends in a refusal)
    if moment - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = moment
    user = session.get(ConsoleUser, record.user_id)
    if user is None:  # pragma: no cover - the foreign key deletes sessions with their user
        return None
    return SignedIn(user=user, record=record)


def _expired(record: ConsoleSession, settings: Settings, now: datetime) -> bool:
    idle = now - record.last_seen_at > timedelta(minutes=settings.console_idle_minutes)
    too_old = now - record.created_at > timedelta(hours=settings.console_session_hours)
    return idle or too_old


def prune_sessions(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """The periodic job: delete sessions past their idle or absolute limit (abandoned browsers never return)."""
    idle_since = now - timedelta(minutes=settings.console_idle_minutes)
    created_since = now - timedelta(hours=settings.console_session_hours)
    with transaction() as session:
        pruned = session.execute(
            delete(ConsoleSession).where(
                (ConsoleSession.last_seen_at < idle_since) | (ConsoleSession.created_at < created_since)
            )
        )
        return int(pruned.rowcount or 0)  # type: ignore[attr-defined]


def confirm_password(*, session: Session, signed_in: SignedIn, password: str, now: datetime | None = None) -> bool:
    """ "Confirm it's you": when the password is right, the session may create and show secrets for a while."""
    if len(password) > MAX_LENGTH or not password_matches(user=signed_in.user, password=password):
        return False
    signed_in.record.reauthenticated_at = now or utcnow()
    session.flush()
    return True


def recently_confirmed(*, signed_in: SignedIn, settings: Settings, now: datetime | None = None) -> bool:
    """Whether the session's password confirmation is recent enough to create or show a secret."""
    confirmed = signed_in.record.reauthenticated_at
    return confirmed is not None and (now or utcnow()) - confirmed <= timedelta(minutes=settings.console_reauth_minutes)


@dataclass(frozen=True)
class Reveal:
    """A secret to show once: what it is (`kind`, e.g. "oauth_client"), whose (`label`) and the secret itself."""

    kind: str
    label: str
    secret: str
    account_code: str


def keep_for_reveal(*, session: Session, cipher: Cipher, signed_in: SignedIn, reveal: Reveal) -> None:
    """Hold a just-created secret, encrypted, until the session's next page shows it."""
    data = {"kind": reveal.kind, "label": reveal.label, "secret": reveal.secret, "account": reveal.account_code}
    signed_in.record.reveal_encrypted = cipher.encrypt(json.dumps(data))
    session.flush()


def take_reveal(
    *, session: Session, cipher: Cipher, signed_in: SignedIn, kind: str, account_code: str
) -> Reveal | None:
    """The secret held for this page (of this kind and account), removed as it is read: shown exactly once."""
    held = signed_in.record.reveal_encrypted
    if held is None:
        return None
    try:
        data = json.loads(cipher.decrypt(held))
    except ValueError:  # encrypted under another server key: nothing to show
        data = {}
    signed_in.record.reveal_encrypted = None  # shown now, or (another page came first) never
    session.flush()
    if data.get("kind") != kind or data.get("account") != account_code:
        return None
    return Reveal(kind=kind, label=str(data["label"]), secret=str(data["secret"]), account_code=account_code)


def csrf_matches(signed_in: SignedIn, presented: str | None) -> bool:
    """Whether a form carried this session's synchronizer token."""
    return hmac.compare_digest(signed_in.record.csrf_token.encode(), (presented or "").encode())


def end_session(*, session: Session, token_digest: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_digest == token_digest))


def end_all_sessions(*, session: Session, user: ConsoleUser) -> int:
    """Sign the user out in every browser; the number of sessions ended."""
    ended = session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    return int(ended.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------- password links


def _link_mac(settings: Settings, user: ConsoleUser, expires: int) -> str:
    # The current hash is part of what is signed: once a password is set with the link, the link is spent.
    return derived_token(settings.secret_key, "console-password-link", f"{user.id}:{expires}:{user.password_hash}")


def password_link(*, settings: Settings, user: ConsoleUser, now: float | None = None) -> str:
    """A link that lets the user set a password once, valid for CALCAST_CONSOLE_LINK_HOURS."""
    expires = int((time.time() if now is None else now) + settings.console_link_hours * 3600)
    return f"{settings.base_url}/console/password/{user.id}.{expires}.{_link_mac(settings, user, expires)}"


def user_of_password_link(*, session: Session, settings: Settings, token: str, now: float | None = None) -> ConsoleUser:
    """The user a genuine, unexpired, unused link was made for; Invalid otherwise."""
    spent = Invalid(
        "This link is not valid: it was used already, has expired or is incomplete. "
        "Ask an owner to run `calcast user create` again for a new one."
    )
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise spent
    user = session.get(ConsoleUser, parts[0])
    expires = int(parts[1])
    if user is None or expires < (time.time() if now is None else now):
        raise spent
    if not hmac.compare_digest(_link_mac(settings, user, expires).encode(), parts[2].encode()):
        raise spent
    return user


def set_password_with_link(
    *, session: Session, settings: Settings, token: str, password: str, now: float | None = None
) -> ConsoleUser:
    """Set the password a link allows (spending the link); every existing session of the user ends."""
    user = user_of_password_link(session=session, settings=settings, token=token, now=now)
    user.password_hash = hash_password(check_password(password))
    end_all_sessions(session=session, user=user)
    session.flush()
    return user
