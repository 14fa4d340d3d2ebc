"""The console's integrations and people, for owners: OAuth clients, Braze, webhooks, the outbox, invitations.

Thin routes over the services the CLI calls (`calcast client|account set-braze|webhook|outbox|user …`). A secret
is created only in a session whose password was confirmed a few minutes ago ("confirm it's you"), and shown
once: it is held encrypted on the session row until the next page shows it (console.service.keep_for_reveal),
so a reload, the back button or a later visit never shows it again.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import RateLimitItem, RateLimitItemPerMinute
from pydantic import BaseModel

from calcast.accounts import service as accounts
from calcast.braze import service as braze
from calcast.braze.client import TrackAnswer
from calcast.braze.templates import CREDENTIAL_NAME, shipped_templates
from calcast.console import service
from calcast.console.auth import Owner, SignedInDep, check_form, message, page, safe_next
from calcast.console.pages import account_frame as frame
from calcast.console.service import Member, SignedIn
from calcast.core.config import Settings
from calcast.core.errors import Conflict, Invalid, NotFound
from calcast.core.http import SessionDep, SettingsDep, database
from calcast.core.ratelimit import client_network, rate_limits
from calcast.core.security import Cipher, digest
from calcast.outbox import service as outbox
from calcast.outbox.models import OutboxStatus
from calcast.web.templating import Said
from calcast.webhooks import endpoints, envelopes
from calcast.webhooks.handler import deliver_now
from calcast.webhooks.models import EVENT_TYPES

router = APIRouter(prefix="/console", include_in_schema=False)

# What a reveal holds (console.service.Reveal.kind), one per page that shows a new secret.
OAUTH_CLIENT = "oauth_client"
WEBHOOK = "webhook"
INVITATION = "invitation"
LINK_KEY = "link_key"
EXCERPT = 300  # characters of Braze's answer shown on the page


class CsrfForm(BaseModel):
    csrf_token: str = ""


class ConfirmForm(BaseModel):
    csrf_token: str = ""
    password: str = ""
    next: str = ""


class BrazeForm(BaseModel):
    csrf_token: str = ""
    rest_endpoint: str = ""
    api_key: str = ""


class LinkKeyForm(BaseModel):
    csrf_token: str = ""
    rotate: bool = False


class WebhookForm(BaseModel):
    csrf_token: str = ""
    url: str = ""
    event: list[str] = []


class PersonForm(BaseModel):
    csrf_token: str = ""
    email: str = ""
    role: str = ""


def _base(member: Member) -> str:
    return f"/console/{member.account.code}"


def _cipher(settings: Settings) -> Cipher:
    return Cipher(settings.secret_key)


def _confirmed(who: SignedIn, settings: Settings) -> bool:
    return service.recently_confirmed(signed_in=who, settings=settings)


def _to_confirm(member: Member, back: str) -> RedirectResponse:
    """The password step first; then back to the page the form was on (the form is filled in again)."""
    return RedirectResponse(f"{_base(member)}/confirm?next={quote(back, safe='/')}", status_code=303)


def _not_found(request: Request, who: SignedIn) -> HTMLResponse:
    return message(request, status_code=404, text_key="console_integration_not_found", signed_in=who)


def _page(
    request: Request, session: SessionDep, settings: Settings, who: SignedIn, member: Member, name: str, **context: Any
) -> HTMLResponse:
    status_code = int(context.pop("status_code", 200))
    return page(
        request,
        f"console/{name}.html",
        status_code=status_code,
        confirmed=_confirmed(who, settings),
        reauth_minutes=settings.console_reauth_minutes,
        **frame(session, member, who),
        **context,
    )


# ---------------------------------------------------------------------------------------------- confirm it's you


def _confirm_limits(settings: Settings) -> tuple[RateLimitItem, RateLimitItem]:
    """Wrong passwords per person and per client network in 15 minutes: the allowance of sign-in."""
    allowed = settings.console_sign_in_failures
    return (
        RateLimitItemPerMinute(allowed, 15, namespace="console-confirm-user"),
        RateLimitItemPerMinute(allowed, 15, namespace="console-confirm-ip"),
    )


@router.get("/{account_code}/confirm", response_class=HTMLResponse)
def confirm_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    next_path = safe_next(request.query_params.get("next") or f"{_base(member)}/integrations")
    return _page(request, session, settings, who, member, "confirm", next_path=next_path, error="")


@router.post("/{account_code}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[ConfirmForm, Form()],
) -> Response:
    """Type the password again: for CALCAST_CONSOLE_REAUTH_MINUTES this session may create and show secrets."""
    check_form(request, settings, who, form.csrf_token)
    next_path = safe_next(form.next or f"{_base(member)}/integrations")

    def again(error: str, status_code: int) -> HTMLResponse:
        context = {"next_path": next_path, "error": error, "status_code": status_code}
        return _page(request, session, settings, who, member, "confirm", **context)

    limits = rate_limits(request)
    by_user, by_network = _confirm_limits(settings)
    keys = ((by_user, digest(who.user.id)), (by_network, client_network(request)))
    if wait := max(limits.wait(limit, key) for limit, key in keys):
        shown = again("console_too_many", 429)
        shown.headers["Retry-After"] = str(wait)
        return shown
    if not service.confirm_password(session=session, signed_in=who, password=form.password):
        for limit, key in keys:
            limits.hit(limit, key)
        return again("console_confirm_wrong", 401)
    return RedirectResponse(next_path, status_code=303)


# ---------------------------------------------------------------------------------------------- overview and outbox


@router.get("/{account_code}/integrations", response_class=HTMLResponse)
def integrations_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    """The account's integrations at a glance, and the health of its outbox (Braze syncs and webhooks)."""
    account_id = member.account.id
    counts = outbox.counts(session=session, account_id=account_id)
    kinds = sorted({kind for _, kind in counts})
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "integrations",
        active_section="overview",
        kinds=kinds,
        counts={f"{status.value}:{kind}": count for (status, kind), count in counts.items()},
        statuses=[OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.DONE, OutboxStatus.SUPERSEDED],
        pending=sum(count for (status, _), count in counts.items() if status == OutboxStatus.PENDING),
        failed=sum(count for (status, _), count in counts.items() if status == OutboxStatus.FAILED),
        oldest_pending_seconds=int(outbox.oldest_pending_age_seconds(session=session, account_id=account_id)),
        clients=len(accounts.list_clients(session=session, account_code=member.account.code)),
        webhooks=len(endpoints.list_endpoints(session=session, account_code=member.account.code)),
        braze_set=member.account.braze_api_key_encrypted is not None,
        requeued=request.query_params.get("requeued"),
    )


