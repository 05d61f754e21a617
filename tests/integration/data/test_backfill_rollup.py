"""Backfilled minutes correct the stored higher-timeframe bars the aggregator built over the hole.

A synthetic session is aggregated twice: once from every print (the truth) and once with three minutes
missing (what the collector had when both feeds were dark). The missing minutes' bars of the truth come back
as the backfill. Once recorded, the store must hold the truth's bars over the hole, every other bar as it
was, and recording the backfill again must change nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.unit.data.bars.helpers import et
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.bars.aggregator import BarAggregator
from theo.data.durable import SpoolingStore
from theo.data.failover.backfill import BACKFILL_FLAG, gap_bars
from theo.data.files import BarColumns
from theo.data.recorder import Recorder
from theo.data.spool import Spool
from theo.model.market import Bar, Tick
from theo.persistence.models.core import BarRow
from theo.persistence.repositories.market_data import MarketDataRepository
from theo.persistence.writer import write_bars

TIMEFRAMES = ["1m", "5m", "15m", "1d"]
OPEN = et(2024, 3, 5, 9, 30)
HOLE = [et(2024, 3, 5, 9, 41), et(2024, 3, 5, 9, 42), et(2024, 3, 5, 9, 43)]
BACKFILL_AT = et(2024, 3, 5, 9, 44)  # the backfill arrives before the 09:40 five-minute bar closes


def _ticks() -> list[Tick]:
    """One to four prints a minute from 09:30 to 10:29 ET, seeded; the hole's minutes swing widest."""
    rng = random.Random(7)
    out, price = [], 500.0
    for minute in range(60):
        start = OPEN + timedelta(minutes=minute)
        wide = 6.0 if start in HOLE else 0.5
        for k in range(rng.randint(1, 4)):
            price = round(price + rng.uniform(-wide, wide), 2)
            out.append(Tick("SPY", start + timedelta(seconds=5 + 12 * k), price, float(rng.randint(1, 9) * 100),
                            "ibkr", "P", ""))
    return out


def _aggregate(ticks: Sequence[Tick]) -> list[Bar]:
    """The collector's bars of ``ticks``, the clock run to past the close."""
    cal = get_calendar()
    clock = SimulatedClock(OPEN - timedelta(minutes=1))
    out: list[Bar] = []
    agg = BarAggregator(TIMEFRAMES, lambda _s: cal, None, clock, timedelta(seconds=2), on_bar=out.append)
    for t in ticks:
        clock.advance_to(t.ts)
        agg.on_tick(t)
    clock.advance_to(et(2024, 3, 5, 16, 0, 5))
    agg.on_time(clock.now())
    return out


def _rows(engine: Engine) -> dict[tuple[str, datetime], tuple[Any, ...]]:
    with engine.connect() as conn:
        return {(r.timeframe, r.start): tuple(r) for r in conn.execute(select(BarRow.__table__))}


def _record(recorder: Recorder, bars: Sequence[Bar]) -> None:
    for b in bars:
        recorder.on_bar(b)
    recorder.flush()


def _holds_hole(b: Bar) -> bool:
    return any(b.start <= m < b.end for m in HOLE)


def _expected(truth: list[Bar], gappy: list[Bar], backfill: list[Bar]) -> dict[tuple[str, datetime], Bar]:
    """The truth's bars with the backfilled minutes, the bars over the hole flagged backfill, from the feed of
    most of their minutes with trades; checked to differ from what the aggregator stored."""
    by_source = {("5m", et(2024, 3, 5, 9, 40)): "polygon"}
    filled = {b.start: b for b in backfill}
    expected: dict[tuple[str, datetime], Bar] = {}
    for b in truth:
        if b.timeframe == "1m":
            expected[(b.timeframe, b.start)] = filled.get(b.start, b)
        elif _holds_hole(b):
            source = by_source.get((b.timeframe, b.start), "ibkr")
            expected[(b.timeframe, b.start)] = Bar(b.symbol, b.timeframe, b.start, b.end, b.open, b.high, b.low,
                                                   b.close, b.volume, b.tick_count, b.session, source,
                                                   b.flags | {BACKFILL_FLAG})
        else:
            expected[(b.timeframe, b.start)] = b
    corrected = [k for k in expected if k[0] != "1m" and _holds_hole(expected[k])]
    assert sorted(corrected) == [("15m", OPEN), ("1d", OPEN), ("5m", et(2024, 3, 5, 9, 40))]
    assert all(expected[k] != g for k in corrected for g in gappy if (g.timeframe, g.start) == k)
    return expected


def _assert_stored(engine: Engine, expected: dict[tuple[str, datetime], Bar]) -> None:
    repo = MarketDataRepository(engine)
    for tf in TIMEFRAMES:
        stored = {(tf, b.start): b for b in repo.stored_bars("SPY", tf)}
        assert stored == {k: v for k, v in expected.items() if k[0] == tf}


@pytest.fixture(params=["sqlite_engine", "pg_engine"])
def engine(request: pytest.FixtureRequest) -> Engine:
    found: Engine = request.getfixturevalue(request.param)
    return found


