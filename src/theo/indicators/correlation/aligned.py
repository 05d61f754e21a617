"""Pairing two live bar streams by bar start before they reach a rolling correlation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from theo.core.errors import ConfigError, DataError
from theo.data.bars.timeframes import parse_timeframe
from theo.indicators.correlation.rolling import RollingCorrelation
from theo.model.market import Bar

Status = Literal["ok", "not_enough_data", "stale"]


class AlignedPair:
    """Feed bars of two symbols in any interleaving; pairs are formed on equal bar starts.

    * A bar whose partner never comes (the other series moved past its start) is left out and counted
      in ``unpaired``: gaps shrink the sample, they never shift one series against the other.
    * With ``on="returns"`` a return spans from the previous COMMON bar, so both sides cover one interval.
    * ``status`` is ``stale`` while one series lags the other by more than ``max_staleness`` (default
      five bars), ``not_enough_data`` below ``min_points`` common points, else ``ok``; ``value`` is only
      given when ``ok``.
    * At most ``max_pending`` bars wait for a partner per symbol; older ones are dropped and counted.
    * Bars of other symbols or timeframes are ignored (``on_bar`` returns False); a repeated or
      out-of-order bar of a paired symbol raises :class:`DataError`.
    """

    def __init__(self, a_symbol: str, b_symbol: str, timeframe: str, corr: RollingCorrelation,
                 max_staleness: timedelta | None = None, max_pending: int = 10_000) -> None:
        if a_symbol == b_symbol:
            raise ConfigError(f"a correlation pair needs two different symbols, got {a_symbol!r} twice")
        self.a_symbol, self.b_symbol, self.timeframe = a_symbol, b_symbol, timeframe
        self.corr = corr
        self.length = parse_timeframe(timeframe).length  # nominal: a day for 1d
        self.max_staleness = max_staleness if max_staleness is not None else 5 * self.length
        self.max_pending = max_pending
        self.reset()

    def reset(self) -> None:
        self.corr.reset()
        self._pending: dict[str, dict[datetime, float]] = {self.a_symbol: {}, self.b_symbol: {}}
        self._last: dict[str, datetime | None] = {self.a_symbol: None, self.b_symbol: None}
        self._first: dict[str, datetime | None] = {self.a_symbol: None, self.b_symbol: None}
        self.unpaired: dict[str, int] = {self.a_symbol: 0, self.b_symbol: 0}
        self.pairs = 0
        self.last_pair_start: datetime | None = None

    def on_bar(self, bar: Bar) -> bool:
        """Take one closed bar; True when it completed a pair (the correlation was updated)."""
        sym = bar.symbol
        if sym not in self._pending or bar.timeframe != self.timeframe:
            return False
        last = self._last[sym]
        if last is not None and bar.start <= last:
            raise DataError(f"correlation {self.a_symbol}/{self.b_symbol}: bar {sym} {bar.timeframe} at "
                            f"{bar.start.isoformat()} is not after the previous one ({last.isoformat()})")
        self._last[sym] = bar.start
        if self._first[sym] is None:
            self._first[sym] = bar.start
        other = self.b_symbol if sym == self.a_symbol else self.a_symbol
        self._drop_older(other, bar.start)
        partner = self._pending[other].pop(bar.start, None)
        if partner is None:
            other_last = self._last[other]
            if other_last is not None and other_last > bar.start:
                self.unpaired[sym] += 1  # the other series already moved past this start
            else:
                pending = self._pending[sym]
                pending[bar.start] = bar.close
                if len(pending) > self.max_pending:  # the other series is silent: bound the memory
                    del pending[next(iter(pending))]
                    self.unpaired[sym] += 1
            return False
        a, b = (bar.close, partner) if sym == self.a_symbol else (partner, bar.close)
        self.corr.update(a, b)
        self.pairs += 1
        self.last_pair_start = bar.start
        return True

    def _drop_older(self, sym: str, start: datetime) -> None:
        pending = self._pending[sym]
        for t in [t for t in pending if t < start]:
            del pending[t]
            self.unpaired[sym] += 1

    @property
    def status(self) -> Status:
        a, b = self._last[self.a_symbol], self._last[self.b_symbol]
        if a is not None and b is not None and abs(a - b) > self.max_staleness:
            return "stale"
        for sym, last in self._last.items():  # one side silent since the other started
            first = self._first[sym]
            if last is not None and first is not None and None in self._last.values() \
                    and last - first > self.max_staleness:
                return "stale"
        return "ok" if self.corr.value is not None else "not_enough_data"

    def status_at(self, now: datetime) -> Status:
        """Like ``status``, but also ``stale`` when either series' last bar is older than ``max_staleness``."""
        for last in self._last.values():
            if last is None or now - last > self.max_staleness + self.length:
                return "stale"
        return self.status

    @property
    def value(self) -> float | None:
        """The correlation when ``status`` is ``ok``, else ``None``."""
        return self.corr.value if self.status == "ok" else None
