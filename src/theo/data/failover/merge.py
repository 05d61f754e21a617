"""One symbol's route through the supervisor: which feed it comes from, and the seam at a switch.

Two vendors deliver the same print with different ids (and IBKR's tick-by-tick times are whole seconds), so
prints of two feeds are matched by exchange time at ``resolution_us``, price and size. At a switch the new
feed's prints older than the last forwarded print's time slot are dropped (the old feed covered that time);
in that slot itself the prints are counted as a multiset: the *n*-th copy of (slot, price, size) from the new
feed is forwarded only when the old feed forwarded fewer than *n* copies. So the merged tape holds each
print as many times as the feed that saw it most often, never the sum. A print the same feed delivers twice
(same ``trade_id``) is dropped too. After the slot, everything from the new feed passes untouched.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from theo.core.time import to_us
from theo.model.market import Tick

Key = tuple[float, float]


class Seam:
    """The filter a new feed's prints pass right after a switch (see the module docstring)."""

    __slots__ = ("forwarded", "ids", "seen", "slot")

    def __init__(self, slot: int, forwarded: dict[Key, int]) -> None:
        self.slot = slot
        self.forwarded = forwarded
        self.seen: dict[Key, int] = {}
        self.ids: set[str] = set()

    def admit(self, tick: Tick) -> bool:
        """True when a print of the seam's slot is new (not a copy the old feed forwarded already)."""
        if tick.trade_id:
            if tick.trade_id in self.ids:
                return False
            self.ids.add(tick.trade_id)
        key = (tick.price, tick.size)
        n = self.seen.get(key, 0) + 1
        self.seen[key] = n
        return n > self.forwarded.get(key, 0)


class Route:
    """The state of one symbol: the active feed, the standby feed's recent prints, the last forwarded slot."""

    __slots__ = ("active", "dark_since", "dropped", "last_ts", "pending_gap", "primary_ok_since", "resolution_us",
                 "seam", "slot", "slot_keys", "standby", "symbol", "window_us")

    def __init__(self, symbol: str, active: str, resolution_us: int, window_us: int) -> None:
        self.symbol = symbol
        self.active = active
        self.resolution_us = resolution_us
        self.window_us = window_us
        self.standby: dict[str, deque[Tick]] = {}  # feed -> its recent prints while not active
        self.slot = -(1 << 62)  # time slot of the newest forwarded print
        self.slot_keys: dict[Key, int] = {}  # prints forwarded in that slot
        self.last_ts: datetime | None = None  # exchange time of the newest forwarded print
        self.seam: Seam | None = None
        self.pending_gap: datetime | None = None  # a switch's gap start, until the new feed's first print
        self.primary_ok_since: datetime | None = None
        self.dark_since: datetime | None = None  # no feed fresh since then
        self.dropped = 0  # prints of a new feed dropped at a seam (the old feed had them)

    # -- standby ---------------------------------------------------------------------------------------------
    def hold(self, source: str, tick: Tick) -> None:
        """Keep a standby feed's print for a switch (only the last ``window_us`` of exchange time)."""
        buf = self.standby.get(source)
        if buf is None:
            buf = self.standby[source] = deque(maxlen=100_000)
        buf.append(tick)
        cut = to_us(tick.ts) - self.window_us
        while to_us(buf[0].ts) < cut:
            buf.popleft()

    # -- switching -------------------------------------------------------------------------------------------
    def switch(self, to: str) -> list[Tick]:
        """Make ``to`` active; return its held prints to pass through :meth:`admit` in order."""
        self.active = to
        self.seam = Seam(self.slot, dict(self.slot_keys)) if self.last_ts is not None else None
        self.pending_gap = self.last_ts
        held = self.standby.pop(to, None)
        return list(held) if held else []

    def admit(self, tick: Tick) -> bool:
        """Whether the active feed's print is forwarded; when it is, it becomes the route's newest print."""
        slot = to_us(tick.ts) // self.resolution_us
        seam = self.seam
        if seam is not None:
            if slot < seam.slot:
                self.dropped += 1
                return False
            if slot == seam.slot:
                if not seam.admit(tick):
                    self.dropped += 1
                    return False
            else:
                self.seam = None
        if slot != self.slot:
            if slot < self.slot:  # a late print of the feed itself: forwarded, not part of the newest slot
                return True
            self.slot = slot
            self.slot_keys = {}
        key = (tick.price, tick.size)
        self.slot_keys[key] = self.slot_keys.get(key, 0) + 1
        self.last_ts = tick.ts
        return True
