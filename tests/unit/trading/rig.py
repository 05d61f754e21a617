"""Test rig for trade management: the execution rig plus a TradeManager and tick/bar feeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.unit.execution.helpers import T0, Rig, make_rig
from theo.model.enums import Side
from theo.model.market import Bar, Tick
from theo.model.signals import Signal
from theo.risk.config import RiskConfig
from theo.trading.manager import TradeManager

D = Decimal


@dataclass
class TradingRig:
    rig: Rig
    manager: TradeManager

    def tick(self, ts: datetime, price: float, size: float = 1_000, symbol: str = "SPY") -> None:
        """One trade print: the manager reacts first, then the broker works orders against it."""
        if self.rig.clock.now() < ts:
            self.rig.clock.advance_to(ts)
        t = Tick(symbol, ts, price, size, "test")
        self.manager.on_tick(t)
        self.rig.broker.on_tick(t)

    def bar(self, b: Bar) -> None:
        if self.rig.clock.now() < b.end:
            self.rig.clock.advance_to(b.end)
        self.rig.broker.on_bar(b)
        self.manager.on_bar(b)


def make_trading_rig(tmp_path: Path, config: RiskConfig | None = None, *, start: datetime = T0,
                     store: bool = True, **kw: Any) -> TradingRig:
    rig = make_rig(tmp_path, start=start, state_file=None)
    mgr = TradeManager(rig.service, rig.clock, None, config or RiskConfig(), rig.bus,
                       rig.engine if store else None, **kw)
    return TradingRig(rig, mgr)


def signal(ts: datetime, price: float, side: Side = Side.BUY, *, stop: float | None = None,
           target: float | None = None, symbol: str = "SPY", strategy: str = "s1", exit: bool = False) -> Signal:
    return Signal(strategy, symbol, side, ts, price, "1m", stop_loss=stop, take_profit=target, exit=exit)
