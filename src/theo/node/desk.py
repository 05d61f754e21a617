"""The engine's trading desk: signals become trades through the issue-5/6 stack, the same in every mode.

:class:`BrokerDesk` wires :class:`~theo.trading.manager.TradeManager` (with its
:class:`~theo.risk.checks.PreTradeChecks`), :class:`~theo.execution.service.OrderService`, the
:class:`~theo.execution.journal.OrderJournal` and a broker. Only the broker adapter and the databases differ by
mode (chosen in :func:`theo.node.kernel.build_engine`):

* ``backtest``: the simulated broker with its state in memory, journal and trade store in a scratch
  in-memory SQLite database (the output folder is the record);
* ``paper`` (``theo run``): the simulated broker with its state file, journal and trades in the configured
  database, the single-writer lock, so ``theo orders``, ``theo positions``, ``theo report deals`` and
  ``theo risk`` show the run;
* ``live`` (the IBKR issue): the IBKR adapter instead of the simulated broker, nothing else changes.

For each bar or tick the trade manager first checks its trades, then the broker works the orders against it
(a tick: an exit sent at a crossing tick fills at that tick; a bar: an exit found on a bar fills at the next
bar's open, an entry sent at a bar's close fills at the next bar's open). The desk mirrors orders and trades
into the engine's :class:`~theo.node.records.Journal`, from which the run status and the backtest outputs
are written.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as DbEngine

from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.clock import SimulatedClock
from theo.core.errors import OrderError, RiskDenied
from theo.execution import ids
from theo.execution.broker import Broker
from theo.execution.journal import OrderJournal
from theo.execution.lock import SingleWriterLock
from theo.execution.service import OrderService
from theo.model.enums import OrderStatus
from theo.model.instruments import Instrument, equity
from theo.model.market import Bar, Tick
from theo.model.money import ZERO
from theo.model.orders import Order
from theo.model.trades import ExitReason, Trade, TradeStatus
from theo.node.records import Journal, OrderRecord, TradeRecord
from theo.strategy.base import Signal
from theo.trading.manager import TradeManager

log = logging.getLogger(__name__)

#: Exit reason of a trade -> the name the engine's records and reports use (an order's purpose is its tag
#: with hyphens: ``entry``, ``stop-loss``, ``take-profit``, ``exit-rule``, ``time-exit``, ``risk-reduction``...).
REASONS = {ExitReason.STOP_LOSS: "stop-loss", ExitReason.PROFIT_TARGET: "take-profit",
           ExitReason.TRAILING_STOP: "trailing-stop"}
ENTRY_NOTE = "position already open or entry working"
EXIT_NOTE = "no matching open position"


def signal_id(sig: Signal) -> int:
    """A stable 62-bit id of a signal (strategy, symbol, side, kind, time): its entry order id follows from it,
    so the same signal seen again after a restart finds its order instead of sending another, and a paper
    replay names its orders and trades as the backtest of the same data does."""
    key = f"{sig.strategy}|{sig.symbol}|{sig.side.value}|{int(sig.exit)}|{sig.ts.isoformat()}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) >> 2


def instruments_for(symbols: list[str]) -> dict[str, Instrument]:
    """Instruments of the engine's symbols: U.S. stocks and ETFs (risk, margin and charges treat them alike)."""
    return {s: equity(s) for s in symbols}


@dataclass
class DeskParts:
    """What differs by mode: the broker adapter, the database and the lock."""

    broker: Broker
    db: DbEngine
    lock: SingleWriterLock | None = None
    store_trades: bool = True


