"""A backfilled minute replaces the empty bar the clock closed during an outage, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence.repositories import Repositories

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def _bar(minute: int, close: float, volume: float, count: int, source: str, flags: frozenset[str]) -> Bar:
    start = T0 + timedelta(minutes=minute)
    return Bar("SPY", "1m", start, start + timedelta(minutes=1), close, close, close, close, volume, count,
               SessionKind.REGULAR, source, flags)


def test_a_bar_with_trades_replaces_a_stored_empty_bar_but_never_a_bar_with_trades(engine: Engine) -> None:
    data = Repositories(engine).market_data
    # the live run's aggregator: minute 0 traded, minute 1 closed empty by the clock (no feed delivered)
    assert data.write_bars([_bar(0, 100.0, 500, 7, "ibkr", frozenset()),
                            _bar(1, 100.0, 0, 0, "ibkr", frozenset({"no_ticks"}))], "ibkr") == 2
    backfill = frozenset({"backfill"})
    data.write_bars([_bar(0, 99.0, 900, 12, "polygon", backfill), _bar(1, 101.0, 800, 9, "polygon", backfill)],
                    "polygon")
    stored = {b.start: b for b in data.stored_bars("SPY", "1m")}
    kept, filled = stored[T0], stored[T0 + timedelta(minutes=1)]
    assert (kept.close, kept.volume, kept.source, kept.flags) == (100.0, 500, "ibkr", frozenset())
    assert (filled.close, filled.volume, filled.tick_count, filled.source, filled.flags) == (
        101.0, 800, 9, "polygon", backfill)
    # an empty bar written again does not undo the backfill
    data.write_bars([_bar(1, 100.0, 0, 0, "ibkr", frozenset({"no_ticks"}))], "ibkr")
    assert data.stored_bars("SPY", "1m")[1].source == "polygon"
