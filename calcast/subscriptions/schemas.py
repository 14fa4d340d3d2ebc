"""JSON of the Rokt subscriptions API (/v2/subscribe, /v1/subscription)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from calcast.core.schemas import CAMEL_IN, CAMEL_OUT

Short = Annotated[str, Field(max_length=255)]

# Rokt's numeric subscriptionMethod values as we read them [inferred: Rokt documents an int enum without values].
METHOD_NUMBERS = {1: "WebCal", 2: "Google", 3: "Microsoft"}
METHOD_NAMES = {name.lower(): name for name in METHOD_NUMBERS.values()}


class CalendarTagIn(BaseModel):
    model_config = CAMEL_IN

    internal_id: Annotated[str | None, Field(max_length=64, description="The tag's id.")] = None
    external_id: Annotated[str | None, Field(max_length=255, description="The tag's name.")] = None


class SubscribeIn(BaseModel):
    """A subscription made by the brand's own app on the subscriber's behalf."""

    model_config = CAMEL_IN

    subscriber_id: Short | None = None
    user_name: Short | None = None
    email_address: Annotated[str | None, Field(max_length=320)] = None
    marketing_allowed: bool = False
    additional_opt_in: bool = False
    tags: Annotated[list[Short], Field(max_length=100, description="Tag names (or ids).")] = []
    calendar_tags: Annotated[list[CalendarTagIn], Field(max_length=100)] = []
    tag_id: Annotated[str | None, Field(max_length=64)] = None
    subscription_method: Annotated[
        str | int | None, Field(description="WebCal, Google or Microsoft (or 1, 2, 3).", examples=["WebCal"])
    ] = None
    auth_code: Annotated[
        str | None,
        Field(
            max_length=2048,
            description="With subscriptionMethod Google or Microsoft: an authorization code the brand's page "
            "obtained from the provider (e.g. Google Identity Services' code model). calcast exchanges it, makes its "
            "own calendar in the subscriber's account and writes the events there (push).",
        ),
    ] = None
    redirect_to: Annotated[
        str | None,
        Field(
            max_length=2048,
            description="With authCode: the redirect URI the code was issued for (in Google's popup mode the page's "
            "origin). It must be on the install's allow-list (CALCAST_PUSH_REDIRECT_ORIGINS); it is echoed back.",
        ),
    ] = None
    action_type: Annotated[str | None, Field(max_length=64)] = None
    utm_source: Short | None = None
    utm_medium: Short | None = None
    utm_campaign: Short | None = None
    utm_content: Short | None = None
    user_agent: Annotated[str | None, Field(max_length=1024)] = None
    ip_address: Annotated[str | None, Field(max_length=64)] = None
    url_referrer: Annotated[str | None, Field(max_length=2048)] = None

    @field_validator("subscription_method", mode="after")
    @classmethod
    def _method(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, int) and value in METHOD_NUMBERS:
            return METHOD_NUMBERS[value]
        if isinstance(value, str) and value.strip().lower() in METHOD_NAMES:
            return METHOD_NAMES[value.strip().lower()]
        raise ValueError(f"must be WebCal, Google or Microsoft, not {value!r}")

    def tag_names(self) -> list[str]:
        names = list(self.tags)
        if self.tag_id:
            names.append(self.tag_id)
        for tag in self.calendar_tags:
            if tag.internal_id or tag.external_id:
                names.append(tag.internal_id or tag.external_id or "")
        return names


class SubscribedOut(BaseModel):
    model_config = CAMEL_OUT

    subscription_id: str
    subscription_url: Annotated[str, Field(description="The https address of the subscriber's feed.")]
    webcal_url: str
    manage_url: str
    is_new_subscription: bool
    subscriber_id: str | None
    redirect_to: Annotated[
        str | None, Field(description="The request's redirectTo, when the subscription was connected by push.")
    ] = None
    push_method: Annotated[
        str | None, Field(description="Google or Microsoft when calcast writes into the subscriber's calendar.")
    ] = None


class CalendarRef(BaseModel):
    model_config = CAMEL_OUT

    id: str
    code: str
    name: str


class TagRef(BaseModel):
    id: str
    name: str


class EventRef(BaseModel):
    model_config = CAMEL_OUT

    id: str
    name: str
    external_id: str
    is_excluded: bool = False


class SubscriptionOut(BaseModel):
    model_config = CAMEL_OUT

    subscription_id: str
    calendar: CalendarRef
    tags: list[TagRef]
    subscription_type: str
    subscriber_id: str | None
    email_address: str | None
    created_at: datetime
    is_active: bool
    deactivated_date: datetime | None
    subscription_url: str
    events: list[EventRef]


class UnsubscribeIn(BaseModel):
    """Which subscription to end: its `id`, or every active one of a `userName` on this calendar."""

    model_config = CAMEL_IN

    id: Annotated[str | None, Field(max_length=64)] = None
    user_name: Short | None = None
    unsubscribe_reason_id: Annotated[str | int | None, Field(description="Your reason code.")] = None
    unsubscribe_reason_text: Annotated[str | None, Field(max_length=2000)] = None
    action_type: Annotated[str | None, Field(max_length=64)] = None


class UnsubscribedOut(BaseModel):
    model_config = CAMEL_OUT

    deactivated_subscription_ids: list[str]
