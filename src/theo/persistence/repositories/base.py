"""What every repository shares: the engine of one store and a printable name for it."""

from __future__ import annotations

from sqlalchemy import Engine

from theo.persistence.db import mask_url


class Repository:
    """Reads and writes of one concern on one store; built by a composition root from the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def location(self) -> str:
        """The store's URL with any password masked (safe in messages and logs)."""
        return mask_url(str(self.engine.url))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name
