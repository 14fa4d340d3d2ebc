"""Subscribing, finding, changing and ending subscriptions; the feed URLs they are reached by."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, selectinload

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar, Tag
from calcast.core import changes
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import Conflict, FieldError, Invalid, NotFound
from calcast.core.security import Cipher, digest, feed_token, manage_token
from calcast.subscriptions.capture import Capture
from calcast.subscriptions.changes import (
    SubscriptionChange,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionEnded,
)
from calcast.subscriptions.models import FeedToken, Subscription

METHODS = ("WebCal", "Google", "Microsoft", "CalDAV")


@dataclass(frozen=True)
class SubscriberDetails:
    """What the person (or the brand's app on their behalf) told us."""

    subscriber_id: str | None = None
    email: str | None = None
    tags: Sequence[str] = ()
    opt_in1: bool = False
    opt_in2: bool = False
    method: str = "WebCal"
    action_type: str | None = None
    # Whether an empty `tags` means "the calendar's default tags" (API) or "none chosen" (an error on the page).
    default_tags_when_empty: bool = True
    capture: Capture = field(default_factory=Capture)
    # Identifies one submitted form (or API request): the same key again returns the subscription it created.
    request_key: str | None = None


@dataclass(frozen=True)
class Subscribed:
    subscription: Subscription
    calendar: Calendar
    is_new: bool
    feed_token: str


def normalize_email(email: str | None, *, required: bool) -> str | None:
    """A syntactically valid address in normalized form, None when none is given and none is required."""
    cleaned = (email or "").strip()
    if not cleaned:
        if required:
            message = "Please enter your e-mail address; this calendar needs it to subscribe."
            raise Invalid(message, [FieldError("email", message)])
        return None
    try:
        # Lower-cased as a whole: mail providers treat local parts case-insensitively, and so does matching.
        return str(validate_email(cleaned, check_deliverability=False).normalized).lower()
    except EmailNotValidError:
        message = f"{cleaned!r} is not a valid e-mail address; please check it."
        raise Invalid(message, [FieldError("email", message)]) from None


def _issue_feed_token(*, session: Session, settings: Settings, subscription: Subscription) -> str:
    """Store the feed token of the subscription's current generation; the one place feed tokens are created."""
    token = feed_token(settings.secret_key, subscription.id, subscription.feed_token_generation)
    session.add(
        FeedToken(digest=digest(token), subscription_id=subscription.id, generation=subscription.feed_token_generation)
    )
    return token


def rotate_feed_token(*, session: Session, settings: Settings, subscription_id: str) -> str:
    """Give the subscription a new feed token; the old URL shows the unsubscribed calendar, then 410."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    session.execute(
        update(FeedToken)
        .where(FeedToken.subscription_id == subscription.id, FeedToken.retired_at.is_(None))
        .values(retired_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    subscription.feed_token_generation += 1
    token = _issue_feed_token(session=session, settings=settings, subscription=subscription)
    session.flush()
    return token


def current_feed_token(settings: Settings, subscription: Subscription) -> str:
    return feed_token(settings.secret_key, subscription.id, subscription.feed_token_generation)


def feed_url(settings: Settings, subscription: Subscription) -> str:
    """The https (or http, as configured) URL of the subscription's feed."""
    return f"{settings.base_url}/webcal/{current_feed_token(settings, subscription)}"


def webcal_url(settings: Settings, subscription: Subscription) -> str:
    """The same feed as a webcal:// link, which Apple Calendar and Outlook desktop open."""
    return "webcal://" + feed_url(settings, subscription).split("://", 1)[1]


def manage_url(settings: Settings, subscription: Subscription) -> str:
    """The page where the subscriber changes tags or unsubscribes (linked from every event)."""
    token = manage_token(settings.secret_key, subscription.id, subscription.feed_token_generation)
    return f"{settings.base_url}/manage/{subscription.id}/{token}"


def _new_suffix(session: Session) -> str:
    while True:
        suffix = secrets.token_hex(6)
        if session.scalar(select(Subscription.id).where(Subscription.suffix == suffix)) is None:
            return suffix


def _find_same_person(
    *, session: Session, calendar_id: str, subscriber_id: str | None, email: str | None
) -> Subscription | None:
    """The active subscription of the same person: same external id, or same e-mail when there is no id."""
    if subscriber_id:
        match = Subscription.subscriber_id == subscriber_id
    elif email:
        match = (Subscription.email == email) & Subscription.subscriber_id.is_(None)
    else:
        return None
    query = (
        select(Subscription)
        .where(Subscription.calendar_id == calendar_id, Subscription.deactivated_at.is_(None), match)
        .options(selectinload(Subscription.tags))
        .order_by(Subscription.created_at)
        .limit(1)
    )
    return session.scalar(query)


def _find_by_request_key(*, session: Session, calendar_id: str, request_key: str | None) -> Subscription | None:
    if not request_key:
        return None
    query = (
        select(Subscription)
        .where(Subscription.calendar_id == calendar_id, Subscription.request_key == request_key)
        .options(selectinload(Subscription.tags))
    )
    return session.scalar(query)


def _record_change(*, session: Session, change: SubscriptionChange) -> None:
    """Everything that follows a subscription change: its feed version moves on and the consumers hear of it.

    The consumers (Braze sync, webhooks) run before the flush: Braze reads which values the change replaced.
    """
    changes.record(session, change)
    subscription = change.subscription
    subscription.feed_version = (subscription.feed_version or 0) + 1
    session.flush()


def _clean_id(external_id: str | None) -> str | None:
    return (external_id or "").strip()[:255] or None


def _checked(calendar: Calendar, details: SubscriberDetails) -> tuple[str | None, list[Tag]]:
    """The normalized e-mail and the chosen tags; Invalid for what the calendar cannot accept."""
    email = normalize_email(details.email, required=calendar.email_capture == "required")
    if details.method not in METHODS:
        message = f"subscriptionMethod must be one of {', '.join(METHODS)}, not {details.method!r}."
        raise Invalid(message, [FieldError("subscriptionMethod", message)])
    if details.tags:
        tags = calendars.resolve_tags(calendar=calendar, names=details.tags)
    elif details.default_tags_when_empty:
        tags = [tag for tag in calendar.tags if tag.is_default] or list(calendar.tags[:1])
    else:
        tags = []
    if calendar.tags and not tags:
        message = "Please choose at least one topic to subscribe to."
        raise Invalid(message, [FieldError("tags", message)])
    return email, tags


def _new_subscription(
    *,
    session: Session,
    settings: Settings,
    calendar: Calendar,
    details: SubscriberDetails,
    email: str | None,
    tags: list[Tag],
    subscriber_id: str | None,
    unverified_subscriber_id: str | None = None,
    email_identifies: bool,
    request_key: str | None,
) -> Subscribed:
    """Store a new subscription with its first feed token, and queue what follows a subscribe."""
    now = utcnow()
    subscription = Subscription(
        account_id=calendar.account_id,
        calendar_id=calendar.id,
        suffix=_new_suffix(session),
        subscriber_id=subscriber_id,
        unverified_subscriber_id=unverified_subscriber_id,
        email=email,
        email_identifies=email_identifies,
        method=details.method,
        action_type=details.action_type,
        request_key=request_key,
        opt_in1=details.opt_in1,
        opt_in1_at=now if details.opt_in1 else None,
        opt_in2=details.opt_in2,
        opt_in2_at=now if details.opt_in2 else None,
        poll_count=0,
        feed_version=0,
        feed_token_generation=1,
        **vars(details.capture),
    )
    subscription.tags = tags
    session.add(subscription)
    session.flush()
    token = _issue_feed_token(session=session, settings=settings, subscription=subscription)
    _record_change(session=session, change=SubscriptionCreated(subscription))
    return Subscribed(subscription=subscription, calendar=calendar, is_new=True, feed_token=token)


def _returned(settings: Settings, subscription: Subscription, calendar: Calendar) -> Subscribed:
    return Subscribed(
        subscription=subscription,
        calendar=calendar,
        is_new=False,
        feed_token=current_feed_token(settings, subscription),
    )


def subscribe(
    *, session: Session, settings: Settings, account_code: str, calendar_code: str, details: SubscriberDetails
) -> Subscribed:
    """Subscribe a person on the brand's word (the API): the same person on the same calendar gets theirs back, updated.

    Only for callers the brand authenticated: it trusts `details.subscriber_id` and finds, returns and changes
    an existing subscription by it (or by e-mail). Anonymous forms use `subscribe_anonymously`.
    """
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    email, tags = _checked(calendar, details)
    subscriber_id = _clean_id(details.subscriber_id)
    by_key = _find_by_request_key(session=session, calendar_id=calendar.id, request_key=details.request_key)
    existing = by_key if by_key is not None and by_key.is_active else None
    existing = existing or _find_same_person(
        session=session, calendar_id=calendar.id, subscriber_id=subscriber_id, email=email
    )
    if existing is None:
        return _new_subscription(
            session=session,
            settings=settings,
            calendar=calendar,
            details=details,
            email=email,
            tags=tags,
            subscriber_id=subscriber_id,
            email_identifies=True,  # the brand's own app vouches for the address
            # A request sent again after its subscription ended starts a new one (the key stays with the old one).
            request_key=details.request_key if by_key is None else None,
        )
    now = utcnow()
    if email:
        existing.email = email
    if details.opt_in1 and not existing.opt_in1:
        existing.opt_in1, existing.opt_in1_at = True, now
    if details.opt_in2 and not existing.opt_in2:
        existing.opt_in2, existing.opt_in2_at = True, now
    existing.tags = tags
    _record_change(session=session, change=SubscriptionChanged(existing))
    return _returned(settings, existing, calendar)


@dataclass(frozen=True)
class LandingIdentity:
    """The external id a landing-page link carried, and the brand's signature of it (`sig`) when there is one."""

    external_id: str | None = None
    signature: str | None = None


def _landing_identity(
    *, session: Session, settings: Settings, calendar: Calendar, identity: LandingIdentity
) -> tuple[str | None, str | None]:
    """(the external id to bind, the unverified note): the id counts if signed, or if the calendar trusts any id."""
    external_id = _clean_id(identity.external_id)
    if external_id is None:
        return None, None
    if calendar.identity == "unsigned":
        return external_id, None
    account = accounts.get_account_by_id(session=session, account_id=calendar.account_id)
    signed = accounts.is_signed_external_id(
        cipher=Cipher(settings.secret_key),
        account=account,
        external_id=(identity.external_id or "").strip(),
        signature=identity.signature or "",
    )
    return (external_id, None) if signed else (None, external_id)


def subscribe_anonymously(
    *,
    session: Session,
    settings: Settings,
    account_code: str,
    calendar_code: str,
    details: SubscriberDetails,
    identity: LandingIdentity,
) -> Subscribed:
    """Subscribe whoever sent the landing page's form: always a new subscription, never someone else's.

    Whatever external id or e-mail the form names, no existing subscription is found, shown or changed: only
    the same form sent again (`details.request_key`) gets back the subscription it created. The external id comes
    from `identity` (not `details.subscriber_id`) and is bound only when the calendar's identity mode accepts it.
    """
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    by_key = _find_by_request_key(session=session, calendar_id=calendar.id, request_key=details.request_key)
    if by_key is not None and by_key.is_active:
        return _returned(settings, by_key, calendar)
    # What the form may capture is the calendar's choice: no e-mail when it captures none, an opt-in only
    # where the page showed its label, and a topic only when the person ticked one.
    details = replace(
        details,
        email=details.email if calendar.email_capture != "off" else None,
        opt_in1=details.opt_in1 and bool(calendar.opt_in1_label),
        opt_in2=details.opt_in2 and bool(calendar.opt_in2_label),
        default_tags_when_empty=False,
    )
    email, tags = _checked(calendar, details)
    subscriber_id, unverified = _landing_identity(
        session=session, settings=settings, calendar=calendar, identity=identity
    )
    return _new_subscription(
        session=session,
        settings=settings,
        calendar=calendar,
        details=details,
        email=email,
        tags=tags,
        subscriber_id=subscriber_id,
        unverified_subscriber_id=unverified,
        # A typed address proves nothing; only a calendar that trusts unsigned links lets it identify the person.
        email_identifies=calendar.identity == "unsigned",
        # A form sent again after its subscription ended starts a new one (the key stays with the old one).
        request_key=details.request_key if by_key is None else None,
    )


def get_subscription(*, session: Session, subscription_id: str, account_id: str | None = None) -> Subscription:
    """The subscription with this id (within the account, when one is given), or NotFound."""
    query = select(Subscription).where(Subscription.id == subscription_id).options(selectinload(Subscription.tags))
    if account_id is not None:
        query = query.where(Subscription.account_id == account_id)
    subscription = session.scalar(query)
    if subscription is None:
        raise NotFound(f"There is no subscription {subscription_id!r}.")
    return subscription


def find_by_subscriber(
    *, session: Session, account_code: str, calendar_code: str, subscriber_id: str
) -> list[Subscription]:
    """Every subscription of a subscriber id (or e-mail) on a calendar, oldest first."""
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    query = (
        select(Subscription)
        .where(
            Subscription.calendar_id == calendar.id,
            or_(Subscription.subscriber_id == subscriber_id, Subscription.email == subscriber_id),
        )
        .options(selectinload(Subscription.tags))
        .order_by(Subscription.created_at, Subscription.id)
    )
    return list(session.scalars(query))


def by_manage_link(*, session: Session, settings: Settings, subscription_id: str, token: str) -> Subscription:
    """The subscription a manage link belongs to; NotFound for a link that is not genuine or no longer current.

    The link's token follows the feed token's generation, so rotating the feed token retires old manage links.
    """
    try:
        subscription: Subscription | None = get_subscription(session=session, subscription_id=subscription_id)
    except NotFound:
        subscription = None
    generation = subscription.feed_token_generation if subscription is not None else 0
    expected = manage_token(settings.secret_key, subscription_id, generation)
    if subscription is None or not hmac.compare_digest(expected.encode(), token.encode()):
        raise NotFound("This link is not valid; use the link from one of the calendar's events.")
    return subscription


def _require_active(subscription: Subscription) -> None:
    """Only an active subscription changes; an ended one is a record of what was."""
    if not subscription.is_active:
        raise Conflict("This subscription has ended and can no longer change; subscribe again instead.")


def change_tags(*, session: Session, subscription: Subscription, tags: Sequence[str]) -> Subscription:
    """Replace the subscription's chosen tags (at least one when the calendar has tags); Conflict once it ended."""
    _require_active(subscription)
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    chosen = calendars.resolve_tags(calendar=calendar, names=tags)
    if calendar.tags and not chosen:
        message = "Please choose at least one topic, or unsubscribe instead."
        raise Invalid(message, [FieldError("tags", message)])
    subscription.tags = chosen
    _record_change(session=session, change=SubscriptionChanged(subscription))
    return subscription


def set_method(*, session: Session, subscription: Subscription, method: str) -> Subscription:
    """Record which kind of calendar app the subscriber chose (WebCal, Google or Microsoft).

    An ended subscription keeps the method it had: the app buttons stay on its confirmation page, nothing changes.
    """
    if method not in METHODS:
        message = f"The method must be one of {', '.join(METHODS)}, not {method!r}."
        raise Invalid(message, [FieldError("method", message)])
    if subscription.is_active and subscription.method != method:
        subscription.method = method
        _record_change(session=session, change=SubscriptionChanged(subscription))
    return subscription


def deactivate(
    *, session: Session, subscription: Subscription, reason_id: str | None = None, reason_text: str | None = None
) -> Subscription:
    """End a subscription: its feed turns into an empty 'unsubscribed' calendar, later 410. Repeating is harmless."""
    if subscription.deactivated_at is not None:
        return subscription
    subscription.deactivated_at = utcnow()
    subscription.deactivation_reason_id = (reason_id or "").strip()[:64] or None
    subscription.deactivation_reason_text = (reason_text or "").strip()[:2000] or None
    _record_change(session=session, change=SubscriptionEnded(subscription))
    return subscription


# Core, built once: the ORM's bulk UPDATE path cost several times the statement itself.
_BUMP_FEED_VERSIONS = (
    update(Subscription)
    .where(Subscription.id.in_(bindparam("ids", expanding=True)))
    .values(feed_version=Subscription.feed_version + 1)
)


def bump_feed_versions(*, session: Session, subscription_ids: Sequence[str]) -> None:
    """Mark these subscriptions' feeds as changed (their personal events changed).

    One UPDATE, without refreshing Subscription objects already loaded in this session (their feed_version
    stays as read): the callers hold none, and the refresh cost more than the statement.
    """
    if subscription_ids:
        session.flush()  # as the ORM statement did: pending changes first
        session.connection().execute(_BUMP_FEED_VERSIONS, {"ids": list(subscription_ids)})


def unsubscribe(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    subscription_id: str | None = None,
    subscriber_id: str | None = None,
    reason_id: str | None = None,
    reason_text: str | None = None,
) -> list[Subscription]:
    """End one subscription of the calendar (by id) or every active one of a subscriber id or e-mail."""
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    if subscription_id:
        found = [get_subscription(session=session, subscription_id=subscription_id, account_id=calendar.account_id)]
        if found[0].calendar_id != calendar.id:
            raise NotFound(f"The calendar {calendar_code!r} has no subscription {subscription_id!r}.")
    elif subscriber_id:
        found = find_by_subscriber(
            session=session, account_code=account_code, calendar_code=calendar_code, subscriber_id=subscriber_id
        )
        if not found:
            raise NotFound(f"The calendar {calendar_code!r} has no subscription of {subscriber_id!r}.")
    else:
        message = "Say which subscription to end: give its id, or the userName whose subscriptions should end."
        raise Invalid(message, [FieldError("id", message)])
    ended = [subscription for subscription in found if subscription.is_active or subscription_id]
    for subscription in ended:
        deactivate(session=session, subscription=subscription, reason_id=reason_id, reason_text=reason_text)
    return ended
