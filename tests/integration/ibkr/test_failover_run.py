"""``theo run --broker ibkr`` with a fail-over feed: IBKR (the fake TWS, real ib_async) as the primary.

The secondary is a scripted in-test feed delivering the same prints (millisecond times, its own trade ids):
the primary goes silent -> the symbol moves to the secondary within stale_after -> IBKR returns -> it moves
back after failback_after; the ticks stored are every print once, each with the feed that delivered it. Then
both go silent -> REDUCING with an alert -> data again -> ACTIVE; and an operator's HALT stays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.tws import FakeTws
from tests.integration.ibkr.live import ShiftedClock, live_config, shifted
from tests.unit.data.failover.scripted import ScriptedFeed
from theo.cli.common import open_store
from theo.config import TheoConfig
from theo.model.market import Bar, Tick
from theo.model.signals import Signal
from theo.node.live import LiveRun
from theo.persistence.models.core import TickRow
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


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def failover_config(tmp: Path, port: int) -> TheoConfig:
    path, _ = live_config(tmp, port)
    path.write_text(path.read_text(encoding="utf-8") + """
[feeds]
stale_after_seconds = 1.0
failback_after_seconds = 1.0
check_every_seconds = 0.05
""", encoding="utf-8")
    from theo.config import load_config

    return load_config(path)


class Tape:
    """Prints of AAPL with unique prices, sent to the fake TWS and/or the secondary feed."""

    def __init__(self, fake: FakeTws, secondary: ScriptedFeed, clock: ShiftedClock) -> None:
        self.fake, self.secondary, self.clock = fake, secondary, clock
        self.prices: list[float] = []

    async def play(self, seconds: float, *, primary: bool, secondary: bool) -> None:
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            price = round(100 + len(self.prices) * 0.01, 2)
            now: datetime = self.clock.now()
            if primary:
                self.fake.push_trade("AAPL", price, 100, ts=now)
            if secondary:
                self.secondary.push(Tick("AAPL", now, price, 100, "polygon", "", "", self.clock.now(),
                                         f"p{len(self.prices)}"))
            if primary or secondary:
                self.prices.append(price)
            await asyncio.sleep(0.05)


def test_primary_silent_fails_over_and_back_and_the_store_holds_every_print_once(tmp_path: Path) -> None:
    async def go() -> None:
        fake = await FakeTws().start()
        clock = shifted(fake)
        cfg = failover_config(tmp_path, fake.port)
        db = open_store(cfg)
        secondary = ScriptedFeed("polygon")
        run = LiveRun(cfg, db, clock=clock, strategies=[Watch()], secondary=secondary)
        assert run.supervisor is not None
        task = asyncio.ensure_future(run.run())
        tape = Tape(fake, secondary, clock)
        try:
            await until(lambda: bool(fake.subscriptions("tbt")), 8, "the tick-by-tick subscription")
            await tape.play(1.0, primary=True, secondary=True)
            await tape.play(2.0, primary=False, secondary=True)
            assert run.supervisor.status()["active"] == {"AAPL": "polygon"}
            await tape.play(2.5, primary=True, secondary=True)
            assert run.supervisor.status()["active"] == {"AAPL": "ibkr"}
            assert run.supervisor.status()["failovers"] == 1
            assert run.supervisor.status()["failbacks"] == 1
            state = run.node.manager.state
            assert state.state is State.ACTIVE
            await asyncio.sleep(1.5)  # both silent
            await until(lambda: state.state is State.REDUCING, 2, "REDUCING")
            assert any("REDUCING" in text for _, _, text in run.alerts)
            await tape.play(0.3, primary=True, secondary=True)
            await until(lambda: state.state is State.ACTIVE, 2, "ACTIVE again")
        finally:
            run.stop.set()
            await asyncio.wait_for(task, 15)
            await fake.stop()
        with db.engine.connect() as conn:
            rows = conn.execute(select(TickRow.price, TickRow.source).where(TickRow.symbol == "AAPL")).all()
            events = conn.execute(select(FeedEventRow.kind, FeedEventRow.ts, FeedEventRow.since, FeedEventRow.source)
                                  .order_by(FeedEventRow.id)).all()
        assert sorted(p for p, _ in rows) == tape.prices  # the union of both feeds, every print once
        assert {s for _, s in rows} == {"ibkr", "polygon"}
        kinds = [e.kind for e in events]
        assert kinds[:2] == ["failover", "failback"]
        assert "unavailable" in kinds
        assert "available" in kinds
        failover = events[0]
        assert failover.source == "polygon"
        lag = (failover.ts - failover.since).total_seconds()
        assert 1.0 <= lag < 2.5  # stale after 1 s of silence (the primary's time is whole seconds)

    asyncio.run(go())


def test_an_operators_halt_outlives_a_data_outage(tmp_path: Path) -> None:
    async def go() -> None:
        fake = await FakeTws().start()
        clock = shifted(fake)
        cfg = failover_config(tmp_path, fake.port)
        secondary = ScriptedFeed("polygon")
        run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[Watch()], secondary=secondary)
        task = asyncio.ensure_future(run.run())
        tape = Tape(fake, secondary, clock)
        try:
            await until(lambda: bool(fake.subscriptions("tbt")), 8, "the tick-by-tick subscription")
            await tape.play(0.5, primary=True, secondary=True)
            state = run.node.manager.state
            state.halt("checking the account", "ann")
            await asyncio.sleep(1.5)
            await until(lambda: any("stays HALTED" in t for _, _, t in run.alerts), 2, "the outage alert")
            await tape.play(0.5, primary=True, secondary=False)
            await asyncio.sleep(0.3)
            assert state.state is State.HALTED
            assert state.history[-1].actor == "ann"
        finally:
            run.stop.set()
            await asyncio.wait_for(task, 15)
            await fake.stop()

    asyncio.run(go())
