"""Market data of the fake TWS: reference-data requests, ticks, tick-by-tick, real-time bars, depth,
fundamentals and historical data, plus the test-side push API.

Mixed into :class:`tests.fakes.tws.server.FakeTws`; every method runs on the fake's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.tws import history as hist
from tests.fakes.tws import messages as msg
from tests.fakes.tws.contracts import ContractSpec, Instrument, OptionChain, ReferenceData, parse_ib_time
from tests.fakes.tws.sync import threadsafe
from tests.fakes.tws.wire import fmt_price, fmt_qty, to_bool, to_int

if TYPE_CHECKING:
    from tests.fakes.tws.session import Session

DELAYED = {1: 66, 2: 67, 4: 68, 6: 72, 7: 73, 9: 75, 14: 76, 0: 69, 3: 70, 5: 71, 8: 74}
PRELOADED = (
    ("AAPL", 265598, "NASDAQ", "APPLE INC", "US0378331005"),
    ("SPY", 756733, "ARCA", "SPDR S&P 500 ETF TRUST", "US78462F1030"),
    ("QQQ", 320227571, "NASDAQ", "INVESCO QQQ TRUST SERIES 1", "US46090E1038"),
    ("MSFT", 272093, "NASDAQ", "MICROSOFT CORP", "US5949181045"),
    ("IBM", 8314, "NYSE", "INTL BUSINESS MACHINES CORP", "US4592001014"),
)
NO_DATA = "Historical Market Data Service error message:HMDS query returned no data: {sym}@SMART Trades"
PACING = "Historical Market Data Service error message:Historical data request pacing violation"


@dataclass
class MarketState:
    """Current top of book and session statistics of one instrument."""

    last: float | None = None
    last_size: float = 0.0
    bid: float | None = None
    ask: float | None = None
    bid_size: float = 0.0
    ask_size: float = 0.0
    volume: float = 0.0
    open: float | None = None
    high: float | None = None
    low: float | None = None
    close: float | None = None
    last_ts: float | None = None
    halted: bool = False
    pv: float = 0.0


@dataclass
class Subscription:
    """A live data request of one connection."""

    kind: str  # mkt, tbt, rtbar, depth, hist
    session: Session
    req_id: int
    con_id: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class HistoryRequest:
    """What the fake saw of one reqHistoricalData (for pacing assertions)."""

    ts: float
    req_id: int
    client_id: int | None
    symbol: str
    end: str
    duration: str
    bar_size: str
    what_to_show: str
    use_rth: bool
    keep_up_to_date: bool
    answer: str = ""


@dataclass
class RtBucket:
    """Accumulator of one 5-second real-time bar."""

    start: int
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    pv: float = 0.0
    count: int = 0


class MarketMixin:
    """Market-data side of the fake."""

    refdata: ReferenceData
    default_price: float
    accounts: tuple[str, ...]
    now: Callable[[], dt.datetime]

    def _init_market(self) -> None:
        self.market: dict[int, MarketState] = {}
        self._entitlements: dict[str, str] = {}
        self._subs: list[Subscription] = []
        self._history: dict[tuple[int, str | None], list[hist.Bar]] = {}
        self._fundamentals: dict[tuple[int, str], str] = {}
        self._depth: dict[int, tuple[list[tuple[float, float]], list[tuple[float, float]]]] = {}
        self._rt: dict[int, RtBucket] = {}
        self._rt_emitted: dict[int, int] = {}
        self._market_timer: asyncio.Task[None] | None = None
        self.history_mode = "normal"
        self.pacing_code = 162
        self._pacing_left = 0
        self.history_requests: list[HistoryRequest] = []
        for symbol, con_id, primary, name, isin in PRELOADED:
            self.add_stock(symbol, con_id, primary, long_name=name, isin=isin)

    # ---------------------------------------------------------------- reference data
    if TYPE_CHECKING:  # provided by FakeTws / BrokerMixin

        def _send_to_client(self, client_id: int, fields: list[Any]) -> None: ...
        def _work_orders_on_trade(self, inst: Instrument, price: float) -> None: ...
        def _loop(self) -> asyncio.AbstractEventLoop: ...

    @threadsafe
    def add_stock(self, symbol: str, con_id: int | None = None, primary: str = "NASDAQ", min_tick: float = 0.01,
                  long_name: str = "", currency: str = "USD", isin: str = "") -> Instrument:
        """Register a stock (SMART-routed, listed on ``primary``)."""
        inst = Instrument(con_id or self.refdata.new_con_id(), symbol, "STK", "SMART", primary, currency,
                          min_tick=min_tick, long_name=long_name, isin=isin)
        return self.refdata.add(inst)

    @threadsafe
    def add_future(self, symbol: str, last_trade_date: str, con_id: int | None = None, multiplier: str = "5",
                   exchange: str = "CME", min_tick: float = 0.25, local_symbol: str = "") -> Instrument:
        """Register a future (e.g. MES 20261218 on CME)."""
        codes = "FGHJKMNQUVXZ"
        local = local_symbol or f"{symbol}{codes[int(last_trade_date[4:6]) - 1]}{last_trade_date[3]}"
        inst = Instrument(con_id or self.refdata.new_con_id(), symbol, "FUT", exchange, exchange, "USD",
                          local_symbol=local, trading_class=symbol, min_tick=min_tick, multiplier=multiplier,
                          last_trade_date=last_trade_date, long_name=f"{symbol} futures",
                          valid_exchanges=exchange)
        return self.refdata.add(inst)

    @threadsafe
    def add_index(self, symbol: str, exchange: str = "CBOE", con_id: int | None = None) -> Instrument:
        """Register an index (not tradable)."""
        inst = Instrument(con_id or self.refdata.new_con_id(), symbol, "IND", exchange, exchange, "USD",
                          long_name=f"{symbol} index", valid_exchanges=exchange)
        return self.refdata.add(inst)

    @threadsafe
    def add_option_chain(self, symbol: str, expirations: list[str], strikes: list[float], exchange: str = "SMART",
                         multiplier: str = "100") -> list[Instrument]:
        """Register an option chain for reqSecDefOptParams and its option contracts for contract details."""
        under = self.refdata.by_symbol(symbol) or self.add_stock(symbol)
        chain = OptionChain(symbol, under.con_id, list(expirations), [float(s) for s in strikes], exchange, multiplier)
        self.refdata.chains.setdefault(symbol, []).append(chain)
        return [self.refdata.add(inst) for inst in self.refdata.option_contracts(chain)]

    @threadsafe
    def ambiguous(self, symbol: str) -> None:
        """Make contract-details requests for ``symbol`` answer two contracts."""
        self.refdata.ambiguous_symbols.add(symbol)

    @threadsafe
    def set_entitlement(self, symbol: str, entitlement: str) -> None:
        """"live", "delayed" (10167 + delayed ticks), "none" (354) or "needs_subscription" (10089)."""
        assert entitlement in {"live", "delayed", "none", "needs_subscription"}, entitlement
        self._entitlements[symbol] = entitlement

    def _instrument(self, symbol: str) -> Instrument:
        inst = self.refdata.by_symbol(symbol)
        if inst is None:
            known = self.refdata.instruments.values()
            inst = next((i for i in known if symbol in (i.symbol, i.local_symbol)), None)
        if inst is None:
            raise KeyError(f"unknown symbol {symbol}")
        return inst

    def _state(self, inst: Instrument) -> MarketState:
        return self.market.setdefault(inst.con_id, MarketState())

    def _last_price(self, inst: Instrument) -> float | None:
        return self.market[inst.con_id].last if inst.con_id in self.market else None

    def _resolve_one(self, session: Session, req_id: int, spec: ContractSpec) -> Instrument | None:
        found = self.refdata.resolve(spec)
        if len(found) != 1:
            session.send(msg.error(req_id, 200, "No security definition has been found for the request"))
            return None
        return found[0]

    def _market_handlers(self) -> dict[int, Callable[[Session, list[str]], None]]:
        return {
            1: self._on_req_mkt_data,
            2: lambda s, f: self._cancel_sub(s, "mkt", to_int(f[2])),
            9: self._on_req_contract_details,
            10: self._on_req_mkt_depth,
            11: lambda s, f: self._cancel_sub(s, "depth", to_int(f[2])),
            20: self._on_req_historical_data,
            25: lambda s, f: self._cancel_sub(s, "hist", to_int(f[2])),
            50: self._on_req_real_time_bars,
            51: lambda s, f: self._cancel_sub(s, "rtbar", to_int(f[2])),
            52: self._on_req_fundamental_data,
            53: lambda s, f: None,
            78: self._on_req_sec_def_opt_params,
            81: self._on_req_matching_symbols,
            87: self._on_req_head_timestamp,
            90: lambda s, f: None,
            97: self._on_req_tick_by_tick,
            98: lambda s, f: self._cancel_sub(s, "tbt", to_int(f[1])),
        }

    def _on_req_contract_details(self, session: Session, fields: list[str]) -> None:
        req_id = to_int(fields[2])
        found = self.refdata.resolve(ContractSpec.parse(fields, 3))
        if not found:
            session.send(msg.error(req_id, 200, "No security definition has been found for the request"))
            return
        today = self.now().astimezone(dt.UTC).date()
        for inst in found:
            session.send(msg.contract_details(req_id, inst, today))
        session.send([52, 1, req_id])

    def _on_req_sec_def_opt_params(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 6
        req_id, symbol = to_int(f[1]), f[2]
        for chain in self.refdata.chains.get(symbol, []):
            row: list[Any] = [75, req_id, chain.exchange, chain.under_con_id, chain.trading_class or symbol,
                              chain.multiplier, len(chain.expirations), *chain.expirations, len(chain.strikes)]
            session.send(row + [repr(s) for s in chain.strikes])
        session.send([76, req_id])

    def _on_req_matching_symbols(self, session: Session, fields: list[str]) -> None:
        req_id, pattern = to_int(fields[1]), (fields[2] if len(fields) > 2 else "").upper()
        hits = [i for i in self.refdata.instruments.values() if i.sec_type == "STK" and i.symbol.startswith(pattern)]
        row: list[Any] = [79, req_id, len(hits)]
        for inst in hits:
            row += [inst.con_id, inst.symbol, "STK", inst.primary, inst.currency, 1, "OPT"]
            if session.version >= 176:
                row += [inst.long_name, ""]
        session.send(row)

    # ----------------------------------------------------------------- subscriptions
    def _cancel_sub(self, session: Session, kind: str, req_id: int) -> None:
        self._subs = [s for s in self._subs if not (s.session is session and s.kind == kind and s.req_id == req_id)]

    def _drop_subscriptions(self, session: Session | None) -> None:
        self._subs = [s for s in self._subs if session is not None and s.session is not session]

    def _subs_for(self, kind: str, con_id: int) -> list[Subscription]:
        return [s for s in self._subs if s.kind == kind and s.con_id == con_id and not s.session.closed]

    def subscriptions(self, kind: str | None = None) -> list[Subscription]:
        """Live data subscriptions (optionally of one kind: mkt, tbt, rtbar, depth, hist)."""
        return [s for s in self._subs if kind is None or s.kind == kind]

    def _entitled(self, session: Session, req_id: int, inst: Instrument, allow_delayed: bool) -> bool | None:
        """True = live, False = delayed, None = refused (error already sent)."""
        ent = self._entitlements.get(inst.symbol, "live")
        if ent == "live":
            return True
        if allow_delayed and (ent == "delayed" or session.md_type in (3, 4)):
            text = "Requested market data is not subscribed. Displaying delayed market data."
            session.send(msg.error(req_id, 10167, text))
            return False
        if ent == "needs_subscription" or (ent == "delayed" and not allow_delayed):
            text = ("Requested market data requires additional subscription for API. See link in 'Market Data "
                    "Connections' dialog for more details."
                    f"Delayed market data is available.{inst.symbol} {inst.primary}/TOP/ALL")
            session.send(msg.error(req_id, 10089, text))
            return None
        session.send(msg.error(req_id, 354, "Requested market data is not subscribed."))
        return None

    def _on_req_mkt_data(self, session: Session, fields: list[str]) -> None:
        req_id = to_int(fields[2])
        spec = ContractSpec.parse(fields, 3)
        i = 15
        if spec.sec_type == "BAG":
            i += 1 + 4 * to_int(fields[i])
        if len(fields) > i and to_bool(fields[i]):
            i += 3
        f = fields + [""] * 6
        generic = {g.strip() for g in f[i + 1].split(",") if g.strip()}
        snapshot = to_bool(f[i + 2]) or to_bool(f[i + 3])
        inst = self._resolve_one(session, req_id, spec)
        if inst is None:
            return
        live = self._entitled(session, req_id, inst, allow_delayed=True)
        if live is None:
            return
        session.send([81, req_id, repr(inst.min_tick), "9c0001", 3])
        session.send([58, 1, req_id, 1 if live else 3])
        sub = Subscription("mkt", session, req_id, inst.con_id, {"generic": generic, "live": live})
        self._first_ticks(sub, self._state(inst))
        if snapshot:
            session.send([57, 1, req_id])
        else:
            self._subs.append(sub)

    def _tick(self, sub: Subscription, tick_type: int) -> int:
        return tick_type if sub.options.get("live", True) else DELAYED.get(tick_type, tick_type)

    def _first_ticks(self, sub: Subscription, st: MarketState) -> None:
        send, r = sub.session.send, sub.req_id
        for tick, price, size, size_tick in ((1, st.bid, st.bid_size, 0), (2, st.ask, st.ask_size, 3),
                                             (4, st.last, st.last_size, 5)):
            if price is not None:
                send(msg.tick_price(r, self._tick(sub, tick), price, size))
                send(msg.tick_size(r, self._tick(sub, size_tick), size))
        if st.volume:
            send(msg.tick_size(r, self._tick(sub, 8), st.volume))
        for tick, price in ((9, st.close), (6, st.high), (7, st.low), (14, st.open)):
            if price is not None:
                send(msg.tick_price(r, self._tick(sub, tick), price, 0))
        if st.last_ts is not None and sub.options.get("live", True):
            send(msg.tick_string(r, 45, str(int(st.last_ts))))
        if st.halted:
            send(msg.tick_generic(r, 49, 1))

    def _live_request(self, session: Session, fields: list[str], req_at: int) -> tuple[int, Instrument] | None:
        """reqId and instrument of a live-only request (C12 right after the reqId), or None once refused."""
        req_id = to_int(fields[req_at])
        inst = self._resolve_one(session, req_id, ContractSpec.parse(fields, req_at + 1))
        if inst is None or self._entitled(session, req_id, inst, allow_delayed=False) is None:
            return None
        return req_id, inst

    def _on_req_tick_by_tick(self, session: Session, fields: list[str]) -> None:
        found = self._live_request(session, fields, 1)
        if found is not None:
            kind = fields[14] if len(fields) > 14 and fields[14] else "Last"
            self._subs.append(Subscription("tbt", session, found[0], found[1].con_id, {"type": kind}))

    def _on_req_real_time_bars(self, session: Session, fields: list[str]) -> None:
        found = self._live_request(session, fields, 2)
        if found is not None:
            since = self.now().timestamp()
            self._subs.append(Subscription("rtbar", session, found[0], found[1].con_id, {"since": since}))

    def _on_req_mkt_depth(self, session: Session, fields: list[str]) -> None:
        found = self._live_request(session, fields, 2)
        if found is None:
            return
        f = fields + [""] * 4
        options = {"rows": to_int(f[15], 5), "smart": to_bool(f[16]), "sent": (0, 0)}
        sub = Subscription("depth", session, found[0], found[1].con_id, options)
        self._subs.append(sub)
        self._send_depth(sub)

    def _book(self, con_id: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        if con_id in self._depth:
            return self._depth[con_id]
        st = self.market.get(con_id, MarketState())
        bids = [(st.bid, st.bid_size)] if st.bid is not None else []
        asks = [(st.ask, st.ask_size)] if st.ask is not None else []
        return bids, asks

    def _send_depth(self, sub: Subscription) -> None:
        bids, asks = self._book(sub.con_id)
        rows = sub.options["rows"] or 5
        sent_bids, sent_asks = sub.options["sent"]
        for side, levels, sent in ((1, bids[:rows], sent_bids), (0, asks[:rows], sent_asks)):
            for pos, (price, size) in enumerate(levels):
                self._depth_row(sub, pos, 1 if pos < sent else 0, side, price, size)
            for pos in range(len(levels), sent):
                self._depth_row(sub, pos, 2, side, 0.0, 0.0)
        sub.options["sent"] = (len(bids[:rows]), len(asks[:rows]))

    def _depth_row(self, sub: Subscription, pos: int, op: int, side: int, price: float, size: float) -> None:
        if sub.options["smart"]:
            sub.session.send([13, 1, sub.req_id, pos, "NSDQ", op, side, fmt_price(price), fmt_qty(size), 1])
        else:
            sub.session.send([12, 1, sub.req_id, pos, op, side, fmt_price(price), fmt_qty(size)])

    def _on_req_fundamental_data(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 12
        req_id = to_int(f[2])
        spec = ContractSpec(to_int(f[3]), f[4], f[5], "", 0.0, "", "", f[6], f[7], f[8], f[9], "")
        inst = self._resolve_one(session, req_id, spec)
        if inst is None:
            return
        report = f[10] or "ReportSnapshot"
        xml = self._fundamentals.get((inst.con_id, report))
        if xml is None:
            if report != "ReportSnapshot":
                session.send(msg.error(req_id, 430, "We are sorry, but fundamentals data for the security specified "
                                                    "is not available.Not allowed"))
                return
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><ReportSnapshot Major="1" Minor="0" Revision="1">'
                   f'<CoIDs><CoID Type="CompanyName">{inst.long_name}</CoID></CoIDs>'
                   f'<Issues><Issue Type="C" Desc="Common Stock"><IssueID Type="Ticker">{inst.symbol}</IssueID>'
                   f'<Exchange Code="{inst.primary}"/></Issue></Issues></ReportSnapshot>')
        session.send([51, 1, req_id, xml])

    # -------------------------------------------------------------------- history
    @threadsafe
    def set_history(self, symbol: str, bars: list[tuple[Any, ...]], what_to_show: str | None = None) -> None:
        """Store the bars (datetime_utc, o, h, l, c, v[, wap, count]) answered for ``symbol``."""
        inst = self._instrument(symbol)
        rows = sorted((hist.Bar.from_tuple(b) for b in bars), key=lambda b: b.start)
        self._history[(inst.con_id, what_to_show.upper() if what_to_show else None)] = rows

    @threadsafe
    def pacing_violations(self, n: int, code: int = 162) -> None:
        """Answer the next ``n`` historical requests with a pacing violation (162, or 420)."""
        self._pacing_left = n
        self.pacing_code = code

    @property
    def history_request_times(self) -> list[float]:
        """Monotonic arrival times of the historical-data requests."""
        return [r.ts for r in self.history_requests]

    def _on_req_historical_data(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 8
        req_id = to_int(f[1])
        spec = ContractSpec.parse(fields, 2)
        i = 21 + (1 + 4 * to_int(f[21]) if spec.sec_type == "BAG" else 0)
        rec = HistoryRequest(time.monotonic(), req_id, session.client_id, spec.symbol, f[15], f[17], f[16], f[19],
                             to_bool(f[18]), to_bool(f[i]))
        self.history_requests.append(rec)
        if self._pacing_left > 0 or self.history_mode == "pacing":
            self._pacing_left = max(self._pacing_left - 1, 0)
            rec.answer = "pacing"
            text = PACING if self.pacing_code == 162 else f"Max number of historical data requests exceeded:{PACING}"
            session.send(msg.error(req_id, self.pacing_code, text))
            return
        if self.history_mode == "never":
            rec.answer = "never"
            return
        inst = self._resolve_one(session, req_id, spec)
        if inst is None:
            rec.answer = "unknown"
            return
        end = parse_ib_time(f[15], self.now()) or self.now()
        stored = self._history.get((inst.con_id, f[19].upper())) or self._history.get((inst.con_id, None), [])
        bars = [] if self.history_mode == "no_data" else hist.select(stored, end, f[17], f[16], to_bool(f[18]))
        if not bars:
            rec.answer = "no_data"
            session.send(msg.error(req_id, 162, NO_DATA.format(sym=inst.symbol)))
            return
        rec.answer = f"{len(bars)} bars"
        _, unit = hist.bar_size_seconds(f[16])
        fmt_date = to_int(f[20], 1)
        begin = end - dt.timedelta(seconds=hist.duration_seconds(f[17]))
        stamp = "%Y%m%d %H:%M:%S US/Eastern"
        row: list[Any] = [17, req_id, begin.astimezone(hist.EASTERN).strftime(stamp),
                          end.astimezone(hist.EASTERN).strftime(stamp), len(bars)]
        for bar in bars:
            row += hist.bar_fields(bar, unit, fmt_date)
        session.send(row)
        if rec.keep_up_to_date:
            self._subs.append(Subscription("hist", session, req_id, inst.con_id,
                                           {"bar_size": f[16], "format": fmt_date, "bar": bars[-1]}))

    def _on_req_head_timestamp(self, session: Session, fields: list[str]) -> None:
        req_id = to_int(fields[1])
        inst = self._resolve_one(session, req_id, ContractSpec.parse(fields, 2))
        if inst is None:
            return
        firsts = [bars[0].start for (con, _), bars in self._history.items() if con == inst.con_id and bars]
        first = min(firsts) if firsts else dt.datetime(1980, 12, 12, 14, 30, tzinfo=dt.UTC)
        session.send([88, req_id, first.astimezone(hist.EASTERN).strftime("%Y%m%d-%H:%M:%S")])

    def _update_history_subs(self, inst: Instrument, price: float, size: float, ts: float) -> None:
        start = dt.datetime.fromtimestamp(ts, dt.UTC)
        for sub in self._subs_for("hist", inst.con_id):
            seconds, unit = hist.bar_size_seconds(sub.options["bar_size"])
            bar: hist.Bar = sub.options["bar"]
            if hist.bucket_key(bar.start, seconds, unit) == hist.bucket_key(start, seconds, unit):
                bar.high, bar.low, bar.close = max(bar.high, price), min(bar.low, price), price
                bar.volume += size
            else:
                key = hist.bucket_key(start, seconds, unit)
                begin = start if unit in {"day", "week", "month"} else dt.datetime.fromtimestamp(key[0], dt.UTC)
                bar = hist.Bar(begin, price, price, price, price, size)
                sub.options["bar"] = bar
            date = hist.format_bar_date(bar.start, unit, sub.options["format"])
            sub.session.send([90, sub.req_id, bar.count, date, repr(bar.open), repr(bar.close), repr(bar.high),
                              repr(bar.low), repr(bar.average()), fmt_qty(bar.volume)])

    # ------------------------------------------------------------------ pushes
    @threadsafe
    def push_trade(self, symbol: str, price: float, size: float = 100, ts: float | dt.datetime | None = None,
                   exchange: str = "NASDAQ") -> None:
        """A trade prints: ticks to every subscription of the symbol, bars, and resting orders are worked."""
        inst = self._instrument(symbol)
        st = self._state(inst)
        epoch = ts.timestamp() if isinstance(ts, dt.datetime) else (ts if ts is not None else self.now().timestamp())
        st.last, st.last_size, st.last_ts = price, size, epoch
        st.volume += size
        st.pv += price * size
        new_high = st.high is None or price > st.high
        new_low = st.low is None or price < st.low
        st.high = price if new_high else st.high
        st.low = price if new_low else st.low
        if st.open is None:
            st.open = price
        vwap = round(st.pv / st.volume, 6) if st.volume else price
        for sub in self._subs_for("mkt", inst.con_id):
            send, r = sub.session.send, sub.req_id
            send(msg.tick_price(r, self._tick(sub, 4), price, size))
            send(msg.tick_size(r, self._tick(sub, 5), size))
            send(msg.tick_size(r, self._tick(sub, 8), st.volume))
            if new_high:
                send(msg.tick_price(r, self._tick(sub, 6), price, 0))
            if new_low:
                send(msg.tick_price(r, self._tick(sub, 7), price, 0))
            if sub.options.get("live", True):
                send(msg.tick_string(r, 45, str(int(epoch))))
            rt_volume = f"{price!r};{fmt_qty(size)};{int(epoch * 1000)};{fmt_qty(st.volume)};{vwap!r};true"
            if "233" in sub.options["generic"]:
                send(msg.tick_string(r, 48, rt_volume))
            if "375" in sub.options["generic"]:
                send(msg.tick_string(r, 77, rt_volume))
        for sub in self._subs_for("tbt", inst.con_id):
            kind = sub.options["type"]
            if kind in {"Last", "AllLast"}:
                sub.session.send([99, sub.req_id, 2 if kind == "AllLast" else 1, int(epoch), repr(price),
                                  fmt_qty(size), 0, exchange, ""])
        self._accumulate_rt_bar(inst, price, size, epoch)
        self._update_history_subs(inst, price, size, epoch)
        self._work_orders_on_trade(inst, price)

    @threadsafe
    def push_quote(self, symbol: str, bid: float, ask: float, bid_size: float = 100, ask_size: float = 100) -> None:
        """New top of book: bid/ask ticks, tick-by-tick BidAsk/MidPoint and depth row 0."""
        inst = self._instrument(symbol)
        st = self._state(inst)
        st.bid, st.ask, st.bid_size, st.ask_size = bid, ask, bid_size, ask_size
        epoch = int(self.now().timestamp())
        for sub in self._subs_for("mkt", inst.con_id):
            send, r = sub.session.send, sub.req_id
            send(msg.tick_price(r, self._tick(sub, 1), bid, bid_size))
            send(msg.tick_size(r, self._tick(sub, 0), bid_size))
            send(msg.tick_price(r, self._tick(sub, 2), ask, ask_size))
            send(msg.tick_size(r, self._tick(sub, 3), ask_size))
        for sub in self._subs_for("tbt", inst.con_id):
            if sub.options["type"] == "BidAsk":
                sub.session.send([99, sub.req_id, 3, epoch, repr(bid), repr(ask), fmt_qty(bid_size),
                                  fmt_qty(ask_size), 0])
            elif sub.options["type"] == "MidPoint":
                sub.session.send([99, sub.req_id, 4, epoch, repr(round((bid + ask) / 2, 8))])
        for sub in self._subs_for("depth", inst.con_id):
            self._send_depth(sub)

    @threadsafe
    def set_depth(self, symbol: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        """Replace the order book (price, size) levels; depth subscribers get the changed rows."""
        inst = self._instrument(symbol)
        self._depth[inst.con_id] = (list(bids), list(asks))
        for sub in self._subs_for("depth", inst.con_id):
            self._send_depth(sub)

    @threadsafe
    def set_fundamentals(self, symbol: str, xml: str, report_type: str = "ReportSnapshot") -> None:
        """XML answered by reqFundamentalData for ``symbol``/``report_type``."""
        self._fundamentals[(self._instrument(symbol).con_id, report_type)] = xml

    @threadsafe
    def halt(self, symbol: str, halted: bool = True) -> None:
        """Trading halt: tickGeneric 49 = 1 (0 when ``halted`` is False)."""
        inst = self._instrument(symbol)
        self._state(inst).halted = halted
        for sub in self._subs_for("mkt", inst.con_id):
            sub.session.send(msg.tick_generic(sub.req_id, 49, 1 if halted else 0))

    @threadsafe
    def resume(self, symbol: str) -> None:
        """End a halt (tickGeneric 49 = 0)."""
        self.halt(symbol, False)

    @threadsafe
    def set_close(self, symbol: str, close: float) -> None:
        """Previous close (tick 9) of ``symbol``."""
        self._state(self._instrument(symbol)).close = close

    # ------------------------------------------------------------- real-time bars
    @threadsafe
    def push_bar(self, symbol: str, open_: float, high: float, low: float, close: float, volume: float = 0,
                 wap: float | None = None, count: int = 1, ts: float | dt.datetime | None = None) -> None:
        """Send one 5-second real-time bar to every reqRealTimeBars subscriber of ``symbol``."""
        inst = self._instrument(symbol)
        epoch = ts.timestamp() if isinstance(ts, dt.datetime) else (ts if ts is not None else self.now().timestamp())
        start = int(epoch) - int(epoch) % 5
        bucket = RtBucket(start, open_, high, low, close, volume, (wap if wap is not None else close) * volume, count)
        self._send_rt_bar(inst.con_id, bucket)

    def _send_rt_bar(self, con_id: int, b: RtBucket) -> None:
        wap = b.pv / b.volume if b.volume else b.close
        for sub in self._subs_for("rtbar", con_id):
            sub.session.send([50, 3, sub.req_id, b.start, repr(b.open), repr(b.high), repr(b.low), repr(b.close),
                              fmt_qty(b.volume), repr(round(wap, 6)), b.count])
        self._rt_emitted[con_id] = b.start

    def _accumulate_rt_bar(self, inst: Instrument, price: float, size: float, epoch: float) -> None:
        start = int(epoch) - int(epoch) % 5
        acc = self._rt.get(inst.con_id)
        if acc is not None and acc.start < start:
            self._send_rt_bar(inst.con_id, acc)
            acc = None
        if acc is None:
            acc = self._rt[inst.con_id] = RtBucket(start, price, price, price, price)
        acc.high, acc.low, acc.close = max(acc.high, price), min(acc.low, price), price
        acc.volume += size
        acc.pv += price * size
        acc.count += 1

    def _emit_due_bars(self) -> None:
        """Close the 5-second bars whose time is over (empty bars repeat the last price)."""
        now = self.now().timestamp()
        current = int(now) - int(now) % 5
        for con_id in {s.con_id for s in self._subs if s.kind == "rtbar"}:
            acc = self._rt.get(con_id)
            if acc is not None and acc.start < current:
                self._send_rt_bar(con_id, self._rt.pop(con_id))
                continue
            previous = current - 5
            last = self.market.get(con_id, MarketState()).last
            subscribed_since = min(s.options["since"] for s in self._subs_for("rtbar", con_id)) if self._subs_for(
                "rtbar", con_id) else math.inf
            if (acc is None and last is not None and self._rt_emitted.get(con_id, 0) < previous
                    and subscribed_since <= previous):
                self._send_rt_bar(con_id, RtBucket(previous, last, last, last, last))

    def _start_market_timer(self) -> None:
        async def tick() -> None:
            while True:
                await asyncio.sleep(0.25)
                self._emit_due_bars()

        self._market_timer = asyncio.get_running_loop().create_task(tick())

    def _stop_market_timer(self) -> None:
        if self._market_timer is not None:
            self._market_timer.cancel()
            with contextlib.suppress(Exception):
                self._market_timer = None
