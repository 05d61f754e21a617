"""Trade planning (plan §5.1 checks 4–10): target, stop, account risk, shares from risk, trade and total risk.

``shares = risk budget / (entry - stop)`` per unit of the instrument's multiplier, rounded down to the
contract size, so the planned risk never exceeds the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from theo.core.errors import RiskDenied
from theo.model.enums import OrderType, Side
from theo.model.instruments import Instrument
from theo.model.money import ZERO, round_to_tick, to_decimal
from theo.risk.config import Limits
from theo.strategy.base import Signal

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TradePlan:
    """What a signal becomes after the pre-trade calculations; money in Decimal USD."""

    strategy: str
    symbol: str
    side: Side
    quantity: Decimal
    entry: Decimal
    stop: Decimal
    target: Decimal | None
    risk: Decimal  # USD lost at the stop: quantity x |entry - stop| x multiplier
    risk_per_unit: Decimal
    budget: Decimal  # account risk % of equity
    total_risk_pct: Decimal  # open risk + this trade, % of equity
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_note: str = ""  # check 10: how the stop was adjusted, if it was
    signal_id: int | None = None
    ss_type: str = ""
    signal: Signal | None = None

    @property
    def reward_risk(self) -> Decimal | None:
        if self.target is None or self.risk_per_unit == 0:
            return None
        return abs(self.target - self.entry) / abs(self.entry - self.stop)


def size_from_risk(budget: Decimal, entry: Decimal, stop: Decimal, multiplier: Decimal = Decimal(1),
                   contract_size: int = 1) -> Decimal:
    """Largest whole number of lots whose loss at ``stop`` stays within ``budget`` (0 when none fits)."""
    per_unit = abs(entry - stop) * multiplier
    if per_unit <= 0 or budget <= 0:
        return ZERO
    lots = int((budget / per_unit / contract_size).to_integral_value(rounding=ROUND_FLOOR))
    return Decimal(lots * contract_size)


def _adjust_stop(side: Side, entry: Decimal, stop: Decimal, inst: Instrument, lim: Limits) -> tuple[Decimal, str]:
    """Check 10: pull a too-far stop in to ``max_stop_pct``; push a too-near one out to ``min_stop_ticks``."""
    tick = inst.tick_size
    dist = abs(entry - stop)
    max_dist = entry * lim.max_stop_pct / HUNDRED
    min_dist = tick * lim.min_stop_ticks
    if dist > max_dist:
        steps = (max_dist / tick).to_integral_value(rounding=ROUND_FLOOR)
        new = entry - side.sign * steps * tick
        return new, f"stop {stop} moved to {new}: farther than max_stop_pct={lim.max_stop_pct}%"
    if dist < min_dist:
        new = entry - side.sign * min_dist
        return new, f"stop {stop} moved to {new}: nearer than min_stop_ticks={lim.min_stop_ticks}"
    return stop, ""


def plan(signal: Signal, inst: Instrument, lim: Limits, equity: Decimal, open_risk: Decimal, *,
         signal_id: int | None = None, ss_type: str = "") -> TradePlan:
    """Turn ``signal`` into a :class:`TradePlan` or raise :class:`RiskDenied` naming the failed check."""
    if equity <= 0:
        raise RiskDenied("ACCOUNT_RISK", f"account equity is {equity}; no risk budget is left")
    side, tick = signal.side, inst.tick_size
    raw_entry = signal.limit_price if signal.limit_price is not None else signal.price
    entry = round_to_tick(to_decimal(raw_entry, field="signal.price"), tick)
    if entry <= 0:
        raise RiskDenied("STOP_LOSS", f"entry price {entry} of {signal.symbol} must be > 0")
    # Check 5: initial stop-loss, from the signal or the default distance.
    if signal.stop_loss is not None:
        stop = round_to_tick(to_decimal(signal.stop_loss, field="signal.stop_loss"), tick)
    else:
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        stop = round_to_tick(entry * (1 - side.sign * lim.default_stop_pct / HUNDRED), tick, rounding)
    if (entry - stop) * side.sign <= 0:
        where = "below" if side is Side.BUY else "above"
        raise RiskDenied("STOP_LOSS", f"stop-loss {stop} must be {where} the entry {entry} of a "
                                      f"{side.value} {signal.symbol}")
    stop, note = _adjust_stop(side, entry, stop, inst, lim)  # check 10
    if stop <= 0:
        raise RiskDenied("STOP_LOSS", f"stop-loss {stop} of {signal.symbol} is not a price; widen max_stop_pct")
    dist = abs(entry - stop)
    # Check 4: initial profit target, from the signal or default_target_r x the stop distance.
    target = entry + side.sign * dist * lim.default_target_r if signal.take_profit is None else \
        round_to_tick(to_decimal(signal.take_profit, field="signal.take_profit"), tick)
    target = round_to_tick(target, tick)
    if (target - entry) * side.sign <= 0:
        where = "above" if side is Side.BUY else "below"
        raise RiskDenied("PROFIT_TARGET", f"profit target {target} must be {where} the entry {entry} of a "
                                          f"{side.value} {signal.symbol}")
    if abs(target - entry) < dist * lim.min_reward_risk:
        raise RiskDenied("PROFIT_TARGET", f"reward/risk {abs(target - entry) / dist:.2f} of {signal.symbol} is "
                                          f"below min_reward_risk={lim.min_reward_risk} (target {target}, "
                                          f"entry {entry}, stop {stop})")
    # Checks 6-7: account risk % -> budget -> shares from risk, rounded down to the contract size.
    budget = equity * lim.account_risk_pct / HUNDRED
    per_unit = dist * inst.multiplier
    qty = size_from_risk(budget, entry, stop, inst.multiplier, inst.contract_size)
    for cap in (lim.max_trade_qty, lim.max_position_qty):
        if cap is not None:
            qty = min(qty, Decimal(int(cap / inst.contract_size) * inst.contract_size))
    if lim.max_position_value is not None:
        qty = min(qty, size_from_risk(lim.max_position_value, entry, ZERO, inst.multiplier, inst.contract_size))
    # Check 9: total risk % of all open trades with this one; shrink the trade to fit the room left.
    room = equity * lim.max_total_risk_pct / HUNDRED - open_risk
    qty = min(qty, size_from_risk(room, entry, stop, inst.multiplier, inst.contract_size))
    if qty <= 0:
        raise RiskDenied("POSITION_SIZE", f"no whole lot of {signal.symbol} fits: one lot risks "
                                          f"{per_unit * inst.contract_size:.2f} USD, the budget is {budget:.2f} USD "
                                          f"(account_risk_pct={lim.account_risk_pct}) and the open-risk room is "
                                          f"{max(room, ZERO):.2f} USD (max_total_risk_pct={lim.max_total_risk_pct})")
    risk = qty * per_unit  # check 8: trade risk
    order_type = OrderType.LIMIT if signal.limit_price is not None else OrderType.MARKET
    return TradePlan(strategy=signal.strategy, symbol=signal.symbol, side=side, quantity=qty, entry=entry,
                     stop=stop, target=target, risk=risk, risk_per_unit=per_unit, budget=budget,
                     total_risk_pct=(open_risk + risk) / equity * HUNDRED, order_type=order_type,
                     limit_price=entry if order_type is OrderType.LIMIT else None, stop_note=note,
                     signal_id=signal_id, ss_type=ss_type, signal=signal)
