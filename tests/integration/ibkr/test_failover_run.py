"""``theo run --broker ibkr`` with ``[feeds] secondary = "polygon"``: IBKR (the fake TWS) as the primary and
Polygon (the fake Polygon server) as the secondary, both through their real clients (ib_async, massive).

Both fakes print the same trades (IBKR stamps whole seconds, Polygon milliseconds, each with its own ids):
the primary goes silent -> the symbol moves to Polygon within stale_after -> IBKR returns -> it moves back
after failback_after; then both go silent -> REDUCING with an alert, minutes pass -> data again -> ACTIVE,
and the whole minutes nobody delivered are backfilled from Polygon's REST aggregates. The store then holds
every print once with the feed that delivered it, the switches in feed_events and the backfilled bars. An
operator's HALT outlives an outage.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.polygon.server import FakePolygon
from tests.fakes.tws import FakeTws
from tests.integration.ibkr.failover_support import (
    KEY,
    KEY_ENV,
    Tape,
    both_subscribed,
    failover_config,
    serve_minutes,
    until,
)
from tests.integration.ibkr.live import shifted
from theo.cli.common import open_store
from theo.data.failover.backfill import whole_minutes
from theo.model.market import Bar
from theo.model.signals import Signal
from theo.node.live import LiveRun
from theo.persistence.models.core import BarRow, TickRow
from theo.persistence.models.marketdata import FeedEventRow
from theo.risk.state import State
from theo.strategy.base import Strategy

pytestmark = pytest.mark.slow


class Watch(Strategy):
    """Subscribes AAPL and never trades: the test is about the data."""

    name = "probe"

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [("AAPL", "1m")]

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        return ()

    def reset(self) -> None:
        pass


def test_primary_silent_fails_over_and_back_and_the_store_holds_every_print_once(tmp_path: Path) -> None:
    os.environ[KEY_ENV] = KEY

    async def go() -> None:
        tws = await FakeTws().start()
        clock = shifted(tws)
        async with FakePolygon(keys={KEY}) as polygon:
            cfg = failover_config(tmp_path, tws.port, polygon)
            serve_minutes(polygon, clock.now())
            db = open_store(cfg)
            run = LiveRun(cfg, db, clock=clock, strategies=[Watch()])
            assert run.supervisor is not None
            sup = run.supervisor
            task = asyncio.ensure_future(run.run())
            tape = Tape(tws, polygon, clock)
            state = run.node.manager.state
            try:
                await both_subscribed(tws, polygon)
                await tape.play(1.0, primary=True, secondary=True)
                await tape.play(2.5, primary=False, secondary=True)
                assert sup.status()["active"] == {"AAPL": "polygon"}
                await tape.play(2.5, primary=True, secondary=True)
                assert sup.status()["active"] == {"AAPL": "ibkr"}
                assert sup.status()["failovers"] == sup.status()["failbacks"] >= 1
                assert state.state is State.ACTIVE
                resumed = len(tape.times)  # the first print after the outage
                await until(lambda: state.state is State.REDUCING, 4, "REDUCING")  # both silent
                assert any("REDUCING" in text for _, _, text in run.alerts)
                clock.offset += timedelta(seconds=200)  # minutes pass with nothing from either feed
                tws.advance(200)
                await tape.play(0.5, primary=True, secondary=True)
                await until(lambda: state.state is State.ACTIVE, 2, "ACTIVE again")
                await until(lambda: sup.backfilled > 0, 5, "the backfill")
            finally:
                run.stop.set()
                await asyncio.wait_for(task, 15)
                await tws.stop()
            # IBKR (active at both ends) stamps whole seconds: the gap runs between those stamps
            last_before = tape.times[resumed - 1].replace(microsecond=0)
            first_after = tape.times[resumed].replace(microsecond=0)
        with db.engine.connect() as conn:
            rows = conn.execute(select(TickRow.price, TickRow.source).where(TickRow.symbol == "AAPL")).all()
            events = conn.execute(select(FeedEventRow.kind, FeedEventRow.ts, FeedEventRow.since, FeedEventRow.source)
                                  .order_by(FeedEventRow.id)).all()
            filled = conn.execute(select(BarRow.start, BarRow.source, BarRow.flags, BarRow.volume).where(
                BarRow.symbol == "AAPL", BarRow.timeframe == "1m", BarRow.flags.contains("backfill"))).all()
        assert sorted(p for p, _ in rows) == tape.prices  # the union of both feeds, every print once
        assert {s for _, s in rows} == {"ibkr", "polygon"}
        kinds = [e.kind for e in events if e.kind not in ("stale", "resumed")]  # the gate's rows interleave by timing
        # in this order (a loaded machine that stalls the loop for seconds may add a flap in between)
        assert kinds[0] == "failover"
        assert kinds[-2:] == ["unavailable", "available"]
        assert "failback" in kinds
        failover = next(e for e in events if e.kind == "failover")
        assert failover.source == "polygon"
        lag = (failover.ts - failover.since).total_seconds()
        assert 1.5 <= lag < 4.0  # stale after 1.5 s of silence (the primary's time is whole seconds)
        span = whole_minutes(last_before, first_after)
        assert span is not None
        expected = int((span[1] - span[0]) / timedelta(minutes=1))
        assert expected >= 2
        assert len(filled) == expected  # every whole minute of the gap, stored from Polygon's REST
        assert all(b.source == "polygon" and b.volume == 5000 for b in filled)
        assert all(span[0] <= b.start.replace(tzinfo=span[0].tzinfo) < span[1] for b in filled)

    asyncio.run(go())


def test_an_operators_halt_outlives_a_data_outage(tmp_path: Path) -> None:
    os.environ[KEY_ENV] = KEY

    async def go() -> None:
        tws = await FakeTws().start()
        clock = shifted(tws)
        async with FakePolygon(keys={KEY}) as polygon:
            cfg = failover_config(tmp_path, tws.port, polygon)
            run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[Watch()])
            task = asyncio.ensure_future(run.run())
            tape = Tape(tws, polygon, clock)
            try:
                await both_subscribed(tws, polygon)
                await tape.play(0.5, primary=True, secondary=True)
                state = run.node.manager.state
                state.halt("checking the account", "ann")
                await until(lambda: any("stays HALTED" in t for _, _, t in run.alerts), 3, "the outage alert")
                await tape.play(0.5, primary=True, secondary=False)
                await until(lambda: any("fresh again" in t for _, _, t in run.alerts), 2, "the recovery alert")
                assert state.state is State.HALTED
                assert state.history[-1].actor == "ann"
            finally:
                run.stop.set()
                await asyncio.wait_for(task, 15)
                await tws.stop()

    asyncio.run(go())
