"""Domain errors raised by service functions; front doors (API, pages, CLI) turn them into answers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    """A problem a person can act on; `message` is one sentence that says what and what to do."""

    message: str
    errors: list[FieldError] = field(default_factory=list)

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
