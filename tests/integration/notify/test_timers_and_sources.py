"""Alerts that come from the clock and from the market rather than one bus message: the first and last tick of
a symbol's day, the daily summary after the close (exchange calendar, New York time), swing highs and lows;
and the engine's side of the contract: publishing never waits for Telegram."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TRADER, telegram_config, texts
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.time import to_us
from theo.model.market import Bar
from theo.node.notify.service import NotifierService
from theo.node.notify.swings import SwingWatch

OPEN = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # Monday 09:30 New York (EST)
EARLY_CLOSE = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # the day after Thanksgiving: closes at 13:00


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _service(fake: FakeBotApi, tmp_path: Path, engine: Engine, clock: Clock, **tg: Any) -> NotifierService:
    cfg = telegram_config(fake, tmp_path, [{"chat_id": TRADER, "role": "trader"}], commands=False, **tg)
    service = NotifierService(cfg, engine, clock=clock)
    service.start()
    return service


def test_first_tick_then_last_tick_after_the_close_then_the_summary(fake: FakeBotApi, tmp_path: Path,
                                                                   sqlite_engine: Engine) -> None:
    clock = Clock(OPEN)
    service = _service(fake, tmp_path, sqlite_engine, clock, summary_delay_minutes=15)
    n = service.notifier
    try:
        for i, price in enumerate((190.0, 190.5, 191.25)):
            n.tick("AAPL", to_us(OPEN + timedelta(minutes=i)), price)
        asyncio.run(n.timers())
        clock.now = OPEN + timedelta(hours=6, minutes=30)  # 16:00: closed, summary not yet due
        asyncio.run(n.timers())
        clock.now += timedelta(minutes=15)
        asyncio.run(n.timers())
        asyncio.run(n.timers())  # once only
        assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 3)
    finally:
        service.stop(drain_seconds=0.5)
    first, last, summary = texts(fake, TRADER)
    assert first == "First tick of the day: AAPL @ 190.00\n2026-03-02 09:30:00 ET"
    assert last == ("Last tick of the day: AAPL @ 191.25\n2026-03-02 09:32:00 ET · 3 ticks since "
                    "2026-03-02 09:30:00 ET")
    assert summary.startswith("Daily summary 2026-03-02\nclosed trades 0 (won 0, lost 0) · P&L 0.00 USD")
    assert "account 100,000.00 USD" in summary


def test_the_summary_follows_an_early_close_and_skips_days_not_watched(fake: FakeBotApi, tmp_path: Path,
                                                                       sqlite_engine: Engine) -> None:
    clock = Clock(EARLY_CLOSE + timedelta(hours=1))  # 10:30 New York
    service = _service(fake, tmp_path, sqlite_engine, clock, summary_delay_minutes=5)
    try:
        asyncio.run(service.notifier.timers())  # watching the session; Thursday (closed) was never watched
        clock.now = EARLY_CLOSE + timedelta(hours=3, minutes=30, seconds=1)  # 13:00:01: not yet
        asyncio.run(service.notifier.timers())
        assert fake.messages(TRADER) == []
        clock.now += timedelta(minutes=5)  # 13:05:01
        asyncio.run(service.notifier.timers())
        assert fake.wait_for(lambda: len(fake.messages(TRADER)) == 1)
    finally:
        service.stop(drain_seconds=0.5)
    assert texts(fake, TRADER)[0].startswith("Daily summary 2026-11-27")


def test_a_new_swing_high_becomes_one_alert(fake: FakeBotApi, tmp_path: Path, sqlite_engine: Engine) -> None:
    base = telegram_config(fake, tmp_path, [{"chat_id": TRADER, "kinds": ["swing"]}], commands=False)
    data = base.model_dump(mode="json")
    data["strategies"] = [{"type": "correlation", "name": "c", "primary": "SPY", "timeframe": "5m",
                           "correlated": [{"symbol": "QQQ"}], "swing_left": 2, "swing_right": 2}]
    cfg = TheoConfig.model_validate(data)
    service = NotifierService(cfg, sqlite_engine, clock=Clock(OPEN))
    bus = InMemoryBus(raise_errors=True)
    service.notifier.attach(bus)
    watch = SwingWatch.stored(cfg, bus, sqlite_engine)
    service.start()
    try:
        highs = [100, 101, 105, 102, 101, 100]
        for i, h in enumerate(highs):
            start = OPEN + timedelta(minutes=5 * i)
            bar = Bar("SPY", "5m", start, start + timedelta(minutes=5), h - 1, h, h - 2, h - 1, 1000)
            watch.on_bar(bar)
            watch.on_bar(bar)  # the same bar again (a replay): nothing new
        assert fake.wait_for(lambda: len(fake.messages(TRADER)) >= 1)
    finally:
        service.stop(drain_seconds=0.5)
    got = texts(fake, TRADER)
    assert len(got) == 1
    assert got[0].startswith("SPY 5m: new swing high 105.00 (2026-03-02 09:40 ET)")


def test_publishing_returns_while_telegram_hangs(fake: FakeBotApi, tmp_path: Path, sqlite_engine: Engine) -> None:
    service = _service(fake, tmp_path, sqlite_engine, Clock(OPEN), request_timeout=2)
    bus = InMemoryBus(raise_errors=True)
    service.notifier.attach(bus)
    fake.fail_next(1, status=200, delay=1.5)  # the first send hangs for 1.5 s, then succeeds
    try:
        for i in range(50):
            bus.publish("alerts", {"level": "warning", "text": f"w{i}"})
        # every publish has returned while the first request is still held by the server
        assert len(fake.messages(TRADER)) <= 1
        assert service.notifier.outbox.delivered == 0
        assert len(service.notifier.outbox) == 50
    finally:
        service.stop(drain_seconds=0.1)
