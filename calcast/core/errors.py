"""Domain errors raised by service functions; front doors (API, pages, CLI) turn them into answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """A problem a person can act on: one sentence that says what and what to do.

    The sentence is written as a `str.format` template with its values apart (`params`), the way gettext keeps
    a message id: a front door in another language looks the template up in its catalog (web.i18n.said) and
    fills in the same values; `message` is the English sentence.
    """

    def __init__(self, template: str, errors: list[FieldError] | None = None, /, **params: object) -> None:
        self.template = template
        self.params = params
        self.message = template.format(**params) if params else template
        self.errors = errors or []
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The named thing does not exist (in this account)."""


class Conflict(DomainError):
    """The request clashes with what is stored, e.g. a code already taken."""


class Invalid(DomainError):
    """The input is well-formed but its values are not acceptable."""


class Forbidden(DomainError):
    """The caller is authenticated but may not touch this account."""


class Unauthorized(DomainError):
    """The caller did not prove who it is."""


def invalid(field: str, template: str, /, **params: object) -> Invalid:
    """Invalid for one field, the field's message being the sentence."""
    error = Invalid(template, **params)
    error.errors = [FieldError(field, error.message)]
    return error


class Problems(tuple[DomainError, ...]):
    """Several problems as one value of a sentence, "; " between them (each shown in the page's language)."""

    def __str__(self) -> str:
        return "; ".join(str(problem) for problem in self)


# The validation errors a person meets on a form (pydantic's error types), as sentences with the values their
# context holds; any other is told in pydantic's words.
_VALIDATION_SENTENCES = {
    "missing": "{field}: required",
    "string_too_long": "{field}: at most {max_length} characters",
    "greater_than_equal": "{field}: at least {ge}",
    "less_than_equal": "{field}: at most {le}",
}
_EMPTY = "{field}: must not be empty"


def validation_problems(errors: Sequence[Mapping[str, Any]]) -> Problems:
    """Pydantic's validation errors (`ValidationError.errors()`) as problems, one per field."""
    problems = []
    for error in errors:
        field = ".".join(str(part) for part in error["loc"]) or "event"
        context = error.get("ctx") or {}
        template = _VALIDATION_SENTENCES.get(error["type"])
        if error["type"] == "string_too_short" and context.get("min_length") == 1:
            template = _EMPTY
        if template is None:
            message = str(error["msg"]).removeprefix("Value error, ")  # a validator's own sentence
            problems.append(invalid(field, "{field}: {message}", field=field, message=message))
        else:
            problems.append(invalid(field, template, field=field, **context))
    return Problems(problems)
