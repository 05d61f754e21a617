"""Reference data of the fake: instruments, contract look-up and option chains."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from tests.fakes.tws.wire import to_float, to_int

EASTERN = ZoneInfo("US/Eastern")
STOCK_ORDER_TYPES = (
    "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AON,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,"
    "GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,MOC,MTL,NGCOMB,NONALGO,OCA,OPG,PEGBENCH,REL,RELPCTOFS,RTH,SCALE,SNAPMID,"
    "STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF"
)

@dataclass(frozen=True)
class ContractSpec:
    """The 12 contract fields ib_async sends in requests (C12)."""

    con_id: int
    symbol: str
    sec_type: str
    last_trade_date: str
    strike: float
    right: str
    multiplier: str
    exchange: str
    primary_exchange: str
    currency: str
    local_symbol: str
    trading_class: str

    @classmethod
    def parse(cls, fields: list[str], start: int) -> ContractSpec:
        """Read C12 starting at ``fields[start]``."""
        f = (fields[start : start + 12] + [""] * 12)[:12]
        return cls(
            con_id=to_int(f[0]),
            symbol=f[1],
            sec_type=f[2],
            last_trade_date=f[3],
            strike=to_float(f[4], 0.0) or 0.0,
            right=f[5],
            multiplier=f[6],
            exchange=f[7],
            primary_exchange=f[8],
            currency=f[9],
            local_symbol=f[10],
            trading_class=f[11],
        )

@dataclass
class Instrument:
    """One tradable contract the fake knows."""

    con_id: int
    symbol: str
    sec_type: str = "STK"
    exchange: str = "SMART"
    primary: str = "NASDAQ"
    currency: str = "USD"
    local_symbol: str = ""
    trading_class: str = ""
    min_tick: float = 0.01
    multiplier: str = ""
    long_name: str = ""
    last_trade_date: str = ""
    strike: float = 0.0
    right: str = ""
    under_con_id: int = 0
    under_symbol: str = ""
    under_sec_type: str = ""
    industry: str = "Technology"
    category: str = "Computers"
    subcategory: str = "Computers"
    isin: str = ""
    valid_exchanges: str = "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,DRCTEDGE,BEX,BATS,EDGEA,IEX"

    def __post_init__(self) -> None:
        if not self.local_symbol:
            self.local_symbol = self.symbol
        if not self.trading_class:
            nasdaq = self.sec_type == "STK" and self.primary == "NASDAQ"
            self.trading_class = "NMS" if nasdaq else self.symbol
        if not self.long_name:
            self.long_name = f"{self.symbol} INC"

    @property
    def price_multiplier(self) -> float:
        """Contract multiplier as a number (1 for stocks)."""
        return float(self.multiplier) if self.multiplier else 1.0

    def contract11(self, exchange: str | None = None) -> list[object]:
        """conId..tradingClass without primaryExchange (openOrder, execDetails, position layout)."""
        return [
            self.con_id,
            self.symbol,
            self.sec_type,
            self.last_trade_date,
            self.strike,
            self.right,
            self.multiplier,
            self.exchange if exchange is None else exchange,
            self.currency,
            self.local_symbol,
            self.trading_class,
        ]

    def portfolio11(self) -> list[object]:
        """conId..tradingClass with primaryExchange in place of exchange (updatePortfolio layout)."""
        fields = self.contract11()
        fields[7] = self.primary
        return fields

def trading_hours(day: dt.date, sec_type: str, liquid: bool) -> str:
    """TWS-style session string for the week starting at ``day`` (US equities or CME Globex)."""
    parts = []
    for offset in range(7):
        d = day + dt.timedelta(days=offset)
        stamp = d.strftime("%Y%m%d")
        if d.weekday() >= 5:
            parts.append(f"{stamp}:CLOSED")
        elif sec_type in {"FUT", "FOP"}:
            prev = (d - dt.timedelta(days=1)).strftime("%Y%m%d")
            parts.append(f"{stamp}:0930-{stamp}:1600" if liquid else f"{prev}:1800-{stamp}:1700")
        else:
            parts.append(f"{stamp}:0930-{stamp}:1600" if liquid else f"{stamp}:0400-{stamp}:2000")
    return ";".join(parts)

@dataclass
class OptionChain:
    """Expirations and strikes answered for reqSecDefOptParams."""

    symbol: str
    under_con_id: int
    expirations: list[str]
    strikes: list[float]
    exchange: str = "SMART"
    multiplier: str = "100"
    trading_class: str = ""

class ReferenceData:
    """The fake's security master."""

    def __init__(self) -> None:
        self.instruments: dict[int, Instrument] = {}
        self.chains: dict[str, list[OptionChain]] = {}
        self.ambiguous_symbols: set[str] = set()
        self._next_con_id = 900_000_000

    def new_con_id(self) -> int:
        """A fresh contract id for generated instruments."""
        self._next_con_id += 1
        return self._next_con_id

    def add(self, instrument: Instrument) -> Instrument:
        """Register (or replace) an instrument."""
        self.instruments[instrument.con_id] = instrument
        return instrument

    def by_symbol(self, symbol: str, sec_type: str = "STK") -> Instrument | None:
        """The first instrument with this symbol and security type."""
        for inst in self.instruments.values():
            if inst.symbol == symbol and inst.sec_type == sec_type:
                return inst
        return None

    def resolve(self, spec: ContractSpec) -> list[Instrument]:
        """Every instrument matching a (possibly partial) contract, ambiguous symbols giving two."""
        if spec.con_id:
            inst = self.instruments.get(spec.con_id)
            return [inst] if inst else []
        matches = []
        for inst in self.instruments.values():
            if spec.symbol and inst.symbol != spec.symbol and inst.local_symbol != spec.local_symbol:
                continue
            if not spec.symbol and spec.local_symbol and inst.local_symbol != spec.local_symbol:
                continue
            if spec.sec_type and inst.sec_type != spec.sec_type:
                continue
            if spec.currency and inst.currency != spec.currency:
                continue
            if spec.last_trade_date and not inst.last_trade_date.startswith(spec.last_trade_date[:6]):
                continue
            if spec.strike and abs(inst.strike - spec.strike) > 1e-9:
                continue
            if spec.right and inst.right[:1] != spec.right[:1]:
                continue
            if spec.trading_class and inst.trading_class != spec.trading_class:
                continue
            matches.append(inst)
        if len(matches) == 1 and matches[0].symbol in self.ambiguous_symbols:
            twin = replace(matches[0], con_id=matches[0].con_id + 7_000_000, primary="IBIS", currency="EUR")
            matches.append(twin)
        return matches

    def option_contracts(self, chain: OptionChain) -> list[Instrument]:
        """Materialise the option contracts of a chain (calls and puts)."""
        out = []
        for expiry in chain.expirations:
            for strike in chain.strikes:
                for right in ("C", "P"):
                    local = f"{chain.symbol:<6}{expiry[2:]}{right}{round(strike * 1000):08d}"
                    out.append(
                        Instrument(
                            con_id=self.new_con_id(),
                            symbol=chain.symbol,
                            sec_type="OPT",
                            exchange=chain.exchange,
                            primary="",
                            local_symbol=local,
                            trading_class=chain.trading_class or chain.symbol,
                            multiplier=chain.multiplier,
                            last_trade_date=expiry,
                            strike=float(strike),
                            right=right,
                            under_con_id=chain.under_con_id,
                            under_symbol=chain.symbol,
                            under_sec_type="STK",
                            long_name=f"{chain.symbol} option",
                            valid_exchanges="SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,MIAX,EMERALD,MEMX",
                        )
                    )
        return out


def parse_ib_time(text: str, default: dt.datetime | None = None) -> dt.datetime | None:
    """Parse TWS request times: "" (-> default), "yyyymmdd hh:mm:ss [zone]" (local = US/Eastern),
    "yyyymmdd-hh:mm:ss" (UTC) or "yyyymmdd" (end of that day, Eastern)."""
    text = text.strip()
    if not text:
        return default
    try:
        if len(text) == 8 and text.isdigit():
            return dt.datetime.strptime(text, "%Y%m%d").replace(hour=23, minute=59, second=59, tzinfo=EASTERN)
        if "-" in text[:9]:
            return dt.datetime.strptime(text[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=dt.UTC)
        day, clock, *zone = text.split()
        tz = ZoneInfo(zone[0]) if zone else EASTERN
        return dt.datetime.strptime(day + clock, "%Y%m%d%H:%M:%S").replace(tzinfo=tz)
    except (ValueError, KeyError):
        return default
