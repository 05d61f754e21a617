"""Notification tables: which alerts each Telegram chat has already received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.types import UTCDateTime


class AlertSentRow(Base):
    """One alert delivered to one chat: the deduplication memory that survives a restart.

    ``key_hash`` is the sha256 of the alert's key (the event it reports: a signal id, an order id and status...),
    so a key of any length fits and no alert text is stored.
    """

    __tablename__ = "alerts_sent"
    __table_args__ = (Index("ix_alerts_sent_sent_at", "sent_at"),)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
