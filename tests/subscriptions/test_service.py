from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from calcast.core.db import Database
from calcast.core.errors import Conflict, Invalid, NotFound
from calcast.core.security import derived_token, digest
from calcast.subscriptions import service
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import FeedToken
from tests.conftest import Persona


def subscribe(database: Database, **details: Any) -> service.Subscribed:
    with database.transaction() as session:
        return service.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=service.SubscriberDetails(**details),
        )


def test_a_new_subscription_gets_a_suffix_default_tags_and_a_feed_url(database: Database, owner: Persona) -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
    done = subscribe(database, subscriber_id="user-1", capture=capture(user_agent=iphone))
    subscription = done.subscription
    assert done.is_new
    assert re.fullmatch(r"[0-9a-f]{12}", subscription.suffix)
    assert [tag.name for tag in subscription.tags] == ["All Teams"]
    assert subscription.device == "iOS"
    url = service.feed_url(database.settings, subscription)
    assert url == f"https://calcast.test/webcal/{done.feed_token}"
    assert service.webcal_url(database.settings, subscription).startswith("webcal://calcast.test/webcal/")
    assert len(done.feed_token) >= 43
    with database.sessions() as session:
        stored = session.get(FeedToken, digest(done.feed_token))
        assert stored is not None
        assert stored.subscription_id == subscription.id


def test_the_same_person_gets_the_same_subscription_back_updated(database: Database, owner: Persona) -> None:
    first = subscribe(database, subscriber_id="user-1", tags=["Team I"])
    second = subscribe(database, subscriber_id="user-1", tags=["Team II"], opt_in1=True)
    assert not second.is_new
    assert second.subscription.id == first.subscription.id
    assert second.feed_token == first.feed_token
    assert [tag.name for tag in second.subscription.tags] == ["Team II"]
    assert second.subscription.opt_in1
    assert second.subscription.opt_in1_at is not None


def test_without_an_external_id_the_email_identifies_the_person(database: Database, owner: Persona) -> None:
    first = subscribe(database, email="Fan@Example.com")
    second = subscribe(database, email="fan@example.com")
    assert not second.is_new
    assert second.subscription.id == first.subscription.id
    assert second.subscription.email == "fan@example.com"
    third = subscribe(database, email="other@example.com")
    assert third.is_new


def test_a_bad_email_is_refused(database: Database, owner: Persona) -> None:
    with pytest.raises(Invalid, match="is not a valid e-mail address"):
        subscribe(database, email="not-an-address")


def test_deactivation_is_idempotent(database: Database, owner: Persona) -> None:
    done = subscribe(database, subscriber_id="user-1")
    with database.transaction() as session:
        subscription = service.get_subscription(session=session, subscription_id=done.subscription.id)
        service.deactivate(session=session, subscription=subscription, reason_text="Too many events")
        first_time = subscription.deactivated_at
        service.deactivate(session=session, subscription=subscription, reason_text="again")
        assert subscription.deactivated_at == first_time
        assert subscription.deactivation_reason_text == "Too many events"
    assert subscribe(database, subscriber_id="user-1").is_new


def test_manage_links_handed_out_before_any_rotation_keep_working(database: Database, owner: Persona) -> None:
    done = subscribe(database, subscriber_id="user-1")
    # The token manage links had before they followed the feed token's generation.
    earlier = derived_token(database.settings.secret_key, "manage", done.subscription.id)
    assert service.manage_url(database.settings, done.subscription).endswith(f"/{earlier}")
    with database.sessions() as session:
        found = service.by_manage_link(
            session=session, settings=database.settings, subscription_id=done.subscription.id, token=earlier
        )
        assert found.id == done.subscription.id
        with pytest.raises(NotFound, match="This link is not valid"):
            service.by_manage_link(
                session=session, settings=database.settings, subscription_id=str(uuid.uuid4()), token=earlier
            )


def test_an_ended_subscription_keeps_its_tags_and_method(database: Database, owner: Persona) -> None:
    done = subscribe(database, subscriber_id="user-1", tags=["Team I"])
    with database.transaction() as session:
        subscription = service.get_subscription(session=session, subscription_id=done.subscription.id)
        service.deactivate(session=session, subscription=subscription)
        with pytest.raises(Conflict, match="has ended"):
            service.change_tags(session=session, subscription=subscription, tags=["Team II"])
        service.set_method(session=session, subscription=subscription, method="Google")
    with database.sessions() as session:
        ended = service.get_subscription(session=session, subscription_id=done.subscription.id)
        assert [tag.name for tag in ended.tags] == ["Team I"]
        assert ended.method == "WebCal"


def test_an_anonymous_form_captures_only_what_the_calendar_asks_for(database: Database, owner: Persona) -> None:
    """The main calendar captures no e-mail and shows no opt-in labels: a crafted form cannot store them."""
    with database.transaction() as session:
        done = service.subscribe_anonymously(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=service.SubscriberDetails(email="someone@example.com", tags=["Team I"], opt_in1=True, opt_in2=True),
            identity=service.LandingIdentity(),
        )
    assert (done.subscription.email, done.subscription.opt_in1, done.subscription.opt_in2) == (None, False, False)
    with database.transaction() as session, pytest.raises(Invalid, match="at least one topic"):
        service.subscribe_anonymously(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=service.SubscriberDetails(tags=[]),
            identity=service.LandingIdentity(),
        )
