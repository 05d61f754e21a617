"""Real-time pacing shared by the replay feeds: deliver events at real speed × k, or flat out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from theo.data.feeds.base import EventHandler, MarketEvent, event_time


async def paced(events: Iterator[MarketEvent], handler: EventHandler, stop: asyncio.Event,
                speed: float | None) -> int:
    """Call ``handler`` for each event, sleeping so event time advances ``speed`` times faster than the
    wall clock (``None``: no sleeping, but yield to the loop every 1,000 events). Return events delivered."""
    loop = asyncio.get_running_loop()
    wall0: float | None = None
    t0 = None
    n = 0
    for ev in events:
        if stop.is_set():
            break
        if speed is not None:
            ts = event_time(ev)
            if t0 is None:
                t0, wall0 = ts, loop.time()
            assert wall0 is not None
            delay = (ts - t0).total_seconds() / speed - (loop.time() - wall0)
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                    break
                except TimeoutError:
                    pass
        elif n % 1000 == 999:
            await asyncio.sleep(0)
        handler(ev)
        n += 1
    return n
