"""Reference data from TWS: what a symbol is, option chains, futures expiries, fundamentals, dividends.

Theo's symbols become IBKR contracts here (:func:`contract_of`): a U.S. stock or ETF on SMART, an index
(``VIX``, ``SPX``...), or a futures contract by its local symbol (``MESZ6``, ``MESZ26``; ``VXF7`` for a VIX
future on CFE, whose IBKR symbol is ``VIX``).
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from decimal import Decimal

from ib_async import IB, Contract, ContractDetails, Future, Index, Option, Stock

from theo.adapters.ibkr.errors import IbkrError
from theo.adapters.ibkr.parsing import dec
from theo.adapters.ibkr.requests import RequestErrors, fresh, refused
from theo.data.futures.contracts import MONTH_CODES, SPECS, roll_date
from theo.data.futures.contracts import Contract as FuturesMonth
from theo.model.enums import CorporateActionKind, InstrumentKind
from theo.model.reference import CorporateAction, FutureExpiry, OptionChain, SymbolInfo

#: Indexes Theo reads (data only) and the exchange IBKR lists them on.
INDEXES: dict[str, str] = {"VIX": "CBOE", "SPX": "CBOE", "NDX": "NASDAQ", "RUT": "RUSSELL", "VXN": "CBOE"}
#: Futures roots: Theo's root -> (IBKR symbol, exchange, multiplier).
FUTURES: dict[str, tuple[str, str, str]] = {"MES": ("MES", "CME", "5"), "ES": ("ES", "CME", "50"),
                                            "VX": ("VIX", "CFE", "1000")}
_FUTURE = re.compile(r"^(?P<root>MES|ES|VX)(?P<code>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\- ]{0,20}$")
_KINDS: dict[str, InstrumentKind] = {"STK": InstrumentKind.STOCK, "FUT": InstrumentKind.FUTURE,
                                     "IND": InstrumentKind.INDEX, "OPT": InstrumentKind.OPTION}


class UnknownSymbol(IbkrError):
    """IBKR does not know the symbol."""


class AmbiguousSymbol(IbkrError):
    """More than one IBKR contract matches the symbol; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: list[SymbolInfo]) -> None:
        super().__init__(message)
        self.candidates = candidates


def contract_of(symbol: str, *, today: date | None = None) -> Contract:
    """The IBKR contract Theo means by ``symbol`` (see the module docstring)."""
    s = symbol.strip().upper()
    if not _SYMBOL.match(s):
        raise UnknownSymbol(f"symbol {symbol!r} is not a ticker: use letters (AAPL, BRK.B), an index (VIX) or a "
                            f"futures local symbol (MESZ6)")
    if s in INDEXES:
        return Index(s, INDEXES[s], "USD")
    m = _FUTURE.match(s)
    if m is not None:
        ib_symbol, exchange, multiplier = FUTURES[m["root"]]
        year = _year(m["year"], today or date.today())
        month = MONTH_CODES[m["code"]]
        return Future(ib_symbol, f"{year:04d}{month:02d}", exchange, multiplier=multiplier, currency="USD")
    return Stock(s, "SMART", "USD")


def _year(digits: str, today: date) -> int:
    """A one- or two-digit contract year: ``26`` is 2026; ``6`` the nearest year ending in 6 from two years back."""
    if len(digits) == 2:
        return 2000 + int(digits)
    return next(y for y in range(today.year - 2, today.year + 8) if y % 10 == int(digits))


def _expiry(text: str) -> date | None:
    digits = text.split(" ")[0][:8]
    if len(digits) == 8 and digits.isdigit():
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    return None


def symbol_info(details: ContractDetails, symbol: str) -> SymbolInfo:
    """Theo's view of one IBKR contract-details record."""
    c = details.contract or Contract()
    return SymbolInfo(symbol=symbol, kind=_KINDS.get(c.secType, InstrumentKind.STOCK), exchange=c.exchange,
                      primary_exchange=c.primaryExchange, currency=c.currency, con_id=c.conId,
                      description=details.longName, min_tick=dec(details.minTick) or Decimal("0.01"),
                      multiplier=dec(c.multiplier) or Decimal(1), expiry=_expiry(c.lastTradeDateOrContractMonth),
                      time_zone=details.timeZoneId)


