"""Performance metrics of a run, from its equity curve and its trades (definitions: docs/backtesting.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from theo.core.time import to_us
from theo.model.events import Execution
from theo.model.series import F64, I64, BarSeries, et_days
from theo.model.trades import Trade

TRADING_DAYS = 252


@dataclass
class EquityCurve:
    """Account equity (USD, float: chart and statistics data) after each instant of the data."""

    ts_us: I64
    equity: F64
    in_market: np.ndarray  # bool: any position open at that instant

    @property
    def drawdown(self) -> F64:
        peak = np.maximum.accumulate(self.equity)
        return np.asarray(self.equity / peak - 1.0, dtype=np.float64)


def equity_curve(capital: Decimal, series: Mapping[str, BarSeries], fills: Sequence[Execution]) -> EquityCurve:
    """Mark every position to the close of each item; cash moves at fills (price and charges).

    A fill counts from the item that starts at or before its time (a fill inside a bar's range is stamped
    with the bar's end, so it counts from the next item).
    """
    symbols = list(series)
    ts = np.unique(np.concatenate([series[s].start_us for s in symbols]))
    total = np.full(ts.shape[0], float(capital))
    exposed = np.zeros(ts.shape[0], dtype=bool)
    by_symbol: dict[str, list[Execution]] = {}
    for ex in fills:
        by_symbol.setdefault(ex.symbol, []).append(ex)
    for symbol in symbols:
        s = series[symbol]
        n = len(s)
        pos = np.zeros(n)
        cash = np.zeros(n)
        mine = by_symbol.get(symbol, [])
        if mine:
            at_fill = np.searchsorted(s.start_us, np.array([to_us(ex.ts) for ex in mine], dtype=np.int64),
                                      side="right") - 1
            for ex, j in zip(mine, at_fill.tolist(), strict=True):
                k = max(j, 0)
                qty = float(ex.quantity) * ex.side.sign
                pos[k] += qty
                cash[k] -= qty * float(ex.price) + float(ex.charges.total)
        held = np.cumsum(pos)
        value = np.cumsum(cash) + held * s.close
        at = np.searchsorted(s.start_us, ts, side="right") - 1  # last item of this symbol at or before ts
        valid = at >= 0
        total[valid] += value[at[valid]]
        exposed[valid] |= np.abs(held[at[valid]]) > 1e-12
    return EquityCurve(ts, total, exposed)


def _daily_last(curve: EquityCurve) -> F64:
    codes, _ = et_days(curve.ts_us)
    last = np.flatnonzero(np.concatenate((codes[1:] != codes[:-1], [True])))
    return np.asarray(curve.equity[last], dtype=np.float64)


def _drawdown_duration(curve: EquityCurve) -> tuple[float, int]:
    """Longest time (days) and number of items spent below a previous equity peak."""
    eq = curve.equity
    peak = np.maximum.accumulate(eq)
    under = eq < peak
    best_days, best_items = 0.0, 0
    if under.any():
        edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            t0 = curve.ts_us[a - 1] if a > 0 else curve.ts_us[a]
            t1 = curve.ts_us[b] if b < len(eq) else curve.ts_us[-1]
            days = (int(t1) - int(t0)) / 86_400e6
            if b - a > best_items:
                best_items = b - a
            best_days = max(best_days, days)
    return best_days, best_items


def compute_metrics(capital: Decimal, curve: EquityCurve, trades: Sequence[Trade],
                    fills: Sequence[Execution]) -> dict[str, float | int | str]:
    """Every figure of metrics.json (money rounded to the cent, ratios as floats)."""
    start, final = float(capital), float(curve.equity[-1]) if curve.equity.size else float(capital)
    total_return = final / start - 1.0
    span_days = max((int(curve.ts_us[-1]) - int(curve.ts_us[0])) / 86_400e6, 1.0) if curve.ts_us.size else 1.0
    annual = (1.0 + total_return) ** (365.25 / span_days) - 1.0 if total_return > -1 else -1.0
    daily = _daily_last(curve) if curve.ts_us.size else np.array([start])
    rets = np.diff(np.concatenate(([start], daily))) / np.concatenate(([start], daily[:-1]))
    sd = float(np.std(rets, ddof=1)) if rets.size > 1 else 0.0
    mean = float(np.mean(rets)) if rets.size else 0.0
    downside = float(np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2))) if rets.size else 0.0
    sharpe = mean / sd * math.sqrt(TRADING_DAYS) if sd > 0 else 0.0
    sortino = mean / downside * math.sqrt(TRADING_DAYS) if downside > 0 else 0.0
    max_dd = float(curve.drawdown.min()) if curve.equity.size else 0.0
    dd_days, dd_items = _drawdown_duration(curve) if curve.equity.size else (0.0, 0)
    calmar = annual / abs(max_dd) if max_dd < 0 else 0.0
    closed = [t for t in trades if not t.is_open and t.entry_qty > 0]
    nets = [t.realised - t.charges for t in closed]
    wins = [n for n in nets if n > 0]
    losses = [n for n in nets if n < 0]
    gross_win, gross_loss = sum(wins, Decimal(0)), -sum(losses, Decimal(0))
    charges = sum((ex.charges.total for ex in fills), Decimal(0))
    net_pnl = sum(nets, Decimal(0))
    return {
        "start_equity": round(start, 2),
        "final_equity": round(final, 2),
        "total_return": total_return,
        "annual_return": annual,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown": max_dd,
        "max_drawdown_duration_days": dd_days,
        "max_drawdown_duration_bars": dd_items,
        "calmar": calmar,
        "trades": len([t for t in trades if t.entry_qty > 0]),
        "closed_trades": len(closed),
        "open_trades": len([t for t in trades if t.is_open and t.entry_qty > 0]),
        "win_rate": len(wins) / len(closed) if closed else 0.0,
        "profit_factor": float(gross_win / gross_loss) if gross_loss > 0 else (0.0 if not wins else float("inf")),
        "expectancy": float(net_pnl / len(closed)) if closed else 0.0,
        "net_pnl_closed": float(net_pnl),
        "charges": float(charges),
        "exposure": float(curve.in_market.mean()) if curve.in_market.size else 0.0,
        "days": len(daily),
    }
