"""Braze's Liquid dialect on python-liquid: what a Braze webhook template means, rendered for one user profile.

Braze writes references as `${name}` (`{{${user_id}}}`, `{{custom_attribute.${rokt:account_code}}}`) and lets
`{{ }}` appear inside tags; python-liquid's lexer knows neither, so `to_liquid` rewrites the source first. The
tags `connected_content` and `abort_message` and Braze's extra filters are added to an ordinary Environment.
Network calls of `connected_content` go through a `ConnectedContentFetcher`, so that its Braze rules (2-second
timeout, no redirects, GET cache, `:retry`) live in one place and tests can watch them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote

import httpx
from liquid import Environment, Node, Tag, TokenStream, Undefined
from liquid.exceptions import FilterValueError, LiquidError
from liquid.filter import string_filter
from liquid.token import TOKEN_EXPRESSION

from calcast.braze import templates

# Defined beside the templates (which the console also reads); raised here for profiles and Liquid alike.
TemplateError = templates.TemplateError

# Braze's namespaces whose members are written `namespace.${name}`.
NAMESPACES = (
    "custom_attribute",
    "event_properties",
    "canvas_entry_properties",
    "context",
    "campaign",
    "canvas",
    "most_recently_used_device",
    "targeted_device",
    "subscribed_state",
    "app",
    "sms",
    "whats_app",
    "content_blocks",
)
# Standard attributes: the name in a Braze profile export → the name Liquid reads as `${name}`.
STANDARD_ATTRIBUTES = {
    "external_id": "user_id",
    "user_id": "user_id",
    "braze_id": "braze_id",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email_address",
    "email_address": "email_address",
    "phone": "phone_number",
    "phone_number": "phone_number",
    "home_city": "city",
    "city": "city",
    "country": "country",
    "dob": "date_of_birth",
    "date_of_birth": "date_of_birth",
    "gender": "gender",
    "language": "language",
    "time_zone": "time_zone",
    "random_bucket": "random_bucket_number",
    "random_bucket_number": "random_bucket_number",
}
STANDARD_NAMESPACE = "braze"  # `${user_id}` becomes `braze["user_id"]`

CONNECTED_CONTENT_TIMEOUT_SECONDS = 2.0  # Braze inserts nothing when the answer takes longer
CONNECTED_CONTENT_RETRIES = 5  # `:retry`: up to five retries, then the message is aborted
CONNECTED_CONTENT_MAX_BYTES = 1_048_576
GET_CACHE_SECONDS = 300
MIN_CACHE_SECONDS, MAX_CACHE_SECONDS = 300, 14_400
OPTIONS = ("method", "body", "content_type", "headers", "basic_auth", "auth_credentials", "save")
OPTION_FLAGS = ("retry", "no_cache")
OPTION_NUMBERS = ("cache_max_age",)

_NAMESPACED = re.compile(r"\b(" + "|".join(NAMESPACES) + r")\.\$\{([^}]*)\}")
_STANDARD = re.compile(r"\$\{([^}]*)\}")
_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.DOTALL)
_NESTED_OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_OPTION = re.compile(r"\s+:(" + "|".join(OPTIONS + OPTION_FLAGS + OPTION_NUMBERS) + r")\b")
_ABORT_REASON = re.compile(r"""^\(\s*(?:'([^']*)'|"([^"]*)")?\s*\)$""")


