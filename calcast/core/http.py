"""HTTP plumbing shared by every front door: dependencies, the error body, request size limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.core.errors import Conflict, DomainError, FieldError, Forbidden, Invalid, NotFound, Unauthorized

log = logging.getLogger("calcast")

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


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as {"Code", "Reason", "errors"} with a sentence a person understands."""

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
    @app.exception_handler(IntegrityError)
    async def _busy(_request: Request, error: Exception) -> JSONResponse:
        # A locked SQLite file, a PostgreSQL deadlock or a concurrent identical insert: retrying succeeds.
        log.warning("database busy: %s", type(error).__name__)
        reason = "calcast is busy with other changes right now; retry this request in a few seconds."
        return error_response(503, reason, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=error)
        return error_response(500, "calcast hit an unexpected error; the request can be retried.")


class BodySizeLimit:
    """Answer 413 to a body over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise StarletteHTTPException(413, self._reason())
            return message

        await self.app(scope, limited_receive, send)

    def _reason(self) -> str:
        return f"The request body is larger than {self.max_bytes // 1024} KB; send less data per request."

    async def _reject(self, send: Send) -> None:
        response = error_response(413, self._reason())
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
