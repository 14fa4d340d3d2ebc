from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    braze_rest_endpoint: str | None
    braze_configured: bool
    link_key_configured: bool
    created_at: datetime


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    account_code: str
    created_at: datetime
    revoked_at: datetime | None


class ClientCredentials(BaseModel):
    client_id: str
    client_secret: str
