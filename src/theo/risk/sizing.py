"""Trade planning (plan §5.1 checks 4–10): target, stop, the sizing policy, then the caps.

1. **Levels**: the stop is the signal's ``stop_loss`` or ``default_stop_pct`` away (``[risk.trade]
   protective_stop = "signal"`` keeps only a signal's own stop), pulled in to ``max_stop_pct`` or pushed out to
   ``min_stop_ticks`` (check 10); the target is the signal's ``take_profit`` or ``default_target_r`` × the
   stop distance (``profit_target = "signal"``: only the signal's).
2. **Size** from the strategy's policy: :class:`~theo.strategy.settings.FixedQuantity` (its quantity) or
   :class:`~theo.strategy.settings.RiskPercent` (``risk budget / (entry - stop)``, rounded down to the
   contract size, so the planned risk never exceeds the budget; checks 6-8).
3. **Caps**: the quantity is lowered, never refused, to fit ``max_trade_qty``, ``max_position_qty``,
   ``max_position_value``, the room left under ``max_total_risk_pct`` (check 9), the gross and net exposure
   limits and the buying power (intraday margin, day-trading buying power, Reg T overnight; check 11). Each cap
   that bites is recorded with the rule, by how much and why; only when nothing is left is the trade refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from theo.core.errors import RiskDenied
from theo.model.enums import InstrumentKind, OrderType, Side
from theo.model.instruments import Instrument
from theo.model.money import ZERO, round_to_tick, to_decimal
from theo.model.signals import Signal
from theo.risk.account import AccountSnapshot
from theo.risk.config import Limits, TradeRules
from theo.risk.margin import MarginModel
from theo.strategy.settings import FixedQuantity, RiskPercent

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TradePlan:
    """What a signal becomes after the pre-trade calculations; money in Decimal USD."""

    strategy: str
    symbol: str
    side: Side
    quantity: Decimal
    entry: Decimal
    stop: Decimal | None  # the protective stop order's price (None: no stop order)
    target: Decimal | None  # the take-profit order's price (None: no target order)
    risk: Decimal  # USD lost at the stop (at default_stop_pct when there is no stop order)
    risk_per_unit: Decimal
    budget: Decimal  # the risk budget of a risk-percent entry (0 for a fixed quantity)
    total_risk_pct: Decimal  # open risk + this trade, % of equity
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    requested_qty: Decimal = ZERO  # what the sizing policy asked for, before the caps
    notes: tuple[str, ...] = ()  # the stop adjustment (check 10) and every cap that bit
    signal_id: int | None = None
    ss_type: str = ""
    signal: Signal | None = None

    @property
    def reward_risk(self) -> Decimal | None:
        if self.target is None or self.stop is None or self.entry == self.stop:
            return None
        return abs(self.target - self.entry) / abs(self.entry - self.stop)


@dataclass(frozen=True, slots=True)
class MarginContext:
    """What the buying-power caps need besides the account snapshot."""

    start_of_day_equity: Decimal = ZERO
    start_of_day_maintenance: Decimal = ZERO  # of the positions held at the previous close (§1.1 (iii))
    available_funds: Decimal | None = None  # the broker's, when it reports it (intraday margin regime)
    holds_overnight: bool = True  # Reg T applies to the end-of-day position
    pdt_policy: str = "none"
    pdt_min_equity: Decimal = ZERO
    intraday_margin_buffer: Decimal = ZERO


def size_from_risk(budget: Decimal, entry: Decimal, stop: Decimal, multiplier: Decimal = Decimal(1),
                   contract_size: int = 1) -> Decimal:
    """Largest whole number of lots whose loss at ``stop`` stays within ``budget`` (0 when none fits)."""
    per_unit = abs(entry - stop) * multiplier
    if per_unit <= 0 or budget <= 0:
        return ZERO
    return _lots(budget / per_unit, contract_size)


def _lots(qty: Decimal, lot: int) -> Decimal:
    if qty <= 0:
        return ZERO
    return Decimal(int((qty / lot).to_integral_value(rounding=ROUND_FLOOR)) * lot)


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


def levels(signal: Signal, inst: Instrument, lim: Limits, rules: TradeRules,
           entry: Decimal) -> tuple[Decimal | None, Decimal | None, Decimal, str]:
    """Checks 4, 5 and 10: stop, target, the risk distance per unit and the note of a moved stop."""
    side, tick = signal.side, inst.tick_size
    stop: Decimal | None = None
    note = ""
    if signal.stop_loss is not None:
        stop = round_to_tick(to_decimal(signal.stop_loss, field="signal.stop_loss"), tick)
    elif rules.protective_stop == "always":
        rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
        stop = round_to_tick(entry * (1 - side.sign * lim.default_stop_pct / HUNDRED), tick, rounding)
    if stop is not None:
        if (entry - stop) * side.sign <= 0:
            where = "below" if side is Side.BUY else "above"
            raise RiskDenied("STOP_LOSS", f"stop-loss {stop} must be {where} the entry {entry} of a "
                                          f"{side.value} {signal.symbol}")
        stop, note = _adjust_stop(side, entry, stop, inst, lim)
        if stop <= 0:
            raise RiskDenied("STOP_LOSS", f"stop-loss {stop} of {signal.symbol} is not a price; widen max_stop_pct")
        dist = abs(entry - stop)
    else:
        dist = round_to_tick(entry * lim.default_stop_pct / HUNDRED, tick)  # nominal risk of a stop-less trade
    target: Decimal | None = None
    if signal.take_profit is not None:
        target = round_to_tick(to_decimal(signal.take_profit, field="signal.take_profit"), tick)
    elif rules.profit_target == "always":
        target = round_to_tick(entry + side.sign * dist * lim.default_target_r, tick)
    if target is not None:
        if (target - entry) * side.sign <= 0:
            where = "above" if side is Side.BUY else "below"
            raise RiskDenied("PROFIT_TARGET", f"profit target {target} must be {where} the entry {entry} of a "
                                              f"{side.value} {signal.symbol}")
        if stop is not None and abs(target - entry) < dist * lim.min_reward_risk:
            raise RiskDenied("PROFIT_TARGET", f"reward/risk {abs(target - entry) / dist:.2f} of {signal.symbol} "
                                              f"is below min_reward_risk={lim.min_reward_risk} (target {target}, "
                                              f"entry {entry}, stop {stop})")
    return stop, target, dist, note


class _Caps:
    """Lower a quantity to each limit in turn, remembering which bit and why."""

    def __init__(self, qty: Decimal, lot: int) -> None:
        self.qty = qty
        self.lot = lot
        self.notes: list[str] = []
        self.binding = ""

    def apply(self, rule: str, limit: Decimal, why: str) -> None:
        cap = _lots(limit, self.lot)
        if cap < self.qty:
            self.notes.append(f"{rule}: quantity {self.qty} capped to {cap} ({why})")
            self.qty = cap
            self.binding = rule


def plan(signal: Signal, inst: Instrument, lim: Limits, rules: TradeRules, policy: FixedQuantity | RiskPercent,
         acct: AccountSnapshot, ctx: MarginContext, margin: MarginModel, price: Decimal, *,
         signal_id: int | None = None, ss_type: str = "") -> TradePlan:
    """Turn ``signal`` into a :class:`TradePlan` or raise :class:`RiskDenied` naming the failed check.

    ``price`` is what the order is expected to trade at (the last price, else the signal's).
    """
    eq = acct.equity
    if eq <= 0:
        raise RiskDenied("ACCOUNT_RISK", f"account equity is {eq}; no risk budget is left")
    side, tick = signal.side, inst.tick_size
    raw_entry = signal.limit_price if signal.limit_price is not None else price
    entry = round_to_tick(to_decimal(raw_entry, field="signal.price"), tick)
    if entry <= 0:
        raise RiskDenied("STOP_LOSS", f"entry price {entry} of {signal.symbol} must be > 0")
    stop, target, dist, note = levels(signal, inst, lim, rules, entry)
    per_unit = dist * inst.multiplier
    lot = inst.contract_size
    if isinstance(policy, FixedQuantity):
        budget = ZERO
        wanted = _lots(policy.quantity, lot)
        if wanted <= 0:
            raise RiskDenied("POSITION_SIZE", f"quantity {policy.quantity} of {signal.strategy} is less than one "
                                              f"lot of {lot} {signal.symbol}")
    else:
        budget = eq * (policy.risk_pct or lim.account_risk_pct) / HUNDRED
        wanted = size_from_risk(budget, entry, entry - side.sign * dist, inst.multiplier, lot)
        if wanted <= 0:
            raise RiskDenied("POSITION_SIZE", f"no whole lot of {signal.symbol} fits the risk budget: one lot risks "
                                              f"{per_unit * lot:.2f} USD, the budget is {budget:.2f} USD "
                                              f"(account_risk_pct={policy.risk_pct or lim.account_risk_pct})")
    caps = _Caps(wanted, lot)
    _cap_all(caps, signal, inst, lim, acct, ctx, margin, entry, per_unit)
    qty = caps.qty
    if qty <= 0:
        raise RiskDenied(caps.binding or "POSITION_SIZE", f"no whole lot of {signal.symbol} fits: "
                                                          + "; ".join(caps.notes))
    risk = qty * per_unit  # check 8: trade risk
    order_type = OrderType.LIMIT if signal.limit_price is not None else OrderType.MARKET
    notes = ((note,) if note else ()) + tuple(caps.notes)
    return TradePlan(strategy=signal.strategy, symbol=signal.symbol, side=side, quantity=qty, entry=entry, stop=stop,
                     target=target, risk=risk, risk_per_unit=per_unit, budget=budget,
                     total_risk_pct=(acct.open_risk + risk) / eq * HUNDRED, order_type=order_type,
                     limit_price=entry if order_type is OrderType.LIMIT else None, requested_qty=wanted,
                     notes=notes, signal_id=signal_id, ss_type=ss_type, signal=signal)


def _cap_all(caps: _Caps, signal: Signal, inst: Instrument, lim: Limits, acct: AccountSnapshot, ctx: MarginContext,
             margin: MarginModel, px: Decimal, per_unit: Decimal) -> None:
    """Check 9, §9 limits and check 11 as caps on the quantity (see the module docstring)."""
    s = signal.side.sign
    sym = signal.symbol
    pos = acct.positions.get(sym, ZERO)
    unit = px * inst.multiplier
    if lim.max_trade_qty is not None:
        caps.apply("POSITION_LIMIT", lim.max_trade_qty, f"max_trade_qty={lim.max_trade_qty}")
    if lim.max_position_qty is not None:
        caps.apply("POSITION_LIMIT", lim.max_position_qty - s * pos,
                   f"position {pos}, max_position_qty={lim.max_position_qty}")
    if lim.max_position_value is not None:
        caps.apply("POSITION_LIMIT", lim.max_position_value / unit - s * pos,
                   f"position {pos}, max_position_value={lim.max_position_value} USD at {px}")
    eq = acct.equity
    room = eq * lim.max_total_risk_pct / HUNDRED - acct.open_risk
    caps.apply("TOTAL_RISK", room / per_unit, f"open risk {acct.open_risk:.2f} USD, max_total_risk_pct="
                                              f"{lim.max_total_risk_pct}% of equity {eq:.2f}")
    own = acct.value(sym)
    gross_other = acct.gross - abs(own)
    net_other = acct.net - own
    caps.apply("EXPOSURE_LIMIT", (eq * lim.max_gross_exposure_pct / HUNDRED - gross_other) / unit - s * pos,
               f"gross exposure of the other positions {gross_other:.2f} USD, max_gross_exposure_pct="
               f"{lim.max_gross_exposure_pct}% of equity")
    caps.apply("EXPOSURE_LIMIT", (eq * lim.max_net_exposure_pct / HUNDRED - s * net_other) / unit - s * pos,
               f"net exposure of the other positions {net_other:.2f} USD, max_net_exposure_pct="
               f"{lim.max_net_exposure_pct}% of equity")
    _cap_margin(caps, s, pos, inst, acct, ctx, margin, px)


def _cap_margin(caps: _Caps, s: int, pos: Decimal, inst: Instrument, acct: AccountSnapshot, ctx: MarginContext,
                margin: MarginModel, px: Decimal) -> None:
    """Check 11 as caps: intraday initial margin, day-trading buying power, Reg T (market-rules.md §1-§2).

    Against an opposite position the first units only close it and free its margin: the cap is that many units
    plus what the margin freed by closing it allows in the new direction.
    """
    if caps.qty <= 0:
        return
    closing = abs(pos) if s * pos < 0 else ZERO
    held = pos if closing else ZERO  # the position whose margin the order releases
    eq = acct.equity
    one = margin.intraday_initial(inst, Decimal(s), px)  # per unit, this direction
    intraday = acct.intraday_initial - margin.intraday_initial(inst, held, px)
    caps.apply("REG_T_MARGIN", closing + (eq - intraday) / one if one > 0 else caps.qty,
               f"house intraday margin {intraday:.2f} USD of equity {eq:.2f} (market-rules.md §2.3)")
    future = inst.kind is InstrumentKind.FUTURE
    if ctx.pdt_policy == "intraday_margin" and not future:
        available = ctx.available_funds if ctx.available_funds is not None else eq - intraday
        room = available - ctx.intraday_margin_buffer
        caps.apply("INTRADAY_MARGIN", closing + room / one if one > 0 else caps.qty,
                   f"available funds {available:.2f} - buffer {ctx.intraday_margin_buffer} USD "
                   f"(market-rules.md §1.4)")
    if ctx.pdt_policy == "legacy_pdt" and not future and eq >= ctx.pdt_min_equity:
        dtbp = margin.day_trading_buying_power(ctx.start_of_day_equity, ctx.start_of_day_maintenance)
        gross = acct.stock_gross - abs(held * px * inst.multiplier)
        caps.apply("DAY_TRADING_BP", closing + (dtbp - gross) / (px * inst.multiplier),
                   f"day-trading buying power {dtbp:.2f} USD, positions {gross:.2f} USD "
                   f"(market-rules.md §1.1)")
    if ctx.holds_overnight:
        reg_t_one = margin.reg_t_initial(inst, Decimal(s), px)
        reg_t = acct.reg_t_initial - margin.reg_t_initial(inst, held, px)
        caps.apply("OVERNIGHT_BP", closing + (eq - reg_t) / reg_t_one if reg_t_one > 0 else caps.qty,
                   f"Reg T requirement {reg_t:.2f} USD of equity {eq:.2f} (50 % Reg T, "
                   f"market-rules.md §2.1)")
