"""The feeds ``theo collect`` can record, built from the configuration and the command line.

The synthetic market and file replays run on simulated time (the collector's clock follows their data);
their pace is ``speed`` simulated seconds per wall second, or flat out with ``None``. IBKR (``[execution.ibkr]``,
a look-only session, with ``[feeds] secondary`` as its fail-over feed) and Polygon (``[polygon]``, its key from
the environment) run in real time on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from theo.config import TheoConfig
from theo.core.clock import Clock, LiveClock, SimulatedClock
from theo.core.errors import ConfigError
from theo.core.time import from_us
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.feeds.pacing import paced
from theo.node.config import DataFile

FEEDS = ("synthetic", "replay", "ibkr", "polygon")


class PacedFeed(Feed):
    """A feed that is iterated in time order (:meth:`Feed.events`), delivered at ``speed`` × real time."""

    def __init__(self, inner: Feed, speed: float | None) -> None:
        super().__init__(inner.name)
        self.inner = inner
        self.speed = speed

    def connect(self) -> None:
        self.inner.connect()
        super().connect()

    def subscribe(self, symbols: Iterable[str]) -> None:
        names = [s.upper() for s in symbols]
        self.inner.subscribe(names)
        super().subscribe(names)

    def unsubscribe(self, symbols: Iterable[str]) -> None:
        names = [s.upper() for s in symbols]
        self.inner.unsubscribe(names)
        super().unsubscribe(names)

    def events(self) -> Iterator[MarketEvent]:
        for ev in self.inner.events():
            self._seen(ev)
            yield ev

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        await paced(self.events(), handler, stop, self.speed)


@dataclass
class CollectFeed:
    """A feed ready to collect, the clock the collector runs on, and the symbols the feed offers."""

    feed: Feed
    clock: Clock
    offered: list[str]


def build_feed(config: TheoConfig, kind: str, *, replay: Sequence[DataFile] = (), speed: float | None = None,
               symbols: Sequence[str] = (), clock: LiveClock | None = None) -> CollectFeed:
    """The feed ``kind`` (``synthetic``, ``replay``, ``ibkr`` or ``polygon``) for ``theo collect``; a
    :class:`ConfigError` names what is missing (replay files, symbols, a symbol the synthetic market lacks).

    ``ibkr`` with ``[feeds] secondary`` set is the fail-over supervisor ``theo run`` builds (IBKR primary);
    ``clock`` is the wall clock of the real-time feeds (a test shifts it into a session)."""
    if kind == "synthetic":
        from theo.adapters.sim.synthetic import SyntheticMarket

        start = config.engine.synthetic_start
        market = SyntheticMarket(config.marketdata.synthetic, SimulatedClock(start))
        offered = list(market.symbols)
        missing = [s for s in symbols if s not in offered]
        if missing:
            raise ConfigError(f"--symbols {','.join(missing)}: the synthetic market has only {', '.join(offered)}; "
                              "add them to [[marketdata.synthetic.instruments]] or use --feed replay")
        if symbols:
            market.unsubscribe([s for s in offered if s not in symbols])
        return CollectFeed(PacedFeed(market, speed), SimulatedClock(start), offered)
    if kind == "replay":
        from theo.adapters.sim.replay import ReplayFeed
        from theo.node.data import symbol_of

        files = list(replay) or list(config.engine.replay)
        if not files:
            raise ConfigError("--feed replay needs files: --replay [SYMBOL=]PATH (repeat per file) or [engine] replay")
        feed = ReplayFeed([(f.path, f.symbol or symbol_of(f.path)) for f in files], speed=speed)
        offered = sorted({(f.symbol or symbol_of(f.path)).upper() for f in files})
        return CollectFeed(feed, SimulatedClock(from_us(0)), offered)
    if kind in ("ibkr", "polygon") and not symbols:
        raise ConfigError(f"--feed {kind} streams only the symbols it is asked for: give --symbols SPY,QQQ "
                          "(or [collector] symbols)")
    wall = clock or LiveClock()
    if kind == "ibkr":
        from theo.core.calendar import get_calendar
        from theo.node.feeds import supervised
        from theo.node.services.ibkr_feed import IbkrFeed

        calendar = get_calendar(config.market.calendar, config.market)
        ibkr = supervised(config, IbkrFeed(config, now=wall.now), lambda _s: calendar, now=wall.now)
        return CollectFeed(ibkr, wall, list(symbols))
    if kind == "polygon":
        from theo.adapters.polygon.data import PolygonFeed
        from theo.core.calendar import get_calendar

        live = PolygonFeed(config.polygon, calendar=get_calendar(config.market.calendar, config.market), now=wall.now)
        return CollectFeed(live, wall, list(symbols))
    raise ConfigError(f"--feed {kind}: not a feed theo collect can record; use one of {', '.join(FEEDS)}")

