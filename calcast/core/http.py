"""HTTP plumbing shared by every front door: dependencies, the error body, what a request may carry."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.core.errors import Conflict, DomainError, FieldError, Forbidden, Invalid, NotFound, Unauthorized

log = logging.getLogger("calcast")

NUL_REASON = "The request contains a NUL character (\\u0000), which no field may hold; remove it."

# The unique constraints two concurrent requests can both pass the "does it exist yet?" read for, so that the
# later INSERT fails although the request was right: retried, it finds the row the other one wrote.
# Named as PostgreSQL names them, and as SQLite's message lists their columns.
CONCURRENT_INSERT_CONSTRAINTS = {
    # The same personal event (eventId) pushed twice at once (Braze renders a message twice, or retries).
    "uq_personal_events_account_id_event_id": "personal_events.account_id, personal_events.event_id",
    # Two pushes of one event attaching the same subscription at once.
    "pk_personal_event_targets": "personal_event_targets.personal_event_id, personal_event_targets.subscription_id",
    # The same subscribe form (one form token) sent twice at once.
    "uq_subscriptions_request_key": "subscriptions.request_key",
}

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    Unauthorized: 401,
}


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def get_settings_dep(request: Request) -> Settings:
    # async: a plain lookup needs no worker-thread hop (a sync dependency costs one per request)
    return database(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (so 202 means durable)."""
    with database(request).transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def error_body(status: int, reason: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    """The Rokt error shape: {"Code", "Reason", "errors"}."""
    return {
        "Code": status,
        "Reason": reason,
        "errors": [{"field": error.field, "message": error.message} for error in errors or []],
    }


def error_response(
    status: int, reason: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, reason, errors), status_code=status, headers=headers)


def status_of(error: DomainError) -> int:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    return 400


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_errors(error: RequestValidationError) -> list[FieldError]:
    found = []
    for item in error.errors():
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        found.append(FieldError(_field_name(tuple(item.get("loc", ()))), message))
    return found


class PageAnswer(Exception):
    """Ends a request from inside a dependency with a ready answer (a page's own error page, say)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as {"Code", "Reason", "errors"} with a sentence a person understands."""

    @app.exception_handler(PageAnswer)
    async def _answer(_request: Request, answer: PageAnswer) -> Response:
        return answer.response

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        return error_response(status_of(error), error.message, error.errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(error)
        first = errors[0] if errors else FieldError("body", "is not valid")
        reason = f"The request is not valid: {first.field} {first.message[:1].lower()}{first.message[1:]}."
        return error_response(422, reason.replace("..", "."), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        reason = error.detail if isinstance(error.detail, str) else "The request could not be handled."
        if error.status_code == 404 and reason == "Not Found":
            reason = "There is nothing at this address; check the URL."
        if error.status_code == 405:
            reason = "This address does not accept this HTTP method."
        return error_response(error.status_code, reason, headers=dict(error.headers or {}))

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, error: OperationalError) -> JSONResponse:
        # A locked SQLite file, a PostgreSQL deadlock or serialization failure, a lost connection: retrying succeeds.
        log.warning("database busy: %s", type(error.orig).__name__)
        return busy_response()

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, error: IntegrityError) -> JSONResponse:
        if constraint := concurrent_insert_constraint(error):
            log.warning("concurrent insert refused by %s; the client retries", constraint)
            return busy_response()
        return await _unexpected(request, error)

    @app.exception_handler(DataError)
    async def _data(request: Request, error: DataError) -> JSONResponse:
        # PostgreSQL refuses NUL in text; the front door refuses it first, this catches what slips past.
        if "NUL" in str(error.orig):
            return error_response(422, NUL_REASON)
        return await _unexpected(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=error)
        return error_response(500, "calcast hit an unexpected error; the request can be retried.")


def busy_response() -> JSONResponse:
    reason = "calcast is busy with other changes right now; retry this request in a few seconds."
    return error_response(503, reason, headers={"Retry-After": "5"})


def concurrent_insert_constraint(error: IntegrityError) -> str | None:
    """The constraint's name when the error is a known concurrent-insert race (CONCURRENT_INSERT_CONSTRAINTS)."""
    diagnostics = getattr(error.orig, "diag", None)  # psycopg: the violated constraint by name
    if diagnostics is not None:
        name = getattr(diagnostics, "constraint_name", None)
        return name if name in CONCURRENT_INSERT_CONSTRAINTS else None
    message = str(error.orig)  # sqlite3: "UNIQUE constraint failed: <table.column, …>"
    columns = message.removeprefix("UNIQUE constraint failed: ")
    if columns == message:
        return None
    return next((name for name, known in CONCURRENT_INSERT_CONSTRAINTS.items() if known == columns), None)


class RequestGuard:
    """The front door's limits on every request, before any route reads it.

    A body over `max_bytes` is a 413, whether announced by Content-Length or streamed. A NUL character in the
    path, the query or a body that is not JSON (a form) is a 422: no field of calcast may hold one, and
    PostgreSQL cannot store one in text. JSON bodies are checked once parsed (`calcast.core.rest`), where an
    escaped \\u0000 becomes a NUL.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None, upload_path: str | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # File uploads (the console's audience CSV) may be larger: their routes stream them to disk.
        self.upload_max_bytes = upload_max_bytes or max_bytes
        self.upload_path = re.compile(upload_path) if upload_path else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await _reject(send, 422, NUL_REASON)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        is_upload = self.upload_path is not None and self.upload_path.fullmatch(scope["path"]) is not None
        max_bytes = self.upload_max_bytes if is_upload else self.max_bytes
        if declared is not None and declared.isdigit() and (len(declared) > 18 or int(declared) > max_bytes):
            await _reject(send, 413, self._reason(max_bytes))
            return
        content_type = headers.get(b"content-type", b"").lower()
        # An upload may be a binary (.gz) file: its route reads it and refuses a NUL in the text it holds.
        check_nul = b"json" not in content_type and not is_upload
        # In a url-encoded body (and in what the token endpoint reads as one) a NUL arrives as %00.
        check_percent = check_nul and not content_type.startswith(b"multipart/")
        received = 0
        tail = b""  # the end of the previous chunk, so that a %00 split across two chunks is seen

        async def guarded_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] != "http.request":
                return message
            body: bytes = message.get("body", b"")
            received += len(body)
            if received > max_bytes:
                raise StarletteHTTPException(413, self._reason(max_bytes))
            if check_nul and (b"\x00" in body or (check_percent and (b"%00" in body or b"%00" in tail + body[:2]))):
                raise StarletteHTTPException(422, NUL_REASON)
            tail = body[-2:] if len(body) >= 2 else (tail + body)[-2:]
            return message

        await self.app(scope, guarded_receive, send)

    @staticmethod
    def _reason(max_bytes: int) -> str:
        return f"The request body is larger than {max_bytes // 1024} KB; send less data per request."


async def _reject(send: Send, status: int, reason: str) -> None:
    response = error_response(status, reason)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
