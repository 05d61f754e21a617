"""The system page: version, health checks, data freshness per symbol, and the log tail."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from theo import __version__


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


def health() -> Health:
    """The unauthenticated liveness answer: the process serves requests."""
    return Health(version=__version__)