class AbortMessage(Exception):
    """The template (or a failed `:retry` Connected Content call) aborted the message: Braze sends nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------------------------
# The user profile


@dataclass(frozen=True)
class BrazeUser:
    """A Braze user as its profile export shows it: standard attributes and custom attributes."""

    standard: Mapping[str, Any]
    custom_attributes: Mapping[str, Any]

    @property
    def external_id(self) -> str | None:
        value = self.standard.get("user_id")
        return None if value is None else str(value)

    @classmethod
    def from_export(cls, profile: Mapping[str, Any]) -> BrazeUser:
        """Read one exported profile (`external_id`, `email`, `custom_attributes`, …); unknown keys are ignored."""
        if not isinstance(profile, Mapping):
            raise TemplateError("A user profile must be a JSON object with external_id and custom_attributes.")
        standard = {
            STANDARD_ATTRIBUTES[key]: value
            for key, value in profile.items()
            if key in STANDARD_ATTRIBUTES and value is not None
        }
        custom = profile.get("custom_attributes") or {}
        if not isinstance(custom, Mapping):
            raise TemplateError("custom_attributes must be a JSON object of attribute names and values.")
        return cls(standard=_without_nulls(standard), custom_attributes=_without_nulls(custom))

    def liquid_globals(self) -> dict[str, Any]:
        return {STANDARD_NAMESPACE: dict(self.standard), "custom_attribute": dict(self.custom_attributes)}


def _without_nulls(value: Any) -> Any:
    """Missing means absent: a null would render as the text "None" through python-liquid's filters."""
    if isinstance(value, Mapping):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if item is not None]
    return value


