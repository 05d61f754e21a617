"""Feed tables: feed events (stale/resumed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime


class FeedEventRow(Base):
    """A feed health event: ``stale`` (no tick while the market is open) or ``resumed``."""

    __tablename__ = "feed_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32), default="")
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_feed_events_symbol_ts", "symbol", "ts"),)