@router.post("/{account_code}/integrations/outbox/retry-failed")
def retry_failed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """`calcast outbox retry --all-failed`, for this account's messages only."""
    check_form(request, settings, who, form.csrf_token)
    done = outbox.retry_all_failed(session=session, account_id=member.account.id)
    return RedirectResponse(f"{_base(member)}/integrations?requeued={done.requeued}", status_code=303)


# ---------------------------------------------------------------------------------------------- OAuth clients


@router.get("/{account_code}/integrations/clients", response_class=HTMLResponse)
def clients_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    reveal = service.take_reveal(
        session=session,
        cipher=_cipher(settings),
        signed_in=who,
        kind=OAUTH_CLIENT,
        account_code=member.account.code,
    )
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "clients",
        active_section="clients",
        clients=accounts.list_clients(session=session, account_code=member.account.code),
        reveal=reveal,
        revoked=request.query_params.get("revoked", ""),
    )


@router.post("/{account_code}/integrations/clients")
def create_client(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """`calcast client create`: the secret is shown once, on the next page."""
    check_form(request, settings, who, form.csrf_token)
    back = f"{_base(member)}/integrations/clients"
    if not _confirmed(who, settings):
        return _to_confirm(member, back)
    created = accounts.create_client(session=session, account_code=member.account.code)
    reveal = service.Reveal(
        kind=OAUTH_CLIENT,
        label=created.client.client_id,
        secret=created.client_secret,
        account_code=member.account.code,
    )
    service.keep_for_reveal(session=session, cipher=_cipher(settings), signed_in=who, reveal=reveal)
    return RedirectResponse(back, status_code=303)


@router.post("/{account_code}/integrations/clients/{client_id}/revoke")
def revoke_client(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    client_id: str,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """`calcast client revoke`: the client's secret and tokens stop working at once."""
    check_form(request, settings, who, form.csrf_token)
    try:
        accounts.revoke_client(session=session, client_id=client_id, account_code=member.account.code)
    except NotFound:
        return _not_found(request, who)
    return RedirectResponse(
        f"{_base(member)}/integrations/clients?revoked={quote(client_id, safe='')}", status_code=303
    )


# ---------------------------------------------------------------------------------------------- Braze


def _braze_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    who: SignedIn,
    member: Member,
    *,
    error: Said = "",
    answer: TrackAnswer | None = None,
    status_code: int = 200,
    form: BrazeForm | None = None,
) -> HTMLResponse:
    templates = [template.with_base_url(settings.base_url) for template in shipped_templates()]
    reveal = service.take_reveal(
        session=session, cipher=_cipher(settings), signed_in=who, kind=LINK_KEY, account_code=member.account.code
    )
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "braze",
        status_code=status_code,
        active_section="braze",
        rest_endpoint=member.account.braze_rest_endpoint,
        key_ending=accounts.braze_key_ending(cipher=_cipher(settings), account=member.account),
        templates=templates,
        credential_name=CREDENTIAL_NAME,
        error=error,
        answer=answer,
        answer_excerpt=(answer.text[:EXCERPT] if answer is not None else ""),
        answer_cut=answer is not None and len(answer.text) > EXCERPT,
        test_external_id=braze.TEST_EXTERNAL_ID,
        form=form or BrazeForm(rest_endpoint=member.account.braze_rest_endpoint or ""),
        saved=request.query_params.get("saved") == "1",
        reveal=reveal,
        link_key_set=member.account.link_key_encrypted is not None,
    )


