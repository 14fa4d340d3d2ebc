"""The `rokt:*` mapping: what a subscription looks like in Braze's users.track, the contract with the marketers'
segments and templates (the table in docs/braze.md, "Audience segmentation")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

# Every array attribute Rokt Calendar writes, in the order of the partner page's table.
ATTRIBUTE_NAMES = (
    "rokt:account_code",
    "rokt:account_id",
    "rokt:account_name",
    "rokt:calendar_code",
    "rokt:calendar_id",
    "rokt:calendar_title",
    "rokt:country_code",
    "rokt:device_name",
    "rokt:geo_country",
    "rokt:optIn1",
    "rokt:optIn2",
    "rokt:source",
    "rokt:subscriber_email",
    "rokt:subscription_id",
    "rokt:subscription_method",
    "rokt:tags",
)
MAX_STRING = 255
SUBSCRIBE_EVENT = "subscribe"
UNSUBSCRIBE_EVENT = "unsubscribe"
# calcast's own custom events (not Rokt's): a person's first click on an event link, a subscription that lapsed.
CLICK_EVENT = "calendar_event_click"
LAPSED_EVENT = "calendar_lapsed"
# `"` and `\` would break the partner page's templates, which paste values into JSON without json_escape.
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')

Mode = Literal["add", "replace", "remove"]


@dataclass(frozen=True)
class SubscriptionFacts:
    """Everything Braze learns about one subscription, read from the database in the change's transaction."""

    subscription_id: str
    suffix: str
    account_code: str
    account_id: str
    account_name: str
    calendar_code: str
    calendar_id: str
    calendar_title: str
    subscription_method: str
    tags: Sequence[str] = ()
    calendar_tags: Sequence[str] = ()
    opt_in1: bool = False
    opt_in2: bool = False
    country_code: str | None = None
    device_name: str | None = None
    geo_country: str | None = None
    source: str | None = None
    subscriber_email: str | None = None
    external_id: str | None = None
    # Whether the e-mail may identify the person (models.Subscription.email_identifies).
    email_identifies: bool = False
    action_type: str | None = None


def clean(value: str, limit: int = MAX_STRING) -> str:
    """A value Braze stores and Liquid templates can paste into JSON: no quotes, backslashes or controls, ≤limit."""
    return _UNSAFE.sub("", value).strip()[:limit]


def suffixed(value: str, suffix: str) -> str:
    """`<value>/<suffix>`, shortening the value so that the whole entry stays within 255 characters."""
    return f"{clean(value, MAX_STRING - len(suffix) - 1)}/{suffix}"


def _flag(value: bool) -> str:
    return "True" if value else "False"


def attribute_values(facts: SubscriptionFacts) -> dict[str, list[str]]:
    """The sixteen `rokt:*` arrays for this subscription (an empty list where nothing was captured)."""
    single: dict[str, str | None] = {
        "rokt:account_code": facts.account_code,
        "rokt:account_id": facts.account_id,
        "rokt:account_name": facts.account_name,
        "rokt:calendar_code": facts.calendar_code,
        "rokt:calendar_id": facts.calendar_id,
        "rokt:calendar_title": facts.calendar_title,
        "rokt:country_code": facts.country_code,
        "rokt:device_name": facts.device_name,
        "rokt:geo_country": facts.geo_country,
        "rokt:optIn1": _flag(facts.opt_in1),
        "rokt:optIn2": _flag(facts.opt_in2),
        "rokt:source": facts.source,
        "rokt:subscriber_email": facts.subscriber_email,
        "rokt:subscription_method": facts.subscription_method,
    }
    values = {name: [suffixed(value, facts.suffix)] if value else [] for name, value in single.items()}
    values["rokt:subscription_id"] = [facts.subscription_id]
    values["rokt:tags"] = [_tag_value(facts, tag) for tag in facts.tags]
    return {name: values[name] for name in ATTRIBUTE_NAMES}


def _tag_value(facts: SubscriptionFacts, tag: str) -> str:
    return suffixed(f"{clean(facts.calendar_title)}/{clean(tag)}", facts.suffix)


def stale_values(facts: SubscriptionFacts, *, previous: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Entries of this subscription that may be in Braze from before and no longer hold.

    The suffix makes them exact: the opposite opt-in value, every calendar tag not chosen now, and the
    earlier value of any single-valued attribute that changed (`previous`: attribute name → old value).
    """
    current = attribute_values(facts)
    candidates: dict[str, list[str]] = {
        "rokt:optIn1": [suffixed(_flag(not facts.opt_in1), facts.suffix)],
        "rokt:optIn2": [suffixed(_flag(not facts.opt_in2), facts.suffix)],
        "rokt:tags": [_tag_value(facts, tag) for tag in facts.calendar_tags],
    }
    for name, value in (previous or {}).items():
        if value and name in current:
            candidates.setdefault(name, []).append(suffixed(value, facts.suffix))
    stale = {}
    for name, entries in candidates.items():
        gone = [entry for entry in entries if entry not in current[name]]
        if gone:
            stale[name] = gone
    return stale


def identifier(facts: SubscriptionFacts, *, fallback: bool) -> dict[str, str] | None:
    """Who the user is in Braze: the external id, else the e-mail when it may identify the person, else (fallback
    flag) the subscription id."""
    if facts.external_id:
        return {"external_id": clean(facts.external_id)}
    if facts.subscriber_email and facts.email_identifies:
        return {"email": facts.subscriber_email}
    if fallback:
        return {"external_id": facts.subscription_id}
    return None


def attributes_object(
    facts: SubscriptionFacts,
    *,
    who: dict[str, str],
    mode: Mode,
    previous: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The attributes object: `add` (merge flag on), the arrays replaced (merge off), or an exact `remove`."""
    values = attribute_values(facts)
    body: dict[str, Any] = dict(who)
    if mode == "replace":
        body.update(values)
        return body
    if mode == "remove":
        body.update({name: {"remove": entries} for name, entries in values.items() if entries})
        return body
    stale = stale_values(facts, previous=previous)
    for name in ATTRIBUTE_NAMES:
        change: dict[str, list[str]] = {}
        if values[name]:
            change["add"] = values[name]
        if name in stale:
            change["remove"] = stale[name]
        if change:
            body[name] = change
    return body


def event_object(
    facts: SubscriptionFacts,
    *,
    who: dict[str, str],
    name: str,
    at: datetime,
    extra: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """A custom event about the subscription (`subscribe`, `unsubscribe`, `calendar_event_click`, …).

    `subscription_id` lets duplicates be recognised; `extra` adds the event's own properties.
    """
    properties: dict[str, Any] = {
        "subscription_id": facts.subscription_id,
        "account_code": clean(facts.account_code),
        "calendar_code": clean(facts.calendar_code),
        "calendar_id": facts.calendar_id,
        "calendar_title": clean(facts.calendar_title),
        "subscription_method": clean(facts.subscription_method),
        "tags": [clean(tag) for tag in facts.tags],
    }
    optional = {
        "action_type": facts.action_type,
        "device_name": facts.device_name,
        "country_code": facts.country_code,
        "source": facts.source,
        **(extra or {}),
    }
    properties.update({key: clean(value) for key, value in optional.items() if value})
    return {**who, "name": name, "time": at.isoformat(timespec="seconds"), "properties": properties}


def object_count(track: dict[str, Any]) -> int:
    """How many objects a users.track body carries across its arrays."""
    return sum(len(track.get(array, [])) for array in ("attributes", "events", "purchases"))
