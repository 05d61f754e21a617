"""Futures contract specifications, expiries, roll dates and local symbols (market-rules.md §5.1).

Expiry: the 3rd Friday of the contract month, moved to the preceding business day when that Friday is an
exchange holiday. The settlement is the S&P 500 Special Opening Quotation, so "business day" means a NYSE
session (``XNYS``): CME itself trades a shortened day on Juneteenth, but the index does not open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.errors import ConfigError, DataError
from theo.model.enums import Exchange, InstrumentKind
from theo.model.instruments import CME_EQUITY_CALENDAR, NYSE_CALENDAR, Instrument

#: CME month codes, January (F) to December (Z).
MONTH_CODES: dict[str, int] = {"F": 1, "G": 2, "H": 3, "J": 4, "K": 5, "M": 6,
                               "N": 7, "Q": 8, "U": 9, "V": 10, "X": 11, "Z": 12}
CODE_OF_MONTH: dict[int, str] = {m: c for c, m in MONTH_CODES.items()}
#: Quarterly cycle of the equity-index futures: Mar, Jun, Sep, Dec (market-rules.md §5.1).
QUARTERLY: tuple[str, ...] = ("H", "M", "U", "Z")
#: CME convention: roll 8 calendar days before expiry, the Thursday of the week before (market-rules.md §5.1).
CME_ROLL_DAYS_BEFORE = 8


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What every contract of one futures root shares."""

    root: str
    description: str
    multiplier: Decimal
    tick_size: Decimal
    months: tuple[str, ...] = QUARTERLY
    exchange: Exchange = Exchange.CME
    currency: str = "USD"
    underlying: str = "SPX"
    calendar: str = CME_EQUITY_CALENDAR

    @property
    def tick_value(self) -> Decimal:
        """Money per contract for one tick (MES: 0.25 × $5 = $1.25)."""
        return self.tick_size * self.multiplier


#: Known roots (market-rules.md §5.1 for MES; ES from the CME spec: $50 × index, 0.25 tick).
SPECS: dict[str, ContractSpec] = {
    "MES": ContractSpec("MES", "CME Micro E-mini S&P 500", Decimal(5), Decimal("0.25")),
    "ES": ContractSpec("ES", "CME E-mini S&P 500", Decimal(50), Decimal("0.25")),
}


def get_spec(root: str) -> ContractSpec:
    """The specification of ``root``; raise :class:`ConfigError` naming the known roots."""
    spec = SPECS.get(root.upper())
    if spec is None:
        raise ConfigError(f"unknown futures root {root!r}; known roots: {', '.join(sorted(SPECS))}")
    return spec


def _calendar(calendar: MarketCalendar | str | None) -> MarketCalendar:
    if calendar is None:
        return get_calendar(NYSE_CALENDAR)
    return get_calendar(calendar) if isinstance(calendar, str) else calendar


def third_friday(year: int, month: int) -> date:
    """The 3rd Friday of ``month``."""
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _check_month(spec: ContractSpec, month: int) -> None:
    code = CODE_OF_MONTH.get(month)
    if code not in spec.months:
        listed = ", ".join(f"{c} ({MONTH_CODES[c]})" for c in spec.months)
        raise ConfigError(f"{spec.root} has no contract in month {month}; listed months: {listed}")


def last_trade_date(root: str, year: int, month: int,
                    calendar: MarketCalendar | str | None = None) -> date:
    """Last trading day: the 3rd Friday, or the business day before it when it is a holiday.

    ``calendar`` decides what a business day is (default ``XNYS``: the index must open for the SOQ).
    Good Friday 2008 moved the March 2008 expiry to Thu 2008-03-20; Juneteenth 2026 moves June 2026 to
    Thu 2026-06-18.
    """
    spec = get_spec(root)
    _check_month(spec, month)
    cal = _calendar(calendar)
    d = third_friday(year, month)
    return d if cal.is_session(d) else cal.previous_session(d)


def roll_date(root: str, year: int, month: int, *, business_days: int | None = None,
              calendar: MarketCalendar | str | None = None) -> date:
    """The day the position moves to the next contract.

    Default (CME convention, market-rules.md §5.1): 8 calendar days before the 3rd Friday, i.e. the
    Thursday of the week before; it stays that Thursday when a holiday pulls the expiry to Thursday
    (June 2027: expiry Thu 06-17, roll Thu 06-10) and moves to the previous business day if the Thursday
    itself is a holiday. With ``business_days=N`` the roll is N business days before the expiry.
    """
    cal = _calendar(calendar)
    expiry = last_trade_date(root, year, month, cal)
    if business_days is not None:
        if business_days < 1:
            raise ConfigError(f"roll business_days={business_days} must be >= 1")
        return cal.business_days_back(cal.previous_session(expiry), business_days)[0]
    d = third_friday(year, month) - timedelta(days=CME_ROLL_DAYS_BEFORE)
    return d if cal.is_session(d) else cal.previous_session(d)


