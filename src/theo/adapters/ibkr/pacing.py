"""IBKR's historical-data pacing rules, kept by the client so TWS never has to refuse a request.

TWS answers a request that breaks its pacing with error 162 ("Historical Market Data Service error message:
API historical data query cancelled ... pacing violation") or 420, and repeated violations can get the API
session disconnected. The rules (TWS API "Historical Data Limitations"):

* at most ``per_window`` requests (60) in any ``window`` (10 minutes);
* at most ``per_contract`` requests (6) for the same contract, exchange and tick type in ``contract_window``
  (2 seconds);
* no identical request within ``identical_seconds`` (15 seconds).

:class:`HistoryPacer` gives the earliest moment a request may go out (:meth:`HistoryPacer.slot`), records it
(:meth:`HistoryPacer.take`), and after a violation blocks every request for a back-off that doubles with each
violation in a row (:meth:`HistoryPacer.violation`) and resets on a success (:meth:`HistoryPacer.succeeded`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable


class HistoryPacer:
    """Spaces historical-data requests so no window of IBKR's limits is ever exceeded (module docstring)."""

    def __init__(self, *, per_window: int = 60, window: float = 600.0, per_contract: int = 6,
                 contract_window: float = 2.0, identical_seconds: float = 15.0, backoff: float = 10.0,
                 max_backoff: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        if per_window < 1 or per_contract < 1:
            raise ValueError("pacing limits must allow at least one request")
        self.per_window = per_window
        self.window = window
        self.per_contract = per_contract
        self.contract_window = contract_window
        self.identical_seconds = identical_seconds
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self.blocked_until = 0.0
        self.violations = 0  # in a row
        self.waited = 0.0  # seconds spent waiting for a slot, in total
        self._all: deque[float] = deque()
        self._contract: dict[Hashable, deque[float]] = {}
        self._identical: dict[Hashable, float] = {}

    def slot(self, contract: Hashable, request: Hashable, now: float) -> float:
        """The earliest time at or after ``now`` when this request may be sent."""
        at = max(now, self.blocked_until)
        if len(self._all) >= self.per_window:
            at = max(at, self._all[-self.per_window] + self.window)
        same = self._contract.get(contract)
        if same is not None and len(same) >= self.per_contract:
            at = max(at, same[-self.per_contract] + self.contract_window)
        last = self._identical.get(request)
        if last is not None:
            at = max(at, last + self.identical_seconds)
        return at

    def take(self, contract: Hashable, request: Hashable, at: float) -> None:
        """Record a request sent at ``at`` (times must not go backwards)."""
        self._all.append(at)
        while len(self._all) > self.per_window:
            self._all.popleft()
        same = self._contract.setdefault(contract, deque())
        same.append(at)
        while len(same) > self.per_contract:
            same.popleft()
        self._identical[request] = at
        cut = at - self.identical_seconds
        if len(self._identical) > 4 * self.per_window:
            self._identical = {k: t for k, t in self._identical.items() if t > cut}

    async def acquire(self, contract: Hashable, request: Hashable) -> float:
        """Wait for this request's slot, record it and return the seconds waited."""
        waited = 0.0
        while True:
            now = self.clock()
            at = self.slot(contract, request, now)
            if at <= now:
                self.take(contract, request, now)
                self.waited += waited
                return waited
            await asyncio.sleep(at - now)
            waited += at - now

    def violation(self, request: Hashable | None = None) -> float:
        """TWS reported a pacing violation: block every request for the back-off; return its length. The refused
        ``request`` was not served, so asking it again is not an identical request."""
        if request is not None:
            self._identical.pop(request, None)
        delay = float(min(self.backoff * 2.0 ** self.violations, self.max_backoff))
        self.violations += 1
        self.blocked_until = max(self.blocked_until, self.clock() + delay)
        return delay

    def succeeded(self) -> None:
        self.violations = 0
