"""Domain errors raised by service functions; front doors (API, pages, CLI) turn them into answers."""

from __future__ import annotations

from dataclasses import dataclass


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
