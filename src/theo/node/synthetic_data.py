"""Backtest data from the seeded synthetic market: the very prints ``theo run`` trades, for any session range.

The market's price path starts at ``[engine] synthetic_start`` as in ``theo run``; a range that begins later is
reached by moving the path forward without producing its prints, so a backtest of a day sees the prints a paper
run saw that day. The prints pass the quality gate, as in ``theo run`` and as ticks read from files do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import numpy as np

from theo.config import TheoConfig
from theo.core.calendar import ET
from theo.core.errors import DataError
from theo.core.time import from_us, to_us
from theo.model.series import BarSeries
from theo.node.data import MarketData

#: Longest range a synthetic backtest takes (a day is ~50,000 prints per symbol).
MAX_SYNTHETIC_DAYS = 31


def strategy_symbols(config: TheoConfig) -> list[str]:
    """The symbols the enabled strategies trade, in subscription order (as ``theo backtest --db`` reads them)."""
    from theo.strategy.registry import build_strategies

    out: list[str] = []
    for s in build_strategies(config.strategies):
        out += [sym for sym, _ in s.subscriptions if sym not in out]
    return out


def synthetic_range(config: TheoConfig, start: date | None, end: date | None) -> tuple[date, date]:
    """The dates of a synthetic backtest: by default the first session of ``[engine] synthetic_start``, and a
    range without an end is its first day."""
    from theo.core.calendar import get_calendar

    if start is None:
        cal = get_calendar(config.market.calendar)
        first = config.engine.synthetic_start.astimezone(ET).date()
        start = first if cal.is_session(first) else cal.next_session(first)
    return start, end or start


def load_synthetic(config: TheoConfig, symbols: Sequence[str], start: date, end: date) -> MarketData:
    """Prints of ``symbols`` on the New York dates ``start``..``end`` (both included), as tick series."""
    from theo.adapters.sim.synthetic import SyntheticMarket
    from theo.node.gate import EngineGate

    if end < start:
        raise DataError(f"--to {end} is before --from {start}")
    if (end - start).days + 1 > MAX_SYNTHETIC_DAYS:
        raise DataError(f"the synthetic market backtests at most {MAX_SYNTHETIC_DAYS} days at a time; "
                        f"{start}..{end} is {(end - start).days + 1}")
    market = SyntheticMarket(config.marketdata.synthetic)
    missing = [s for s in symbols if s not in market.symbols]
    if missing:
        raise DataError(f"the synthetic market has no {', '.join(missing)} (it has {', '.join(market.symbols)}); "
                        "add them as [[marketdata.synthetic.instruments]] or backtest on files or stored bars")
    a = datetime.combine(start, time(0), tzinfo=ET)
    b = datetime.combine(end + timedelta(days=1), time(0), tzinfo=ET)
    origin = config.engine.synthetic_start
    begin = market.fast_forward(origin, a) if a > origin else a
    lo, hi = to_us(a), to_us(b)
    wanted = [market.symbols.index(s) for s in symbols]
    parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {j: [] for j in wanted}
    for _, seg in market.segment_ticks_between(begin, b):
        inside = (seg.ts_us >= lo) & (seg.ts_us < hi)
        for j in wanted:
            keep = inside & (seg.symbol == j)
            parts[j].append((seg.ts_us[keep], seg.price[keep], seg.size[keep]))
    series: dict[str, BarSeries] = {}
    notes: list[str] = []
    rejected = 0
    for sym, j in zip(symbols, wanted, strict=True):
        if not parts[j] or not sum(len(p[0]) for p in parts[j]):
            raise DataError(f"the synthetic market has no session between {start} and {end}; pick trading days")
        ts = np.concatenate([p[0] for p in parts[j]]).astype(np.int64)
        px = np.concatenate([p[1] for p in parts[j]]).astype(np.float64)
        sz = np.concatenate([p[2] for p in parts[j]]).astype(np.float64)
        s = BarSeries.from_ticks(sym, ts, px, sz)
        s, reasons = EngineGate(config, from_us(int(ts[0]))).filter_series(s)
        if reasons:
            rejected += sum(reasons.values())
            notes.append(f"synthetic {sym}: the quality gate rejected {reasons}")
        series[sym] = s
    return MarketData(series, "ticks", rejected, notes)
