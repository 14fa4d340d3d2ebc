"""The JSON API's field names: camelCase on the wire (Rokt's spelling), snake_case in Python."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

# Request bodies: camelCase or snake_case accepted, unknown fields ignored (Rokt's clients send extras).
CAMEL_IN = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore")
# Responses: written in camelCase.
CAMEL_OUT = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True)
