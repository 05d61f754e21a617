"""The fail-over rules on two scripted feeds merged by event time (deterministic, no wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.unit.data.failover.scripted import ListBackfill, ScriptedFeed, tape
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import get_calendar
from theo.data.failover.config import FeedsConfig
from theo.data.failover.events import FeedEventKind, FeedsAvailable, FeedsUnavailable, FeedSwitched
from theo.data.supervisor import FeedSupervisor
from theo.model.enums import SessionKind
from theo.model.market import Bar, Tick

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thursday 10:00 ET, regular session
HALF = timedelta(milliseconds=500)
CAL = get_calendar()


def supervise(primary: list[Any], secondary: list[Any], bus: InMemoryBus | None = None,
              backfill: ListBackfill | None = None, **cfg: Any) -> tuple[FeedSupervisor, list[Any]]:
    config = FeedsConfig(secondary="polygon", **{"stale_after_seconds": 2.0, "failback_after_seconds": 5.0, **cfg})
    sup = FeedSupervisor(ScriptedFeed("ibkr", primary), ScriptedFeed("polygon", secondary), config,
                         lambda _s: CAL, bus=bus, backfill=backfill)
    sup.subscribe(["SPY"])
    return sup, list(sup.events())


def recorded(bus: InMemoryBus) -> list[Any]:
    seen: list[Any] = []
    bus.subscribe("feed.*", lambda _t, m: seen.append(m))
    return seen


def test_silent_primary_hands_over_within_stale_after_and_takes_back_after_failback_delay() -> None:
    truth = [100 + k * 0.01 for k in range(120)]  # a print every 0.5 s for a minute, all distinct
    primary = [t for t in tape("SPY", T0, truth, HALF, "ibkr") if not T0 + timedelta(seconds=10) <= t.ts
               < T0 + timedelta(seconds=30)]
    secondary = tape("SPY", T0, truth, HALF, "polygon")
    bus = InMemoryBus()
    events = recorded(bus)
    sup, out = supervise(primary, secondary, bus)
    ticks = [e for e in out if isinstance(e, Tick)]
    assert [t.price for t in ticks] == truth  # the union of both feeds, each print once, in order
    by_source = [t.source for t in ticks]
    assert by_source == ["ibkr"] * 20 + ["polygon"] * 51 + ["ibkr"] * 49
    failover, failback = [e for e in events if isinstance(e, FeedSwitched)]
    assert (failover.kind, failover.source, failover.previous) == (FeedEventKind.FAILOVER, "polygon", "ibkr")
    assert failover.since == T0 + timedelta(seconds=9.5)  # the primary's last print
    assert failover.at == T0 + timedelta(seconds=11.5)  # stale after 2 s
    assert "no data from ibkr for 2.0 s" in failover.reason
    # the primary is seen fresh at the first look after its return (30.5 s), and trusted 5 s later
    assert (failback.kind, failback.source, failback.at) == (FeedEventKind.FAILBACK, "ibkr",
                                                             T0 + timedelta(seconds=35.5))
    assert not [e for e in events if isinstance(e, FeedsUnavailable)]
    assert sup.status()["failovers"] == 1
    assert sup.status()["failbacks"] == 1
    assert sup.status()["active"] == {"SPY": "ibkr"}


def test_both_feeds_silent_is_published_and_the_whole_minutes_missed_are_backfilled() -> None:
    before = tape("SPY", T0, [100.0, 100.1, 100.2], timedelta(seconds=1), "ibkr")
    back = T0 + timedelta(minutes=3, seconds=30)
    after = tape("SPY", back, [101.0, 101.1], timedelta(seconds=1), "ibkr")
    vendor = [Bar("SPY", "1m", T0 + timedelta(minutes=m), T0 + timedelta(minutes=m + 1), 100.5, 101, 100, 100.7, 500,
                  12, SessionKind.REGULAR, "vendor") for m in range(5)]
    fill = ListBackfill(vendor)
    bus = InMemoryBus()
    events = recorded(bus)
    _sup, out = supervise(before + after, [], bus, fill)
    [gone] = [e for e in events if isinstance(e, FeedsUnavailable)]
    [lit] = [e for e in events if isinstance(e, FeedsAvailable)]
    # replayed, the outage is seen at the next event (the wall-clock run sees it stale_after_seconds in)
    assert (gone.since, gone.at, lit.at, lit.source) == (T0 + timedelta(seconds=2), back, back, "ibkr")
    assert "no data from ibkr" in gone.reason
    assert "no data from polygon" in gone.reason
    assert fill.asked == [("SPY", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))]
    bars = [e for e in out if isinstance(e, Bar)]
    assert [(b.start, b.source, "backfill" in b.flags) for b in bars] == [
        (T0 + timedelta(minutes=1), "polygon", True), (T0 + timedelta(minutes=2), "polygon", True)]
    assert out.index(bars[0]) == 3  # before the first print after the gap
    assert [t.price for t in out if isinstance(t, Tick)] == [100.0, 100.1, 100.2, 101.0, 101.1]
