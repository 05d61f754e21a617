"""Fill rules of the simulated broker: at what price, if any, a working order trades in one price bar.

A tick is a bar whose open, high, low and close are its price. Rules (conservative, no look-ahead):

* MARKET fills at the open of the first bar after submission, ``slippage`` ticks against us.
* LIMIT fills at the open when the open is already better than the limit, else at the limit when the bar
  trades through it (``limit_fill="touch"``: reaching it is enough).
* STOP triggers when the bar reaches the stop; it fills at the worse of open and stop, plus slippage.
* STOP_LIMIT triggers like a stop; it fills at the trigger price if that is within the limit, else it
  works as a limit from the next bar on.
* TRAILING_STOP checks the stop set by the best price seen before this bar, then moves the stop with this
  bar's best price (so a bar never triggers on a stop it set itself). Its stop never trails looser than its
  initial stop; with a trigger price it is a plain stop until the market reaches the trigger (IBKR's adjusted
  stop), and trails from the best price of the bar that reached it.
* IOC/FOK orders look at the open of the first bar only; what cannot fill there is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from theo.adapters.sim.state import SimOrder
from theo.model.enums import OrderType, Side, TimeInForce


def to_tick(price: Decimal, tick: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """``price`` on the tick grid, keeping the tick's exponent (no ``1E+2`` forms)."""
    return (price / tick).quantize(Decimal(1), rounding=rounding) * tick


@dataclass(frozen=True, slots=True)
class PriceBar:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: float


def trail_stop(order: SimOrder, tick: Decimal) -> Decimal | None:
    """The stop of a trailing order from its reference price, rounded away from the market to the tick."""
    ref = order.trail_ref
    if ref is None:
        return None
    dist = order.trail_amount if order.trail_amount is not None else ref * (order.trail_percent or Decimal(0)) / 100
    if order.side is Side.SELL:
        return to_tick(ref - dist, tick, ROUND_FLOOR)
    return to_tick(ref + dist, tick, ROUND_CEILING)


def _limit(order: SimOrder, bar: PriceBar, touch: bool, first_only: bool) -> Decimal | None:
    limit = order.limit_price
    assert limit is not None
    if order.side is Side.BUY:
        if bar.open <= limit:
            return bar.open
        if not first_only and (bar.low < limit or (touch and bar.low <= limit)):
            return limit
        return None
    if bar.open >= limit:
        return bar.open
    if not first_only and (bar.high > limit or (touch and bar.high >= limit)):
        return limit
    return None


def _stop_trigger(side: Side, stop: Decimal, bar: PriceBar) -> Decimal | None:
    """Price at which a stop triggers in this bar (the worse of open and stop), or None."""
    if side is Side.BUY:
        return max(bar.open, stop) if bar.high >= stop else None
    return min(bar.open, stop) if bar.low <= stop else None


def _slip(side: Side, price: Decimal, slip: Decimal, tick: Decimal) -> Decimal:
    out = price + slip if side is Side.BUY else price - slip
    return max(out, tick)


def fill_price(order: SimOrder, bar: PriceBar, tick: Decimal, slippage_ticks: int, touch: bool) -> Decimal | None:
    """Price at which ``order`` trades in ``bar`` (updating trigger/trail state), or None."""
    slip = tick * slippage_ticks
    first_only = order.tif in (TimeInForce.IOC, TimeInForce.FOK)
    kind = order.order_type
    if kind is OrderType.MARKET:
        return _slip(order.side, bar.open, slip, tick)
    if kind is OrderType.LIMIT:
        return _limit(order, bar, touch, first_only)
    if kind is OrderType.STOP:
        assert order.stop_price is not None
        trig = _stop_trigger(order.side, order.stop_price, bar)
        return None if trig is None else _slip(order.side, trig, slip, tick)
    if kind is OrderType.STOP_LIMIT:
        assert order.stop_price is not None
        assert order.limit_price is not None
        if order.triggered:
            return _limit(order, bar, touch, False)
        trig = _stop_trigger(order.side, order.stop_price, bar)
        if trig is None:
            return None
        order.triggered = True
        within = trig <= order.limit_price if order.side is Side.BUY else trig >= order.limit_price
        return trig if within else None
    # TRAILING_STOP
    if order.trail_ref is None and order.trail_active:
        order.trail_ref = bar.open
        order.stop_price = tighter(order.side, order.stop_price, trail_stop(order, tick))
    stop = order.stop_price
    if stop is not None:
        trig = _stop_trigger(order.side, stop, bar)
        if trig is not None:
            return _slip(order.side, trig, slip, tick)
    advance_trail(order, bar.high if order.side is Side.SELL else bar.low, tick)
    return None


def tighter(side: Side, stop: Decimal | None, other: Decimal | None) -> Decimal | None:
    """The stop nearer the market of the two (a sell stop: the higher), ignoring a missing one."""
    if stop is None:
        return other
    if other is None:
        return stop
    return max(stop, other) if side is Side.SELL else min(stop, other)


def advance_trail(order: SimOrder, best: Decimal, tick: Decimal) -> bool:
    """Let a trailing stop see the best price of a stretch it did not trigger in; ``True`` when it moved.

    Before its trigger it trails nothing; the stretch that reaches the trigger starts the trail at its best.
    The result depends only on the best price of the stretch, so a backtest may hand over many bars at once.
    """
    sell = order.side is Side.SELL
    if not order.trail_active:
        trigger = order.trail_trigger
        if trigger is None or (best < trigger if sell else best > trigger):
            return False
        order.trail_active = True
    elif order.trail_ref is not None and (best <= order.trail_ref if sell else best >= order.trail_ref):
        return False
    order.trail_ref = best
    order.stop_price = tighter(order.side, order.stop_price, trail_stop(order, tick))
    return True


def fill_quantity(remaining: Decimal, volume: float, participation: float | None, lot: int) -> Decimal:
    """How much may fill in a bar: all of it, or at most ``participation`` of the bar's volume in whole lots."""
    if participation is None:
        return remaining
    cap_lots = int(volume * participation) // lot
    return min(remaining, Decimal(cap_lots * lot))
