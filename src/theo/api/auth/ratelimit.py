"""Failed-login counting per (user name, client address): too many within the window locks that pair out."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class LoginLimiter:
    """At most ``max_failures`` failed logins per (user name, address) within ``window``; thread-safe.

    Kept in memory: a restart forgets the counts, which costs an attacker a restart they cannot cause.
    """

    def __init__(self, max_failures: int, window: timedelta) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, username: str, address: str, now: datetime) -> int:
        """Seconds until this pair may try again (0: it may now)."""
        key = (username.lower(), address)
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0
            wait = (times[0] + self.window - now).total_seconds()
            return max(1, int(wait + 0.999))

    def failed(self, username: str, address: str, now: datetime) -> None:
        key = (username.lower(), address)
        with self._lock:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            if len(self._failures) > 10_000:  # many names from many places: forget the oldest pairs
                for old in list(self._failures)[:1_000]:
                    del self._failures[old]

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