@router.get("/{account_code}/integrations/braze", response_class=HTMLResponse)
def braze_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    return _braze_page(request, session, settings, who, member)


@router.post("/{account_code}/integrations/braze", response_class=HTMLResponse)
def set_braze(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[BrazeForm, Form()],
) -> Response:
    """`calcast account set-braze`: the key is stored encrypted, and never shown again (only its last 4)."""
    check_form(request, settings, who, form.csrf_token)
    if not _confirmed(who, settings):
        return _to_confirm(member, f"{_base(member)}/integrations/braze")
    try:
        accounts.set_braze(
            session=session,
            cipher=_cipher(settings),
            code=member.account.code,
            rest_endpoint=form.rest_endpoint,
            api_key=form.api_key,
            allow_private_destinations=settings.allow_private_destinations,
        )
    except Invalid as error:
        shown = BrazeForm(rest_endpoint=form.rest_endpoint)  # the key is not sent back into the page
        return _braze_page(request, session, settings, who, member, error=error, status_code=422, form=shown)
    return RedirectResponse(f"{_base(member)}/integrations/braze?saved=1", status_code=303)


@router.post("/{account_code}/integrations/braze/link-key", response_class=HTMLResponse)
def create_link_key(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[LinkKeyForm, Form()],
) -> Response:
    """`calcast account link-key [--rotate]`: the key that signs external ids in links, shown once."""
    check_form(request, settings, who, form.csrf_token)
    back = f"{_base(member)}/integrations/braze"
    if not _confirmed(who, settings):
        return _to_confirm(member, back)
    try:
        key = accounts.create_link_key(
            session=session, cipher=_cipher(settings), code=member.account.code, rotate=form.rotate
        )
    except Conflict as error:
        return _braze_page(request, session, settings, who, member, error=error, status_code=409)
    reveal = service.Reveal(kind=LINK_KEY, label=member.account.code, secret=key, account_code=member.account.code)
    service.keep_for_reveal(session=session, cipher=_cipher(settings), signed_in=who, reveal=reveal)
    return RedirectResponse(f"{back}#link-key", status_code=303)


@router.post("/{account_code}/integrations/braze/test", response_class=HTMLResponse)
def test_braze(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """users.track for a test user through the worker's Braze client; Braze's answer is shown as it came."""
    check_form(request, settings, who, form.csrf_token)
    try:
        answer = braze.send_test(session=session, settings=settings, account_code=member.account.code)
    except Invalid as error:
        return _braze_page(request, session, settings, who, member, error=error, status_code=422)
    return _braze_page(request, session, settings, who, member, answer=answer)


# ---------------------------------------------------------------------------------------------- webhooks


def _webhooks_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    who: SignedIn,
    member: Member,
    *,
    form: WebhookForm | None = None,
    error: Said = "",
    status_code: int = 200,
) -> HTMLResponse:
    reveal = service.take_reveal(
        session=session, cipher=_cipher(settings), signed_in=who, kind=WEBHOOK, account_code=member.account.code
    )
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "webhooks",
        status_code=status_code,
        active_section="webhooks",
        endpoints=endpoints.list_endpoints(session=session, account_code=member.account.code),
        event_types=EVENT_TYPES,
        form=form or WebhookForm(event=["Subscribe", "Unsubscribe"]),
        error=error,
        reveal=reveal,
    )


