"""Routes: liveness (no auth), the system page and the log tail."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.services import system

router = APIRouter(tags=["system"])


@router.get("/health", response_model=system.Health)
def health() -> system.Health:
    """Liveness for load balancers and monitors: answers without a session."""
    return system.health()