@pytest.mark.parametrize("order", ["after_the_bars", "before_they_close"])
def test_backfill_rebuilds_the_bars_over_the_hole(engine: Engine, order: str) -> None:
    ticks = _ticks()
    truth = _aggregate(ticks)
    gappy = _aggregate([t for t in ticks if t.ts.replace(second=0, microsecond=0) not in HOLE])
    assert len(truth) == len(gappy) == 390 + 78 + 26 + 1
    assert [b.flags for b in gappy if b.timeframe == "1m" and b.start in HOLE] == [frozenset({"no_ticks"})] * 3
    backfill = gap_bars([b for b in truth if b.timeframe == "1m"], "SPY", (HOLE[0], HOLE[-1] + timedelta(minutes=1)),
                        "polygon")
    assert [b.start for b in backfill] == HOLE

    recorder = Recorder(MarketDataRepository(engine))
    before: dict[tuple[str, datetime], tuple[Any, ...]] | None
    if order == "after_the_bars":
        _record(recorder, gappy)
        before = _rows(engine)
        _record(recorder, backfill)
    else:  # the 09:40 five-minute, 09:30 fifteen-minute and daily bars close after the backfill is stored
        _record(recorder, [b for b in gappy if b.end <= BACKFILL_AT])
        _record(recorder, backfill)
        _record(recorder, [b for b in gappy if b.end > BACKFILL_AT])
        before = None  # the untouched bars are checked against the aggregator's by value below

    expected = _expected(truth, gappy, backfill)
    corrected = [k for k in expected if k[0] != "1m" and _holds_hole(expected[k])]
    _assert_stored(engine, expected)
    after = _rows(engine)
    changed = set(corrected) | {("1m", m) for m in HOLE}
    untouched = {k for k in after if k not in changed}
    assert len(untouched) == len(after) - 6 == 489
    if before is not None:
        assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}  # byte for byte

    _record(recorder, backfill)  # the same backfill once more: nothing changes
    assert _rows(engine) == after


def test_a_backfill_spooled_through_an_outage_corrects_when_replayed(sqlite_engine: Engine, tmp_path: Path) -> None:
    """The collector writes through the spool: the correction happens when the spooled backfill reaches the store."""

    class Flaky(MarketDataRepository):
        up = True

        def write_bars(self, bars: BarColumns | Sequence[Bar], source: str) -> int:
            if not self.up:
                raise ConnectionRefusedError("connection refused")
            return super().write_bars(bars, source)

    ticks = _ticks()
    truth = _aggregate(ticks)
    gappy = _aggregate([t for t in ticks if t.ts.replace(second=0, microsecond=0) not in HOLE])
    backfill = gap_bars([b for b in truth if b.timeframe == "1m"], "SPY", (HOLE[0], HOLE[-1] + timedelta(minutes=1)),
                        "polygon")
    db = Flaky(sqlite_engine)
    spool = Spool(tmp_path / "c.spool")
    spool.open()
    try:
        durable = SpoolingStore(db, spool, lambda exc: isinstance(exc, ConnectionError))
        recorder = Recorder(durable)
        _record(recorder, gappy)
        db.up = False
        _record(recorder, backfill)
        assert durable.spooling
        db.up = True
        assert durable.replay()
    finally:
        spool.close()
    _assert_stored(sqlite_engine, _expected(truth, gappy, backfill))


def test_a_bar_whose_minutes_are_not_stored_is_left_alone(sqlite_engine: Engine) -> None:
    """Without the 1-minute bars of its span, a 5m bar cannot be rebuilt: it stays as the aggregator built it."""
    ticks = _ticks()
    gappy = _aggregate([t for t in ticks if t.ts.replace(second=0, microsecond=0) not in HOLE])
    truth = _aggregate(ticks)
    higher = [b for b in gappy if b.timeframe != "1m"]
    write_bars(sqlite_engine, higher, "ibkr")
    before = _rows(sqlite_engine)
    stats = write_bars(sqlite_engine, gap_bars([b for b in truth if b.timeframe == "1m"], "SPY",
                                               (HOLE[0], HOLE[-1] + timedelta(minutes=1)), "polygon"), "polygon")
    assert (stats.inserted, stats.corrected) == (3, 0)
    after = _rows(sqlite_engine)
    assert {k: v for k, v in after.items() if k[0] != "1m"} == before


def test_imported_minutes_without_the_flag_correct_nothing(sqlite_engine: Engine) -> None:
    """Only minutes flagged backfill trigger a rebuild: a plain 1m bar replacing an empty one does not."""
    ticks = _ticks()
    gappy = _aggregate([t for t in ticks if t.ts.replace(second=0, microsecond=0) not in HOLE])
    truth = _aggregate(ticks)
    write_bars(sqlite_engine, gappy, "ibkr")
    before = _rows(sqlite_engine)
    plain = [b for b in truth if b.timeframe == "1m" and b.start in HOLE]
    stats = write_bars(sqlite_engine, plain, "ibkr")
    assert stats.corrected == 0
    after = _rows(sqlite_engine)
    assert {k: v for k, v in after.items() if k[0] != "1m"} == {k: v for k, v in before.items() if k[0] != "1m"}
