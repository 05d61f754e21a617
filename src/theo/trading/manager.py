"""The trade manager (plan §5): opens trades from signals and manages them on every tick.

Contract:

* ``on_tick`` is O(1) in the number of symbols: open trades are indexed by symbol and the test is a float
  comparison against precomputed levels; when a level is crossed the exit order goes straight to the order
  service (which journals the intent and hands it to the broker). Nothing else touches the database first.
* ``on_order_event`` (subscribed to ``orders.>``) follows the entry and exit orders: a trade is stored when
  its entry order is accepted (a trade whose entry is refused never exists), it runs with what actually
  filled, and closes when its exits have sold that.
* ``sweep`` (every ``risk.trade.sweep_seconds``, default 5 s) re-checks everything as a safety net, adopts a
  state set by another process (``theo risk halt``), runs a pending kill switch and the circuit breakers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from theo.config.market import MarketConfig
from theo.core.bus.base import MessageBus
from theo.core.calendar import ET, MarketCalendar, get_calendar
from theo.core.clock import Clock
from theo.execution.service import OrderService
from theo.model.enums import InstrumentKind, OrderStatus, OrderType, Side
from theo.model.events import Execution
from theo.model.instruments import Instrument, equity
from theo.model.ledger import PnL, account_pnl, by_day, by_strategy
from theo.model.market import Bar, Tick
from theo.model.money import ZERO
from theo.model.orders import Order, OrderRequest
from theo.model.trades import EXIT_TAGS, ExitReason, Trade, TradeStatus
from theo.risk.checks import PreTradeChecks
from theo.risk.config import RiskConfig
from theo.risk.decisions import DecisionLog
from theo.risk.margin import BrokerRiskValues
from theo.risk.pdt import DayTradeCounter, DayTradeFill
from theo.risk.sizing import TradePlan
from theo.risk.state import State, TradingState
from theo.strategy.base import Signal
from theo.trading import exits, safety
from theo.trading.portfolio import TradingPortfolio
from theo.trading.recovery import RecoveryReport, recover
from theo.trading.status import StatusRow, build_status
from theo.trading.store import TradeStore

log = logging.getLogger(__name__)
CLOSE_ALL = (ExitReason.TIME_EXIT, ExitReason.KILL_SWITCH, ExitReason.MANUAL, ExitReason.EXIT_RULE)


class TradeManager:
    """Trades of one account: open, watch, exit, account for (see the module docstring)."""

    def __init__(self, order_service: OrderService, clock: Clock,
                 calendar_for: Callable[[str], MarketCalendar] | None, config: RiskConfig,
                 bus: MessageBus | None = None, store: Engine | None = None, *, market: MarketConfig | None = None,
                 account: str = "", ss_types: Mapping[str, str] | None = None, state: TradingState | None = None,
                 broker_values: Callable[[], BrokerRiskValues | None] | None = None, install_checks: bool = True,
                 subscribe: bool = True) -> None:
        self.orders = order_service
        self.clock = clock
        self.config = config
        self.rules = config.trade
        self.market = market or MarketConfig()
        self.calendar_for = calendar_for or (lambda name: get_calendar(name, self.market))
        self.bus = bus
        self.account = account
        self.ss_types = dict(ss_types or {})
        self.instruments: Mapping[str, Instrument] = order_service.instruments
        self.store = TradeStore(store) if store is not None else None
        acct = config.for_account(account)
        self.state = state or TradingState(clock, store=store, bus=bus, account=account, rate=config.rate_limit)
        cal = self.calendar_for(self.market.calendar)
        self.portfolio = TradingPortfolio(self.market.capital, clock, DayTradeCounter(cal, acct.pdt_window_days),
                                          trades=lambda: self._open.values(), opened_on=self._opened_on,
                                          broker_values=broker_values,
                                          use_broker_equity=acct.capital_source == "broker")
        self.checks = PreTradeChecks(config, self.market, self.state, self.portfolio, clock, cal,
                                     instruments=self.instruments, account=account,
                                     decisions=DecisionLog(store, account=account))
        if install_checks:
            order_service.pre_trade = self.checks
        self._all: list[Trade] = []
        self._open: dict[str, Trade] = {}  # by entry order id: every trade not yet closed
        self._opened: dict[tuple[date, str | None], int] = {}
        self._closed_on: dict[date, list[Trade]] = {}
        self._by_symbol: dict[str, list[Trade]] = {}
        self._by_order: dict[str, Trade] = {}
        self._binding: Trade | None = None
        self._seen: set[str] = set()
        self._working: dict[str, tuple[str, Side, Decimal]] = {}
        self._order_status: dict[str, OrderStatus] = {}
        self._last_signal: dict[tuple[str, str], Side] = {}
        self._next_exit: dict[str, datetime | None] = {}
        self._next_id = 0
        self._sweep_timer: int | None = None
        self.losses_in_row = 0
        if bus is not None and subscribe:
            bus.subscribe("orders.>", self.on_order_event)

    def recover(self) -> RecoveryReport:
        """Rebuild positions, P&L and open trades from the journal and the store (start-up, after a crash)."""
        return recover(self)

    # -- opening ------------------------------------------------------------------------------------------
    def on_signal(self, signal: Signal, *, signal_id: int | None = None) -> Trade | None:
        """An exit signal closes the strategy's trades on the symbol; another one opens a trade."""
        self._last_signal[(signal.strategy, signal.symbol)] = signal.side
        if signal.exit:
            self.exit_rule(signal.strategy, signal.symbol, signal.reason or "exit signal")
            return None
        return self.open_trade(signal, signal_id=signal_id)

    def open_trade(self, plan: TradePlan | Signal, *, signal_id: int | None = None) -> Trade | None:
        """Size, check and send the entry; the trade exists once the entry is accepted.

        Raises :class:`RiskDenied` when a check refuses; returns ``None`` when the broker rejects the entry.
        """
        if isinstance(plan, Signal):
            self._last_signal[(plan.strategy, plan.symbol)] = plan.side
            plan = self.checks.plan_trade(plan, signal_id=signal_id, ss_type=self.ss_types.get(plan.strategy, ""))
        inst = self._inst(plan.symbol)
        trade = Trade(strategy=plan.strategy, symbol=plan.symbol, side=plan.side, planned_qty=plan.quantity,
                      entry_order_id="", multiplier=inst.multiplier, stop=plan.stop, target=plan.target,
                      trailing_pct=self.config.rules_for(plan.strategy).trailing_stop_pct,
                      risk_per_unit=plan.risk_per_unit,
                      ss_type=plan.ss_type, signal_id=plan.signal_id if plan.signal_id is not None else signal_id,
                      account=self.account, created_at=self.clock.now())
        if plan.stop_note:
            trade.comments.append(plan.stop_note)
        req = OrderRequest(plan.symbol, plan.side, plan.quantity, plan.order_type, limit_price=plan.limit_price,
                           strategy=plan.strategy, signal_id=trade.signal_id, tag="entry")
        self._binding = trade
        try:
            order = self.orders.create_order(req)
        finally:
            self._binding = None
        if order.status is OrderStatus.REJECTED:
            self._forget(trade)
            if order.reason.startswith("risk denied") and self.checks.last_denial is not None:
                raise self.checks.last_denial
            log.warning("entry %s rejected: %s", order.client_order_id, order.reason)
            return None
        self._bind(trade, order, entry=True)
        self._apply(trade, order)
        return trade

    # -- market data: the hot path -------------------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        """Check the trades on ``tick.symbol`` against the tick's price."""
        self.portfolio.mark(tick.symbol, tick.price)
        trades = self._by_symbol.get(tick.symbol)
        if not trades:
            return
        price = tick.price
        for t in tuple(trades):
            if t.status is TradeStatus.RUNNING and t.pending_exit is None:
                self._check(t, price, price, price)
        due = self._next_exit.get(self._inst(tick.symbol).calendar)
        if due is not None and tick.ts >= due:
            self._time_exit(tick.ts)

    def on_bar(self, bar: Bar) -> None:
        """Check the trades on ``bar.symbol`` against the bar's range (bar-driven backtests)."""
        self.portfolio.mark(bar.symbol, bar.close)
        trades = self._by_symbol.get(bar.symbol)
        if not trades:
            return
        for t in tuple(trades):
            if t.status is TradeStatus.RUNNING and t.pending_exit is None:
                self._check(t, bar.close, bar.high, bar.low)
        due = self._next_exit.get(self._inst(bar.symbol).calendar)
        if due is not None and bar.end >= due:
            self._time_exit(bar.end)

    def _check(self, t: Trade, price: float, high: float, low: float) -> None:
        reason = exits.crossed(t, price) if high == low else exits.bar_crossed(t, high, low)
        if reason is not None:
            self._exit(t, reason)
            return
        best = high if t.side is Side.BUY else low
        if exits.rr_reached(t, best):
            self._reduce_risk(t)
        if t.trailing_pct is not None and exits.trail(t, best, self.config.rules_for(t.strategy),
                                                     self._inst(t.symbol).tick_size):
            self._note(t, "stop_moved", {"stop": str(t.stop), "by": "trailing"})

    # -- exits --------------------------------------------------------------------------------------------
    def _exit(self, t: Trade, reason: ExitReason, qty: Decimal | None = None, actor: str = "") -> Order | None:
        """Send a market exit of ``qty`` (default: all that is open) for ``t``."""
        if self.state.state is State.HALTED:
            return None  # HALTED: nothing but cancels leaves (the kill switch flattens before halting)
        entry = self._lookup_order(t.entry_order_id)
        if entry is not None and entry.is_open and qty is None:
            self.orders.cancel_order(t.entry_order_id, reason=f"trade exit: {reason.value}")
        if t.pending_exit is not None:
            if reason not in CLOSE_ALL:
                return None
            self.orders.cancel_order(t.pending_exit, reason=f"replaced by {reason.value} exit")
            t.pending_exit = None
        size = t.open_qty if qty is None else qty
        if size <= 0:
            if t.entry_qty == 0 and (entry is None or not entry.is_open):
                self._close(t, ExitReason.NOT_FILLED if reason is not ExitReason.KILL_SWITCH else reason)
            return None
        req = OrderRequest(t.symbol, t.side.opposite, size, OrderType.MARKET, strategy=t.strategy,
                           reduce_only=True, tag=EXIT_TAGS[reason])
        t.pending_reason = reason
        self._binding = t
        try:
            order = self.orders.create_order(req, actor=actor)
        finally:
            self._binding = None
        if order.status is OrderStatus.REJECTED:
            t.pending_reason = None
            t.comments.append(f"{reason.value} exit refused: {order.reason}")
            return order
        self._bind(t, order, entry=False, reason=reason)
        self._apply(t, order)
        self._note(t, "exit_requested", {"reason": reason.value, "order": order.client_order_id,
                                         "quantity": str(size)}, actor=actor or "engine")
        return order

    def _reduce_risk(self, t: Trade) -> None:
        """Plan §5.3: at the RR trigger sell the configured share and move the stop (e.g. to break-even)."""
        t.rr_done = True
        t.rr_f = None
        rules = self.config.rules_for(t.strategy)
        qty = exits.rr_quantity(t, rules, self._inst(t.symbol).contract_size)
        if rules.rr_move_stop == "breakeven" and t.entry_price is not None:
            t.stop = t.entry_price
            t.stop_kind = ExitReason.STOP_LOSS
            t.refresh_levels()
        t.comments.append(f"risk reduction: sold {qty}, stop to {t.stop}")
        if qty > 0:
            self._exit(t, ExitReason.RISK_REDUCTION, qty)
        self._note(t, "risk_reduced", {"quantity": str(qty), "stop": str(t.stop)})

    def exit_rule(self, strategy: str, symbol: str, why: str = "") -> int:
        """Close the strategy's open trades on ``symbol`` (an exit rule fired)."""
        n = 0
        for t in tuple(self._by_symbol.get(symbol, ())):
            if t.strategy == strategy:
                if why:
                    t.comments.append(why)
                self._exit(t, ExitReason.EXIT_RULE)
                n += 1
        return n

    def close_trade(self, trade: Trade, reason: ExitReason = ExitReason.MANUAL, actor: str = "") -> Order | None:
        return self._exit(trade, reason, actor=actor)

    def close_all(self, reason: ExitReason | str, actor: str = "") -> int:
        """Close every open trade (waiting entries are cancelled); return how many were acted on."""
        why = ExitReason(reason)
        n = 0
        for t in list(self._open.values()):
            self._exit(t, why, actor=actor)
            n += 1
        return n

    def kill(self, *, flatten: bool = False, reason: str = "kill switch", actor: str = "operator") -> int:
        """Cancel our working orders, optionally flatten every position, then HALT; return orders cancelled."""
        return safety.kill(self, flatten=flatten, reason=reason, actor=actor)

    def _time_exit(self, now: datetime) -> None:
        for cal_name in list(self._next_exit):
            due = self._next_exit[cal_name]
            if due is None or now < due:
                continue
            for t in [t for t in self._open.values() if self._inst(t.symbol).calendar == cal_name]:
                self._exit(t, ExitReason.TIME_EXIT)
            self._next_exit[cal_name] = None
            self._arm_time_exit(cal_name, now)

    def _arm_time_exit(self, cal_name: str, after: datetime) -> None:
        """Set the next time exit of ``cal_name`` after ``after`` when trades are open there."""
        if self.rules.time_exit is None:
            return
        cal = self.calendar_for(cal_name)
        day = after.astimezone(ET).date()
        for _ in range(10):
            due = exits.time_exit_at(day, cal, self.rules)
            if due is not None and due > after:
                if self._next_exit.get(cal_name) != due:
                    self._next_exit[cal_name] = due
                    self.clock.call_at(due, self._time_exit)
                return
            day = cal.next_session(day)

    # -- order events -------------------------------------------------------------------------------------------
    def on_order_event(self, topic: str, order: Order) -> None:
        """Follow one order event (bus handler for ``orders.>``); repeated events change nothing."""
        cid = order.client_order_id
        self._order_status[cid] = order.status
        self._track_working(order)
        t = self._by_order.get(cid)
        if t is None and self._binding is not None and order.request.symbol == self._binding.symbol:
            t = self._binding
            self._bind(t, order, entry=order.request.tag == "entry",
                       reason=t.pending_reason or ExitReason.MANUAL)
        if t is None:
            self._book_fills(order, None)
            return
        self._apply(t, order)

    def _apply(self, t: Trade, order: Order) -> None:
        self._order_status[order.client_order_id] = order.status
        self._track_working(order)
        entry = order.client_order_id == t.entry_order_id
        if entry and order.status is OrderStatus.REJECTED and t.id is None:
            self._forget(t)  # the entry never left: the trade never existed
            return
        new = self._book_fills(order, t)
        now = self.clock.now()
        if entry:
            for ex in new:
                t.add_entry_fill(ex.quantity, ex.price, ex.charges.total, ex.ts)
            if new:
                exits.prepare(t, self.config.rules_for(t.strategy))
                self._index(t)
                self._arm_time_exit(self._inst(t.symbol).calendar, now)
            if t.id is None:
                self._save(t, "opened", {"entry_order": order.client_order_id, "status": order.status.value})
            elif new:
                self._save(t, "entry_fill", {"filled": str(t.entry_qty), "price": str(t.entry_price)})
            if order.is_terminal and t.entry_qty == 0:
                self._close(t, ExitReason.NOT_FILLED)
            elif order.is_terminal and t.open_qty == 0 and t.exit_qty > 0:
                self._close(t, t.exit_reason or ExitReason.MANUAL)
            return
        reason = t.exit_orders.get(order.client_order_id, ExitReason.MANUAL)
        for ex in new:
            t.add_exit_fill(ex.quantity, ex.price, ex.charges.total, ex.ts)
        if order.is_terminal and t.pending_exit == order.client_order_id:
            t.pending_exit = None
            t.pending_reason = None
        if new and t.open_qty <= 0:
            entry_order = self._lookup_order(t.entry_order_id)
            if entry_order is None or not entry_order.is_open:
                self._close(t, reason, new[-1].ts)
                return
        if new:
            self._save(t, "exit_fill", {"reason": reason.value, "exited": str(t.exit_qty)})

    def _book_fills(self, order: Order, t: Trade | None) -> list[Execution]:
        """Book the order's fills not seen before into the account; return them."""
        return [ex for ex in order.fills if self._book(ex)]

    def _book(self, ex: Execution) -> bool:
        if ex.exec_id in self._seen:
            return False
        self._seen.add(ex.exec_id)
        inst = self._inst(ex.symbol)
        self.portfolio.ledger.add_fill(ex.symbol, ex.side, ex.quantity, ex.price, ex.charges.total, ex.ts,
                                       inst.multiplier)
        self.portfolio.roll_day(ex.ts.astimezone(ET).date())
        if inst.kind is not InstrumentKind.FUTURE:
            self.portfolio.counter.record(DayTradeFill(ex.symbol, ex.side, ex.quantity, ex.ts))
        return True

    def _track_working(self, order: Order) -> None:
        cid = order.client_order_id
        remaining = order.remaining if order.is_open else ZERO
        old = self._working.get(cid)
        delta = remaining - (old[2] if old else ZERO)
        if delta:
            self.portfolio.set_working(order.symbol, order.side, delta)
        if remaining:
            self._working[cid] = (order.symbol, order.side, remaining)
        else:
            self._working.pop(cid, None)

    # -- sweep --------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Arm the periodic sweep on the clock."""
        if self._sweep_timer is None:
            self._sweep_timer = self.clock.call_later(timedelta(seconds=self.rules.sweep_seconds), self._on_sweep)

    def stop(self) -> None:
        if self._sweep_timer is not None:
            self.clock.cancel(self._sweep_timer)
            self._sweep_timer = None
        self.checks.decisions.flush()

    def _on_sweep(self, when: datetime) -> None:
        self._sweep_timer = None
        try:
            self.sweep(when)
        finally:
            self.start()

    def sweep(self, now: datetime) -> None:
        """Safety net: re-check every trade, adopt outside state changes, run kill requests and breakers."""
        kill = self.state.refresh()
        if kill is not None:
            self.kill(flatten=kill.flatten, reason=kill.reason, actor=kill.actor)
            self.state.kill_handled(kill)
        self._time_exit(now)
        marks = self.portfolio._mark_f
        for t in [t for t in self._open.values() if t.status is TradeStatus.RUNNING and t.pending_exit is None]:
            px = marks.get(t.symbol)
            if px is not None:
                self._check(t, px, px, px)
        self.breakers(now)
        self.checks.decisions.flush()
        if self.store is not None:
            safety.save_daily(self, now)

    def breakers(self, now: datetime) -> None:
        """RM-Max-sp (plan §5.5), the daily loss limit and consecutive losses move the trading state."""
        safety.breakers(self, now)

    # -- queries ----------------------------------------------------------------------------------------------
    def trades(self, *, open_only: bool = False) -> list[Trade]:
        return [t for t in self._all if t.is_open or not open_only]

    def trade_of(self, client_order_id: str) -> Trade | None:
        """The trade an entry or exit order belongs to."""
        return self._by_order.get(client_order_id)

    def open_trades(self, symbol: str) -> list[Trade]:
        return list(self._by_symbol.get(symbol, ()))

    def status(self) -> list[StatusRow]:
        """Plan §6 per strategy and symbol: last signal, trade status, order status."""
        return build_status(self._all, self._last_signal, self._order_status)

    def pnl(self) -> PnL:
        return account_pnl(self._all, self.portfolio.marks())

    def pnl_by_strategy(self) -> dict[str, PnL]:
        return by_strategy(self._all, self.portfolio.marks())

    def pnl_by_day(self) -> dict[date, PnL]:
        return by_day(self._all, self.portfolio.marks(), self.clock.now().astimezone(ET).date())

    def trades_of_day(self, day: date) -> list[Trade]:
        """Open trades and those closed on ``day`` (ET)."""
        return [*self._open.values(), *self._closed_on.get(day, ())]

    # -- internals ----------------------------------------------------------------------------------------------
    def _inst(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        return inst if inst is not None else equity(symbol)

    def _lookup_order(self, cid: str) -> Order | None:
        return self.orders.orders.get(cid) if cid else None

    def _bind(self, t: Trade, order: Order, *, entry: bool, reason: ExitReason = ExitReason.MANUAL) -> None:
        cid = order.client_order_id
        if self._by_order.get(cid) is t:
            return
        self._by_order[cid] = t
        if entry:
            new = not t.entry_order_id
            t.entry_order_id = cid
            if new:
                self._all.append(t)
                self._open[cid] = t
                self._index(t)
                self._count_opened(t, 1)
        else:
            t.exit_orders[cid] = reason
            if order.is_open:
                t.pending_exit = cid

    def _index(self, t: Trade) -> None:
        lst = self._by_symbol.setdefault(t.symbol, [])
        if t not in lst:
            lst.append(t)

    def _count_opened(self, t: Trade, n: int) -> None:
        day = (t.created_at or self.clock.now()).astimezone(ET).date()
        for key in ((day, None), (day, t.strategy)):
            self._opened[key] = self._opened.get(key, 0) + n

    def _opened_on(self, day: date, strategy: str | None) -> int:
        return self._opened.get((day, strategy), 0)

    def _forget(self, t: Trade) -> None:
        if self._open.pop(t.entry_order_id, None) is not None:
            self._count_opened(t, -1)
        if t in self._all:
            self._all.remove(t)
        lst = self._by_symbol.get(t.symbol)
        if lst and t in lst:
            lst.remove(t)

    def _close(self, t: Trade, reason: ExitReason, ts: datetime | None = None) -> None:
        if t.status is TradeStatus.CLOSED:
            return
        t.close(reason, ts or self.clock.now())
        self._open.pop(t.entry_order_id, None)
        if t.exit_ts is not None:
            self._closed_on.setdefault(t.exit_ts.astimezone(ET).date(), []).append(t)
        lst = self._by_symbol.get(t.symbol)
        if lst and t in lst:
            lst.remove(t)
        if t.entry_qty:
            self.losses_in_row = self.losses_in_row + 1 if t.net() < 0 else 0
        self._save(t, "closed", {"reason": reason.value, "net": str(t.realised - t.charges)})
        if self.bus is not None:
            self.bus.publish("trades.closed", t)
        self.breakers(t.exit_ts or self.clock.now())

    def _save(self, t: Trade, kind: str, payload: dict[str, str], actor: str = "engine") -> None:
        if self.store is not None:
            self.store.save(t, self.clock.now(), kind, payload, actor)
        elif t.id is None:
            self._next_id += 1
            t.id = self._next_id
        if kind == "opened" and self.bus is not None:
            self.bus.publish("trades.opened", t)

    def _note(self, t: Trade, kind: str, payload: dict[str, str], actor: str = "engine") -> None:
        if t.id is not None:
            self._save(t, kind, payload, actor)