@dataclass(frozen=True, slots=True, order=True)
class Contract:
    """One delivery month of a root, e.g. MES December 2026 (``MESZ6``)."""

    year: int
    month: int
    root: str

    def __post_init__(self) -> None:
        _check_month(get_spec(self.root), self.month)

    @property
    def spec(self) -> ContractSpec:
        return get_spec(self.root)

    @property
    def code(self) -> str:
        return CODE_OF_MONTH[self.month]

    @property
    def local_symbol(self) -> str:
        """IBKR-style local symbol with a one-digit year: ``MESZ6``."""
        return f"{self.root}{self.code}{self.year % 10}"

    @property
    def symbol(self) -> str:
        """Symbol with a two-digit year, as data vendors name files: ``ESZ13``."""
        return f"{self.root}{self.code}{self.year % 100:02d}"

    @property
    def contract_month(self) -> str:
        """``YYYYMM``, IBKR's ``lastTradeDateOrContractMonth``."""
        return f"{self.year:04d}{self.month:02d}"

    def expiry(self, calendar: MarketCalendar | str | None = None) -> date:
        return last_trade_date(self.root, self.year, self.month, calendar)

    def roll_date(self, *, business_days: int | None = None,
                  calendar: MarketCalendar | str | None = None) -> date:
        return roll_date(self.root, self.year, self.month, business_days=business_days, calendar=calendar)

    def next(self) -> Contract:
        """The following listed contract (Z26 → H27)."""
        months = sorted(MONTH_CODES[c] for c in self.spec.months)
        later = [m for m in months if m > self.month]
        if later:
            return Contract(self.year, later[0], self.root)
        return Contract(self.year + 1, months[0], self.root)

    def instrument(self, calendar: MarketCalendar | str | None = None) -> Instrument:
        """The tradable instrument: orders go to this contract, never to a continuous series."""
        spec = self.spec
        return Instrument(symbol=self.symbol, kind=InstrumentKind.FUTURE, exchange=spec.exchange,
                          currency=spec.currency, tick_size=spec.tick_size, multiplier=spec.multiplier,
                          contract_size=1, calendar=spec.calendar, expiry=self.expiry(calendar),
                          underlying=spec.underlying,
                          description=f"{spec.description} {self.contract_month} ({self.local_symbol})")


def contracts(root: str, year: int) -> list[Contract]:
    """The listed contracts of ``root`` expiring in ``year``, in expiry order."""
    spec = get_spec(root)
    return [Contract(year, MONTH_CODES[c], spec.root) for c in sorted(spec.months, key=MONTH_CODES.__getitem__)]


_SYMBOL = re.compile(r"^(?P<root>[A-Z]+?)(?P<code>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")


def parse_symbol(symbol: str, *, today: date | None = None) -> Contract:
    """Parse ``ESZ13``, ``MESZ6`` or ``MESZ26``.

    A one-digit year is taken as the year with that last digit nearest to ``today`` looking back at most
    two years (``MESZ6`` in 2026 is 2026; ``ESH4`` in 2026 is 2034).
    """
    m = _SYMBOL.match(symbol.strip().upper())
    if m is None or m["root"] not in SPECS:
        raise DataError(f"cannot read futures symbol {symbol!r}: expected ROOT+MONTH+YEAR such as MESZ6 or "
                        f"ESZ13 with a root in {', '.join(sorted(SPECS))}")
    digits = m["year"]
    if len(digits) == 2:
        year = 2000 + int(digits)
    else:
        ref = (today or date.today()).year
        year = next(y for y in range(ref - 2, ref + 8) if y % 10 == int(digits))
    return Contract(year, MONTH_CODES[m["code"]], m["root"])


def front_contract(root: str, on: date, *, business_days: int | None = None,
                   calendar: MarketCalendar | str | None = None) -> Contract:
    """The contract to trade on ``on`` under the calendar roll: the first whose roll date is after ``on``."""
    c = contracts(root, on.year)[0]
    while c.roll_date(business_days=business_days, calendar=calendar) <= on:
        c = c.next()
    return c
