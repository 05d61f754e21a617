"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from theo.core.time import from_us, to_us


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp.

    PostgreSQL stores ``timestamptz`` (what TimescaleDB's ``time_bucket`` needs); SQLite stores integer
    microseconds since the epoch, which sorts, compares and buckets with integer arithmetic. Both return
    aware UTC datetimes; a naive datetime is refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: timestamps must be UTC-aware")
        if dialect.name == "sqlite":
            return to_us(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_us(int(value))
        assert isinstance(value, datetime)
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
