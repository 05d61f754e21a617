"""The api service: the ``theo api`` dashboard and HTTP API, with its live events from NATS.

``theo api`` alone sees only the database: it polls the trading state, P&L and health every few seconds, and
ticks, bars, signals, orders and fills stream only from the dashboard inside ``theo run``. As a service it
also subscribes to what the other services publish and streams it as the embedded dashboard does (same event
shapes, :mod:`theo.api.bridge`): ticks from the collector, bars from the aggregator, signals, orders, fills,
trades, risk state and alerts from the trader. The database stays the truth for P&L and health, which keep
coming from the store. Its consumers are ephemeral and start at "now": a dashboard shows what happens while
it is open, and a restarted api service loses nothing that matters (the store holds the history).
"""

from __future__ import annotations

from typing import Any

from theo.api.bridge import bar_event, order_event, signal_event, trade_event
from theo.api.events import EventHub
from theo.core.logging import get_logger
from theo.model.enums import SignalStatus
from theo.model.market import Bar, Tick
from theo.model.orders import Order
from theo.model.signals import Signal
from theo.model.trades import Trade
from theo.node.services.runtime import ServiceRuntime
from theo.risk.state import StateChange

log = get_logger("theo.services.api")


class BusEvents:
    """NATS messages → dashboard events (runs on the bus's dispatch thread; the hub never blocks)."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.received = 0

    def on_message(self, topic: str, m: Any) -> None:
        self.received += 1
        hub = self.hub
        if topic.startswith("ticks.") and isinstance(m, Tick):
            hub.tick(m.symbol, m.price, m.size)
        elif topic.startswith("bars.") and isinstance(m, Bar):
            hub.publish("bar", bar_event(m))
        elif topic == "signals.new" and isinstance(m, Signal):
            hub.publish("signal", signal_event(m, SignalStatus.PENDING.value, m.reason))
        elif topic.startswith("orders.") and isinstance(m, Order):
            hub.publish("order", order_event(m))
            if topic in ("orders.filled", "orders.partially_filled") and m.fills:
                f = m.fills[-1]
                hub.publish("fill", {"order_id": m.client_order_id, "symbol": f.symbol, "side": f.side.value,
                                     "quantity": str(f.quantity), "price": str(f.price),
                                     "ts": f.ts.isoformat()})
        elif topic.startswith("trades.") and isinstance(m, Trade):
            hub.publish("trade", trade_event(m))
        elif topic == "risk.state" and isinstance(m, StateChange):
            hub.publish("state", {"state": m.state.value, "reason": m.reason, "actor": m.actor})
        elif topic == "alerts" and isinstance(m, dict):
            hub.publish("alert", {"level": str(m.get("level", "info")), "text": str(m.get("text", ""))})
        elif topic == "feed.stale":
            hub.publish("alert", {"level": "warning", "text": f"no tick for {getattr(m, 'symbol', '')} from "
                                                              f"{getattr(m, 'source', '')}"})
        elif topic == "feed.resumed":
            hub.publish("alert", {"level": "info", "text": f"ticks for {getattr(m, 'symbol', '')} flow again"})


def run(rt: ServiceRuntime) -> int:
    """``theo service run api``: serve until SIGTERM/SIGINT."""
    from theo.api.app import create_app
    from theo.api.poller import StorePoller
    from theo.api.server import ApiServer
    from theo.api.services.context import ServiceContext
    from theo.api.services.users import ensure_first_admin

    cfg = rt.config
    hub = EventHub()
    ctx = ServiceContext(config=cfg, store=rt.store, events=hub, config_path=rt.options.get("config_path"))
    ensure_first_admin(ctx)
    server = ApiServer(create_app(ctx), cfg.api)
    events = BusEvents(hub)
    for pattern in ("ticks.*", "bars.>", "signals.new", "orders.>", "trades.>", "risk.state", "alerts", "feed.*"):
        rt.bus.subscribe(pattern, events.on_message)
    poller = StorePoller(ctx, hub)
    url = server.start()
    poller.start()
    rt.systemd.ready(f"dashboard at {url}")
    log.info("api.service_ready", url=url)
    try:
        while not rt.stop.wait(1.0):
            rt.systemd.beat()
    finally:
        poller.stop()
        server.stop()
    return 0
