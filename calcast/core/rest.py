"""The JSON API's front-door rules: bodies parsed before validation, and the error shape in the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from calcast.core.http import NUL_REASON, error_response


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


# Limits of what a request body may hold. calcast's bodies nest four levels at most and hold no number longer
# than an id; past these limits parsing or walking the value would only cost time, stack or a crash.
MAX_JSON_DEPTH = 32
MAX_JSON_NUMBER_DIGITS = 100


class UnreadableJson(Exception):
    """A request body that is not JSON calcast can take, with the status and one sentence saying why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _NumberTooLong(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_NUMBER_DIGITS:
        raise _NumberTooLong
    return int(text)


def _problem(value: Any) -> UnreadableJson | None:
    """What is wrong with a parsed value: nested too deeply, or a NUL character anywhere (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return UnreadableJson(422, NUL_REASON)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            return UnreadableJson(
                400, f"The request body nests objects or lists more than {MAX_JSON_DEPTH} levels deep; send it flat."
            )
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                return UnreadableJson(422, NUL_REASON)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)
    return None


def read_json(raw: bytes) -> Any:
    """The JSON value of a request body within the limits above; UnreadableJson with a sentence otherwise."""
    try:
        parsed = json.loads(raw, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise UnreadableJson(400, not_json_reason(error)) from None
    except _NumberTooLong:
        raise UnreadableJson(
            400, f"The request body holds a number longer than {MAX_JSON_NUMBER_DIGITS} digits; no field takes one."
        ) from None
    except RecursionError:
        raise UnreadableJson(
            400, f"The request body nests objects or lists more than {MAX_JSON_DEPTH} levels deep; send it flat."
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise UnreadableJson(400, "The request body is not valid JSON text in UTF-8.") from None
    problem = _problem(parsed)
    if problem is not None:
        raise problem
    return parsed


def _json_request(request: Request, raw: bytes, parsed: dict[str, Any]) -> Request:
    """The same request, now declared and cached as the JSON object it was parsed into."""
    headers = [(key, value) for key, value in request.scope["headers"] if key != b"content-type"]
    scope = dict(request.scope, headers=[*headers, (b"content-type", b"application/json")])
    replaced = Request(scope, request.receive)
    # Starlette caches the body and its JSON on these attributes; FastAPI reads them from there.
    replaced._body = raw
    replaced._json = parsed
    return replaced


class JsonBodyRoute(APIRoute):
    """A route whose body is parsed here first, whatever its Content-Type says.

    A body that is not JSON (a quote in a title breaks Braze's unescaped template) is a 400 that names the
    position; one past the limits of `read_json` is a 4xx that says which; a JSON value that is not an object is
    a 422 with a sentence. Only then does pydantic validate. (A NUL in the path is refused by `RequestGuard`.)
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parse_then_handle(request: Request) -> Response:
            raw = await request.body()
            if raw.strip():
                try:
                    parsed = read_json(raw)
                except UnreadableJson as error:
                    return error_response(error.status, error.reason)
                if not isinstance(parsed, dict):
                    kind = "a list" if isinstance(parsed, list) else "a single value"
                    return error_response(
                        422, f"The request body must be a JSON object {{…}}, not {kind}; see the API documentation."
                    )
                request = _json_request(request, raw, parsed)
            return await handler(request)

        return parse_then_handle
