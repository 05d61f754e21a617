"""A live run (``theo run --broker ibkr``'s LiveRun) on the fake TWS, at a chosen moment of a trading session.

The wall clock is shifted into a regular session (the fake's clock by the same amount), so a test sees bars
close, signals fire and orders fill whatever the time of day it runs at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.tws import FakeTws
from theo.config import TheoConfig, load_config
from theo.core.clock import LiveClock
from theo.model.enums import Side
from theo.model.market import Bar
from theo.model.signals import Signal
from theo.strategy.base import Strategy

#: Wednesday 2026-12-02, 10:00:55 ET: five seconds before a 1-minute bar closes.
SESSION_MOMENT = datetime(2026, 12, 2, 15, 0, 55, tzinfo=UTC)


class ShiftedClock(LiveClock):
    """The wall clock moved by a fixed offset (it still runs at wall speed)."""

    def __init__(self, offset: timedelta) -> None:
        super().__init__()
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def shifted(fake: FakeTws, moment: datetime = SESSION_MOMENT) -> ShiftedClock:
    """A clock at ``moment`` now, and the fake's clock moved with it."""
    offset = moment - datetime.now(UTC)
    fake.advance(offset.total_seconds())
    return ShiftedClock(offset)


class BuyFirstBar(Strategy):
    """Buys on the first closed 1-minute bar of ``symbol`` with a stop 2 below and a target 3 above its close."""

    name = "probe"

    def __init__(self, symbol: str = "AAPL") -> None:
        self.symbol = symbol
        self.bars: list[Bar] = []

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [(self.symbol, "1m")]

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        self.bars.append(bar)
        if len(self.bars) > 1 or not bar.tick_count:
            return ()
        return [Signal(self.name, bar.symbol, Side.BUY, bar.end, bar.close, "1m", stop_loss=bar.close - 2,
                       take_profit=bar.close + 3, reason="first bar")]

    def reset(self) -> None:
        self.bars.clear()


def live_config(tmp: Path, port: int, **ibkr: Any) -> tuple[Path, TheoConfig]:
    """A config file for a live run on the fake: SQLite under ``tmp``, one strategy named ``probe`` on AAPL."""
    settings = {"port": port, "connect_timeout_seconds": 2, "request_timeout_seconds": 2,
                "reconnect_initial_seconds": 0.05, "reconnect_max_seconds": 0.2, "probe_seconds": 0.5,
                "down_alert_seconds": 1, "daily_restart": '"none"', "commission_wait_seconds": 0.3, **ibkr}
    lines = "\n".join(f"{k} = {v}" for k, v in settings.items())
    path = tmp / "theo.toml"
    path.write_text(f"""
[app]
data_dir = "{tmp / 'var'}"
[api]
enabled = false
[marketdata.bars]
lateness_seconds = 0
[engine]
heartbeat_seconds = 0.5
[execution]
broker = "ibkr"
[execution.ibkr]
{lines}
[risk.trade]
sweep_seconds = 0.5
[[strategies]]
type = "donchian_breakout"
name = "probe"
symbols = ["AAPL"]
timeframe = "1m"
quantity = 10
""", encoding="utf-8")
    return path, load_config(path)
