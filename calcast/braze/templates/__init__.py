"""The Braze webhook templates calcast ships, and reading any webhook template written the same way.

Here, beside the Braze sync, because the console shows them ready to paste; rendering them as Braze would is the
simulator's (calcast.brazesim.templates).

A template file reads like the HTTP request it describes: optional `#` note lines, then `METHOD URL`, then one
`Name: value` line per header, an empty line and the raw-text body. Each part is a Braze Liquid field of its own,
exactly what is pasted into Braze's webhook composer. `https://calcast.example.com` stands for calcast's base URL;
`https://api.roktcalendar.com` (the partner page's host) is replaced the same way, so the page's templates work
unchanged against calcast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

BASE_URL_PLACEHOLDER = "https://calcast.example.com"
ROKT_BASE_URL = "https://api.roktcalendar.com"
CREDENTIAL_NAME = "calcast-api"
SHIPPED = ("new-event", "update-event", "delete-event")
METHODS = ("GET", "POST", "PUT", "DELETE")  # what Braze's webhook composer offers

CREDENTIAL_NOTE = f"""\
Connected Content credential: in Braze, Settings > Connected Content > Credentials, add a credential named
"{CREDENTIAL_NAME}" with your calcast OAuth client id as the username and its client secret as the password
(`calcast client create <account>` makes one). The Authorization header calls POST /oauth2/token with it on every
send and puts the short-lived token after "Bearer". If you named the credential differently, change
":basic_auth {CREDENTIAL_NAME}" to your name.
"""


class TemplateError(Exception):
    """The template cannot be read or rendered; the message says where and why."""


@dataclass(frozen=True)
class WebhookTemplate:
    name: str
    notes: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str

    @classmethod
    def parse(cls, text: str, *, name: str) -> WebhookTemplate:
        """Read the request-shaped template text; a mistake is reported with its line."""
        lines = text.replace("\r\n", "\n").split("\n")
        notes = []
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            notes.append(lines.pop(0).lstrip("# ").rstrip())
        if not lines:
            raise TemplateError(f"The template {name} has no request line such as 'POST https://…'.")
        method, _, url = lines.pop(0).partition(" ")
        if method not in METHODS or not url.strip():
            raise TemplateError(
                f"The template {name} must start with a method ({', '.join(METHODS)}) and a URL, "
                f"e.g. 'POST https://…'; it starts with {method!r}."
            )
        headers = []
        while lines and lines[0].strip():
            line = lines.pop(0)
            header, colon, value = line.partition(":")
            if not colon or not header.strip() or " " in header.strip():
                raise TemplateError(f"The template {name} has a header line without 'Name: value': {line!r}.")
            headers.append((header.strip(), value.strip()))
        body = "\n".join(lines[1:]) if lines else ""
        return cls(
            name=name,
            notes="\n".join(note for note in notes if note),
            method=method,
            url=url.strip(),
            headers=tuple(headers),
            body=body.strip("\n"),
        )

    def with_base_url(self, base_url: str) -> WebhookTemplate:
        """The template pointed at one calcast (its placeholder and the Rokt host replaced)."""
        base_url = base_url.rstrip("/")

        def point(text: str) -> str:
            return text.replace(BASE_URL_PLACEHOLDER, base_url).replace(ROKT_BASE_URL, base_url)

        return replace(
            self,
            url=point(self.url),
            headers=tuple((header, point(value)) for header, value in self.headers),
            body=point(self.body),
        )

    def paste_ready(self) -> str:
        """What goes into Braze's webhook composer, field by field."""
        headers = "\n".join(f"  {name}: {value}" for name, value in self.headers) or "  (none)"
        return (
            f"== {self.name} ==\n{self.notes}\n\n"
            f"Webhook URL:\n  {self.url}\n"
            f"HTTP method: {self.method}\n"
            f"Request headers:\n{headers}\n"
            f"Request body (raw text):\n{self.body or '(no body)'}\n"
        )

    def to_text(self) -> str:
        """The template as a file holds it."""
        lines = [f"# {note}" for note in self.notes.splitlines()]
        lines.append(f"{self.method} {self.url}")
        lines += [f"{header}: {value}" for header, value in self.headers]
        return "\n".join(lines) + ("\n\n" + self.body + "\n" if self.body else "\n")


def shipped_template(name: str) -> WebhookTemplate:
    text = resources.files(__package__).joinpath(f"{name}.liquid").read_text(encoding="utf-8")
    return WebhookTemplate.parse(text, name=name)


def shipped_templates() -> list[WebhookTemplate]:
    return [shipped_template(name) for name in SHIPPED]


def load_template(name_or_path: str) -> WebhookTemplate:
    """A shipped template by name (`new-event`, `update-event`, `delete-event`) or a template file."""
    if name_or_path in SHIPPED:
        return shipped_template(name_or_path)
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(
            f"{name_or_path} is neither a shipped template ({', '.join(SHIPPED)}) "
            f"nor a readable template file ({error.strerror})."
        ) from None
    return WebhookTemplate.parse(text, name=path.stem)