def load_users(path: Path) -> list[BrazeUser]:
    """Profiles from a file: one JSON object, a JSON array of objects, or JSON Lines (one object per line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"The user file {path} cannot be read ({error.strerror}).") from None
    stripped = text.strip()
    if not stripped:
        raise TemplateError(f"The user file {path} is empty.")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        return [BrazeUser.from_export(data)]
    if isinstance(data, list):
        return [BrazeUser.from_export(item) for item in data]
    users = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            users.append(BrazeUser.from_export(json.loads(line)))
        except json.JSONDecodeError as error:
            raise TemplateError(f"{path} line {number} is not JSON: {error.msg} at column {error.colno}.") from None
    return users


# ---------------------------------------------------------------------------------------------------------------
# Source rewriting


def to_liquid(source: str) -> str:
    """Rewrite Braze Liquid into standard Liquid that python-liquid parses."""
    source = _HTML_COMMENT.sub("", source)
    source = _NAMESPACED.sub(lambda m: f"{m.group(1)}[{json.dumps(m.group(2).strip())}]", source)
    source = _STANDARD.sub(lambda m: f"{STANDARD_NAMESPACE}[{json.dumps(m.group(1).strip())}]", source)

    def unwrap(tag: re.Match[str]) -> str:
        if tag.group(1) in ("connected_content", "raw"):
            return tag.group(0)  # its markup is rendered as a template of its own
        return _NESTED_OUTPUT.sub(lambda m: m.group(1), tag.group(0))

    return _TAG.sub(unwrap, source)


# ---------------------------------------------------------------------------------------------------------------
# Connected Content


@dataclass(frozen=True)
class ConnectedContentCall:
    """One `{% connected_content %}` as rendered: where to go and with which options."""

    url: str
    method: str = "GET"
    body: str | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    basic_auth: str | None = None
    save: str | None = None
    retry: bool = False
    no_cache: bool = False
    cache_max_age: int | None = None

    def options(self) -> dict[str, Any]:
        """The options as written, for previews and tests."""
        written: dict[str, Any] = {"method": self.method.lower()}
        for name in ("body", "content_type", "basic_auth", "save", "cache_max_age"):
            if getattr(self, name) is not None:
                written[name] = getattr(self, name)
        if self.headers:
            written["headers"] = dict(self.headers)
        if self.retry:
            written["retry"] = True
        if self.no_cache:
            written["no_cache"] = True
        return written


@dataclass(frozen=True)
class ConnectedContentResult:
    """What came back: a status (0 when nothing came back in time) and the text."""

    status_code: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


def parse_connected_content(markup: str) -> ConnectedContentCall:
    """Split rendered `connected_content` markup into the URL and its `:option value` pairs."""
    parts = _OPTION.split(" " + markup.strip())
    url = parts[0].strip()
    if not url:
        raise TemplateError("connected_content needs a URL, e.g. {% connected_content https://example.com/api %}.")
    values: dict[str, Any] = {}
    for name, value in zip(parts[1::2], parts[2::2], strict=True):
        value = value.strip()
        if name in OPTION_FLAGS:
            values[name] = True
            continue
        if not value:
            raise TemplateError(f"connected_content option :{name} needs a value.")
        if name == "method":
            value = value.upper()
            if value not in ("GET", "POST"):
                raise TemplateError(f"connected_content supports :method get or post, not {value.lower()}.")
        elif name == "headers":
            try:
                headers = json.loads(value)
            except json.JSONDecodeError:
                headers = None
            if not isinstance(headers, dict):
                raise TemplateError('connected_content :headers must be a JSON object like {"X-Key": "value"}.')
            value = {str(key): str(item) for key, item in headers.items()}
        elif name == "cache_max_age":
            if not value.isdigit():
                raise TemplateError("connected_content :cache_max_age must be a number of seconds.")
            value = min(max(int(value), MIN_CACHE_SECONDS), MAX_CACHE_SECONDS)
        elif name == "auth_credentials":
            name = "basic_auth"  # stored header credentials are looked up like basic_auth ones
        values[name] = value
    if "method" not in values:
        values["method"] = "GET"
    return ConnectedContentCall(url=url, **values)


@dataclass(frozen=True)
class Credential:
    username: str
    password: str


@dataclass
class Credentials:
    """Braze's Settings › Connected Content credentials, kept locally: by name, or one for every name."""

    named: dict[str, Credential] = field(default_factory=dict)
    any_name: Credential | None = None

    @classmethod
    def from_pair(cls, pair: str) -> Credentials:
        """`client_id:secret`, used for whatever credential name the template asks for."""
        username, colon, password = pair.partition(":")
        if not colon or not username or not password:
            raise TemplateError("Credentials must be written client_id:client_secret.")
        return cls(any_name=Credential(username, password))

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        """A JSON file `{"<credential name>": {"username": "...", "password": "..."}, ...}`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise TemplateError(f"The credentials file {path} cannot be read ({error.strerror}).") from None
        except json.JSONDecodeError as error:
            raise TemplateError(
                f"The credentials file {path} is not JSON: {error.msg} (line {error.lineno})."
            ) from None
        if not isinstance(data, dict):
            raise TemplateError(f"The credentials file {path} must hold a JSON object of credential names.")
        named = {}
        for name, entry in data.items():
            if not isinstance(entry, dict) or not entry.get("username") or not entry.get("password"):
                raise TemplateError(f'Credential "{name}" in {path} needs a "username" and a "password".')
            named[name] = Credential(str(entry["username"]), str(entry["password"]))
        return cls(named=named)

    def merged(self, other: Credentials) -> Credentials:
        return Credentials(named={**self.named, **other.named}, any_name=other.any_name or self.any_name)

    def lookup(self, name: str) -> Credential:
        found = self.named.get(name) or self.any_name
        if found is None:
            # Braze aborts every message whose call names a deleted credential; locally it is the operator's
            # mistake, so it stops the run instead of quietly skipping every user.
            raise TemplateError(
                f'The Connected Content credential "{name}" is not defined; '
                "pass --credentials client_id:client_secret or a --credentials-file that names it."
            )
        return found


class ConnectedContentFetcher:
    """Performs Connected Content calls as Braze does.

    2-second timeout, redirects not followed, at most 1 MB; GETs cached for 5 minutes unless `:no_cache`, POSTs
    only with `:cache_max_age` (the cache key is the URL, as in Braze); `:retry` retries a failed call up to five
    times with exponential backoff and then aborts the message.
    """

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        client: httpx.Client | None = None,
        timeout: float = CONNECTED_CONTENT_TIMEOUT_SECONDS,
        retry_delay: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "Braze Sender",
    ) -> None:
        self.credentials = credentials or Credentials()
        self.client = client or httpx.Client(follow_redirects=False)
        self.timeout = timeout
        self.retry_delay = retry_delay
        self.sleep = sleep
        self.clock = clock
        self.user_agent = user_agent
        self.calls: list[ConnectedContentCall] = []  # every call that reached the network, in order
        self._cache: dict[str, tuple[float, ConnectedContentResult]] = {}

    def fetch(self, call: ConnectedContentCall) -> ConnectedContentResult:
        cache_seconds = self._cache_seconds(call)
        if cache_seconds:
            cached = self._cache.get(call.url)
            if cached and self.clock() - cached[0] < cache_seconds:
                return cached[1]
        attempts = 1 + (CONNECTED_CONTENT_RETRIES if call.retry else 0)
        result = ConnectedContentResult(0, "")
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.retry_delay * 2 ** (attempt - 1))
            result = self._once(call)
            if not _failed(result):
                break
        else:
            if call.retry:
                what = f"answered {result.status_code}" if result.status_code else "did not answer within 2 seconds"
                raise AbortMessage(
                    f"Connected Content call to {call.url} {what} after {CONNECTED_CONTENT_RETRIES} retries."
                )
        if cache_seconds and result.ok and len(result.text.encode()) <= CONNECTED_CONTENT_MAX_BYTES:
            self._cache[call.url] = (self.clock(), result)
        return result

    @staticmethod
    def _cache_seconds(call: ConnectedContentCall) -> int:
        if call.method == "POST":
            return call.cache_max_age or 0
        if call.no_cache:
            return 0
        return call.cache_max_age or GET_CACHE_SECONDS

    def _once(self, call: ConnectedContentCall) -> ConnectedContentResult:
        self.calls.append(call)
        headers = {"User-Agent": self.user_agent}
        body = call.body
        if call.method == "POST":
            content_type = call.content_type or "application/x-www-form-urlencoded"
            headers["Content-Type"] = content_type
            headers["Accept"] = call.content_type or "*/*"
            if content_type == "application/json" and body is not None and not body.lstrip().startswith(("{", "[")):
                body = json.dumps(dict(parse_qsl(body, keep_blank_values=True)))  # form-style body sent as JSON
        else:
            headers["Content-Type"] = call.content_type or "application/json"
            headers["Accept"] = call.content_type or "*/*"
        headers.update(call.headers)
        if call.basic_auth:
            credential = self.credentials.lookup(call.basic_auth)
            pair = f"{credential.username}:{credential.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        try:
            response = self.client.request(
                call.method,
                call.url,
                content=body.encode() if body is not None else None,
                headers=headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError:
            return ConnectedContentResult(0, "")
        if len(response.content) > CONNECTED_CONTENT_MAX_BYTES:
            return ConnectedContentResult(0, "")
        return ConnectedContentResult(response.status_code, response.text)


def _failed(result: ConnectedContentResult) -> bool:
    """A failure Braze retries: no answer in time, a 408 or 429, or a server error."""
    return result.status_code == 0 or result.status_code in (408, 429) or result.status_code >= 500


# ---------------------------------------------------------------------------------------------------------------
# Tags


def _raw_markup(stream: TokenStream) -> tuple[Any, str]:
    """The tag token and its markup as written; the stream is left on the markup (a non-block tag's contract)."""
    token = stream.current
    if stream.peek.kind == TOKEN_EXPRESSION:
        next(stream)
        return token, stream.current.value
    return token, ""


class ConnectedContentNode(Node):
    __slots__ = ("markup",)

    def __init__(self, token: Any, markup: Any) -> None:
        super().__init__(token)
        self.markup = markup

    def __str__(self) -> str:
        return f"{{% connected_content {self.markup} %}}"

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        rendered = StringIO()
        self.markup.render_with_context(context, rendered)
        call = parse_connected_content(rendered.getvalue())
        fetcher: ConnectedContentFetcher | None = context.env.fetcher
        if fetcher is None:
            raise AbortMessage("This renderer makes no Connected Content calls.")
        result = fetcher.fetch(call)
        if not result.ok:
            return 0  # Braze inserts nothing and carries on (without :retry)
        try:
            value = json.loads(result.text)
        except json.JSONDecodeError:
            return buffer.write(result.text)  # text replaces the tag
        if isinstance(value, dict):
            value["__http_status_code__"] = result.status_code
        context.assign(call.save or "connected", _without_nulls(value))
        return 0


class ConnectedContentTag(Tag):
    name = "connected_content"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, markup = _raw_markup(stream)
        return ConnectedContentNode(token, self.env.from_string(markup))


class AbortMessageNode(Node):
    __slots__ = ("reason",)

    def __init__(self, token: Any, reason: str) -> None:
        super().__init__(token)
        self.reason = reason

    def __str__(self) -> str:
        return f"{{% abort_message({self.reason!r}) %}}"

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        raise AbortMessage(self.reason)


class AbortMessageTag(Tag):
    name = "abort_message"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token, markup = _raw_markup(stream)
        match = _ABORT_REASON.match(markup.strip() or "()")
        if not match:
            raise TemplateError("abort_message takes one quoted reason: {% abort_message('no subscription') %}.")
        return AbortMessageNode(token, match.group(1) or match.group(2) or "")


# ---------------------------------------------------------------------------------------------------------------
# Filters


def _text(value: object) -> str:
    if value is None or isinstance(value, Undefined):
        return ""
    return str(value)


@string_filter
def json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


@string_filter
def url_escape(value: str) -> str:
    return quote(value, safe="!#$&'()*+,/:;=?@[]~%")


@string_filter
def url_param_escape(value: str) -> str:
    return quote(value, safe="")


def property_accessor(value: object, key: object) -> object:
    if isinstance(value, Mapping):
        return value.get(_text(key))
    return None


def number_with_delimiter(value: object) -> str:
    text = _text(value)
    try:
        number = float(text) if "." in text else int(text)
    except ValueError:
        return text
    return f"{number:,}"


def json_parse(value: object) -> object:
    try:
        return _without_nulls(json.loads(_text(value)))
    except json.JSONDecodeError as error:
        raise FilterValueError(f"json_parse got text that is not JSON ({error.msg})", token=None) from None


def as_json_string(value: object) -> str:
    return json.dumps(None if isinstance(value, Undefined) else value, ensure_ascii=False, separators=(",", ":"))


def _digest(algorithm: str) -> Callable[[object], str]:
    return lambda value: hashlib.new(algorithm, _text(value).encode()).hexdigest()


def _hmac(algorithm: str, *, as_base64: bool) -> Callable[[object, object], str]:
    def sign(value: object, key: object) -> str:
        mac = hmac.new(_text(key).encode(), _text(value).encode(), algorithm).digest()
        return base64.b64encode(mac).decode() if as_base64 else mac.hex()

    return sign


BRAZE_FILTERS: dict[str, Callable[..., object]] = {
    "json_escape": json_escape,
    "url_escape": url_escape,
    "url_param_escape": url_param_escape,
    "property_accessor": property_accessor,
    "number_with_delimiter": number_with_delimiter,
    "json_parse": json_parse,
    "as_json_string": as_json_string,
    "md5": _digest("md5"),
    "sha1": _digest("sha1"),
    "sha2": _digest("sha256"),
    "hmac_sha1": _hmac("sha1", as_base64=False),
    "hmac_sha1_hex": _hmac("sha1", as_base64=False),
    "hmac_sha1_base64": _hmac("sha1", as_base64=True),
    "hmac_sha256_hex": _hmac("sha256", as_base64=False),
    "hmac_sha256_base64": _hmac("sha256", as_base64=True),
    "hmac_sha512": _hmac("sha512", as_base64=False),
}
UNSUPPORTED_FILTERS = ("lstrip", "rstrip", "find_index")  # Braze's Liquid has none of these


# ---------------------------------------------------------------------------------------------------------------
# The environment


class BrazeEnvironment(Environment):
    """python-liquid speaking Braze: `${}` references, nested output in tags, Braze's tags and filters."""

    def __init__(self, *, fetcher: ConnectedContentFetcher | None = None) -> None:
        super().__init__()
        self.fetcher = fetcher
        for name in UNSUPPORTED_FILTERS:
            self.filters.pop(name, None)
        self.filters.update(BRAZE_FILTERS)
        self.add_tag(ConnectedContentTag)
        self.add_tag(AbortMessageTag)

    def render_field(self, source: str, user: BrazeUser) -> str:
        """Render one field (URL, header value or body) of a message for `user`, as Braze does: its own scope."""
        try:
            template = self.from_string(to_liquid(source))
            return str(template.render(**user.liquid_globals()))
        except LiquidError as error:
            raise TemplateError(f"The template could not be rendered: {error}") from None
