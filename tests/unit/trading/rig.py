"""Test rig for trade management: the execution rig plus a TradeManager, fed ticks and bars as the node feeds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.unit.execution.helpers import T0, Rig, make_rig
from theo.model.enums import SessionKind, Side
from theo.model.market import Bar, Tick
from theo.model.orders import Order
from theo.model.signals import Signal
from theo.persistence.repositories.decisions import DecisionRepository
from theo.persistence.repositories.trades import SqlTradeStore
from theo.persistence.repositories.trading_state import TradingStateRepository
from theo.risk.config import RiskConfig
from theo.risk.decisions import DecisionLog
from theo.risk.state import TradingState
from theo.trading.manager import TradeManager

D = Decimal


@dataclass
class TradingRig:
    rig: Rig
    manager: TradeManager

    def tick(self, ts: datetime, price: float, size: float = 1_000, symbol: str = "SPY") -> None:
        """One trade print as the node handles it: due timers fire, the broker works the print, the trade
        manager sees it (risk reduction), then it marks the account."""
        if self.rig.clock.now() < ts:
            self.rig.clock.advance_to(ts)
        self.rig.broker.on_tick(Tick(symbol, ts, price, size, "test"))
        self.manager.on_item(symbol, price, price)
        self.manager.portfolio.mark(symbol, price)

    def bar(self, b: Bar) -> None:
        """One bar as the node handles it: its open step at its start (after the timers due then), its range
        step at its end, then the trade manager and the marks, then the timers due at its end."""
        clock, broker = self.rig.clock, self.rig.broker
        regular = b.session is SessionKind.REGULAR
        clock.advance_to(b.start)
        broker.work_open(b.symbol, b.start, b.open, b.volume, regular)
        clock.move_to(b.end)
        broker.work_range(b.symbol, b.start, b.end, b.open, b.high, b.low, b.close, b.volume, regular)
        self.manager.on_item(b.symbol, b.high, b.low)
        self.manager.portfolio.mark(b.symbol, b.close)
        clock.advance_to(b.end)

    def order(self, client_order_id: str) -> Order:
        found = self.rig.service.lookup(client_order_id)
        assert found is not None, client_order_id
        return found


def make_manager(rig: Rig, config: RiskConfig | None = None, *, store: bool = True, **kw: Any) -> TradeManager:
    """A trade manager on the rig's service, with its records in the rig's store (as ``theo run`` has them)."""
    cfg = config or RiskConfig()
    engine = rig.engine
    return TradeManager(rig.service, rig.clock, cfg, bus=rig.bus, store=SqlTradeStore(engine) if store else None,
                        state=TradingState(rig.clock, store=TradingStateRepository(engine), bus=rig.bus,
                                           rate=cfg.rate_limit),
                        decisions=DecisionLog(DecisionRepository(engine)), **kw)


def make_trading_rig(tmp_path: Path, config: RiskConfig | None = None, *, start: datetime = T0,
                     store: bool = True, state_file: str | None = None, **kw: Any) -> TradingRig:
    rig = make_rig(tmp_path, start=start, state_file=state_file)
    return TradingRig(rig, make_manager(rig, config, store=store, **kw))


def signal(ts: datetime, price: float, side: Side = Side.BUY, *, stop: float | None = None,
           target: float | None = None, symbol: str = "SPY", strategy: str = "s1", exit: bool = False) -> Signal:
    return Signal(strategy, symbol, side, ts, price, "1m", stop_loss=stop, take_profit=target, exit=exit)
