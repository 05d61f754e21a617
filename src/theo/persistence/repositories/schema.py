"""The store itself: migrating it and reading its schema revision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from theo.core.errors import StorageError
from theo.persistence import db
from theo.persistence.repositories.base import Repository

if TYPE_CHECKING:
    from theo.config.app import DatabaseConfig


class SchemaRepository(Repository):
    """Migrations and the schema revision of one store."""

    def upgrade(self, *, database: DatabaseConfig | None = None, ohlc_conditions: Sequence[str] | None = None) -> None:
        """Migrate to the latest schema (idempotent); raise :class:`StorageError` when the store is unreachable."""
        db.upgrade(self.engine, database=database, ohlc_conditions=ohlc_conditions)

    def revision(self) -> str | None:
        """The store's schema revision (None: an empty store); :class:`StorageError` when it cannot be read."""
        try:
            return db.current_revision(self.engine)
        except OperationalError as exc:
            raise StorageError(f"cannot read {self.location}: {exc.orig}; check database.url and that the server "
                               "is running") from None

    @staticmethod
    def head() -> str:
        """The latest revision this release knows."""
        return db.head_revision()