class Reference:
    """Contract look-ups on one session's client (``ib``), with errors matched to each request."""

    def __init__(self, ib: IB, errors: RequestErrors, timeout: float) -> None:
        self.ib = ib
        self.errors = errors
        self.timeout = timeout

    async def details(self, contract: Contract, what: str) -> list[ContractDetails]:
        c = fresh(contract)
        with self.errors.watch(c) as errs:
            try:
                found = await asyncio.wait_for(self.ib.reqContractDetailsAsync(c), self.timeout)
            except TimeoutError:
                raise IbkrError(f"{what}: TWS did not answer the contract look-up within {self.timeout:g} s") from None
        if not found:
            err = refused(errs, what)
            if err is not None and "200" not in str(err):
                raise err
        return list(found)

    async def validate_symbol(self, symbol: str) -> SymbolInfo:
        """The contract of ``symbol``; :class:`UnknownSymbol` or :class:`AmbiguousSymbol` (with the candidates)."""
        return (await self.qualify(symbol))[0]

    async def qualify(self, symbol: str) -> tuple[SymbolInfo, Contract]:
        """:meth:`validate_symbol` with the qualified IBKR contract (conId set) to request data with."""
        contract = contract_of(symbol)
        found = await self.details(contract, f"looking up {symbol}")
        if not found:
            kind = {"STK": "a U.S. stock/ETF on SMART in USD", "IND": "an index", "FUT": "a futures contract"}[
                contract.secType]
            raise UnknownSymbol(f"IBKR does not know symbol {symbol!r} as {kind}: check the spelling (futures take "
                                f"the local symbol such as MESZ6, VIX futures VXF7)")
        infos = [symbol_info(d, symbol.strip().upper()) for d in found]
        if len(infos) > 1:
            listed = "; ".join(f"{i.symbol} {i.kind.value} on {i.primary_exchange or i.exchange} in {i.currency} "
                               f"(conId {i.con_id}, {i.description})" for i in infos)
            raise AmbiguousSymbol(f"symbol {symbol!r} matches {len(infos)} IBKR contracts: {listed}; Theo trades "
                                  f"U.S. listings in USD, so name the primary exchange or the contract", infos)
        qualified = found[0].contract
        assert qualified is not None  # symbol_info read it
        return infos[0], qualified

    async def option_chain(self, symbol: str, *, expiries: int = 0) -> OptionChain:
        """Expirations and strikes of ``symbol``'s options (``reqSecDefOptParams``); the first ``expiries``
        expirations also get their own strike lists from the listed contracts."""
        under = await self.validate_symbol(symbol)
        sec_type = {InstrumentKind.INDEX: "IND", InstrumentKind.FUTURE: "FUT"}.get(under.kind, "STK")
        try:
            params = await asyncio.wait_for(
                self.ib.reqSecDefOptParamsAsync(under.symbol, "", sec_type, under.con_id), self.timeout)
        except TimeoutError:
            raise IbkrError(f"option chain of {symbol}: TWS did not answer within {self.timeout:g} s") from None
        if not params:
            raise IbkrError(f"IBKR lists no options on {symbol} (or the account has no OPRA permission for it)")
        chosen = next((p for p in params if p.exchange == "SMART"), params[0])
        same = [p for p in params if p.tradingClass == chosen.tradingClass]
        expirations = sorted({d for p in same for e in p.expirations if (d := _expiry(e)) is not None})
        strikes = sorted({s for p in same for k in p.strikes if (s := dec(k)) is not None})
        by_expiry: dict[date, tuple[Decimal, ...]] = {}
        for expiry in expirations[:expiries]:
            listed = await self.details(Option(under.symbol, expiry.strftime("%Y%m%d"), exchange=chosen.exchange,
                                               tradingClass=chosen.tradingClass, currency=under.currency),
                                        f"options of {symbol} expiring {expiry}")
            by_expiry[expiry] = tuple(sorted({s for d in listed if d.contract is not None
                                              and (s := dec(d.contract.strike)) is not None}))
        return OptionChain(symbol=under.symbol, exchange=chosen.exchange, trading_class=chosen.tradingClass,
                           multiplier=dec(chosen.multiplier) or Decimal(100), expirations=tuple(expirations),
                           strikes=tuple(strikes), by_expiry=by_expiry)

    async def futures(self, root: str) -> list[FutureExpiry]:
        """The listed contracts of a futures root (``MES``, ``VX``) in expiry order; MES/ES carry the roll day
        Theo computes (market-rules.md §5.1), VX none (it is traded to expiry)."""
        key = root.strip().upper()
        if key == "VIX":
            key = "VX"
        if key not in FUTURES:
            raise UnknownSymbol(f"futures root {root!r} is not one Theo trades; use one of {', '.join(FUTURES)}")
        ib_symbol, exchange, multiplier = FUTURES[key]
        found = await self.details(Future(ib_symbol, exchange=exchange, currency="USD", multiplier=multiplier),
                                   f"{key} futures")
        out: list[FutureExpiry] = []
        for d in found:
            c = d.contract
            expiry = _expiry(c.lastTradeDateOrContractMonth) if c is not None else None
            if c is None or expiry is None:
                continue
            month = c.lastTradeDateOrContractMonth[:6]
            if d.contractMonth:
                month = d.contractMonth[:6]
            roll = roll_date(key, int(month[:4]), int(month[4:6])) if key in SPECS else None
            out.append(FutureExpiry(root=key, local_symbol=c.localSymbol.replace(" ", "") or _local(key, month),
                                    contract_month=month, expiry=expiry, multiplier=dec(c.multiplier) or Decimal(1),
                                    con_id=c.conId, roll_date=roll))
        return sorted(out, key=lambda f: f.expiry)

    async def front_future(self, root: str, on: date) -> FutureExpiry:
        """The contract to trade on ``on``: the first whose roll day (MES/ES) or expiry (VX) is after it."""
        listed = await self.futures(root)
        for f in listed:
            if (f.roll_date or f.expiry) > on:
                return f
        raise IbkrError(f"IBKR lists no {root} contract trading after {on}")

    async def fundamentals(self, symbol: str, report: str) -> str:
        """A Reuters/Refinitiv fundamentals report (XML) where IBKR offers it."""
        if report not in REPORTS:
            raise IbkrError(f"fundamental report {report!r} is not one of {', '.join(REPORTS)}")
        c = fresh(contract_of(symbol))
        with self.errors.watch(c) as errs:
            try:
                xml = await asyncio.wait_for(self.ib.reqFundamentalDataAsync(c, report), self.timeout)
            except TimeoutError:
                raise IbkrError(f"fundamentals of {symbol}: TWS did not answer within {self.timeout:g} s") from None
        if not xml:
            err = refused(errs, f"fundamentals {report} of {symbol}")
            raise err or IbkrError(f"IBKR sent no {report} report for {symbol}")
        return str(xml)

    async def dividends(self, contract: Contract, symbol: str, wait: float) -> list[CorporateAction]:
        """The next dividend IBKR announces for ``symbol`` (generic tick 456: past and next 12 months, next date
        and amount) on its qualified ``contract``. IBKR's API does not announce splits."""
        c = fresh(contract)
        with self.errors.watch(c) as errs:
            ticker = self.ib.reqMktData(c, "456", False, False)
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + wait
                while ticker.dividends is None and not errs and loop.time() < deadline:
                    await asyncio.sleep(0.02)
            finally:
                self.ib.cancelMktData(c)
        divs = ticker.dividends
        if divs is None:
            err = refused(errs, f"dividends of {symbol}")
            if err is not None:
                raise err
            return []
        if divs.nextDate is None or divs.nextAmount is None:
            return []
        ex = divs.nextDate.date() if isinstance(divs.nextDate, datetime) else divs.nextDate
        return [CorporateAction(symbol=symbol.strip().upper(), kind=CorporateActionKind.CASH_DIVIDEND, ex_date=ex,
                                amount=dec(divs.nextAmount), source="ibkr",
                                note=f"past 12 months {dec(divs.past12Months)}, "
                                     f"next 12 months {dec(divs.next12Months)}")]


#: Fundamentals reports ``reqFundamentalData`` knows (they need the Reuters fundamentals subscription).
REPORTS = ("ReportSnapshot", "ReportsFinSummary", "ReportRatios", "ReportsFinStatements", "RESC", "CalendarReport")


def _local(root: str, month: str) -> str:
    return FuturesMonth(int(month[:4]), int(month[4:6]), root).local_symbol if root in SPECS else f"{root}{month}"
