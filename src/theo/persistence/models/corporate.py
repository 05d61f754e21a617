"""Corporate actions: splits, reverse splits, cash and stock dividends, symbol changes per symbol."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime

Amount = Numeric(20, 8)


class CorporateActionRow(Base):
    """One corporate action; one row per (symbol, kind, ex-date, source)."""

    __tablename__ = "corporate_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # a theo.model.enums.CorporateActionKind value
    ex_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    ratio: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    pay_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    new_symbol: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("symbol", "kind", "ex_date", "source"),
        Index("ix_corporate_actions_symbol_ex_date", "symbol", "ex_date"),
    )
