"""Golden test on real data: the SPY and IBM tick files through the gate and the aggregator reproduce the
provider's own 1-minute bars in at least 99% of regular-session minutes (regular-sale conditions "1" and
"20000001" and not suspicious for OHLC, every non-suspicious print for volume)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from tests.conftest import shared_file
from tests.integration.data.bars.golden import match_rate
from theo.adapters.sim.replay import ReplayFeed, fast_ticks
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.core.time import to_us
from theo.data.bars.aggregator import BarAggregator
from theo.data.bars.batch import BarArrays, aggregate_ticks
from theo.data.conditions import ConditionFilter
from theo.data.config import GateConfig
from theo.data.files import TickColumns
from theo.data.gate import QualityGate
from theo.data.rejection import Rejection
from theo.model.enums import SessionKind
from theo.model.market import Bar, Tick

CAL = get_calendar()
REPLAY_GATE = GateConfig(max_clock_skew_seconds=None)  # history has no wall clock to compare with


def _arrays(bars: list[Bar]) -> BarArrays:
    b = [x for x in bars if x.timeframe == "1m" and x.tick_count > 0]
    f = np.array
    return BarArrays(b[0].symbol, "1m", f([to_us(x.start) for x in b]), f([to_us(x.end) for x in b]),
                     f([x.open for x in b]), f([x.high for x in b]), f([x.low for x in b]), f([x.close for x in b]),
                     f([x.volume for x in b]), f([x.tick_count for x in b]), f([0] * len(b), dtype=np.int8),
                     f([True] * len(b)))


def test_ibm_ticks_streamed_through_gate_and_aggregator_match_the_provider_minutes() -> None:
    ticks = shared_file("lean/IBM_trades_tick_2013-10-07_2013-10-11.csv.gz")
    minutes = shared_file("lean/IBM_1min_2013-10-04_2013-10-11.csv.gz")
    clock = SimulatedClock()
    rejected: list[Rejection] = []
    gate = QualityGate(REPLAY_GATE, clock, lambda _s: CAL, on_reject=rejected.append)
    bars: list[Bar] = []
    agg = BarAggregator(["1m", "5m"], lambda _s: CAL, None, clock, timedelta(seconds=2), on_bar=bars.append,
                        on_quarantine=rejected.append, conditions=ConditionFilter())
    feed = ReplayFeed([(ticks, "IBM")], on_reject=rejected.append)
    n = 0
    for ev in feed.events():
        assert isinstance(ev, Tick)
        assert ev.source == "replay"
        n += 1
        ok = gate.check(ev)
        if ok is not None:
            agg.on_tick(ok)
    agg.flush()
    ohlc, both, minutes_n = match_rate(_arrays(bars), minutes, "IBM")
    assert minutes_n > 1900
    assert ohlc >= 0.99, f"OHLC match {ohlc:.4f}"
    assert both >= 0.985, f"OHLC+volume match {both:.4f}"
    # nothing lost: every replayed tick is in a 1-minute bar or was refused with a reason
    in_bars = sum(b.tick_count for b in bars if b.timeframe == "1m")
    assert in_bars + len([r for r in rejected if r.stage != "replay"]) == n
    assert all(r.reason for r in rejected)
    assert gate.flags["outlier"] < n * 0.002


def test_spy_full_file_through_the_vectorised_gate_and_aggregation_matches_the_provider(spy_cols) -> None:  # type: ignore[no-untyped-def]
    minutes = shared_file("lean/SPY_1min_2013-10-04_2013-10-11.csv.gz")
    gate = QualityGate(REPLAY_GATE, SimulatedClock(), lambda _s: CAL)
    keep, reasons = gate.check_columns("SPY", spy_cols.ts_us, spy_cols.price, spy_cols.size,
                                       trade_id=_line_ids(spy_cols), exchange=spy_cols.exchange,
                                       condition=spy_cols.condition)
    # 343,636 prints repeat another one exactly, but each file line is its own trade: no duplicate
    assert gate.rejections["duplicate"] == 0
    keep &= ~spy_cols.suspicious
    assert int(spy_cols.suspicious.sum()) == 10
    assert keep.sum() == len(spy_cols) - 10 - int((reasons != "").sum())
    bars = aggregate_ticks("SPY", spy_cols, "1m", CAL, ConditionFilter(), keep=keep)
    ohlc, both, n = match_rate(bars, minutes, "SPY")
    assert n == 1950
    assert ohlc >= 0.99, f"OHLC match {ohlc:.4f}"
    assert both >= 0.99, f"OHLC+volume match {both:.4f}"
    assert (bars.session == 1).sum() == 1950  # one bar per regular minute
    assert SessionKind.PRE in {b.session for b in bars.to_bars()[:5]}


def _line_ids(cols: TickColumns) -> np.ndarray:
    return cols.line.astype(str).astype(object)


def test_spy_prints_re_sent_after_a_reconnect_are_rejected_and_leave_the_kept_ticks_unchanged(spy_cols) -> None:  # type: ignore[no-untyped-def]
    day = CAL.session(date(2013, 10, 8))
    assert day is not None
    spy_cols = spy_cols.select((spy_cols.ts_us >= to_us(day.pre_open)) & (spy_cols.ts_us < to_us(
        day.post_close)))  # one real day keeps the test fast; the full file is checked above
    ids = _line_ids(spy_cols)
    clean = QualityGate(REPLAY_GATE, SimulatedClock(), lambda _s: CAL)
    keep_clean, _ = clean.check_columns("SPY", spy_cols.ts_us, spy_cols.price, spy_cols.size, trade_id=ids,
                                        exchange=spy_cols.exchange, condition=spy_cols.condition)
    assert len(spy_cols) > 300_000
    assert clean.rejections["duplicate"] == 0
    # at 10:00 on 2013-10-08 the feed drops and re-sends its last 300 prints (an adapter replaying its buffer)
    at = int(np.searchsorted(spy_cols.ts_us, to_us(datetime(2013, 10, 8, 14, 0, tzinfo=UTC))))
    resent = np.arange(at - 300, at)
    span_s = (spy_cols.ts_us[at - 1] - spy_cols.ts_us[at - 300]) / 1e6
    cols = [np.insert(a, at, a[resent]) for a in (spy_cols.ts_us, spy_cols.price, spy_cols.size,
                                                  spy_cols.exchange, spy_cols.condition, ids)]
    gate = QualityGate(REPLAY_GATE, SimulatedClock(), lambda _s: CAL)
    keep, reasons = gate.check_columns("SPY", cols[0], cols[1], cols[2], trade_id=cols[5], exchange=cols[3],
                                       condition=cols[4])
    assert set(reasons[at:at + 300].tolist()) == {"duplicate", "out_of_order"}
    tol = REPLAY_GATE.out_of_order_tolerance_seconds
    late = int((spy_cols.ts_us[resent] < spy_cols.ts_us[at - 1] - tol * 1e6).sum())
    assert span_s > tol  # some re-sent prints are within the tolerance, some beyond
    assert 0 < late < 300
    assert gate.rejections["duplicate"] == 300 - late
    assert gate.rejections["out_of_order"] == late + clean.rejections["out_of_order"]
    assert not keep[at:at + 300].any()
    # the kept ticks are exactly those of the clean feed, so the bars (and the provider match) are too
    assert np.array_equal(np.delete(keep, np.arange(at, at + 300)), keep_clean)


def test_spy_day_streamed_equals_the_vectorised_path(spy_cols) -> None:  # type: ignore[no-untyped-def]
    day = (spy_cols.ts_us >= to_us(CAL.session(__import__("datetime").date(2013, 10, 8)).pre_open)) & (
        spy_cols.ts_us < to_us(CAL.session(__import__("datetime").date(2013, 10, 8)).post_close))
    cols = spy_cols.select(day & ~spy_cols.suspicious)
    cf = ConditionFilter()
    bars: list[Bar] = []
    agg = BarAggregator(["1m", "15m"], lambda _s: CAL, None, SimulatedClock(), timedelta(seconds=2),
                        on_bar=bars.append, conditions=cf)
    for t in fast_ticks(cols, "replay"):
        agg.on_tick(t)
    agg.flush()
    for tf in ("1m", "15m"):
        batch = aggregate_ticks("SPY", cols, tf, CAL, cf).to_bars("replay")
        stream = [b for b in bars if b.timeframe == tf and b.tick_count > 0]
        assert len(batch) == len(stream) > 0
        assert [(b.start, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.flags) for b in batch] == [
            (b.start, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.flags) for b in stream]
