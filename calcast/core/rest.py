"""The JSON API's front-door rules: bodies parsed before validation, and the error shape in the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from calcast.core.http import error_response


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error: the HTTP status, one sentence a marketer understands, and the fields at fault."""

    Code: int
    Reason: str
    errors: list[FieldErrorOut]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "The body is not JSON (the Reason gives the position)."),
        (401, "No valid access token or client credentials."),
        (403, "The credentials belong to another account."),
        (404, "Nothing with this id in the account."),
        (413, "The body is larger than the limit."),
        (422, "The values are not acceptable (the errors name the fields)."),
        (503, "Busy; retry after the Retry-After seconds."),
    )
}


def not_json_reason(error: json.JSONDecodeError) -> str:
    return (
        f"The request body is not valid JSON: {error.msg.lower()} at line {error.lineno}, column {error.colno} "
        f"(character {error.pos}). A quote or backslash inside a value must be escaped; "
        "in a Braze template use the json_escape filter."
    )


def _json_request(request: Request, raw: bytes, parsed: dict[str, Any]) -> Request:
    """The same request, now declared and cached as the JSON object it was parsed into."""
    headers = [(key, value) for key, value in request.scope["headers"] if key != b"content-type"]
    scope = dict(request.scope, headers=[*headers, (b"content-type", b"application/json")])
    replaced = Request(scope, request.receive)
    # Starlette caches the body and its JSON on these attributes; FastAPI reads them from there.
    replaced._body = raw
    replaced._json = parsed
    return replaced


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a parsed JSON value (PostgreSQL cannot store one in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


NUL_REASON = "The request contains a NUL character (\\u0000), which no field may hold; remove it."


class JsonBodyRoute(APIRoute):
    """A route whose body is parsed here first, whatever its Content-Type says.

    A body that is not JSON (a quote in a title breaks Braze's unescaped template) is a 400 that names the
    position; a JSON value that is not an object is a 422 with a sentence. Only then does pydantic validate.
    Text with a NUL character, in the body or the path, is refused here too.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parse_then_handle(request: Request) -> Response:
            if has_nul(request.path_params):
                return error_response(422, NUL_REASON)
            raw = await request.body()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except json.JSONDecodeError as error:
                    return error_response(400, not_json_reason(error))
                except (UnicodeDecodeError, RecursionError):
                    return error_response(400, "The request body is not valid JSON text in UTF-8.")
                if not isinstance(parsed, dict):
                    kind = "a list" if isinstance(parsed, list) else "a single value"
                    return error_response(
                        422, f"The request body must be a JSON object {{…}}, not {kind}; see the API documentation."
                    )
                if has_nul(parsed):
                    return error_response(422, NUL_REASON)
                request = _json_request(request, raw, parsed)
            return await handler(request)

        return parse_then_handle
