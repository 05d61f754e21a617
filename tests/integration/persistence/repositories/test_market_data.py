"""The market-data repository: bars read back by range, column-wise and as records; replay after a position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, func, select

from theo.core.time import to_us
from theo.data.quarantine import QuarantineItem
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence.models.marketdata import FeedEventRow
from theo.persistence.repositories import Repositories

T0 = datetime(2013, 10, 7, 13, 30, tzinfo=UTC)  # 09:30 New York


def _bars(symbol: str, n: int) -> list[Bar]:
    return [Bar(symbol, "1m", T0 + timedelta(minutes=i), T0 + timedelta(minutes=i + 1), 10.0 + i, 11.0 + i,
                9.0 + i, 10.5 + i, 100.0 * (i + 1), i, SessionKind.POST if i == n - 1 else SessionKind.REGULAR,
                "rec", frozenset({"late"}) if i == 1 else frozenset())
            for i in range(n)]


def test_bars_are_read_back_by_range_as_columns_and_records(engine: Engine) -> None:
    data = Repositories(engine).market_data
    assert data.write_bars(_bars("SPY", 4) + _bars("QQQ", 2), "rec") == 6
    assert data.write_bars(_bars("SPY", 4), "rec") == 0
    cols = data.bar_columns("SPY", "1m", T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    assert cols.start_us.tolist() == [to_us(T0 + timedelta(minutes=m)) for m in (1, 2, 3)]
    assert cols.end_us.tolist() == [to_us(T0 + timedelta(minutes=m)) for m in (2, 3, 4)]
    assert cols.close.tolist() == [11.5, 12.5, 13.5]
    assert cols.regular.tolist() == [True, True, False]
    assert len(data.bar_columns("SPY", "5m")) == 0
    assert data.bar_columns("SPY", "5m").start_us.dtype == np.int64
    bars = data.stored_bars("SPY", "1m", None, T0 + timedelta(minutes=2))
    assert bars == _bars("SPY", 4)[:2]
    replayed = list(data.replay_bars(["QQQ", "SPY"], "1m", T0, T0 + timedelta(hours=1),
                                     (T0 + timedelta(minutes=2), "QQQ"), 2))
    assert [(b.symbol, b.end) for b in replayed] == [("SPY", T0 + timedelta(minutes=2)),
                                                      ("SPY", T0 + timedelta(minutes=3)),
                                                      ("SPY", T0 + timedelta(minutes=4))]


def test_quarantine_feed_events_and_instrument_calendars(engine: Engine) -> None:
    repos = Repositories(engine)
    item = QuarantineItem("row", "file.csv", "bad_price", "SPY", 3, "price", "-1", "negative")
    assert repos.market_data.write_quarantine([item, QuarantineItem("tick", "feed", "late", "SPY")]) == 2
    assert repos.market_data.write_quarantine([item]) == 0  # the same file row is kept once
    assert repos.market_data.quarantine_counts() == {"bad_price": 1, "late": 1}
    repos.market_data.write_feed_event(T0, "stale", "SPY", "polygon", T0 - timedelta(seconds=30), "feed.stale")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FeedEventRow)).scalar_one() == 1
    assert repos.instruments.calendar("NOPE") is None
