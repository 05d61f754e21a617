"""Clocks: the wall clock for paper/live and a simulated clock for backtests.

Components never call ``datetime.now()``; they ask the clock, so a backtest runs the same code in
simulated time. Timers fire in time order (ties in the order they were set).
"""

from __future__ import annotations

import heapq
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from theo.model.market import ensure_utc

TimerCallback = Callable[[datetime], None]


class Clock(ABC):
    """Source of the current time and of timers."""

    @abstractmethod
    def now(self) -> datetime:
        """Current time, UTC, timezone-aware."""

    @abstractmethod
    def call_at(self, when: datetime, callback: TimerCallback) -> int:
        """Call ``callback(when)`` at ``when``; return a timer id for :meth:`cancel`."""

    @abstractmethod
    def cancel(self, timer_id: int) -> None:
        """Cancel a pending timer; unknown ids are ignored."""

    def call_later(self, delay: timedelta, callback: TimerCallback) -> int:
        return self.call_at(self.now() + delay, callback)


class _TimerQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, TimerCallback]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count(1)

    def push(self, when: datetime, callback: TimerCallback) -> int:
        timer_id = next(self._ids)
        heapq.heappush(self._heap, (ensure_utc(when, "timer time"), timer_id, callback))
        return timer_id

    def cancel(self, timer_id: int) -> None:
        self._cancelled.add(timer_id)

    def next_due(self) -> datetime | None:
        while self._heap and self._heap[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._heap)[1])
        return self._heap[0][0] if self._heap else None

    def pop_due(self, until: datetime) -> tuple[datetime, TimerCallback] | None:
        due = self.next_due()
        if due is None or due > until:
            return None
        when, _, callback = heapq.heappop(self._heap)
        return when, callback


class SimulatedClock(Clock):
    """A clock that moves only when told; used by backtests and tests.

    :meth:`advance_to` fires every timer due up to the target, each with the clock set to its time, so
    a bar closed "on the clock" in a backtest closes at the same instant as in paper trading.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = ensure_utc(start) if start else datetime(1970, 1, 1, tzinfo=UTC)
        self._timers = _TimerQueue()

    def now(self) -> datetime:
        return self._now

    def call_at(self, when: datetime, callback: TimerCallback) -> int:
        return self._timers.push(when, callback)

    def cancel(self, timer_id: int) -> None:
        self._timers.cancel(timer_id)

    def next_timer(self) -> datetime | None:
        return self._timers.next_due()

    def advance_to(self, when: datetime) -> None:
        """Move time forward to ``when``, firing due timers in order. Time never goes backwards."""
        target = ensure_utc(when)
        while (item := self._timers.pop_due(target)) is not None:
            t, callback = item
            self._now = max(self._now, t)
            callback(t)
        self._now = max(self._now, target)


    def move_to(self, when: datetime) -> None:
        """Move time forward to ``when`` without firing timers: they fire, late, at the next :meth:`advance_to`.

        A backtest works a bar's range at the bar's end before the timers that fall inside the bar.
        """
        self._now = max(self._now, ensure_utc(when))


class LiveClock(Clock):
    """The wall clock. Timers run on the asyncio loop given to :meth:`attach` (or are polled)."""

    def __init__(self) -> None:
        self._timers = _TimerQueue()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_at(self, when: datetime, callback: TimerCallback) -> int:
        return self._timers.push(when, callback)

    def cancel(self, timer_id: int) -> None:
        self._timers.cancel(timer_id)

    def next_timer(self) -> datetime | None:
        return self._timers.next_due()

    def run_due(self) -> int:
        """Fire timers that are due now; return how many fired. The engine loop calls this."""
        fired = 0
        now = self.now()
        while (item := self._timers.pop_due(now)) is not None:
            item[1](item[0])
            fired += 1
        return fired
