"""The trade manager (plan §5): turns signals into protected trades and manages them while they run.

Contract, the same in backtest, paper and live:

* **Entries** (:meth:`on_signal`): the strategy's sizing policy and the pre-trade checks plan the trade
  (quantity capped at the limits, never silently refused), then the entry goes to the order service as a
  bracket: the protective stop (a broker trailing stop when the strategy trails) and the take-profit rest at
  the broker as one OCO pair from the entry's fill on. No entry is sent at or after the time-exit cut-off.
* **Exits**: a stop or target fills at the broker on the item that crosses it. The manager sends an exit
  itself only for an exit rule, the time exit, risk reduction and the kill switch; it first cancels the
  protective orders, then sends a market order for what is open (risk reduction instead shrinks them and
  moves the stop, by modifying the resting orders).
* **Order events** (:meth:`on_order`, the order service's listener) drive everything else: fills open, grow,
  reduce and close trades; the account (positions, P&L, day trades) books every fill once.
* :meth:`sweep` (every ``risk.trade.sweep_seconds`` of wall time in paper and live) is only a safety net: it
  adopts a state set by another process (``theo risk halt|kill``), runs a pending kill switch and re-places
  the protective stop of any running trade that lost it.

A HALTED account sends nothing but cancels; its protective orders keep working at the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from theo.config.market import MarketConfig
from theo.core.bus.base import MessageBus
from theo.core.calendar import ET, MarketCalendar, et_date, get_calendar
from theo.core.clock import Clock
from theo.core.errors import OrderError, RiskDenied
from theo.execution import ids
from theo.execution.service import OrderService
from theo.model.enums import InstrumentKind, OrderStatus, OrderType, Side, SignalStatus, TimeInForce
from theo.model.events import Execution
from theo.model.instruments import Instrument, equity
from theo.model.ledger import PnL, account_pnl, by_day, by_strategy
from theo.model.money import ZERO, round_to_tick
from theo.model.orders import PROTECTIVE, Order, OrderRequest, OrderTag
from theo.model.signals import Signal, SignalOutcome
from theo.model.trades import EXIT_TAGS, REASON_OF_TAG, ExitReason, Trade, TradeStatus
from theo.risk.checks import PreTradeChecks
from theo.risk.config import RiskConfig, TradeRules
from theo.risk.decisions import DecisionLog
from theo.risk.margin import BrokerRiskValues
from theo.risk.pdt import DayTradeCounter, DayTradeFill
from theo.risk.sizing import TradePlan
from theo.risk.state import State, StateChange, TradingState
from theo.strategy.settings import FixedQuantity, RiskPercent
from theo.trading import exits, safety
from theo.trading.portfolio import TradingPortfolio
from theo.trading.recovery import RecoveryReport, recover
from theo.trading.status import StatusRow, build_status

log = logging.getLogger(__name__)
CLOSE_ALL = (ExitReason.TIME_EXIT, ExitReason.KILL_SWITCH, ExitReason.MANUAL, ExitReason.EXIT_RULE)
ENTRY_NOTE = "position already open or entry working"
EXIT_NOTE = "no matching open position"
_LEG_REASON = {OrderTag.STOP_LOSS: ExitReason.STOP_LOSS, OrderTag.TAKE_PROFIT: ExitReason.PROFIT_TARGET}


class TradeStore(Protocol):
    """Where trades live between runs (``persistence.repositories.trades``); ``None`` in a backtest."""

    def save(self, trade: Trade, now: datetime, kind: str, payload: dict[str, str] | None = None,
             actor: str = "engine") -> int: ...

    def save_daily(self, account: str, day: date, rows: list[tuple[str, PnL, int]], equity: Decimal | None,
                   now: datetime) -> None: ...

    def load_trades(self, *, open_only: bool = False, strategy: str | None = None) -> list[Trade]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StrategyTerms:
    """How one strategy's trades are sized and protected (from its configuration)."""

    sizing: FixedQuantity | RiskPercent = field(default_factory=RiskPercent)
    trail_pct: Decimal | None = None  # overrides [risk.trade] trailing_stop_pct
    ss_type: str = ""
    holds_overnight: bool = False  # SS-Type positional: the intraday time exit does not apply


