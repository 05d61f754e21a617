"""Which item of a symbol can change anything next: the vectorised search behind a backtest's skipping.

The broker describes its resting orders as :class:`~theo.adapters.sim.execution.Watch` conditions and the
trade manager its risk-reduction levels; :func:`next_event` finds the first item that meets any of them, with
NumPy over growing windows. Every condition is a superset of the true one (an item that cannot fill is
harmless to visit), so a backtest that visits only these items gives exactly the results of visiting all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theo.adapters.sim.execution import Watch, WatchKind
from theo.model.enums import Side
from theo.model.series import F64, I64

_FIRST_WINDOW = 64


@dataclass(frozen=True)
class Items:
    """One symbol's items as arrays: start times (µs), high, low, the regular-session mask, and ``slack``.

    ``slack`` (the instrument's tick) widens every float comparison: the broker compares prices rounded to
    the tick, so a level that a rounded price reaches is always reached by the float one within a tick.
    """

    start_us: I64
    high: F64
    low: F64
    regular: np.ndarray
    next_regular: I64  # index of the first regular item at or after each index (n when none)
    slack: float

    @staticmethod
    def of(start_us: I64, high: F64, low: F64, regular: np.ndarray, tick: float) -> Items:
        n = start_us.shape[0]
        idx = np.where(regular, np.arange(n), n)
        nxt = np.minimum.accumulate(idx[::-1])[::-1] if n else idx
        return Items(start_us, high, low, regular, np.concatenate((nxt, [n])).astype(np.int64), tick)

    def __len__(self) -> int:
        return int(self.start_us.shape[0])


def next_event(items: Items, pos: int, watches: Sequence[Watch], levels: Sequence[tuple[Side, float]]) -> int:
    """The first index ``>= pos`` whose item may act on a watch or a risk-reduction level (``len`` if none)."""
    best = len(items)
    for w in watches:
        lo = max(pos, int(np.searchsorted(items.start_us, w.since_us, side="left")))
        if lo < best:
            best = min(best, _first(items, lo, best, w))
    for side, level in levels:
        if pos < best:
            buy = side is Side.BUY
            best = min(best, _scan(items, pos, best, level - items.slack if buy else level + items.slack, buy, False))
    return best


def _first(items: Items, lo: int, end: int, w: Watch) -> int:
    if w.kind is WatchKind.NEXT or (w.kind is WatchKind.TRAIL and w.trail_ref is None and w.trail_trigger is None):
        return min(end, int(items.next_regular[lo])) if w.rth_only else lo
    if w.kind is WatchKind.HIGH:
        assert w.level is not None
        return _scan(items, lo, end, w.level - items.slack, True, w.rth_only)
    if w.kind is WatchKind.LOW:
        assert w.level is not None
        return _scan(items, lo, end, w.level + items.slack, False, w.rth_only)
    return _trail(items, lo, end, w)


def _scan(items: Items, lo: int, end: int, level: float, high: bool, rth: bool) -> int:
    """First index in [lo, end) whose high >= level (or low <= level), regular only when ``rth``."""
    width = _FIRST_WINDOW
    while lo < end:
        hi = min(end, lo + width)
        hit = items.high[lo:hi] >= level if high else items.low[lo:hi] <= level
        if rth:
            hit &= items.regular[lo:hi]
        k = int(np.argmax(hit))
        if hit[k]:
            return lo + k
        lo = hi
        width *= 4
    return end


def _trail(items: Items, lo: int, end: int, w: Watch) -> int:
    """First index where a trailing stop can trigger (the fill rules of ``theo.execution.fills``).

    At item k the stop is the initial stop or the trail behind the best price since trailing started,
    whichever is nearer the market; trailing starts at the first eligible item whose best price reaches the
    trigger (at once when there is none). The best price counts item k's own high (low) too: its open moves
    the trail before its range is worked, and the open is within the item's range, so the search never misses
    a stop the open tightened.
    """
    sell = w.sell
    far = -np.inf if sell else np.inf
    accumulate = np.maximum.accumulate if sell else np.minimum.accumulate
    stop0 = w.level if w.level is not None else far
    ref = w.trail_ref if w.trail_ref is not None else far
    trigger = w.trail_trigger
    slack = items.slack
    width = _FIRST_WINDOW
    while lo < end:
        hi = min(end, lo + width)
        m = hi - lo
        high, low = items.high[lo:hi], items.low[lo:hi]
        eligible = items.regular[lo:hi] if w.rth_only else np.ones(m, dtype=bool)
        best = np.where(eligible, high if sell else low, far)
        if trigger is not None:
            reached = best >= trigger - slack if sell else best <= trigger + slack
            start = int(np.argmax(reached)) if reached.any() else m
            best = np.where(np.arange(m) >= start, best, far)
        else:
            start = 0
        before = accumulate(np.concatenate(([ref], best)))[1:]
        if w.trail_pct is not None:
            trailed = before * (1.0 - w.trail_pct / 100.0) if sell else before * (1.0 + w.trail_pct / 100.0)
        else:
            amount = w.trail_amount or 0.0
            trailed = before - amount if sell else before + amount
        if sell:
            hit = eligible & (low <= np.maximum(trailed, stop0) + slack)
        else:
            hit = eligible & (high >= np.minimum(trailed, stop0) - slack)
        k = int(np.argmax(hit))
        if hit[k]:
            return lo + k
        ref = float(max(before[-1], best[-1]) if sell else min(before[-1], best[-1]))
        if trigger is not None and start < m:
            trigger = None
        lo = hi
        width *= 4
    return end
