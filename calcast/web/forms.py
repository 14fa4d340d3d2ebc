"""Protection of the public forms: signed form tokens and a cross-site check (rate limits: core.ratelimit).

CSRF is stopped twice, without cookies (the landing page also runs in a lightbox iframe on the brand's
site, where browsers block third-party cookies, and a cookie would need a consent banner):
- the browser's own word on where a POST came from (`Sec-Fetch-Site`, else `Origin`): anything but
  our own origin is refused, which is what Go's CrossOriginProtection and OWASP's Fetch Metadata advice do;
- a token signed with the server key that names the form's purpose and subject (a calendar, a
  subscription) and expires. Its random nonce also names the submission, so the same form sent twice
  returns the subscription the first one created (subscriptions.service `request_key`).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from calcast.core.security import derived_token

FORM_TOKEN_MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued_at: int


def issue_form_token(secret_key: str, *, purpose: str, subject: str, now: float | None = None) -> str:
    """A token `<issued>.<nonce>.<mac>` for one rendering of a form about `subject`."""
    issued_at = int(time.time() if now is None else now)
    nonce = secrets.token_hex(16)
    mac = derived_token(secret_key, "form", f"{purpose}:{subject}:{issued_at}:{nonce}")
    return f"{issued_at}.{nonce}.{mac}"


def read_form_token(
    secret_key: str, token: str | None, *, purpose: str, subject: str, now: float | None = None
) -> FormToken | None:
    """The token's nonce when it is genuine, for this form, and not expired; None otherwise."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[1]) != 32:
        return None
    issued_at, nonce, presented = int(parts[0]), parts[1], parts[2]
    expected = derived_token(secret_key, "form", f"{purpose}:{subject}:{issued_at}:{nonce}")
    if not hmac.compare_digest(expected.encode(), presented.encode()):
        return None
    age = (time.time() if now is None else now) - issued_at
    if not -300 <= age <= FORM_TOKEN_MAX_AGE_SECONDS:
        return None
    return FormToken(nonce=nonce, issued_at=issued_at)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site(*, sec_fetch_site: str | None, origin: str | None, own_origins: set[str]) -> bool:
    """Whether the browser says this request was started by another site's page."""
    if sec_fetch_site:
        return sec_fetch_site.lower() not in {"same-origin", "none"}
    if origin:
        return origin.lower() not in {_origin(own) for own in own_origins}
    # Neither header: not a browser that could be tricked (curl, a server) or a very old one.
    return False
