"""Quality gate: every tick is checked here before anything else sees it (plan §1, §3.1).

Rejected (with a counted, readable reason): non-finite or non-positive price, negative or non-finite
size, exchange time too far from the clock, time outside the instrument's sessions, exact duplicates, and
ticks older than the newest one of their symbol by more than the out-of-order tolerance.

Flagged but passed: z-score outliers of tick-to-tick log returns over a rolling window, and settlement
prices that disagree with the last trade. Gap detection: :meth:`QualityGate.on_time` publishes
``feed.stale`` when a symbol has had no tick for ``stale_after_seconds`` while its market is open, and
``feed.resumed`` on its next tick.

An *exact duplicate* is a print (symbol, exchange time, price, size, exchange, condition) that was already
delivered (a) by the same feed with the same ``trade_id`` (a message delivered twice, e.g. re-sent after a
reconnect), or (b) by another feed, counted as a multiset (fail-over overlap: the n-th copy from a second
feed matches the n-th from the first). Identical prints from one feed without ids, or with different ids,
are *not* duplicates: the tape legitimately repeats them (the real SPY file has 343,636 prints identical
to another at millisecond resolution, and they are real volume).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.clock import Clock
from theo.core.time import from_us, to_us
from theo.data.config import GateConfig
from theo.data.gate_columns import check_columns_impl
from theo.data.rejection import (
    BAD_PRICE,
    BAD_SIZE,
    CLOCK_SKEW,
    DUPLICATE,
    OUT_OF_ORDER,
    OUTLIER,
    OUTSIDE_SESSION,
    SETTLEMENT_MISMATCH,
    Flag,
    Rejection,
)
from theo.data.zscore import RollingZ
from theo.model.market import Tick


@dataclass(frozen=True, slots=True)
class FeedStale:
    """No tick for ``symbol`` from ``source`` since ``since`` while the market is open."""

    symbol: str
    source: str
    since: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedResumed:
    """Ticks for ``symbol`` flow again after a stale period that started at ``since``."""

    symbol: str
    source: str
    since: datetime
    at: datetime


class _SymbolGate:
    __slots__ = ("keys", "last_price", "last_seen", "last_ts_us", "order", "source", "stale_since", "z")

    def __init__(self, window: int) -> None:
        self.last_ts_us = -(1 << 62)
        self.last_price = math.nan
        self.last_seen: datetime | None = None
        self.source = ""
        self.stale_since: datetime | None = None
        self.z = RollingZ(window)
        # recent print keys -> deliveries (per-source counts and ids), pruned by time
        self.keys: dict[tuple[int, float, float, str, str], tuple[str, str] | _Deliveries] = {}
        self.order: deque[tuple[int, float, float, str, str]] = deque()


class _Deliveries:
    """Who delivered one print key: copies per source, and the (source, trade id) pairs seen."""

    __slots__ = ("counts", "ids")

    def __init__(self, first: tuple[str, str]) -> None:
        self.counts: Counter[str] = Counter({first[0]: 1})
        self.ids: set[tuple[str, str]] = {first} if first[1] else set()


class QualityGate:
    """Check ticks one by one (:meth:`check`) or as columns (:meth:`check_columns`) with the same rules."""

    def __init__(self, config: GateConfig, clock: Clock, calendar_for: Callable[[str], MarketCalendar],
                 bus: MessageBus | None = None, on_reject: Callable[[Rejection], None] | None = None,
                 on_flag: Callable[[Flag], None] | None = None) -> None:
        self.config = config
        self.clock = clock
        self.calendar_for = calendar_for
        self.bus = bus
        self.on_reject = on_reject
        self.on_flag = on_flag
        self.rejections: Counter[str] = Counter()
        self.flags: Counter[str] = Counter()
        self.recent_flags: deque[Flag] = deque(maxlen=1000)
        self.passed = 0
        self._state: dict[str, _SymbolGate] = {}
        self._tol_us = int(config.out_of_order_tolerance_seconds * 1_000_000)
        self._skew_us = None if config.max_clock_skew_seconds is None else int(
            config.max_clock_skew_seconds * 1_000_000)
        self._dup_window_us = max(self._tol_us, 1_000_000) * 2

    # -- one tick ------------------------------------------------------------------------------------------
    def check(self, tick: Tick) -> Tick | None:
        """Return the tick when it passes, else ``None`` (after counting and reporting the rejection)."""
        p, s = tick.price, tick.size
        if not (p > 0 and math.isfinite(p)):
            return self._reject(tick, BAD_PRICE, f"price {p!r} is not a positive finite number")
        if not (s >= 0 and math.isfinite(s)):
            return self._reject(tick, BAD_SIZE, f"size {s!r} is negative or not finite")
        ts_us = to_us(tick.ts)
        if self._skew_us is not None:
            skew = ts_us - to_us(self.clock.now())
            if abs(skew) > self._skew_us:
                return self._reject(tick, CLOCK_SKEW, f"exchange time is {skew / 1e6:+.3f}s from the clock "
                                                      f"(limit {self._skew_us / 1e6:g}s)")
        cal = self.calendar_for(tick.symbol)
        if self.config.reject_outside_sessions and cal.session_at(tick.ts) is None:
            return self._reject(tick, OUTSIDE_SESSION, f"{tick.ts.isoformat()} is outside every {cal.name} session")
        st = self._state.get(tick.symbol)
        if st is None:
            st = self._state[tick.symbol] = _SymbolGate(self.config.zscore_window)
        if ts_us < st.last_ts_us - self._tol_us:
            return self._reject(tick, OUT_OF_ORDER, f"{(st.last_ts_us - ts_us) / 1e6:.3f}s older than the newest "
                                                    f"tick (tolerance {self._tol_us / 1e6:g}s)")
        key = (ts_us, p, s, tick.exchange, tick.condition)
        seen = st.keys.get(key)
        if seen is None:  # the common case: a first delivery costs one tuple
            st.keys[key] = (tick.source, tick.trade_id)
            st.order.append(key)
            return self._passed(tick, st, ts_us)
        if isinstance(seen, tuple):
            seen = st.keys[key] = _Deliveries(seen)
        if tick.trade_id and (tick.source, tick.trade_id) in seen.ids:
            return self._reject(tick, DUPLICATE, f"trade id {tick.trade_id} was already delivered by this feed")
        mine = seen.counts[tick.source] + 1
        seen.counts[tick.source] = mine
        if tick.trade_id:
            seen.ids.add((tick.source, tick.trade_id))
        others = [src for src, n in seen.counts.items() if src != tick.source and n >= mine]
        if others:
            return self._reject(tick, DUPLICATE, f"same print already delivered by another feed "
                                                 f"({', '.join(sorted(others))})")
        return self._passed(tick, st, ts_us)

    def _passed(self, tick: Tick, st: _SymbolGate, ts_us: int) -> Tick:
        p = tick.price
        if ts_us > st.last_ts_us:
            st.last_ts_us = ts_us
            # forget print keys older than the window, oldest first (O(1) amortised, no pauses)
            cut = ts_us - self._dup_window_us
            order = st.order
            while order and order[0][0] < cut:
                st.keys.pop(order.popleft(), None)
        if st.last_price == st.last_price:  # not NaN
            z = st.z.push(math.log(p / st.last_price))
            if z is not None and abs(z) > self.config.zscore_threshold:
                self._flag(Flag(tick.symbol, tick.ts, OUTLIER, f"return z-score {z:+.1f} over the last "
                                f"{self.config.zscore_window} ticks (threshold {self.config.zscore_threshold:g})", p))
        st.last_price = p
        st.source = tick.source
        st.last_seen = tick.ts
        if st.stale_since is not None:
            since, st.stale_since = st.stale_since, None
            if self.bus is not None:
                self.bus.publish("feed.resumed", FeedResumed(tick.symbol, tick.source, since, tick.ts))
        self.passed += 1
        return tick

    def check_settlement(self, symbol: str, settlement: float, ts: datetime) -> Flag | None:
        """Compare a settlement price with the last trade (plan §3.1); flag when they disagree."""
        st = self._state.get(symbol)
        if st is None or st.last_price != st.last_price:
            return None
        diff_pct = abs(settlement - st.last_price) / st.last_price * 100.0
        if diff_pct <= self.config.settlement_tolerance_pct:
            return None
        flag = Flag(symbol, ts, SETTLEMENT_MISMATCH, f"settlement {settlement:g} is {diff_pct:.2f}% from the last "
                    f"trade {st.last_price:g} (tolerance {self.config.settlement_tolerance_pct:g}%)", settlement)
        self._flag(flag)
        return flag

    # -- gaps ----------------------------------------------------------------------------------------------
    def on_time(self, now: datetime) -> None:
        """Publish ``feed.stale`` for every symbol silent for ``stale_after_seconds`` while its market is open."""
        for symbol, st in self._state.items():
            if st.stale_since is not None:
                continue
            cal = self.calendar_for(symbol)
            if not cal.is_open(now, extended=self.config.stale_extended_hours):
                continue
            session = cal.session_at(now)
            if session is None:
                continue
            opened = session.pre_open if self.config.stale_extended_hours else session.open
            since = opened if st.last_seen is None else max(st.last_seen, opened)
            if (now - since).total_seconds() >= self.config.stale_after_seconds:
                st.stale_since = since
                if self.bus is not None:
                    self.bus.publish("feed.stale", FeedStale(symbol, st.source, since, now))

    def watch(self, symbols: list[str], source: str = "") -> None:
        """Watch ``symbols`` for gaps before their first tick (a subscription that never delivers)."""
        for symbol in symbols:
            st = self._state.setdefault(symbol, _SymbolGate(self.config.zscore_window))
            st.source = st.source or source

    def stale_symbols(self) -> dict[str, datetime]:
        return {s: st.stale_since for s, st in self._state.items() if st.stale_since is not None}

    # -- columns -------------------------------------------------------------------------------------------
    def check_columns(self, symbol: str, ts_us: npt.NDArray[np.int64], price: npt.NDArray[np.float64],
                      size: npt.NDArray[np.float64], now_us: int | None = None, *,
                      trade_id: npt.NDArray[np.object_] | None = None,
                      exchange: npt.NDArray[np.object_] | None = None,
                      condition: npt.NDArray[np.object_] | None = None, source: str = "replay",
                      ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.object_]]:
        """Vectorised :meth:`check` for one symbol's columns from one feed: ``(keep_mask, reasons)``.

        ``reasons`` holds the reason code of every rejected row ("" where kept); counters are updated.
        The clock-skew rule applies only when ``now_us`` is given (a replay of history has no clock).
        Duplicates need ``trade_id`` (one feed: only a print delivered twice is a duplicate); give
        ``exchange`` and ``condition`` too for the same key as :meth:`check`. Each rejected row goes to
        ``on_reject`` as a :class:`Rejection` from ``source``, as in :meth:`check`.
        """
        keep, reasons, outliers = check_columns_impl(
            ts_us, price, size, self.calendar_for(symbol), tol_us=self._tol_us,
            skew_us=self._skew_us if now_us is not None else None, now_us=now_us,
            window=self.config.zscore_window, threshold=self.config.zscore_threshold,
            outside=self.config.reject_outside_sessions, trade_id=trade_id, exchange=exchange,
            condition=condition)
        for reason, n in Counter(reasons[~keep].tolist()).items():
            self.rejections[reason] += n
        if self.on_reject is not None:
            for i in np.flatnonzero(~keep).tolist():
                tick = Tick(symbol, from_us(int(ts_us[i])), float(price[i]), float(size[i]), source,
                            "" if exchange is None else str(exchange[i]),
                            "" if condition is None else str(condition[i]), None,
                            "" if trade_id is None else str(trade_id[i]))
                self.on_reject(Rejection(tick, str(reasons[i]), f"{symbol} from {source}: "
                                         f"{self._column_detail(str(reasons[i]), tick, now_us)}"))
        self.flags[OUTLIER] += int(outliers.sum())
        self.passed += int(keep.sum())
        return keep, reasons

    def _column_detail(self, reason: str, tick: Tick, now_us: int | None) -> str:
        """The readable reason of a row refused by :meth:`check_columns` (the words of :meth:`check`)."""
        if reason == BAD_PRICE:
            return f"price {tick.price!r} is not a positive finite number"
        if reason == BAD_SIZE:
            return f"size {tick.size!r} is negative or not finite"
        if reason == CLOCK_SKEW and now_us is not None:
            return (f"exchange time is {(to_us(tick.ts) - now_us) / 1e6:+.3f}s from the clock "
                    f"(limit {(self._skew_us or 0) / 1e6:g}s)")
        if reason == OUTSIDE_SESSION:
            return f"{tick.ts.isoformat()} is outside every {self.calendar_for(tick.symbol).name} session"
        if reason == OUT_OF_ORDER:
            return f"older than the newest tick by more than the tolerance ({self._tol_us / 1e6:g}s)"
        return f"trade id {tick.trade_id} was already delivered by this feed"

    # -- reporting -----------------------------------------------------------------------------------------
    def _reject(self, tick: Tick, reason: str, detail: str) -> Tick | None:
        self.rejections[reason] += 1
        if self.on_reject is not None:
            self.on_reject(Rejection(tick, reason, f"{tick.symbol} from {tick.source or '?'}: {detail}"))
        return None

    def _flag(self, flag: Flag) -> None:
        self.flags[flag.reason] += 1
        self.recent_flags.append(flag)
        if self.on_flag is not None:
            self.on_flag(flag)
