"""One strategy's position in one symbol: market orders fill at the next open, stops and targets on the
price path. The streaming path calls :meth:`SymbolBook.on_item` for every bar or tick; the batch path calls
the same method only at the items where something happens (found with vectorised searches)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from theo.core.bus.memory import InMemoryBus
from theo.model.enums import OrderStatus, Side
from theo.model.money import round_to_tick, to_decimal
from theo.model.series import BarSeries, from_us, to_us
from theo.node.charges import ChargesModel
from theo.node.records import Journal, OrderRecord, TradeRecord
from theo.strategy.base import Signal

_FIRST_WINDOW = 256


@dataclass
class BookContext:
    """What all books of a run share: fill model, charges, journal, bus and the open notional."""

    journal: Journal
    bus: InMemoryBus | None
    charges: ChargesModel
    tick_size: Decimal
    slippage_ticks: int
    capital: Decimal
    max_leverage: Decimal
    open_notional: Decimal = Decimal(0)

    def publish(self, topic: str, message: object) -> None:
        if self.bus is not None and self.bus.has_subscribers(topic):
            self.bus.publish(topic, message)


class SymbolBook:
    """Position, working market orders and protective levels of one (strategy, symbol)."""

    def __init__(self, ctx: BookContext, strategy: str, symbol: str, quantity: Decimal,
                 trail_pct: float | None, series: BarSeries | None = None) -> None:
        self.ctx = ctx
        self.strategy = strategy
        self.symbol = symbol
        self.quantity = quantity
        self.trail_pct = trail_pct
        self.series = series
        self.position: TradeRecord | None = None
        self.pending: list[OrderRecord] = []
        self.best = 0.0  # highest high (long) / lowest low (short) since entry, before the current item
        self._fill_idx = 0  # batch path: item where the working market orders fill
        self._exit_idx = 0  # batch path: item where the open position's stop or target trades
        self._exit_best = 0.0  # batch path: ``best`` just before that item
        self.items = 0  # streaming path: items seen
        self._orders = 0
        self._trades = 0
        self._entry_levels: tuple[float | None, float | None] = (None, None)
        self._reserved = Decimal(0)  # notional this book holds against the run's leverage limit

    # ----------------------------------------------------------------------------------------- signals
    def on_signal(self, sig: Signal) -> tuple[str, str]:
        """Turn a signal into a market order if it applies; return (status, note)."""
        if sig.exit:
            pos = self.position
            if pos is None or pos.side is not sig.side.opposite or any(o.purpose == "exit-rule"
                                                                      for o in self.pending):
                return "CANCELLED", "no matching open position"
            self._new_order(sig.side, pos.quantity, "exit-rule", sig)
            return "EXECUTED", ""
        closing = self.position is not None and any(o.purpose == "exit-rule" for o in self.pending)
        if (self.position is not None and not closing) or any(o.purpose == "entry" for o in self.pending):
            return "CANCELLED", "position already open or entry working"
        notional = self.quantity * to_decimal(sig.price, field="signal price")
        limit = self.ctx.capital * self.ctx.max_leverage
        if self.ctx.open_notional + notional > limit:
            return "FAILED", f"open notional {self.ctx.open_notional + notional:.2f} would exceed {limit:.2f}"
        self.ctx.open_notional += notional
        self._reserved += notional
        self._new_order(sig.side, self.quantity, "entry", sig)
        self._entry_levels = (sig.stop_loss, sig.take_profit)
        return "EXECUTED", ""

    def _new_order(self, side: Side, qty: Decimal, purpose: str, sig: Signal | None,
                   ts_us: int | None = None) -> OrderRecord:
        self._orders += 1
        created = sig.ts if sig is not None else from_us(ts_us or 0)
        order = OrderRecord(id=f"{self.strategy}:{self.symbol}:{self._orders}", strategy=self.strategy,
                            symbol=self.symbol, side=side, quantity=qty, purpose=purpose, created=created,
                            reason=sig.reason if sig is not None else purpose)
        self.ctx.journal.add_order(order)
        self.ctx.publish("orders.accepted", order)
        if purpose in ("entry", "exit-rule"):
            if not self.pending and self.series is not None:
                self._fill_idx = int(np.searchsorted(self.series.start_us, to_us(created), side="left"))
            self.pending.append(order)
        return order

    # ------------------------------------------------------------------------------------------- fills
    def _price(self, value: float, side: Side, slip: bool) -> Decimal:
        price = round_to_tick(to_decimal(value, field="fill price"), self.ctx.tick_size)
        if slip and self.ctx.slippage_ticks:
            price += side.sign * self.ctx.slippage_ticks * self.ctx.tick_size
        return price

    def _fill(self, order: OrderRecord, idx: int, ts_us: int, price: Decimal) -> None:
        order.status = OrderStatus.FILLED
        order.filled = from_us(ts_us)
        order.fill_price = price
        order.fill_index = idx
        order.charges = self.ctx.charges(order.side, order.quantity, price)
        self.ctx.journal.order_changed(order)
        self.ctx.publish("orders.filled", order)

    def _open(self, order: OrderRecord, idx: int, ts_us: int, o: float) -> None:
        self._fill(order, idx, ts_us, self._price(o, order.side, True))
        assert order.fill_price is not None
        stop, target = self._entry_levels
        self._trades += 1
        fill = float(order.fill_price)
        trail = None if self.trail_pct is None else fill * self.trail_pct / 100.0
        self.position = TradeRecord(id=f"{self.strategy}:{self.symbol}:T{self._trades}", strategy=self.strategy,
                                    symbol=self.symbol, side=order.side, quantity=order.quantity,
                                    entry_ts=order.filled or from_us(ts_us), entry_price=order.fill_price,
                                    entry_charges=order.charges, entry_index=idx, stop=stop, target=target,
                                    trail=trail, signal_reason=order.reason)
        self.best = fill
        self.ctx.journal.add_trade(self.position)
        self.ctx.publish("trades.opened", self.position)

    def _close(self, order: OrderRecord, idx: int, ts_us: int, price: Decimal) -> None:
        pos = self.position
        assert pos is not None
        self._fill(order, idx, ts_us, price)
        pos.exit_ts, pos.exit_price, pos.exit_charges = order.filled, price, order.charges
        pos.exit_index, pos.exit_reason = idx, order.purpose
        self.ctx.open_notional -= self._reserved
        self._reserved = Decimal(0)
        self.position = None
        self.ctx.journal.trade_changed(pos)
        self.ctx.publish("trades.closed", pos)

    def effective_stop(self) -> float | None:
        """The stop in force now: the fixed stop, tightened by the trail behind the best price."""
        pos = self.position
        if pos is None:
            return None
        stop = pos.stop
        if pos.trail is not None:
            trailed = self.best - pos.trail if pos.side is Side.BUY else self.best + pos.trail
            if stop is not None:
                trailed = max(stop, trailed) if pos.side is Side.BUY else min(stop, trailed)
            stop = trailed
        return stop

    def on_item(self, idx: int, ts_us: int, o: float, h: float, lo: float) -> None:
        """Process one bar or tick (a tick is a bar with open = high = low): fills first, then the stops."""
        if self.pending:
            for order in self.pending:
                if order.purpose == "exit-rule":
                    if self.position is not None:
                        self._close(order, idx, ts_us, self._price(o, order.side, True))
                    else:  # nothing left to close: record it, never drop an order silently
                        order.status = OrderStatus.CANCELLED
                        self.ctx.journal.order_changed(order)
                else:
                    self._open(order, idx, ts_us, o)
            self.pending = []
        pos = self.position
        if pos is None:
            return
        stop = self.effective_stop()
        long = pos.side is Side.BUY
        target = pos.target
        stop_hit = stop is not None and (lo <= stop if long else h >= stop)
        target_hit = target is not None and (h >= target if long else lo <= target)
        if stop_hit or target_hit:
            gap_target = target is not None and (o >= target if long else o <= target)
            if stop_hit and not gap_target:
                assert stop is not None
                level = min(o, stop) if long else max(o, stop)
                fixed = pos.stop is not None and stop == pos.stop
                purpose = "stop-loss" if fixed or pos.trail is None else "trailing-stop"
                price = self._price(level, pos.side.opposite, True)
            else:
                assert target is not None
                level = max(o, target) if long else min(o, target)
                purpose, price = "take-profit", self._price(level, pos.side.opposite, False)
            order = self._new_order(pos.side.opposite, pos.quantity, purpose, None, ts_us)
            self._close(order, idx, ts_us, price)
            return
        self.best = max(self.best, h) if long else min(self.best, lo)

    # --------------------------------------------------------------------------------------- batch jump
    def advance_to(self, t_us: int) -> None:
        """Batch path: process every item that starts before ``t_us`` where something happens.

        Only two items can matter: the one where working market orders fill, and the one where the open
        position's stop or target trades (searched once, vectorially, when the position opens).
        """
        s = self.series
        assert s is not None
        while True:
            if self.pending:
                i = self._fill_idx
                if i >= len(s) or int(s.start_us[i]) >= t_us:
                    return
                self.on_item(i, int(s.start_us[i]), float(s.open[i]), float(s.high[i]), float(s.low[i]))
                if self.position is not None:
                    self._plan_exit(i + 1)
            elif self.position is not None:
                j = self._exit_idx
                if j >= len(s) or int(s.start_us[j]) >= t_us:
                    return
                self.best = self._exit_best
                self.on_item(j, int(s.start_us[j]), float(s.open[j]), float(s.high[j]), float(s.low[j]))
            else:
                return

    def _plan_exit(self, start: int) -> None:
        s = self.series
        assert s is not None
        self._exit_idx = self._find_exit(start, len(s))
        self._exit_best = self.best

    def _find_exit(self, cur: int, end: int) -> int:
        """First item in [cur, end) where the stop or target trades; updates ``best`` up to it."""
        pos = self.position
        s = self.series
        assert pos is not None
        assert s is not None
        long = pos.side is Side.BUY
        if pos.stop is None and pos.target is None and pos.trail is None:
            return end
        lo_i = cur
        width = _FIRST_WINDOW
        while lo_i < end:
            hi_i = min(end, lo_i + width)
            high, low = s.high[lo_i:hi_i], s.low[lo_i:hi_i]
            if long:
                best = np.maximum.accumulate(np.concatenate(([self.best], high[:-1])))
            else:
                best = np.minimum.accumulate(np.concatenate(([self.best], low[:-1])))
            hit = np.zeros(hi_i - lo_i, dtype=bool)
            if pos.trail is not None or pos.stop is not None:
                stop = self._stop_array(best)
                hit |= (low <= stop) if long else (high >= stop)
            if pos.target is not None:
                hit |= (high >= pos.target) if long else (low <= pos.target)
            k = int(np.argmax(hit)) if hit.any() else -1
            if k >= 0:
                self.best = float(best[k])
                return lo_i + k
            self.best = float(max(self.best, high.max()) if long else min(self.best, low.min()))
            lo_i = hi_i
            width *= 4
        return end

    def _stop_array(self, best: np.ndarray) -> np.ndarray:
        pos = self.position
        assert pos is not None
        long = pos.side is Side.BUY
        if pos.trail is None:
            return np.full(best.shape[0], pos.stop)
        trailed = best - pos.trail if long else best + pos.trail
        if pos.stop is None:
            return trailed
        return np.maximum(trailed, pos.stop) if long else np.minimum(trailed, pos.stop)
