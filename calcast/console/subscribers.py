"""Subscribers in the console: the searchable, filterable list (keyset pages), its CSV, one subscriber's record,
deactivation (as the manage page's unsubscribe) and, for owners, the GDPR export and erasure of `calcast`'s CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel

from calcast.console.auth import (
    CONSOLE_HEADERS,
    Editor,
    Owner,
    Refusal,
    SignedInDep,
    Viewer,
    check_form,
    message,
    page,
)
from calcast.console.pages import account_frame as frame
from calcast.console.service import Member, SignedIn
from calcast.core.db import utcnow
from calcast.core.errors import NotFound
from calcast.core.http import SessionDep, SettingsDep, database
from calcast.subscribers import listing, privacy
from calcast.subscribers.listing import SubscriberFilter
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription

router = APIRouter(prefix="/console", include_in_schema=False)

FILTERS = ("calendar", "tag", "status", "method", "app")
DEACTIVATED_IN_CONSOLE = "Ended in the console"


class CsrfForm(BaseModel):
    csrf_token: str = ""


class ForgetForm(BaseModel):
    csrf_token: str = ""
    confirm: bool = False


def _wanted(request: Request) -> SubscriberFilter:
    params = request.query_params
    return SubscriberFilter(search=params.get("q", ""), **{name: params.get(name, "") for name in FILTERS}).cleaned()


def _query_string(wanted: SubscriberFilter, **extra: str) -> str:
    values = {"q": wanted.search, **{name: getattr(wanted, name) for name in FILTERS}, **extra}
    return urlencode({name: value for name, value in values.items() if value})


def _base(member: Member) -> str:
    return f"/console/{member.account.code}/subscribers"


def _record(
    request: Request, session: SessionDep, who: SignedIn, member: Member, subscription_id: str
) -> listing.SubscriberRecord:
    try:
        return listing.subscriber_record(
            session=session, account_id=member.account.id, subscription_id=subscription_id[:64]
        )
    except NotFound:
        raise Refusal(message(request, status_code=404, text_key="console_subscriber_missing", signed_in=who)) from None


@router.get("/{account_code}/subscribers", response_class=HTMLResponse)
def subscribers_page(request: Request, session: SessionDep, who: SignedInDep, member: Viewer) -> HTMLResponse:
    """The list: search, filters and keyset pages (`?after=` the cursor of the page's last row)."""
    wanted = _wanted(request)
    shown = listing.subscriber_page(
        session=session, account_id=member.account.id, wanted=wanted, cursor=request.query_params.get("after")
    )
    return page(
        request,
        "console/subscribers.html",
        wanted=wanted,
        shown=shown,
        choices=listing.filter_choices(session=session, account_id=member.account.id),
        next_query=_query_string(wanted, after=shown.next_cursor) if shown.next_cursor else None,
        export_query=_query_string(wanted),
        paged=bool(request.query_params.get("after")),
        first_query=_query_string(wanted),
        notice=request.query_params.get("notice", ""),
        active="subscribers",
        **frame(session, member, who),
    )


@router.get("/{account_code}/subscribers.csv")
def export_subscribers(request: Request, session: SessionDep, member: Viewer) -> Response:
    """The filtered list as CSV, streamed row by row (cells that a spreadsheet would run as formulas start with ')."""
    wanted = _wanted(request)
    account_id = member.account.id
    db = database(request)

    def lines() -> Iterator[str]:
        # Its own session: the request's ends before the body is streamed.
        with db.sessions() as own:
            yield from listing.csv_lines(listing.filtered_rows(session=own, account_id=account_id, wanted=wanted))

    name = f"subscribers-{member.account.code}-{utcnow():%Y%m%d-%H%M%S}.csv"
    headers = {**CONSOLE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{account_code}/subscribers/{subscription_id}", response_class=HTMLResponse)
def subscriber_page(
    request: Request, session: SessionDep, who: SignedInDep, member: Viewer, subscription_id: str
) -> HTMLResponse:
    """One subscriber: capture data, tags, opt-ins, telemetry, personal events, Braze sync and webhooks."""
    record = _record(request, session, who, member, subscription_id)
    return page(
        request,
        "console/subscriber.html",
        record=record,
        person=listing.person_of(record.subscription),
        notice=request.query_params.get("notice", ""),
        active="subscribers",
        **frame(session, member, who),
    )


@router.post("/{account_code}/subscribers/{subscription_id}/deactivate")
def deactivate_subscriber(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    subscription_id: str,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """End the subscription as its manage page's unsubscribe does (feeds, Braze and webhooks hear of it)."""
    check_form(request, settings, who, form.csrf_token)
    subscription: Subscription = _record(request, session, who, member, subscription_id).subscription
    subscriptions.deactivate(session=session, subscription=subscription, reason_text=DEACTIVATED_IN_CONSOLE)
    return RedirectResponse(f"{_base(member)}/{subscription.id}?notice=ended", status_code=303)


def _person(request: Request, session: SessionDep, who: SignedIn, member: Member, subscription_id: str) -> str:
    person = listing.person_of(_record(request, session, who, member, subscription_id).subscription)
    if person is None:
        raise Refusal(message(request, status_code=409, text_key="console_subscriber_anonymous", signed_in=who))
    return person


@router.get("/{account_code}/subscribers/{subscription_id}/export")
def export_person(
    request: Request, session: SessionDep, who: SignedInDep, member: Owner, subscription_id: str
) -> Response:
    """Everything stored about the subscription's person, as `calcast export person` writes it (owners only)."""
    person = _person(request, session, who, member, subscription_id)
    found = privacy.export_person(session=session, account_code=member.account.code, who=person)
    body = json.dumps(found, default=listing.plain_text, ensure_ascii=False, indent=2) + "\n"
    headers = {
        **CONSOLE_HEADERS,
        "Content-Disposition": f'attachment; filename="person-{subscription_id[:36]}.json"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="application/json", headers=headers)


@router.post("/{account_code}/subscribers/{subscription_id}/forget")
def forget_person(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    subscription_id: str,
    form: Annotated[ForgetForm, Form()],
) -> Response:
    """Unsubscribe the person everywhere and erase what identifies them, as `calcast forget` (owners only)."""
    check_form(request, settings, who, form.csrf_token)
    person = _person(request, session, who, member, subscription_id)
    if not form.confirm:
        raise Refusal(message(request, status_code=422, text_key="console_forget_unconfirmed", signed_in=who))
    privacy.forget_person(session=session, account_code=member.account.code, who=person)
    return RedirectResponse(f"{_base(member)}/{subscription_id[:36]}?notice=forgotten", status_code=303)
