"""Engine run tables: one row per ``theo run``/backtest run (read by ``theo status``) and the run journal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.types import UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class EngineRunRow(Base):
    """A run of the engine: mode, lifetime, heartbeat, counters and the checkpoint a restart resumes from."""

    __tablename__ = "engine_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))  # backtest | paper | live
    feed: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # running | stopped | failed
    started: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat: Mapped[datetime] = mapped_column(UTCDateTime())
    pid: Mapped[int] = mapped_column(Integer)
    config_digest: Mapped[str] = mapped_column(String(64))
    counters: Mapped[str] = mapped_column(Text, default="{}")  # JSON: items, bars, signals, orders, trades
    state: Mapped[str] = mapped_column(Text, default="{}")  # JSON checkpoint: positions, working orders, clock

    __table_args__ = (Index("ix_engine_runs_started", "started"),)


class EngineJournalRow(Base):
    """Signals, orders and trades of ``theo run``, keyed so a replay after a crash never duplicates them."""

    __tablename__ = "engine_journal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # signal | order | trade
    key: Mapped[str] = mapped_column(String(160))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("kind", "key"), Index("ix_engine_journal_ts", "ts"))
