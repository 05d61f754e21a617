from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from tests.unit.data.bars.helpers import et
from theo.core.bus import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.core.time import from_us, to_us
from theo.data.config import GateConfig
from theo.data.gate import FeedResumed, FeedStale, QualityGate
from theo.data.rejection import Rejection
from theo.model.market import Tick

CAL = get_calendar()
T0 = et(2013, 10, 7, 10, 0)


def _gate(**cfg: object) -> tuple[QualityGate, list[Rejection], SimulatedClock, list[tuple[str, object]]]:
    clock = SimulatedClock(T0)
    bus = InMemoryBus(raise_errors=True)
    events: list[tuple[str, object]] = []
    bus.subscribe("feed.*", lambda t, m: events.append((t, m)))
    out: list[Rejection] = []
    return QualityGate(GateConfig(**cfg), clock, lambda _s: CAL, bus, out.append), out, clock, events  # type: ignore[arg-type]


def _t(ts_s: float, price: float = 100.0, size: float = 100.0, source: str = "ibkr", sym: str = "SPY") -> Tick:
    return Tick(sym, T0 + timedelta(seconds=ts_s), price, size, source, "P", "1")


@pytest.mark.parametrize(("price", "size", "reason"), [
    (math.nan, 1.0, "bad_price"), (math.inf, 1.0, "bad_price"), (0.0, 1.0, "bad_price"), (-1.0, 1.0, "bad_price"),
    (100.0, -1.0, "bad_size"), (100.0, math.nan, "bad_size")])
def test_bad_prices_and_sizes_are_rejected_with_a_readable_reason(price: float, size: float, reason: str) -> None:
    gate, out, _, _ = _gate()
    assert gate.check(_t(0, price, size)) is None
    assert gate.rejections[reason] == 1
    assert out[0].reason == reason
    assert "SPY from ibkr" in out[0].detail


def test_clock_skew_and_outside_session_are_rejected() -> None:
    gate, out, _, _ = _gate(max_clock_skew_seconds=60)
    assert gate.check(_t(120)) is None
    assert out[-1].reason == "clock_skew"
    assert "+120.000s" in out[-1].detail
    gate2, out2, _, _ = _gate(max_clock_skew_seconds=None)
    assert gate2.check(Tick("SPY", et(2013, 10, 5, 12, 0), 100.0, 1.0, "x")) is None  # a Saturday
    assert out2[-1].reason == "outside_session"
    assert gate2.check(_t(5000)) is not None


def test_out_of_order_beyond_tolerance_is_rejected_within_it_passes() -> None:
    gate, out, _, _ = _gate(out_of_order_tolerance_seconds=2.0)
    assert gate.check(_t(10)) is not None
    assert gate.check(_t(8.5)) is not None
    assert gate.check(_t(7.9)) is None
    assert out[-1].reason == "out_of_order"


def test_the_same_print_from_a_second_feed_is_a_duplicate_but_identical_prints_of_one_feed_are_not() -> None:
    gate, out, _, _ = _gate()
    assert gate.check(_t(1, source="ibkr")) is not None
    assert gate.check(_t(1, source="ibkr")) is not None  # the tape repeats identical prints
    assert gate.check(_t(1, source="polygon")) is None
    assert gate.check(_t(1, source="polygon")) is None
    assert gate.check(_t(1, source="polygon")) is not None  # a third print the primary never sent
    assert [r.reason for r in out] == ["duplicate", "duplicate"]
    assert "ibkr" in out[0].detail


def test_a_print_delivered_twice_with_the_same_trade_id_is_a_duplicate() -> None:
    gate, out, _, _ = _gate()

    def t(trade_id: str, source: str = "polygon", price: float = 100.0) -> Tick:
        return Tick("SPY", T0, price, 100.0, source, "P", "1", None, trade_id)

    assert gate.check(t("71")) is not None
    assert gate.check(t("72")) is not None  # identical print, another trade: real volume
    assert gate.check(t("71")) is None  # re-sent after a reconnect
    assert gate.check(t("71", price=100.01)) is not None  # same id, another print: not an exact duplicate
    assert gate.check(t("")) is not None  # no id: the tape repeats prints, so it passes
    assert gate.check(t("71", source="ibkr")) is None  # a second feed's copy of a print polygon delivered
    assert [r.reason for r in out] == ["duplicate", "duplicate"]
    assert "trade id 71 was already delivered by this feed" in out[0].detail
    assert "already delivered by another feed (polygon)" in out[1].detail
    assert gate.rejections["duplicate"] == 2
    assert gate.passed == 4


