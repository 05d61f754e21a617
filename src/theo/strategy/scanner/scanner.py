"""One scanner: gates a strategy's signals by the plan §3 parameters and turns them into records.

A signal passes when, in this order: the scanner is enabled; its bar's session day is an allowed weekday
and (with ``holiday_check``) a trading session; the bar lies in the ``start_time``–``end_time`` window
and in the regular session (or in pre/post-market when allowed); the bar's end is on the schedule
(``scheduler`` cron, or every ``interval_seconds`` from the session open); the symbol and direction
filters allow it; the day's ``max_signals`` is not used up (entries only); every scanner entry rule holds.
Each refusal is counted by reason in :attr:`Scanner.refused`, so nothing disappears silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from theo.config.market import MarketConfig
from theo.core.calendar import ET, MarketCalendar, get_calendar
from theo.data.bars.timeframes import parse_timeframe
from theo.model.enums import Exchange, OptionRight, OrderType, ProductType, SessionKind, Side
from theo.model.signals import InputValue, Signal
from theo.strategy.rules import parse_rules
from theo.strategy.scanner.config import ScanDefinition
from theo.strategy.scanner.expiry import expiry_for, option_expiration
from theo.strategy.scanner.records import SignalRecord, validate_record
from theo.strategy.scanner.schedule import parse_cron
from theo.strategy.scanner.strikes import select_strike

PRICE_QUANTUM = Decimal("0.0001")
#: The strikes a broker lists for (underlying, expiration), e.g. from IBKR's option chain; ``None`` when unknown
#: (the standard intervals are assumed then).
StrikeLookup = Callable[[str, date], Sequence[Decimal] | None]


def _price(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(float(value))).quantize(PRICE_QUANTUM)


class Scanner:
    """Apply one :class:`ScanDefinition` to signals (see module doc)."""

    def __init__(self, definition: ScanDefinition, market: MarketConfig | None = None,
                 calendar: MarketCalendar | None = None, user: str = "default",
                 strikes: StrikeLookup | None = None) -> None:
        self.d = definition
        self.strikes = strikes
        self.market = market or MarketConfig()
        self.calendar = calendar or get_calendar(self.market.calendar, self.market)
        self.cron = parse_cron(definition.scheduler) if definition.scheduler else None
        self.entry_rules = parse_rules(definition.entry_rules)
        self.exit_rules = parse_rules(definition.exit_rules)
        self.user = user
        self.refused: Counter[str] = Counter()
        # How often each entry and exit rule was evaluated, and how often it held (the scan's summary).
        self.rule_tried: Counter[str] = Counter()
        self.rule_held: Counter[str] = Counter()
        self.last_refusal: str | None = None  # why the last signal given to accept() was refused
        self._per_day: Counter[date] = Counter()
        self._open: dict[str, tuple[Side, datetime]] = {}  # symbol -> side and time of the open entry

    def reset(self) -> None:
        self.refused.clear()
        self.rule_tried.clear()
        self.rule_held.clear()
        self._per_day.clear()
        self._open.clear()

    # -- gates -------------------------------------------------------------------------------------------
    def _time_gate(self, start: datetime, end: datetime) -> str | None:
        """The reason the bar ``[start, end)`` is outside this scanner's hours, or ``None``."""
        d = self.d
        local = start.astimezone(ET)
        session = self.calendar.session_at(start)
        day = session.day if session is not None else local.date()
        if day.isoweekday() not in d.weekdays:
            return "day"
        if d.holiday_check and not self.calendar.is_session(day):
            return "holiday"
        if not d.start_time <= local.time() < d.end_time:
            return "window"
        kind = session.kind(start) if session is not None else SessionKind.CLOSED
        if kind is SessionKind.CLOSED and d.holiday_check:
            return "closed"
        if (kind is SessionKind.PRE and not d.pre_market) or (kind is SessionKind.POST and not d.post_market):
            return "extended_hours"
        if self.cron is not None and not self.cron.matches(end):
            return "schedule"
        if d.interval_seconds is not None and session is not None:
            since_open = (end - session.open).total_seconds()
            if since_open % d.interval_seconds:
                return "schedule"
        return None

    def _direction_allows(self, side: Side, exit_: bool) -> bool:
        long_side = side is Side.BUY if not exit_ else side is Side.SELL
        return self.d.direction == "both" or (self.d.direction == "long") == long_side

    def accept(self, signal: Signal, values: Mapping[str, float | None] | None = None) -> SignalRecord | None:
        """The record for ``signal`` when every gate passes, else ``None`` (the reason is counted).

        Raise :class:`~theo.core.errors.OrderValidationError` when the record breaks plan §4's rules.
        """
        reason = self.last_refusal = self._refusal(signal, values)
        if reason is not None:
            self.refused[reason] += 1
            return None
        # Validate before counting: a record that breaks plan §4 must not use up the day's signals.
        record = validate_record(self.record(signal))
        if signal.exit:
            self._open.pop(signal.symbol, None)
        else:
            self._per_day[self._day(record.bar_ts)] += 1
            self._open[signal.symbol] = (signal.side, signal.ts)
        return record

    def _refusal(self, signal: Signal, values: Mapping[str, float | None] | None) -> str | None:
        d = self.d
        if not d.enabled:
            return "disabled"
        if d.symbols and signal.symbol not in d.symbols:
            return "symbol"
        if not self._direction_allows(signal.side, signal.exit):
            return "direction"
        start = bar_start(signal)
        gate = self._time_gate(start, signal.ts)
        if gate is not None:
            return gate
        if signal.exit:
            # An exit closes the opposite side: a SELL exit closes an open BUY, and vice versa.
            side = self._open.get(signal.symbol, (None, None))[0]
            return None if side is signal.side.opposite else "no_open_signal"
        if self._per_day[self._day(start)] >= d.max_signals:
            return "max_signals"
        merged: dict[str, float | None] = dict(values or {})
        merged.update({k: v for k, v in signal.inputs.items() if isinstance(v, int | float)})
        held = [rule.evaluate(merged) for rule in self.entry_rules]
        for rule, ok in zip(self.entry_rules, held, strict=True):
            self.rule_tried[rule.expression] += 1
            self.rule_held[rule.expression] += bool(ok)
        if not all(held):
            return "entry_rules"
        return None

    def _day(self, start: datetime) -> date:
        session = self.calendar.session_at(start)
        return session.day if session is not None else start.astimezone(ET).date()

    def exits(self, ts: datetime, timeframe: str, values: Mapping[str, float | None], strategy: str) -> list[Signal]:
        """Exit signals for this scanner's open signals whose exit rules hold at ``ts``.

        An entry taken at ``ts`` itself is not exited at ``ts``: an exit rule must hold on a later bar.
        """
        if not self.exit_rules or not self._open:
            return []
        fired = [r for r in self.exit_rules if r.evaluate(values)]
        for rule in self.exit_rules:
            self.rule_tried[rule.expression] += 1
            self.rule_held[rule.expression] += rule in fired
        if not fired:
            return []
        out: list[Signal] = []
        for symbol, (side, opened) in sorted(self._open.items()):
            if opened >= ts:
                continue
            price = values.get(f"{symbol}.close", values.get("close"))
            if price is None:
                continue
            inputs: dict[str, InputValue] = {k: values.get(k) for k in fired[0].keys}
            out.append(Signal(strategy, symbol, side.opposite, ts, float(price), timeframe, exit=True,
                              reason=f"scanner {self.d.name} exit rule: {fired[0].expression}", inputs=inputs))
        return out

    # -- records -----------------------------------------------------------------------------------------
    def record(self, signal: Signal) -> SignalRecord:
        """The SignalGeneration record of an accepted signal (plan §4), with expiry and option contract."""
        d = self.d
        start = bar_start(signal)
        right: str | None = None
        strike: Decimal | None = None
        expiration = None
        if d.instrument_type == "OPTION" and d.option_category is not None:
            default = OptionRight.CALL if signal.side is Side.BUY else OptionRight.PUT
            right = d.option_type or default.value
            expiration = option_expiration(signal.ts, d.expiry, self.calendar)
            listed = self.strikes(signal.symbol, expiration) if self.strikes is not None else None
            strike = select_strike(Decimal(repr(signal.price)), right, d.option_category,
                                   self.market.option_category_split, listed)
        order_type = OrderType(d.order_type)
        return SignalRecord(
            strategy=signal.strategy, symbol=signal.symbol, side=signal.side, created_at=signal.ts,
            bar_ts=start, timeframe=signal.timeframe, quantity=d.effective_quantity,
            contract_size=d.effective_contract_size, exchange=Exchange(d.exchange), order_type=order_type,
            product_type=ProductType(d.product_type),
            entry_price=_price(signal.limit_price if signal.limit_price is not None else signal.price),
            stop_loss=None if signal.exit else _price(signal.stop_loss),
            take_profit=None if signal.exit else _price(signal.take_profit),
            is_exit=signal.exit, option_right=right, option_strike=strike, option_expiry=expiration,
            expires_at=expiry_for(signal.ts, d.expiry, d.type, self.calendar), reason=signal.reason,
            inputs=dict(signal.inputs), mode=d.mode, scanner=d.name, user=self.user,
        )


def bar_start(signal: Signal) -> datetime:
    """Start of the bar a signal was evaluated on (its own time when it names no timeframe)."""
    return signal.ts - parse_timeframe(signal.timeframe).length if signal.timeframe else signal.ts


def default_record(signal: Signal, user: str = "default", calendar: MarketCalendar | None = None) -> SignalRecord:
    """The record of a signal taken without a scanner: one share, virtual, expiring at its session close."""
    cal = calendar or get_calendar()
    start = bar_start(signal)
    return SignalRecord(
        strategy=signal.strategy, symbol=signal.symbol, side=signal.side, created_at=signal.ts, bar_ts=start,
        timeframe=signal.timeframe, quantity=1, order_type=signal.order_type,
        entry_price=_price(signal.limit_price if signal.limit_price is not None else signal.price),
        stop_loss=None if signal.exit else _price(signal.stop_loss),
        take_profit=None if signal.exit else _price(signal.take_profit), is_exit=signal.exit,
        expires_at=expiry_for(signal.ts, "weekly", "intraday", cal), reason=signal.reason,
        inputs=dict(signal.inputs), user=user,
    )
