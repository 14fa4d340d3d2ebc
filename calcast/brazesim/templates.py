"""Rendering calcast's Braze webhook templates (calcast.braze.templates) for one user, as Braze would."""

from __future__ import annotations

from dataclasses import dataclass

from calcast.braze.templates import (
    BASE_URL_PLACEHOLDER,
    CREDENTIAL_NAME,
    CREDENTIAL_NOTE,
    SHIPPED,
    WebhookTemplate,
    load_template,
    shipped_template,
    shipped_templates,
)
from calcast.brazesim.liquid import BrazeEnvironment, BrazeUser

__all__ = [
    "BASE_URL_PLACEHOLDER",
    "CREDENTIAL_NAME",
    "CREDENTIAL_NOTE",
    "SHIPPED",
    "RenderedWebhook",
    "WebhookTemplate",
    "load_template",
    "render",
    "shipped_template",
    "shipped_templates",
]


@dataclass(frozen=True)
class RenderedWebhook:
    """One webhook request as Braze would send it for one user."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str


def render(template: WebhookTemplate, *, environment: BrazeEnvironment, user: BrazeUser) -> RenderedWebhook:
    """Render every field for `user`; raises AbortMessage when the template or a :retry call aborts."""
    return RenderedWebhook(
        method=template.method,
        url=environment.render_field(template.url, user).strip(),
        headers=tuple((header, environment.render_field(value, user).strip()) for header, value in template.headers),
        body=environment.render_field(template.body, user),
    )