@router.get("/{account_code}/integrations/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    return _webhooks_page(request, session, settings, who, member)


@router.post("/{account_code}/integrations/webhooks", response_class=HTMLResponse)
def add_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[WebhookForm, Form()],
) -> Response:
    """`calcast webhook add`: the signing secret is shown once, on the next page."""
    check_form(request, settings, who, form.csrf_token)
    back = f"{_base(member)}/integrations/webhooks"
    if not _confirmed(who, settings):
        return _to_confirm(member, back)
    try:
        created = endpoints.add_endpoint(
            session=session,
            cipher=_cipher(settings),
            account_code=member.account.code,
            url=form.url.strip(),
            event_types=form.event,
            allow_private_destinations=settings.allow_private_destinations,
        )
    except Invalid as error:
        return _webhooks_page(request, session, settings, who, member, form=form, error=error, status_code=422)
    reveal = service.Reveal(
        kind=WEBHOOK, label=created.endpoint.url, secret=created.secret, account_code=member.account.code
    )
    service.keep_for_reveal(session=session, cipher=_cipher(settings), signed_in=who, reveal=reveal)
    return RedirectResponse(back, status_code=303)


@router.get("/{account_code}/integrations/webhooks/{endpoint_id}", response_class=HTMLResponse)
def webhook_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner, endpoint_id: str
) -> HTMLResponse:
    """`calcast webhook log`: the latest attempts with the endpoint's answers; failed ones can be sent again."""
    try:
        endpoint = endpoints.get_endpoint(session=session, endpoint_id=endpoint_id, account_code=member.account.code)
    except NotFound:
        return _not_found(request, who)
    log = endpoints.delivery_log(session=session, endpoint_id=endpoint.id, account_code=member.account.code)
    statuses = outbox.statuses(session=session, message_ids=[e.outbox_id for e in log if e.outbox_id is not None])
    sent = request.query_params.get("sent", "")
    sent_pending = sent.isdigit() and statuses.get(int(sent)) == OutboxStatus.PENDING
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "webhook",
        active_section="webhooks",
        endpoint=endpoint,
        log=log,
        statuses=statuses,
        failed=OutboxStatus.FAILED,
        sent=sent,
        sent_pending=sent_pending,
        notice=request.query_params.get("notice", ""),
    )


def _webhook_url(member: Member, endpoint_id: str, **query: str) -> str:
    tail = "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
    return f"{_base(member)}/integrations/webhooks/{endpoint_id}" + (f"?{tail}" if tail else "")


@router.post("/{account_code}/integrations/webhooks/{endpoint_id}/disable")
def disable_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    endpoint_id: str,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """`calcast webhook disable`: nothing more is sent to it; its log stays."""
    check_form(request, settings, who, form.csrf_token)
    try:
        endpoints.disable_endpoint(session=session, endpoint_id=endpoint_id, account_code=member.account.code)
    except NotFound:
        return _not_found(request, who)
    return RedirectResponse(_webhook_url(member, endpoint_id, notice="disabled"), status_code=303)


@router.post("/{account_code}/integrations/webhooks/{endpoint_id}/test")
def test_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    endpoint_id: str,
    form: Annotated[CsrfForm, Form()],
    background: BackgroundTasks,
) -> Response:
    """`calcast webhook test`: a Test event, queued with this request and delivered right after it commits."""
    check_form(request, settings, who, form.csrf_token)
    try:
        message_id = envelopes.queue_test(session=session, endpoint_id=endpoint_id, account_code=member.account.code)
    except NotFound:
        return _not_found(request, who)
    # After the response: the request's transaction (which queued the message) has committed by then.
    background.add_task(deliver_now, database(request), message_ids=[message_id])
    return RedirectResponse(_webhook_url(member, endpoint_id, sent=str(message_id)), status_code=303)