def test_a_resent_copy_does_not_count_as_a_new_print_for_the_fail_over_rule() -> None:
    gate, out, _, _ = _gate()
    a = Tick("SPY", T0, 100.0, 100.0, "ibkr", "P", "1", None, "1")
    b = Tick("SPY", T0, 100.0, 100.0, "polygon", "P", "1", None, "x9")
    assert gate.check(a) is not None
    assert gate.check(a) is None  # ibkr re-sends it: one print, not two
    assert gate.check(b) is None  # polygon's copy of that one print
    assert [r.reason for r in out] == ["duplicate", "duplicate"]


def test_check_columns_rejects_the_same_duplicates_as_check() -> None:
    rng = np.random.default_rng(9)
    n = 2000
    ts = np.sort(to_us(T0) + rng.integers(0, 600_000_000, n) // 1000 * 1000).astype(np.int64)
    price = np.round(100 + np.cumsum(rng.choice([-0.01, 0.0, 0.01], n)), 2)
    size = rng.choice([100.0, 200.0], n)
    exchange = rng.choice(np.array(["P", "Q"], dtype=object), n)
    condition = np.full(n, "1", dtype=object)
    trade_id = np.array([str(i) for i in range(n)], dtype=object)
    trade_id[::7] = ""  # a feed without ids for some prints
    # a reconnect re-sends 50 prints (same ids), one of them also too late for the out-of-order tolerance
    src = np.arange(1050, 1100)
    at = 1100
    ts, price, size, exchange, condition, trade_id = (
        np.insert(a, at, a[src]) for a in (ts, price, size, exchange, condition, trade_id))
    vec, vec_out, _, _ = _gate(max_clock_skew_seconds=None, out_of_order_tolerance_seconds=10)
    keep, reasons = vec.check_columns("SPY", ts, price, size, trade_id=trade_id, exchange=exchange,
                                      condition=condition, source="polygon")
    one, one_out, _, _ = _gate(max_clock_skew_seconds=None, out_of_order_tolerance_seconds=10)

    got = [one.check(Tick("SPY", from_us(int(t)), float(p), float(s), "polygon", e, c, None, i)) is not None
           for t, p, s, e, c, i in zip(ts, price, size, exchange, condition, trade_id, strict=True)]
    assert keep.tolist() == got
    assert vec.rejections == one.rejections
    assert [(r.reason, r.tick.trade_id, r.tick.exchange) for r in vec_out] == [
        (r.reason, r.tick.trade_id, r.tick.exchange) for r in one_out]
    dup = next(r for r in vec_out if r.reason == "duplicate")
    assert dup.detail == f"SPY from polygon: trade id {dup.tick.trade_id} was already delivered by this feed"
    resent_with_id = sum(1 for i in src if trade_id[i] != "")
    assert 0 < vec.rejections["duplicate"] <= resent_with_id
    assert vec.rejections["out_of_order"] > 0  # the oldest re-sent prints are beyond the tolerance
    assert set(reasons[at:at + 50].tolist()) <= {"duplicate", "out_of_order", ""}
    # without ids the columns of one feed have no duplicates at all (identical prints are real trades)
    plain, _, _, _ = _gate(max_clock_skew_seconds=None, out_of_order_tolerance_seconds=10)
    keep2, _ = plain.check_columns("SPY", ts, price, size)
    assert plain.rejections["duplicate"] == 0
    assert keep2[at:at + 50].any()


def test_zscore_outliers_are_flagged_but_pass() -> None:
    gate, out, _, _ = _gate(zscore_window=50, zscore_threshold=6.0)
    rng = np.random.default_rng(0)
    price = 100.0
    for i in range(200):
        price *= math.exp(rng.normal(0, 1e-4))
        assert gate.check(_t(i * 0.1, price)) is not None
    assert gate.flags["outlier"] == 0
    assert gate.check(_t(30, price * 1.02)) is not None
    assert gate.flags["outlier"] == 1
    assert gate.recent_flags[-1].reason == "outlier"
    assert out == []


def test_settlement_far_from_the_last_trade_is_flagged() -> None:
    gate, _, _, _ = _gate(settlement_tolerance_pct=0.5)
    gate.check(_t(0, 100.0))
    assert gate.check_settlement("SPY", 100.4, T0) is None
    flag = gate.check_settlement("SPY", 101.0, T0)
    assert flag is not None
    assert flag.reason == "settlement_mismatch"
    assert "1.00%" in flag.detail
    assert gate.flags["settlement_mismatch"] == 1


def test_gap_publishes_stale_then_resumed_only_while_the_market_is_open() -> None:
    gate, _, _clock, events = _gate(stale_after_seconds=30)
    gate.check(_t(0))
    gate.on_time(T0 + timedelta(seconds=29))
    assert events == []
    gate.on_time(T0 + timedelta(seconds=31))
    gate.on_time(T0 + timedelta(seconds=50))  # published once
    assert [t for t, _ in events] == ["feed.stale"]
    stale = events[0][1]
    assert isinstance(stale, FeedStale)
    assert stale.since == T0
    assert stale.source == "ibkr"
    gate.check(_t(60))
    assert [t for t, _ in events] == ["feed.stale", "feed.resumed"]
    resumed = events[1][1]
    assert isinstance(resumed, FeedResumed)
    assert resumed.at == T0 + timedelta(seconds=60)
    # after the close nothing is stale: the market is shut
    gate2, _, _, events2 = _gate(stale_after_seconds=30)
    gate2.check(Tick("SPY", et(2013, 10, 7, 15, 59, 50), 100.0, 1.0, "ibkr"))
    gate2.on_time(et(2013, 10, 7, 16, 30))
    assert events2 == []


def test_check_columns_applies_the_same_rules_as_check() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    ts = np.sort(to_us(T0) + rng.integers(0, 3_600_000_000, n)).astype(np.int64)
    ts[500] -= 10_000_000  # out of order
    ts[900] = to_us(et(2013, 10, 7, 21, 0))  # outside sessions (and so it does not move "newest")
    price = 100 * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
    price[100], price[200] = np.nan, -1.0
    price[1500] *= 1.05
    size = rng.integers(1, 100, n).astype(float)
    size[300] = -5
    vec, vec_out, _, _ = _gate(max_clock_skew_seconds=None, zscore_window=100)
    keep, reasons = vec.check_columns("SPY", ts, price, size, source="file")
    one, one_out, _, _ = _gate(max_clock_skew_seconds=None, zscore_window=100)

    got = [one.check(Tick("SPY", from_us(int(t)), float(p), float(s), "file")) is not None
           for t, p, s in zip(ts, price, size, strict=True)]
    assert keep.tolist() == got
    assert vec.rejections == one.rejections
    assert set(reasons[~keep].tolist()) == {"bad_price", "bad_size", "out_of_order", "outside_session"}
    # every refused row is kept with its reason, as the tick-by-tick gate does
    assert [(r.reason, r.tick.ts, r.tick.size) for r in vec_out] == [(r.reason, r.tick.ts, r.tick.size)
                                                                     for r in one_out]
    assert len(vec_out) == int((~keep).sum()) == 5
    details = {r.reason: r.detail for r in vec_out}
    assert details["bad_size"] == "SPY from file: size -5.0 is negative or not finite"
    assert "is outside every XNYS session" in details["outside_session"]
    assert vec.flags["outlier"] == one.flags["outlier"] >= 1


def test_a_watched_symbol_that_never_ticks_goes_stale_after_the_open() -> None:
    gate, _, _, events = _gate(stale_after_seconds=60)
    gate.watch(["IBM"], source="ibkr")
    gate.on_time(et(2013, 10, 7, 9, 30, 30))
    assert events == []
    gate.on_time(et(2013, 10, 7, 9, 31, 0))
    (topic, ev), = events
    assert topic == "feed.stale"
    assert isinstance(ev, FeedStale)
    assert (ev.symbol, ev.source, ev.since) == ("IBM", "ibkr", et(2013, 10, 7, 9, 30))