_DEFAULT_TERMS = StrategyTerms()


class TradeManager:
    """Trades of one account: open, protect, exit, account for (see the module docstring)."""

    def __init__(self, service: OrderService, clock: Clock, config: RiskConfig, *, market: MarketConfig | None = None,
                 bus: MessageBus | None = None, store: TradeStore | None = None, account: str = "",
                 terms: Mapping[str, StrategyTerms] | None = None, state: TradingState | None = None,
                 decisions: DecisionLog | None = None,
                 broker_values: Callable[[], BrokerRiskValues | None] | None = None,
                 calendar_for: Callable[[str], MarketCalendar] | None = None) -> None:
        self.orders = service
        self.clock = clock
        self.config = config
        self.market = market or MarketConfig()
        calendars: dict[str, MarketCalendar] = {}

        def calendar(name: str) -> MarketCalendar:
            cal = calendars.get(name)
            if cal is None:
                cal = calendars[name] = calendar_for(name) if calendar_for else get_calendar(name, self.market)
            return cal

        self.calendar_for = calendar
        self.bus = bus
        self.account = account
        self.terms = dict(terms or {})
        self._rules_of: dict[str, TradeRules] = {}
        self.instruments: Mapping[str, Instrument] = service.instruments
        self.store = store
        acct = config.for_account(account)
        self.state = state or TradingState(clock, bus=bus, account=account, rate=config.rate_limit)
        self.state.listeners.append(self._state_changed)
        cal = self.calendar_for(self.market.calendar)
        self.portfolio = TradingPortfolio(self.market.capital, clock, DayTradeCounter(cal, acct.pdt_window_days),
                                          trades=lambda: self._open.values(), opened_on=self._opened_on,
                                          broker_values=broker_values,
                                          use_broker_equity=acct.capital_source == "broker")
        self.checks = PreTradeChecks(config, self.market, self.state, self.portfolio, clock, cal,
                                     instruments=self.instruments, account=account,
                                     decisions=decisions or DecisionLog(account=account),
                                     holds_overnight=self._may_hold_overnight)
        service.pre_trade = self.checks
        service.listener = self.on_order
        self._all: list[Trade] = []
        self._open: dict[str, Trade] = {}  # by entry order id: every trade not yet closed
        self._opened: dict[tuple[date, str | None], int] = {}
        self._closed_on: dict[date, list[Trade]] = {}
        self._by_symbol: dict[str, list[Trade]] = {}
        self._by_order: dict[str, Trade] = {}
        self._seen: set[str] = set()
        self._working: dict[str, tuple[str, Side, Decimal]] = {}
        self._order_status: dict[str, OrderStatus] = {}
        self._last_signal: dict[tuple[str, str], Side] = {}
        self._next_exit: dict[str, datetime | None] = {}
        self._next_id = 0
        self.losses_in_row = 0
        self._count_day_trades = acct.pdt_policy != "none"  # the day-trade counter serves the PDT check only

    def _state_changed(self, change: StateChange) -> None:
        """A person resuming trading acknowledges the losing streak: the consecutive-losses breaker counts
        afresh (otherwise it would halt again before the first new trade)."""
        if change.resumed_by_a_person:
            self.losses_in_row = 0

    def recover(self) -> RecoveryReport:
        """Rebuild positions, P&L and open trades from the journal and the store (start-up, after a crash)."""
        return recover(self)

    # -- signals ------------------------------------------------------------------------------------------
    def ignores(self, strategy: str, symbol: str, side: Side, is_exit: bool) -> str:
        """The note of a signal that changes nothing (no trade to exit, a trade already open), else ``""``.

        A backtest asks this before it even builds the signal; :meth:`on_signal` asks it first too.
        """
        trades = self._by_symbol.get(symbol)
        if is_exit:
            if trades:
                for t in trades:
                    if t.strategy == strategy and t.side is not side and t.pending_exit is None \
                            and t.pending_reason is None:
                        return ""
            return EXIT_NOTE
        if trades:
            for t in trades:
                if t.strategy == strategy and t.pending_exit is None and t.pending_reason is None:
                    return ENTRY_NOTE
        return ""

    def on_signal(self, signal: Signal, *, signal_id: int | None = None) -> SignalOutcome:
        """Act on one signal; the outcome says what happened and why, in plain words."""
        self._last_signal[(signal.strategy, signal.symbol)] = signal.side
        note = self.ignores(signal.strategy, signal.symbol, signal.side, signal.exit)
        if note:
            return SignalOutcome(signal, SignalStatus.CANCELLED, note)
        if signal.exit:
            for t in [t for t in self._by_symbol.get(signal.symbol, ()) if t.strategy == signal.strategy
                      and t.side is signal.side.opposite and t.pending_exit is None and t.pending_reason is None]:
                t.comments.append(signal.reason or "exit signal")
                self.exit(t, ExitReason.EXIT_RULE)
            return SignalOutcome(signal, SignalStatus.EXECUTED)
        now = self.clock.now()
        cutoff = exits.door_closed(now, self.calendar_for(self._inst(signal.symbol).calendar),
                                   self._rules(signal.strategy))
        if cutoff is not None:
            return SignalOutcome(signal, SignalStatus.CANCELLED, f"after the time exit "
                                 f"{cutoff.astimezone(ET):%H:%M} ET: no new entry until the next session")
        if signal_id is not None and self.orders.lookup(ids.for_signal(signal.strategy, signal_id, "entry")):
            return SignalOutcome(signal, SignalStatus.EXECUTED, "entry sent before the restart")
        self.breakers(now)
        try:
            trade, plan = self.open_trade(signal, signal_id=signal_id)
        except RiskDenied as exc:
            return SignalOutcome(signal, SignalStatus.FAILED, f"{exc.rule}: {exc.reason}")
        except OrderError as exc:
            return SignalOutcome(signal, SignalStatus.FAILED, str(exc))
        if trade is None:
            return SignalOutcome(signal, SignalStatus.FAILED, "entry rejected by the broker")
        return SignalOutcome(signal, SignalStatus.EXECUTED, "; ".join(plan.notes))

    def open_trade(self, signal: Signal, *, signal_id: int | None = None) -> tuple[Trade | None, TradePlan]:
        """Plan, check and send the entry bracket; the trade exists once the entry is accepted.

        Raises :class:`RiskDenied` when a check refuses; the trade is ``None`` when the broker rejects it.
        """
        terms = self.terms.get(signal.strategy) or _DEFAULT_TERMS
        plan = self.checks.plan_trade(signal, terms.sizing, signal_id=signal_id, ss_type=terms.ss_type)
        inst = self._inst(plan.symbol)
        rules = self._rules(plan.strategy)
        trail = terms.trail_pct if terms.trail_pct is not None else rules.trailing_stop_pct
        trade = Trade(strategy=plan.strategy, symbol=plan.symbol, side=plan.side, planned_qty=plan.quantity,
                      entry_order_id="", multiplier=inst.multiplier, stop=plan.stop, target=plan.target,
                      trailing_pct=trail if plan.stop is not None else None, risk_per_unit=plan.risk_per_unit,
                      ss_type=plan.ss_type, signal_id=signal_id, account=self.account, created_at=self.clock.now())
        trade.comments.extend(plan.notes)
        entry = OrderRequest(plan.symbol, plan.side, plan.quantity, plan.order_type, limit_price=plan.limit_price,
                             strategy=plan.strategy, signal_id=signal_id, tag=OrderTag.ENTRY)
        children = self._protective(plan, trade, rules, inst)
        order = self.orders.submit_bracket(entry, children).entry if children else self.orders.create_order(entry)
        if order.status is OrderStatus.REJECTED:
            if order.reason.startswith("risk denied") and self.checks.last_denial is not None:
                raise self.checks.last_denial
            log.warning("entry %s rejected: %s", order.client_order_id, order.reason)
            return None, plan
        self._bind_entry(trade, order)
        for child in children:
            cid = ids.child(order.client_order_id, "sl" if child.tag is OrderTag.STOP_LOSS else "tp")
            reason = _LEG_REASON[child.tag]
            if child.order_type is OrderType.TRAILING_STOP:
                reason = ExitReason.TRAILING_STOP
            trade.protective[cid] = reason
            trade.exit_orders[cid] = reason
            self._by_order[cid] = trade
        self._save(trade, "opened", {"entry_order": order.client_order_id, "status": order.status.value})
        self.on_order(order)
        return trade, plan

    def _protective(self, plan: TradePlan, t: Trade, rules: TradeRules, inst: Instrument) -> list[OrderRequest]:
        """The bracket children of an entry: a stop (trailing when the strategy trails) and a target."""
        out = []
        side = plan.side.opposite

        def leg(kind: OrderType, tag: OrderTag, *, stop: Decimal | None = None, limit: Decimal | None = None,
                trail: Decimal | None = None, trigger: Decimal | None = None) -> OrderRequest:
            return OrderRequest(plan.symbol, side, plan.quantity, kind, limit_price=limit, stop_price=stop,
                                trail_percent=trail, trail_trigger=trigger, tif=TimeInForce.GTC, reduce_only=True,
                                strategy=plan.strategy, signal_id=plan.signal_id, tag=tag)

        if plan.stop is not None:
            if t.trailing_pct is not None:
                trigger = None
                if rules.trailing_activation_r > 0:
                    dist = abs(plan.entry - plan.stop)
                    trigger = round_to_tick(plan.entry + plan.side.sign * dist * rules.trailing_activation_r,
                                            inst.tick_size)
                out.append(leg(OrderType.TRAILING_STOP, OrderTag.STOP_LOSS, stop=plan.stop, trail=t.trailing_pct,
                               trigger=trigger))
            else:
                out.append(leg(OrderType.STOP, OrderTag.STOP_LOSS, stop=plan.stop))
        if plan.target is not None:
            out.append(leg(OrderType.LIMIT, OrderTag.TAKE_PROFIT, limit=plan.target))
        return out

    # -- market data ----------------------------------------------------------------------------------------
    def on_item(self, symbol: str, high: float, low: float) -> None:
        """One bar or tick of ``symbol`` after the broker worked it: risk reduction at its trigger."""
        trades = self._by_symbol.get(symbol)
        if not trades:
            return
        for t in tuple(trades):
            if t.status is TradeStatus.RUNNING and t.pending_exit is None and t.pending_reason is None \
                    and exits.rr_reached(t, high, low):
                self._reduce_risk(t)

    def watch_levels(self, symbol: str) -> list[tuple[Side, float]]:
        """Levels whose crossing by an item would make :meth:`on_item` act: (trade side, risk-reduction price)."""
        return [(t.side, t.rr_f) for t in self._by_symbol.get(symbol, ())
                if t.rr_f is not None and not t.rr_done and t.status is TradeStatus.RUNNING]

    # -- exits --------------------------------------------------------------------------------------------
    def exit(self, t: Trade, reason: ExitReason, actor: str = "") -> None:
        """Close ``t``: cancel its unfilled entry and its protective orders, then send a market exit."""
        if self.state.state is State.HALTED:
            return  # nothing but cancels leaves; the protective orders keep working
        entry = self.orders.lookup(t.entry_order_id)
        if entry is not None and entry.is_open:
            self.orders.cancel_order(t.entry_order_id, reason=f"trade exit: {reason.value}")
        if t.pending_exit is not None:
            if reason not in CLOSE_ALL:
                return
            self.orders.cancel_order(t.pending_exit, reason=f"replaced by {reason.value} exit")
            t.pending_exit = None
        t.pending_reason = reason
        for cid in list(t.protective):
            order = self.orders.lookup(cid)
            if order is not None and order.is_open:
                self.orders.cancel_order(cid, reason=f"trade exit: {reason.value}", actor=actor)
        self._send_pending_exit(t, actor)

    def _send_pending_exit(self, t: Trade, actor: str = "") -> None:
        """Send the market exit waiting for the protective orders once none of them can fill any more."""
        reason = t.pending_reason
        if reason is None or any(self._is_open(cid) for cid in t.protective):
            return
        entry = self.orders.lookup(t.entry_order_id)
        entry_open = entry is not None and entry.is_open
        size = t.open_qty
        if size <= 0:
            t.pending_reason = None
            if t.entry_qty == 0 and not entry_open:
                self._close(t, ExitReason.NOT_FILLED if reason is not ExitReason.KILL_SWITCH else reason)
            return
        self._send_exit(t, reason, size, actor)

    def _send_exit(self, t: Trade, reason: ExitReason, size: Decimal, actor: str = "") -> Order | None:
        cid = ids.child(t.entry_order_id, f"x{len(t.exit_orders) + 1}")
        req = OrderRequest(t.symbol, t.side.opposite, size, OrderType.MARKET, strategy=t.strategy,
                           reduce_only=True, tag=EXIT_TAGS[reason])
        t.exit_orders[cid] = reason
        self._by_order[cid] = t
        if reason is not ExitReason.RISK_REDUCTION:
            t.pending_exit = cid
            t.pending_reason = None
        order = self.orders.create_order(req, actor=actor, client_order_id=cid)
        if order.status is OrderStatus.REJECTED:
            t.pending_exit = None
            t.comments.append(f"{reason.value} exit refused: {order.reason}")
            return order
        self._note(t, "exit_requested", {"reason": reason.value, "order": cid, "quantity": str(size)},
                   actor=actor or "engine")
        self.on_order(order)
        return order

    def _reduce_risk(self, t: Trade) -> None:
        """Plan §5.3: at the RR trigger sell the configured share and move the stop (e.g. to break-even)."""
        t.rr_done = True
        t.rr_f = None
        self.portfolio.changed()
        rules = self._rules(t.strategy)
        qty = exits.rr_quantity(t, rules, self._inst(t.symbol).contract_size)
        if self.state.state is State.HALTED:
            return
        left = t.open_qty - qty
        new_stop = t.entry_price if rules.rr_move_stop == "breakeven" else None
        # The price-sensitive order first: the market sale, then the resting orders shrunk to what is left
        # (they stand a whole R or more away) and the stop moved. A refused sale leaves their quantity alone.
        sale = self._send_exit(t, ExitReason.RISK_REDUCTION, qty) if qty > 0 else None
        sold = sale is not None and sale.status is not OrderStatus.REJECTED
        for cid in t.protective:
            order = self.orders.lookup(cid)
            if order is None or not order.is_open:
                continue
            stop = None
            if order.request.tag is OrderTag.STOP_LOSS and new_stop is not None and self._tightens(order, new_stop):
                stop = new_stop
            quantity = left if sold and order.request.quantity > left else None
            if quantity is None and stop is None:
                continue
            try:
                self.orders.modify_order(cid, quantity=quantity, stop_price=stop)
            except (RiskDenied, OrderError) as exc:
                t.comments.append(f"risk reduction: {cid} not modified ({exc})")
        if new_stop is not None and (t.stop is None or (new_stop - t.stop) * t.side.sign > 0):
            t.stop = new_stop
        t.comments.append(f"risk reduction: {'sold' if sold else 'could not sell'} {qty}, stop to {t.stop}")
        self._note(t, "risk_reduced", {"quantity": str(qty), "stop": str(t.stop)})

    def _tightens(self, order: Order, stop: Decimal) -> bool:
        """True when moving the resting stop to ``stop`` tightens it (the broker may have trailed it already)."""
        current = order.request.stop_price
        view = self.orders.broker.order_status(order.client_order_id)
        if view is not None and view.stop_price is not None:
            current = view.stop_price
        return current is None or (stop - current) * order.request.side.opposite.sign > 0

    def exit_rule(self, strategy: str, symbol: str, why: str = "") -> int:
        """Close the strategy's open trades on ``symbol`` (an exit rule fired)."""
        n = 0
        for t in tuple(self._by_symbol.get(symbol, ())):
            if t.strategy == strategy:
                if why:
                    t.comments.append(why)
                self.exit(t, ExitReason.EXIT_RULE)
                n += 1
        return n

    def close_trade(self, trade: Trade, reason: ExitReason = ExitReason.MANUAL, actor: str = "") -> None:
        self.exit(trade, reason, actor=actor)

    def close_all(self, reason: ExitReason | str, actor: str = "") -> int:
        """Close every open trade (waiting entries are cancelled); return how many were acted on."""
        why = ExitReason(reason)
        trades = list(self._open.values())
        for t in trades:
            self.exit(t, why, actor=actor)
        return len(trades)

    def kill(self, *, flatten: bool = False, reason: str = "kill switch", actor: str = "operator") -> int:
        """Cancel working entries (protective orders stay), optionally flatten, then HALT; return cancels."""
        return safety.kill(self, flatten=flatten, reason=reason, actor=actor)

    def _time_exit(self, now: datetime) -> None:
        for cal_name in list(self._next_exit):
            due = self._next_exit[cal_name]
            if due is None or now < due:
                continue
            cal = self.calendar_for(cal_name)
            for t in [t for t in self._open.values() if self._inst(t.symbol).calendar == cal_name]:
                if exits.door_closed(now, cal, self._rules(t.strategy)) is not None:  # its own time exit passed
                    self.exit(t, ExitReason.TIME_EXIT)
            self._next_exit[cal_name] = None
            self._arm_time_exit(cal_name, now)

    def _arm_time_exit(self, cal_name: str, after: datetime) -> None:
        """Set the next time exit of ``cal_name`` after ``after``: the earliest of the open trades' own rules."""
        rules = [self._rules(t.strategy) for t in self._open.values() if self._inst(t.symbol).calendar == cal_name]
        if not any(r.time_exit is not None for r in rules):
            return
        cal = self.calendar_for(cal_name)
        day = et_date(after)
        for _ in range(10):
            dues = [due for r in rules if (due := exits.time_exit_at(day, cal, r)) is not None and due > after]
            if dues:
                due = min(dues)
                if self._next_exit.get(cal_name) != due:
                    self._next_exit[cal_name] = due
                    self.clock.call_at(due, self._time_exit)
                return
            day = cal.next_session(day)

    # -- order events -------------------------------------------------------------------------------------------
    def on_order(self, order: Order) -> None:
        """Follow one change of one order (the order service's listener); repeated changes do nothing new."""
        cid = order.client_order_id
        self._order_status[cid] = order.status
        self._track_working(order)
        t = self._by_order.get(cid)
        new = [ex for ex in order.fills if ex.exec_id not in self._seen]
        for ex in new:
            self._book(ex)
        if t is None:
            return
        if cid == t.entry_order_id:
            self._on_entry(t, order, new)
        else:
            self._on_exit(t, order, new)

    def _on_entry(self, t: Trade, order: Order, new: list[Execution]) -> None:
        if order.status is OrderStatus.REJECTED and t.id is None:
            self._forget(t)  # the entry never left: the trade never existed
            return
        for ex in new:
            t.add_entry_fill(ex.quantity, ex.price, ex.charges.total, ex.ts)
        if new:
            exits.arm_risk_reduction(t, self._rules(t.strategy))
            self._index(t)
            self._arm_time_exit(self._inst(t.symbol).calendar, self.clock.now())
            self._save(t, "entry_fill", {"filled": str(t.entry_qty), "price": str(t.entry_price)})
        if order.is_terminal:
            if t.entry_qty == 0:
                self._close(t, ExitReason.NOT_FILLED)
            elif t.open_qty <= 0 and t.exit_qty > 0:
                self._close(t, t.exit_reason or ExitReason.MANUAL)
            elif t.pending_reason is not None:
                self._send_pending_exit(t)

    def _on_exit(self, t: Trade, order: Order, new: list[Execution]) -> None:
        cid = order.client_order_id
        reason = t.exit_orders.get(cid, ExitReason.MANUAL)
        if reason is ExitReason.TRAILING_STOP and new and t.initial_stop is not None and \
                (new[-1].price - t.initial_stop) * t.side.sign <= 0:
            reason = ExitReason.STOP_LOSS  # the trailing stop had not moved past the initial stop
        for ex in new:
            qty = min(ex.quantity, t.open_qty)
            if qty > 0:
                t.add_exit_fill(qty, ex.price, ex.charges.total, ex.ts)
        if order.is_terminal and t.pending_exit == cid:
            t.pending_exit = None
        if new and t.open_qty <= 0:
            entry = self.orders.lookup(t.entry_order_id)
            if entry is None or not entry.is_open:
                for other in t.protective:  # one outside the OCO group (a re-placed stop) has no sibling to cancel it
                    leftover = self.orders.lookup(other)
                    if leftover is not None and leftover.is_open and \
                            (leftover.oco_group is None or leftover.oco_group != order.oco_group):
                        self.orders.cancel_order(other, reason=f"trade closed: {reason.value}")
                self._close(t, reason, new[-1].ts)
                return
        if new:
            self._save(t, "exit_fill", {"reason": reason.value, "exited": str(t.exit_qty)})
        if order.is_terminal and cid in t.protective:
            self._send_pending_exit(t)

    def _book(self, ex: Execution) -> None:
        self._seen.add(ex.exec_id)
        inst = self._inst(ex.symbol)
        self.portfolio.book(ex.symbol, ex.side, ex.quantity, ex.price, ex.charges.total, ex.ts, inst.multiplier)
        if self._count_day_trades and inst.kind is not InstrumentKind.FUTURE:
            self.portfolio.counter.record(DayTradeFill(ex.symbol, ex.side, ex.quantity, ex.ts))

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
    def stop(self) -> None:
        self.checks.decisions.flush()

    def sweep(self, now: datetime) -> None:
        """Safety net: adopt outside state changes, run kill requests, check every position is protected.

        The paper and live runs call it every ``sweep_seconds`` of wall time (``theo risk`` acts from another
        process, whatever the market clock does); a backtest never needs it.
        """
        kill = self.state.refresh()
        if kill is not None:
            self.kill(flatten=kill.flatten, reason=kill.reason, actor=kill.actor)
            self.state.kill_handled(kill)
        self._time_exit(now)
        for t in list(self._open.values()):
            safety.ensure_protected(self, t)
        self.checks.decisions.flush()
        if self.store is not None:
            safety.save_daily(self, now)

    def breakers(self, now: datetime) -> None:
        """RM-Max-sp (plan §5.5), the daily loss limit and consecutive losses move the trading state."""
        safety.breakers(self, now)

    # -- queries ----------------------------------------------------------------------------------------------
    def trades(self, *, open_only: bool = False) -> list[Trade]:
        return [t for t in self._all if t.is_open or not open_only]

    def open_trade_list(self) -> list[Trade]:
        return list(self._open.values())

    def trade_of(self, client_order_id: str) -> Trade | None:
        """The trade an entry, protective or exit order belongs to."""
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
        return by_day(self._all, self.portfolio.marks(), et_date(self.clock.now()))

    def trades_of_day(self, day: date) -> list[Trade]:
        """Open trades and those closed on ``day`` (ET)."""
        return [*self._open.values(), *self._closed_on.get(day, ())]

    def is_protected(self, t: Trade) -> bool:
        """True when ``t`` has a working protective stop (or needs none)."""
        if t.stop is None or t.open_qty <= 0:
            return True
        return any(self._is_open(cid) and t.protective[cid] is not ExitReason.PROFIT_TARGET for cid in t.protective)

    # -- bookkeeping used by recovery and safety ------------------------------------------------------------------
    def adopt(self, t: Trade, orders: Mapping[str, Order]) -> None:
        """Take over a trade rebuilt from the store and the journal (start-up and crash recovery)."""
        self.portfolio.changed()
        self._all.append(t)
        self._by_order[t.entry_order_id] = t
        for cid in list(t.exit_orders):
            self._by_order[cid] = t
            order = orders.get(cid)
            if order is not None and order.is_open and cid not in t.protective:
                t.pending_exit = cid
        entry = orders.get(t.entry_order_id)
        entry_open = entry is not None and entry.is_open
        if t.entry_qty > 0 and t.open_qty <= 0 and not entry_open:
            last = max((f.ts for cid in t.exit_orders if cid in orders for f in orders[cid].fills),
                       default=self.clock.now())
            self._open[t.entry_order_id] = t  # _close removes it again
            t.status = TradeStatus.RUNNING
            fills = [cid for cid in t.exit_orders if cid in orders and orders[cid].fills]
            self._close(t, t.exit_orders[fills[-1]] if fills else ExitReason.MANUAL, last)
            return
        if t.entry_qty == 0 and not entry_open:
            self._open[t.entry_order_id] = t
            self._close(t, ExitReason.NOT_FILLED)
            return
        t.status = TradeStatus.RUNNING if t.entry_qty > 0 else TradeStatus.WAITING
        self._open[t.entry_order_id] = t
        self._index(t)
        self._count_opened(t, 1)
        exits.arm_risk_reduction(t, self._rules(t.strategy))
        self._save(t, "recovered", {"entry_qty": str(t.entry_qty), "exit_qty": str(t.exit_qty)})
        if t.entry_qty > 0:
            self._arm_time_exit(self._inst(t.symbol).calendar, self.clock.now())

    def book_history(self, orders: list[Order]) -> int:
        """Book the fills of journaled orders into the account once, in time order; return how many."""
        fills = sorted((f for o in orders for f in o.fills if f.exec_id not in self._seen),
                       key=lambda f: (f.ts, f.exec_id))
        for ex in fills:
            self._book(ex)
        for o in orders:
            self._order_status[o.client_order_id] = o.status
            self._track_working(o)
        return len(fills)

    def add_protection(self, t: Trade, cid: str, reason: ExitReason) -> None:
        t.protective[cid] = reason
        t.exit_orders[cid] = reason
        self._by_order[cid] = t

    def instrument(self, symbol: str) -> Instrument:
        return self._inst(symbol)

    # -- internals ----------------------------------------------------------------------------------------------
    def _rules(self, strategy: str) -> TradeRules:
        rules = self._rules_of.get(strategy)
        if rules is None:
            rules = self.config.rules_for(strategy)
            if self.terms.get(strategy, _DEFAULT_TERMS).holds_overnight and rules.time_exit is not None:
                rules = rules.model_copy(update={"time_exit": None})  # a positional strategy holds overnight
            self._rules_of[strategy] = rules
        return rules

    def _may_hold_overnight(self) -> bool:
        """True when some trade may stay open past the close, so Reg T's overnight requirement applies."""
        return self.config.trade.time_exit is None or any(t.holds_overnight for t in self.terms.values())

    def _inst(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        return inst if inst is not None else equity(symbol)

    def _is_open(self, cid: str) -> bool:
        order = self.orders.lookup(cid)
        return order is not None and order.is_open

    def _bind_entry(self, t: Trade, order: Order) -> None:
        self.portfolio.changed()
        cid = order.client_order_id
        t.entry_order_id = cid
        self._by_order[cid] = t
        self._all.append(t)
        self._open[cid] = t
        self._index(t)
        self._count_opened(t, 1)

    def _index(self, t: Trade) -> None:
        lst = self._by_symbol.setdefault(t.symbol, [])
        if t not in lst:
            lst.append(t)

    def _count_opened(self, t: Trade, n: int) -> None:
        day = et_date(t.created_at or self.clock.now())
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
        self.portfolio.changed()
        t.close(reason, ts or self.clock.now())
        self._open.pop(t.entry_order_id, None)
        if t.exit_ts is not None:
            self._closed_on.setdefault(et_date(t.exit_ts), []).append(t)
        lst = self._by_symbol.get(t.symbol)
        if lst and t in lst:
            lst.remove(t)
        if t.entry_qty:
            self.losses_in_row = self.losses_in_row + 1 if t.net() < 0 else 0
        self._save(t, "closed", {"reason": reason.value, "net": str(t.realised - t.charges)})
        if self.bus is not None and self.bus.has_subscribers("trades.closed"):
            self.bus.publish("trades.closed", t)
        self.breakers(t.exit_ts or self.clock.now())

    def _save(self, t: Trade, kind: str, payload: dict[str, str], actor: str = "engine") -> None:
        if self.store is not None:
            self.store.save(t, self.clock.now(), kind, payload, actor)
        elif t.id is None:
            self._next_id += 1
            t.id = self._next_id
        if kind == "opened" and self.bus is not None and self.bus.has_subscribers("trades.opened"):
            self.bus.publish("trades.opened", t)

    def _note(self, t: Trade, kind: str, payload: dict[str, str], actor: str = "engine") -> None:
        if t.id is not None and self.store is not None:
            self.store.save(t, self.clock.now(), kind, payload, actor)


__all__ = ["CLOSE_ALL", "ENTRY_NOTE", "EXIT_NOTE", "PROTECTIVE", "REASON_OF_TAG", "StrategyTerms", "TradeManager",
           "TradeStore"]
