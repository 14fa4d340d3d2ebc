"""Operational endpoints: health for load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from calcast.core.http import SessionDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, str]:
    """200 when the process serves and its database answers."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
