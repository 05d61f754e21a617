"""The trader service: the node of ``theo run`` (scanner and strategies → risk → orders → trade manager, on the
simulated broker for paper) fed with the ticks the collector publishes, instead of its own feed.

It is :class:`~theo.node.paper.PaperRun` with another item source, so everything after the tick is the same
code: the streaming driver builds the strategies' bars in-stream (a signal never waits on another process),
the order journal, trades, decisions and trading state live in the database, and the node's own in-process
bus keeps its deterministic dispatch; its events (signals, orders, fills, trades, risk state, alerts) are
forwarded to NATS for the api and notifier services. The bars for the charts are the aggregator's.

Ticks come from the durable consumer ``trader`` of the whole stream, acknowledged once the node has taken
them. Restart and recovery are the paper run's: the node's state (bars, indicators, open trades) is rebuilt by
feeding it, with trading off, the stream up to where the run got: the part the durable consumer has
acknowledged through a replay consumer from the stream's start, then the durable consumer from there (what a
killed trader received but had not acknowledged comes again); the paper run's checkpoint and the simulated
account's time decide where trading resumes, and order ids follow from the signal, so a tick seen twice sends
nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from theo.config import TheoConfig
from theo.core.logging import get_logger
from theo.core.time import to_us
from theo.model.market import Tick
from theo.node.paper import PaperRun
from theo.node.services.ingest import ENDED
from theo.node.services.runtime import ServiceRuntime, follow, forward
from theo.node.stream import Item, StreamDriver

log = get_logger("theo.services.trader")
#: What the node publishes that other services read.
EVENTS = ("signals.new", "orders.>", "trades.>", "risk.state", "alerts", "indicators.>")


class _StoredElsewhere:
    """The trader does not store bars: the aggregator service does (``bars`` of the paper run's record)."""

    written = 0

    def start(self, sources: Mapping[str, str]) -> None:
        """Nothing to set up."""

    def on_item(self, *_item: object) -> None:
        """Bars are the aggregator's."""

    def write(self) -> None:
        """Nothing buffered."""

    def finish(self) -> None:
        """Nothing buffered."""


class ServiceTrader(PaperRun):
    """``theo service run trader`` (see the module docstring)."""

    def __init__(self, rt: ServiceRuntime) -> None:
        super().__init__(rt.config, rt.store, speed=None)
        self.rt = rt
        self.bars = _StoredElsewhere()  # type: ignore[assignment]
        self.durable = str(rt.options.get("durable") or "trader")
        forward(self.node.bus, rt.bus, EVENTS)
        self.replayed = 0

    def install_signal_handlers(self) -> None:
        """The service's runtime turns SIGTERM/SIGINT into ``rt.stop``; the items wait on it (below)."""

    def _items(self, resume_us: int | None) -> Iterator[Item]:
        sources = {s: "tick" for s in self.node.symbols}
        self.driver = StreamDriver(self.node, sources)
        self.driver.on_bar = self.on_bar
        return self._from_bus()

    def _from_bus(self) -> Iterator[Item]:
        for d, replaying in follow(self.rt, self.durable):
            if d.topic == ENDED:
                return  # the replay is over: the run closes its last bars and completes
            tick = d.message
            if d.topic.startswith("ticks.") and isinstance(tick, Tick):
                us = to_us(tick.ts)
                self.replayed += replaying
                yield (tick.symbol, us, us, tick.price, tick.price, tick.price, tick.price, tick.size)
            if self.stop.is_set():
                return
        self.stop.set()  # SIGTERM: the run stops (it is not the end of the data)


def check(config: TheoConfig) -> None:
    """Refuse what the trader service cannot do before it connects: it trades the paper account."""
    from theo.core.errors import ConfigError
    from theo.node.kernel import check_broker

    if config.execution.broker != "simulated":
        raise ConfigError(f'[execution] broker = "{config.execution.broker}": the trader service trades the paper '
                          f"account on the simulated broker; trade at IBKR with `theo run --broker ibkr`")
    check_broker(config, "simulated", False)  # a live [app] mode is refused, as by `theo run`
    if not config.strategies:
        raise ConfigError("the config has no [[strategies]], so the trader has nothing to trade")


def run(rt: ServiceRuntime) -> int:
    """``theo service run trader``: until stopped, or the collector's ``feed.ended`` (a finished replay)."""
    import asyncio

    check(rt.config)
    trader = ServiceTrader(rt)
    status = asyncio.run(trader.run(lambda _run: rt.systemd.beat()))
    log.info("trader.ended", status=str(status), replayed=trader.replayed,
             **{k: v for k, v in trader.counters().items() if k in ("items", "signals", "orders", "trades")})
    return 0
