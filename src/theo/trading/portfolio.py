"""The account as the risk checks see it (:class:`~theo.risk.portfolio.PortfolioView`), kept in memory.

Fed by the trade manager: fills (positions, account P&L), working orders, marks from ticks and bars, and
its trades. Nothing here touches the database, so a check on the exit path costs microseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from theo.core.calendar import ET, et_date
from theo.core.clock import Clock
from theo.model.enums import Side
from theo.model.ledger import FillLedger
from theo.model.money import ZERO
from theo.model.trades import Trade
from theo.risk.margin import BrokerRiskValues
from theo.risk.pdt import DayTradeCounter


class TradingPortfolio:
    """Positions, marks, equity, working orders and trade counts of one account."""

    def __init__(self, capital: Decimal, clock: Clock, day_trades: DayTradeCounter, *,
                 trades: Callable[[], Iterable[Trade]] | None = None,
                 opened_on: Callable[[date, str | None], int] | None = None,
                 broker_values: Callable[[], BrokerRiskValues | None] | None = None,
                 use_broker_equity: bool = False) -> None:
        self.capital = capital
        self.clock = clock
        self.ledger = FillLedger()
        self.counter = day_trades
        self._trades = trades or (lambda: [])
        self._opened_on = opened_on
        self._broker_values = broker_values
        self.use_broker_equity = use_broker_equity
        self._marks: dict[str, Decimal] = {}
        self._mark_f: dict[str, float] = {}
        self._working: dict[tuple[str, Side], Decimal] = {}
        self._sod: dict[date, Decimal] = {}
        self._sod_positions: dict[date, dict[str, tuple[Decimal, Decimal]]] = {}
        self._day: date | None = None  # the session whose first event the market data last reached
        self._day_marks: dict[str, float] = {}  # the marks at that first event: the previous closes
        self._equity: Decimal | None = None  # cached until a mark moves or a fill is booked
        self.version = 0  # moves with every change the risk checks can see (their snapshot is keyed on it)
        self.peak = capital

    # -- feeding ----------------------------------------------------------------------------------------
    def mark(self, symbol: str, price: float) -> None:
        """Remember the last price (float in, Decimal out only when asked)."""
        if self._mark_f.get(symbol) != price:
            self._mark_f[symbol] = price
            self._marks.pop(symbol, None)
            self.version += 1
            if self._equity is not None and self.ledger.position(symbol):
                self._equity = None

    def book(self, symbol: str, side: Side, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime,
             multiplier: Decimal) -> None:
        """Book one fill into :attr:`ledger`. The day of the fill is rolled first (:meth:`roll_day`): its start
        holds the fills before it only, in a live run and in one rebuilt from the journal alike."""
        self.roll_day(et_date(ts))
        self.ledger.add_fill(symbol, side, qty, price, charges, ts, multiplier)
        self._equity = None
        self.version += 1

    def changed(self) -> None:
        """A trade opened, closed or moved its stop: the open risk changes."""
        self.version += 1

    def set_working(self, symbol: str, side: Side, delta: Decimal) -> None:
        self.version += 1
        key = (symbol, side)
        self._working[key] = self._working.get(key, ZERO) + delta

    # -- PortfolioView ------------------------------------------------------------------------------------
    def marks(self) -> Mapping[str, Decimal]:
        for sym, px in self._mark_f.items():
            if sym not in self._marks:
                self._marks[sym] = Decimal(repr(px))
        return self._marks

    def equity(self) -> Decimal:
        if self.use_broker_equity:
            bv = self.broker_values()
            if bv is not None and bv.net_liquidation is not None:
                return bv.net_liquidation
        eq = self._equity
        if eq is None:
            eq = self._equity = self.capital + self.ledger.pnl(self.marks()).net
        return eq

    def start_of_day_equity(self, day: date) -> Decimal:
        sod = self._sod.get(day)
        if sod is None:
            self.roll_day(day)
            sod = self._sod[day]
        return sod

    def start_of_day_positions(self, day: date) -> Mapping[str, tuple[Decimal, Decimal]]:
        if day not in self._sod_positions:
            self.roll_day(day)
        return self._sod_positions[day]

    def open_day(self, day: date) -> None:
        """The market data reached the first event of ``day``'s session: keep the marks as they stand then (the
        previous closes), the prices the start of ``day`` is valued at (:meth:`roll_day`)."""
        if day != self._day:
            self._day = day
            self._day_marks = dict(self._mark_f)

    def roll_day(self, day: date) -> None:
        """Fix the start-of-day equity and positions of ``day``: the fills booked before it (:meth:`book`
        rolls before it books one), valued at the marks of the session's first event (:meth:`open_day`).

        Both are what the journal and the replayed market data give, so a run rebuilt after a restart fixes the
        same figures as the run that lived through the day, whenever its first decision or fill comes. Without
        the day's opening marks (the market data has not reached it) the current marks stand in.
        """
        if day in self._sod:
            return
        marks = {s: Decimal(repr(p)) for s, p in self._day_marks.items()} if day == self._day else self.marks()
        bv = self.broker_values() if self.use_broker_equity else None
        broker = bv.net_liquidation if bv is not None else None
        self._sod[day] = broker if broker is not None else self.capital + self.ledger.pnl(marks).net
        self._sod_positions[day] = {s: (p.quantity, marks[s]) for s, p in self.ledger.positions.items()
                                    if p.quantity and s in marks}

    def position(self, symbol: str) -> Decimal:
        return self.ledger.position(symbol)

    def positions(self) -> Mapping[str, Decimal]:
        return {s: p.quantity for s, p in self.ledger.positions.items() if p.quantity}

    def working(self, symbol: str, side: Side) -> Decimal:
        return self._working.get((symbol, side), ZERO)

    def open_trade_count(self, strategy: str | None = None) -> int:
        return sum(1 for t in self._trades() if t.is_open and (strategy is None or t.strategy == strategy))

    def trade_open_qty(self, strategy: str, symbol: str, side: Side) -> Decimal:
        return sum((t.open_qty for t in self._trades()
                    if t.is_open and t.strategy == strategy and t.symbol == symbol and t.side is side), ZERO)

    def trades_opened_on(self, day: date, strategy: str | None = None) -> int:
        if self._opened_on is not None:
            return self._opened_on(day, strategy)
        n = 0
        for t in self._trades():
            when = t.entry_ts or t.created_at
            if when is not None and when.astimezone(ET).date() == day and \
                    (strategy is None or t.strategy == strategy):
                n += 1
        return n

    def open_risk(self) -> Decimal:
        return sum((t.risk for t in self._trades() if t.is_open), ZERO)

    def day_pnl(self, day: date) -> Decimal:
        return self.equity() - self.start_of_day_equity(day)

    def day_trades(self, day: date) -> int:
        return self.counter.count(day)

    def broker_values(self) -> BrokerRiskValues | None:
        return self._broker_values() if self._broker_values is not None else None

    def seed_peak(self, closed: Iterable[Trade]) -> None:
        """Start the equity peak where the account's closed trades took it (a restarted run): a restart must
        not forgive a drawdown the account is already in."""
        self.peak = max(self.peak, closed_equity_peak(self.capital, closed))

    def drawdown_pct(self) -> Decimal:
        """Drawdown from the equity peak, in % (RM-Max-sp of plan §5.5)."""
        eq = self.equity()
        self.peak = max(self.peak, eq)
        return (self.peak - eq) / self.peak * 100 if self.peak > 0 else ZERO


def closed_in_order(trades: Iterable[Trade]) -> list[Trade]:
    """The closed trades among ``trades``, in the order they closed."""
    return sorted((t for t in trades if not t.is_open and t.exit_ts is not None),
                  key=lambda t: t.exit_ts or datetime.min.replace(tzinfo=UTC))


def closed_equity_peak(capital: Decimal, trades: Iterable[Trade]) -> Decimal:
    """The highest equity the closed trades among ``trades`` took ``capital`` to (net of charges), at least
    ``capital``: the peak the drawdown of RM-Max-sp (plan §5.5) is measured from, as far as the store knows."""
    running = peak = capital
    for t in closed_in_order(trades):
        running += t.realised - t.charges
        peak = max(peak, running)
    return peak


def losses_in_row(trades: Iterable[Trade]) -> int:
    """How many of the last closed trades among ``trades`` lost money in a row (the consecutive-losses breaker)."""
    n = 0
    for t in reversed(closed_in_order(trades)):
        if not t.entry_qty:
            continue
        if t.net() >= 0:
            break
        n += 1
    return n
