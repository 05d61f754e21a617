"""Price charts: 1-minute bars from the store rolled up on read to 5/15/30/60 minutes (session-aligned, by the
engine's own batch aggregation), swing highs/lows and Donchian channels computed on the same bars, and markers
where trades entered and exited and where their stops and targets sat; and the symbols the store has bars of."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
from pydantic import BaseModel

from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid
from theo.api.services.query import choice, symbol_value, time_range
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.time import from_us
from theo.data.bars.batch import rollup
from theo.data.bars.timeframes import parse_timeframe
from theo.indicators.batch import donchian, swings
from theo.model.columns import OHLCVColumns
from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.trades import SqlTradeStore

#: What the charts offer; every one but 1m is rolled up from stored 1-minute bars.
TIMEFRAMES = ("1m", "5m", "15m", "30m", "60m")
BASE = "1m"
MAX_BARS = 5000


class ChartBar(BaseModel):
    """One bar; ``t`` is its start in UTC epoch seconds."""

    t: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class Point(BaseModel):
    t: int
    price: float


class Channel(BaseModel):
    t: int
    upper: float
    lower: float


class Overlays(BaseModel):
    swing_highs: list[Point]
    swing_lows: list[Point]
    donchian: list[Channel]


class Marker(BaseModel):
    """An entry, exit, stop or target of a trade, at the start of the bar it falls in."""

    t: int
    kind: str
    side: str
    price: float
    trade_id: int
    text: str


class Chart(BaseModel):
    symbol: str
    timeframe: str
    bars: list[ChartBar]
    overlays: Overlays
    markers: list[Marker]


def calendar(ctx: ServiceContext) -> MarketCalendar:
    return get_calendar(ctx.config.market.calendar, ctx.config.market)


def load_bars(ctx: ServiceContext, symbol: str, timeframe: str, start: datetime | None,
              end: datetime | None) -> OHLCVColumns:
    """Bars of ``timeframe`` starting in ``[start, end)``: rolled up from the stored 1-minute bars when there are
    any (the engine's session-aligned rollup), else the bars stored in that timeframe."""
    repo = BarRepository(ctx.store)
    base = repo.bar_columns(symbol, BASE, start, end)
    if len(base) and timeframe != BASE:
        return rollup(symbol, base.start_us, base.end_us, base.open, base.high, base.low, base.close, base.volume,
                      timeframe, calendar(ctx), source=BASE)
    return base if len(base) else repo.bar_columns(symbol, timeframe, start, end)


def _default_start(ctx: ServiceContext, symbol: str, timeframe: str, end: datetime | None,
                   limit: int) -> datetime | None:
    """Far enough before ``end`` (or the newest bar) for ``limit`` bars of regular sessions, and a bit more."""
    repo = BarRepository(ctx.store)
    last = end or repo.last_start(symbol, BASE) or repo.last_start(symbol, timeframe)
    if last is None:
        return None
    minutes = parse_timeframe(timeframe).length_us / 60e6
    days = math.ceil(limit * minutes / 390 * 7 / 5) + 4
    return last - timedelta(days=days)


def chart(ctx: ServiceContext, actor: Actor, *, symbol: str, timeframe: str = "5m", start: str | None = None,
          end: str | None = None, limit: int = 1000, swing_left: int = 2, swing_right: int = 2,
          donchian_period: int = 20) -> Chart:
    """The last ``limit`` bars of ``symbol`` in ``[from, to)`` with overlays and trade markers."""
    actor.require(Role.VIEWER, "reading charts")
    sym = symbol_value(symbol)
    if sym is None:
        raise Invalid("symbol is required, e.g. symbol=SPY", field="symbol")
    tf = choice(timeframe, TIMEFRAMES, "timeframe") or "5m"
    if not 1 <= limit <= MAX_BARS:
        raise Invalid(f"limit={limit} is out of range; give 1 to {MAX_BARS}", field="limit")
    for name, value in (("swing_left", swing_left), ("swing_right", swing_right),
                        ("donchian_period", donchian_period)):
        if not 1 <= value <= 500:
            raise Invalid(f"{name}={value} is out of range; give 1 to 500", field=name)
    lo, hi = time_range(start, end)
    if lo is None:
        lo = _default_start(ctx, sym, tf, hi, limit)
    bars = load_bars(ctx, sym, tf, lo, hi)
    n = len(bars)
    first = max(0, n - limit)
    t = (bars.start_us // 1_000_000).astype(np.int64)
    sw = swings(bars.high, bars.low, swing_left, swing_right)
    dc = donchian(bars.high, bars.low, donchian_period)
    shown = range(first, n)
    overlays = Overlays(
        swing_highs=[Point(t=int(t[sw.high_index[i]]), price=float(sw.high[i])) for i in shown
                     if sw.new_high[i] and sw.high_index[i] >= first],
        swing_lows=[Point(t=int(t[sw.low_index[i]]), price=float(sw.low[i])) for i in shown
                    if sw.new_low[i] and sw.low_index[i] >= first],
        donchian=[Channel(t=int(t[i]), upper=float(dc.upper[i]), lower=float(dc.lower[i])) for i in shown
                  if np.isfinite(dc.upper[i])])
    out = [ChartBar(t=int(t[i]), open=float(bars.open[i]), high=float(bars.high[i]), low=float(bars.low[i]),
                    close=float(bars.close[i]), volume=float(bars.volume[i])) for i in shown]
    markers = _markers(ctx, sym, bars, first) if n > first else []
    return Chart(symbol=sym, timeframe=tf, bars=out, overlays=overlays, markers=markers)


def _markers(ctx: ServiceContext, symbol: str, bars: OHLCVColumns, first: int) -> list[Marker]:
    starts = bars.start_us[first:]
    lo, hi = from_us(int(starts[0])), from_us(int(bars.end_us[-1]))

    def bar_of(ts: datetime) -> int | None:
        i = int(np.searchsorted(starts, int(ts.timestamp() * 1_000_000), side="right")) - 1
        return int(starts[i] // 1_000_000) if i >= 0 and ts < hi else None

    out: list[Marker] = []
    for tr in SqlTradeStore(ctx.store).touching(symbol, lo, hi):
        assert tr.id is not None
        side = tr.side.value
        exit_side = tr.side.opposite.value
        at_entry = bar_of(tr.entry_ts) if tr.entry_ts is not None and tr.entry_ts >= lo else None
        if at_entry is not None and tr.entry_price is not None:
            out.append(Marker(t=at_entry, kind="entry", side=side, price=float(tr.entry_price), trade_id=tr.id,
                              text=f"{side} {tr.entry_qty.normalize():f} @ {tr.entry_price:f} ({tr.strategy})"))
            stop = tr.initial_stop if tr.initial_stop is not None else tr.stop
            if stop is not None:
                out.append(Marker(t=at_entry, kind="stop", side=exit_side, price=float(stop), trade_id=tr.id,
                                  text=f"stop {stop:f}"))
            if tr.target is not None:
                out.append(Marker(t=at_entry, kind="target", side=exit_side, price=float(tr.target),
                                  trade_id=tr.id, text=f"target {tr.target:f}"))
        at_exit = bar_of(tr.exit_ts) if tr.exit_ts is not None and tr.exit_ts >= lo else None
        if at_exit is not None and tr.exit_price is not None:
            why = tr.exit_reason.value.replace("_", " ") if tr.exit_reason else "exit"
            out.append(Marker(t=at_exit, kind="exit", side=exit_side, price=float(tr.exit_price), trade_id=tr.id,
                              text=f"{why} {tr.exit_qty.normalize():f} @ {tr.exit_price:f}"))
    return sorted(out, key=lambda m: (m.t, m.trade_id))


class SymbolItem(BaseModel):
    """A symbol with stored bars: the timeframes a chart can show it in and its first and last bar start."""

    symbol: str
    timeframes: list[str]
    first: datetime
    last: datetime


class Symbols(BaseModel):
    items: list[SymbolItem]


def symbols(ctx: ServiceContext, actor: Actor) -> Symbols:
    """Every symbol the store has bars of (1-minute bars offer every chart timeframe)."""
    actor.require(Role.VIEWER, "reading symbols")
    found: dict[str, tuple[set[str], datetime, datetime]] = {}
    for sym, tf, first, last in BarRepository(ctx.store).coverage():
        tfs, lo, hi = found.get(sym, (set(), first, last))
        tfs.update(TIMEFRAMES if tf == BASE else (tf,))
        found[sym] = (tfs, min(lo, first), max(hi, last))
    order = {tf: k for k, tf in enumerate(TIMEFRAMES)}
    return Symbols(items=[SymbolItem(symbol=s, first=lo, last=hi,
                                     timeframes=sorted(tfs, key=lambda x: (order.get(x, 99), x)))
                          for s, (tfs, lo, hi) in sorted(found.items())])