class BrokerDesk:
    """Routes the engine's signals to the trade manager and its market data to the manager and the broker."""

    def __init__(self, config: TheoConfig, clock: SimulatedClock, bus: InMemoryBus, journal: Journal,
                 instruments: Mapping[str, Instrument], parts: DeskParts, ss_types: Mapping[str, str]) -> None:
        self.config = config
        self.clock = clock
        self.bus = bus
        self.journal = journal
        self.broker = parts.broker
        # Adapters that work orders against our market data (the simulated broker) take every bar and tick.
        self._broker_bar: Callable[[Bar], None] | None = getattr(parts.broker, "on_bar", None)
        self._broker_tick: Callable[[Tick], None] | None = getattr(parts.broker, "on_tick", None)
        self.order_journal = OrderJournal(parts.db, broker=parts.broker.name)
        self.service = OrderService(parts.broker, self.order_journal, clock, instruments, bus, lock=parts.lock)
        self.manager = TradeManager(self.service, clock, None, config.risk, bus,
                                    parts.db if parts.store_trades else None, market=config.market,
                                    ss_types=ss_types)
        self.recovering = True  # until start(): market data only rebuilds the strategies
        self._orders: dict[str, OrderRecord] = {}
        self._trades: dict[str, TradeRecord] = {}  # by entry order id
        self._item: dict[str, int] = {}  # symbol -> index of the item being worked
        self._calendars: dict[str, MarketCalendar] = {}
        bus.subscribe("orders.>", self._on_order)  # after the manager's handler: trades are up to date

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self, *, fresh: bool = False) -> dict[str, Any]:
        """Reconcile with the broker, rebuild trades from the journal, then trade; returns what was found.

        ``fresh``: the journal is new and empty (a backtest's scratch database), nothing to rebuild.
        """
        report = self.service.start()
        fills = 0 if fresh else self.manager.recover().fills
        self.service.preload()  # the desk is the journal's only writer (lock or scratch database)
        for order in sorted(self.service.orders.values(), key=lambda o: (o.created_at or self.clock.now(),
                                                                         o.client_order_id)):
            self._mirror(order, -1)
        self.recovering = False
        found = {"orders": len(self._orders), "open_trades": len(self.manager.trades(open_only=True)),
                 "fills": fills, "reconciled": str(report)}
        if self._orders:
            log.info("desk.recovered %s", found)
        return found

    def stop(self) -> None:
        self.manager.stop()
        self.service.stop()

    def account_time(self) -> datetime | None:
        """The last market time the paper account's broker worked orders at (``None`` for a new account)."""
        state = getattr(self.broker, "state", None)
        seen = getattr(state, "last_seen", None) or {}
        return max(seen.values(), default=None)

    def sweep(self, now: datetime) -> None:
        """The trade manager's safety net (kill switch from ``theo risk``, breakers) and the lock heartbeat."""
        self.service.heartbeat()
        self.manager.sweep(now)

    # -- signals ----------------------------------------------------------------------------------------------
    def on_signal(self, sig: Signal) -> tuple[str, str]:
        """Hand ``sig`` to the trade manager; return (status, note) as the signal records show it."""
        mine = [t for t in self.manager.open_trades(sig.symbol) if t.strategy == sig.strategy]
        if sig.exit:
            held = [t for t in mine if t.side is sig.side.opposite and t.pending_exit is None]
            if not held:
                return "CANCELLED", EXIT_NOTE
            for t in held:
                t.comments.append(sig.reason or "exit signal")
                self.manager.close_trade(t, ExitReason.EXIT_RULE)
            return "EXECUTED", ""
        if any(t.pending_exit is None for t in mine):
            return "CANCELLED", ENTRY_NOTE
        sid = signal_id(sig)
        if self.service.find(ids.for_signal(sig.strategy, sid, "entry")) is not None:
            return "EXECUTED", "entry sent before the restart"
        try:
            trade = self.manager.on_signal(sig, signal_id=sid)
        except RiskDenied as exc:
            return "FAILED", f"{exc.rule}: {exc.reason}"
        except OrderError as exc:
            return "FAILED", str(exc)
        if trade is None:
            return "FAILED", "entry rejected by the broker"
        return "EXECUTED", ""

    # -- market data ------------------------------------------------------------------------------------------
    def on_item(self, symbol: str, idx: int, start: datetime, duration: timedelta, o: float, h: float,
                lo: float, c: float, v: float, timeframe: str) -> None:
        """One bar (``duration`` > 0) or tick of ``symbol``; ``idx`` is its position in the symbol's items."""
        if self.recovering:
            return
        self._item[symbol] = idx
        if not duration:
            if start > self.clock.now():
                self.clock.advance_to(start)
            tick = Tick(symbol, start, c, v, "engine")
            self.manager.on_tick(tick)
            if self._broker_tick is not None:
                self._broker_tick(tick)
            return
        end = start + duration
        if end > self.clock.now():
            self.clock.advance_to(end)
        bar = Bar(symbol, timeframe, start, end, o, h, lo, c, v, 0, self._session(symbol, start), "engine")
        if self._broker_bar is not None:
            self._broker_bar(bar)
        self.manager.on_bar(bar)

    def advance(self, now: datetime) -> None:
        """Time reaches ``now`` (signals of bars closed then are routed next; nothing is due while recovering)."""
        if now > self.clock.now():
            self.clock.advance_to(now)

    def _session(self, symbol: str, ts: datetime) -> Any:
        inst = self.service.instruments.get(symbol)
        name = inst.calendar if inst is not None else self.config.market.calendar
        cal = self._calendars.get(name)
        if cal is None:
            cal = self._calendars[name] = get_calendar(name, self.config.market)
        return cal.session_kind(ts)

    # -- mirror into the engine journal -----------------------------------------------------------------------
    def _on_order(self, topic: str, order: Order) -> None:
        self._mirror(order, self._item.get(order.symbol, -1))

    def _mirror(self, order: Order, item: int) -> None:
        cid = order.client_order_id
        if order.status is OrderStatus.CREATED:
            return  # a bracket leg not sent: not an order yet
        rec = self._orders.get(cid)
        req = order.request
        fills = order.fills
        if rec is None:
            rec = OrderRecord(id=cid, strategy=req.strategy, symbol=req.symbol, side=req.side,
                              quantity=req.quantity, purpose=(req.tag or "manual").replace("_", "-"),
                              created=order.created_at or self.clock.now(), status=order.status, reason=order.reason)
            self._orders[cid] = rec
            self.journal.add_order(rec)
        rec.status, rec.reason = order.status, order.reason
        if fills:
            rec.quantity = order.filled_qty if order.is_terminal else req.quantity
            rec.filled = fills[-1].ts
            rec.fill_price = order.avg_fill_price
            rec.charges = sum((ex.charges.total for ex in fills), ZERO)
            if rec.fill_index < 0:
                rec.fill_index = item
        self.journal.order_changed(rec)
        trade = self.manager.trade_of(cid)
        if trade is not None and trade.entry_qty > 0:
            self._mirror_trade(trade)

    def _charges(self, cids: list[str]) -> Decimal:
        total = ZERO
        for cid in cids:
            rec = self._orders.get(cid)
            if rec is not None:
                total += rec.charges
        return total

    def _mirror_trade(self, t: Trade) -> None:
        key = t.entry_order_id
        rec = self._trades.get(key)
        entry = self._orders.get(t.entry_order_id)
        if rec is None:
            assert t.entry_price is not None
            assert t.entry_ts is not None
            rec = TradeRecord(id=t.entry_order_id, strategy=t.strategy, symbol=t.symbol, side=t.side,
                              quantity=t.entry_qty, entry_ts=t.entry_ts, entry_price=t.entry_price,
                              entry_charges=ZERO, entry_index=entry.fill_index if entry else -1,
                              stop=float(t.initial_stop) if t.initial_stop is not None else None,
                              target=float(t.target) if t.target is not None else None,
                              signal_reason=entry.reason if entry else "")
            self._trades[key] = rec
            self.journal.add_trade(rec)
        rec.quantity = t.entry_qty
        rec.entry_price = t.entry_price or rec.entry_price
        rec.entry_charges = self._charges([t.entry_order_id])
        if t.status is TradeStatus.CLOSED and t.exit_qty > 0:
            rec.exit_ts, rec.exit_price = t.exit_ts, t.exit_price
            rec.exit_charges = self._charges(list(t.exit_orders))
            reason = t.exit_reason or ExitReason.MANUAL
            rec.exit_reason = REASONS.get(reason, reason.value.replace("_", "-"))
            last = max((self._orders[c].fill_index for c in t.exit_orders if c in self._orders), default=-1)
            rec.exit_index = last
        self.journal.trade_changed(rec)

    # -- status -----------------------------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        positions = [{"id": t.entry_order_id, "strategy": t.strategy, "symbol": t.symbol, "side": t.side.value,
                      "quantity": str(t.open_qty), "entry_price": str(t.entry_price)}
                     for t in self.manager.trades(open_only=True) if t.entry_qty > 0]
        working = [{"id": o.client_order_id, "symbol": o.symbol, "side": o.side.value, "purpose": o.request.tag}
                   for o in self.service.orders.values() if o.is_open]
        return {"positions": sorted(positions, key=lambda p: p["id"]),
                "working_orders": sorted(working, key=lambda w: w["id"])}


def scratch_database() -> DbEngine:
    """An in-memory SQLite database with the schema, for a backtest's journal and trades."""
    from theo.persistence.db import make_engine
    from theo.persistence.models import Base

    db = make_engine("sqlite://")  # one connection per thread: the database lives as long as the run
    Base.metadata.create_all(db)
    return db


def state_file(config: TheoConfig) -> Path:
    from theo.adapters.sim.state import state_path

    return state_path(config.app.data_dir, config.execution.sim.state_file)