@router.post("/{account_code}/integrations/webhooks/{endpoint_id}/deliveries/{message_id}/retry")
def retry_webhook_delivery(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    endpoint_id: str,
    message_id: int,
    form: Annotated[CsrfForm, Form()],
    background: BackgroundTasks,
) -> Response:
    """`calcast outbox retry ID` for one failed delivery of this endpoint, sent again right away."""
    check_form(request, settings, who, form.csrf_token)
    try:
        retried = endpoints.retry_delivery(
            session=session, endpoint_id=endpoint_id, message_id=message_id, account_code=member.account.code
        )
    except NotFound:
        return _not_found(request, who)
    except Invalid as error:
        return message(request, status_code=409, text_key="console_retry_refused", signed_in=who, detail=error)
    if retried.superseded_by is not None:
        return RedirectResponse(_webhook_url(member, endpoint_id, notice="superseded"), status_code=303)
    background.add_task(deliver_now, database(request), message_ids=[message_id])
    return RedirectResponse(_webhook_url(member, endpoint_id, sent=str(message_id)), status_code=303)


# ---------------------------------------------------------------------------------------------- people


def _people_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    who: SignedIn,
    member: Member,
    *,
    form: PersonForm | None = None,
    error: Said = "",
    status_code: int = 200,
) -> HTMLResponse:
    reveal = service.take_reveal(
        session=session, cipher=_cipher(settings), signed_in=who, kind=INVITATION, account_code=member.account.code
    )
    return _page(
        request,
        session,
        settings,
        who,
        member,
        "people",
        status_code=status_code,
        people=service.list_members(session=session, account_code=member.account.code),
        roles=list(service.Role),
        form=form or PersonForm(role=service.Role.editor.value),
        error=error,
        reveal=reveal,
        invited=request.query_params.get("invited", ""),
        linked=request.query_params.get("linked") == "1",
        link_hours=settings.console_link_hours,
    )


@router.get("/{account_code}/people", response_class=HTMLResponse)
def people_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Owner
) -> HTMLResponse:
    """Who has access to the account with which role; owners invite, change roles and remove."""
    return _people_page(request, session, settings, who, member)


@router.post("/{account_code}/people", response_class=HTMLResponse)
def invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[PersonForm, Form()],
) -> Response:
    """`calcast user create` without a password: a new person gets a one-time link, shown once to the owner."""
    check_form(request, settings, who, form.csrf_token)
    back = f"{_base(member)}/people"
    if not _confirmed(who, settings):
        return _to_confirm(member, back)
    try:
        invitation = service.invite_member(
            session=session, settings=settings, email=form.email, account_code=member.account.code, role=form.role
        )
    except (Invalid, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _people_page(request, session, settings, who, member, form=form, error=error, status_code=status)
    if invitation.link is not None:
        reveal = service.Reveal(
            kind=INVITATION,
            label=invitation.member.user.email,
            secret=invitation.link,
            account_code=member.account.code,
        )
        service.keep_for_reveal(session=session, cipher=_cipher(settings), signed_in=who, reveal=reveal)
    linked = "&linked=1" if invitation.link is not None else ""
    return RedirectResponse(f"{back}?invited={quote(invitation.member.user.email, safe='@')}{linked}", status_code=303)


@router.post("/{account_code}/people/role", response_class=HTMLResponse)
def change_role(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[PersonForm, Form()],
) -> Response:
    """The person's new role acts at once, in their open sessions too; an account always keeps an owner."""
    check_form(request, settings, who, form.csrf_token)
    try:
        service.change_role(
            session=session, email=form.email, account_code=member.account.code, role=form.role, keep_an_owner=True
        )
    except (Invalid, Conflict, NotFound) as error:
        status = {Conflict: 409, NotFound: 404}.get(type(error), 422)
        return _people_page(request, session, settings, who, member, error=error, status_code=status)
    if who.user.email == form.email.strip().lower():  # their own role: the people page may be theirs no more
        return RedirectResponse(_base(member), status_code=303)
    return RedirectResponse(f"{_base(member)}/people", status_code=303)


@router.post("/{account_code}/people/remove", response_class=HTMLResponse)
def remove_person(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Owner,
    form: Annotated[PersonForm, Form()],
) -> Response:
    """`calcast user remove`: the person loses access at once; an account always keeps an owner."""
    check_form(request, settings, who, form.csrf_token)
    try:
        service.remove_member(session=session, email=form.email, account_code=member.account.code, keep_an_owner=True)
    except (Conflict, NotFound) as error:
        status = 409 if isinstance(error, Conflict) else 404
        return _people_page(request, session, settings, who, member, error=error, status_code=status)
    if who.user.email == form.email.strip().lower():
        return RedirectResponse("/console", status_code=303)
    return RedirectResponse(f"{_base(member)}/people", status_code=303)
