"""From the engine to the dashboard: the run's bus messages and observers become the stream's JSON events.

:class:`EngineBridge` runs entirely on the engine's thread (bus handlers, the run's item and bar observers,
its status callback); it converts each message to the event contract (Decimal as strings, times ISO-8601 UTC)
and hands it to the :class:`~theo.api.events.EventHub`, which never blocks. It also keeps the
:class:`RunSnapshot` the API's worker threads read instead of touching engine objects.

=================  ===========================================
bus topic          event
=================  ===========================================
``signals.new``    ``signal`` (PENDING; the outcome follows as another ``signal``)
``orders.>``       ``order``, and ``fill`` for (partial) fills
``trades.>``       ``trade``
``risk.state``     ``state``
``bars.>``         ``bar`` (a paper run: the run's bar observer)
``ticks.*``        ``tick`` (a paper run: the run's item observer)
``alerts``         ``alert``
``feed.*``         ``alert`` and ``health``
status callback    ``pnl`` and ``health``
=================  ===========================================
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from theo.api.events import EventHub
from theo.api.services.overview import health, marks_of, pnl_event
from theo.api.services.runinfo import RunInfo
from theo.core.bus.base import MessageBus, Subscription
from theo.model.enums import SignalStatus
from theo.model.market import Bar, Tick
from theo.model.orders import Order
from theo.model.signals import Signal, SignalOutcome
from theo.model.trades import Trade
from theo.node.kernel import Node, signal_id
from theo.node.paper import PaperRun
from theo.risk.state import StateChange

CENT = Decimal("0.01")


class BridgedRun(Protocol):
    """What the bridge reads of a run (:class:`~theo.node.paper.PaperRun` or :class:`~theo.node.live.LiveRun`)."""

    node: Node
    feed_name: str

    def counters(self) -> dict[str, Any]: ...


class RunSnapshot:
    """The embedded run's counters as of its last status callback (:class:`RunView` for the services)."""

    def __init__(self) -> None:
        self._counters: dict[str, Any] = {}
        self._lock = threading.Lock()

    def update(self, counters: dict[str, Any]) -> None:
        with self._lock:
            self._counters = counters

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._counters)


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def signal_event(sig: Signal, status: str, reason: str) -> dict[str, Any]:
    return {"id": str(signal_id(sig)), "symbol": sig.symbol, "strategy": sig.strategy,
            "side": ("exit " if sig.exit else "") + sig.side.value, "status": status, "reason": reason,
            "ts": _iso(sig.ts), "price": repr(sig.price)}


def order_event(o: Order) -> dict[str, Any]:
    req = o.request
    price = o.avg_fill_price if o.avg_fill_price is not None else (
        req.limit_price if req.limit_price is not None else req.stop_price)
    return {"id": o.client_order_id, "symbol": o.symbol, "side": o.side.value, "type": req.order_type.value,
            "status": o.status.value, "quantity": str(o.quantity), "filled": str(o.filled_qty),
            "price": _money(price)}


def trade_event(t: Trade) -> dict[str, Any]:
    return {"id": t.id, "symbol": t.symbol, "side": t.side.value, "status": t.status.value,
            "pnl": str((t.realised - t.charges).quantize(CENT)), "strategy": t.strategy}


def bar_event(b: Bar) -> dict[str, Any]:
    return {"symbol": b.symbol, "timeframe": b.timeframe, "start": _iso(b.start), "open": str(b.open),
            "high": str(b.high), "low": str(b.low), "close": str(b.close), "volume": str(b.volume)}


class EngineBridge:
    """Subscribes a run's bus and observers to an :class:`EventHub` (see the module docstring)."""

    def __init__(self, hub: EventHub, run: BridgedRun, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
                 ) -> None:
        self.hub = hub
        self.run = run
        self.snapshot = RunSnapshot()
        self.clock = clock
        self._subs: list[Subscription] = []
        self._seen: dict[str, str] = {}
        self._prices: dict[str, Any] = {}
        self._listener: Callable[[SignalOutcome], None] | None = None

    # -- wiring ----------------------------------------------------------------------------------------------
    def attach(self) -> None:
        """Subscribe (call before the run starts, on the engine's thread: the bus is not thread-safe)."""
        bus: MessageBus = self.run.node.bus
        for pattern, handler in (("signals.new", self._on_signal), ("orders.>", self._on_order),
                                 ("trades.>", self._on_trade), ("risk.state", self._on_state),
                                 ("bars.>", self._on_bar_message), ("ticks.*", self._on_tick),
                                 ("alerts", self._on_alert), ("feed.*", self._on_feed)):
            self._subs.append(bus.subscribe(pattern, handler))
        log = self.run.node.signals
        self._listener = log.listener
        log.listener = self._on_outcome
        if isinstance(self.run, PaperRun):  # a paper run: its items and bars do not travel on the bus
            self.run.on_item = self._on_item
            self.run.on_bar = self.on_bar

    def detach(self) -> None:
        for sub in self._subs:
            self.run.node.bus.unsubscribe(sub)
        self._subs.clear()
        if self._listener is not None:
            self.run.node.signals.listener = self._listener

    # -- handlers (engine thread) ------------------------------------------------------------------------------
    def _on_signal(self, _topic: str, sig: Signal) -> None:
        self.hub.publish("signal", signal_event(sig, SignalStatus.PENDING.value, sig.reason))

    def _on_outcome(self, outcome: SignalOutcome) -> None:
        if self._listener is not None:
            self._listener(outcome)
        self.hub.publish("signal", signal_event(outcome.signal, outcome.status.value,
                                                outcome.note or outcome.signal.reason))

    def _on_order(self, topic: str, order: Order) -> None:
        self.hub.publish("order", order_event(order))
        if topic in ("orders.filled", "orders.partially_filled") and order.fills:
            f = order.fills[-1]
            self.hub.publish("fill", {"order_id": order.client_order_id, "symbol": f.symbol, "side": f.side.value,
                                      "quantity": str(f.quantity), "price": str(f.price), "ts": _iso(f.ts)})

    def _on_trade(self, _topic: str, trade: Trade) -> None:
        self.hub.publish("trade", trade_event(trade))

    def _on_state(self, _topic: str, change: StateChange) -> None:
        self.hub.publish("state", {"state": change.state.value, "reason": change.reason, "actor": change.actor})

    def _on_bar_message(self, _topic: str, bar: Bar) -> None:
        self.on_bar(bar)

    def on_bar(self, bar: Bar) -> None:
        self.hub.publish("bar", bar_event(bar))

    def _on_tick(self, _topic: str, tick: Tick) -> None:
        self.hub.tick(tick.symbol, tick.price, tick.size)

    def _on_item(self, item: tuple[str, int, int, float, float, float, float, float]) -> None:
        if item[1] == item[2]:  # a tick (a bar of a replayed bar file goes out as a bar when it closes)
            self.hub.tick(item[0], item[6], item[7])

    def _on_alert(self, _topic: str, alert: dict[str, Any]) -> None:
        self.hub.publish("alert", {"level": str(alert.get("level", "info")), "text": str(alert.get("text", ""))})

    def _on_feed(self, topic: str, event: Any) -> None:
        symbol = getattr(event, "symbol", "")
        since = getattr(event, "since", None)
        if topic == "feed.stale":
            text = f"no tick for {symbol} from {getattr(event, 'source', '')} since {_iso(since)}"
            self.hub.publish("alert", {"level": "warning", "text": text})
        elif topic == "feed.resumed":
            self.hub.publish("alert", {"level": "info", "text": f"ticks for {symbol} flow again"})
        self.hub.publish("health", {**self._health(self.snapshot.counters()),
                                    "symbol": symbol, "event": topic.split(".", 1)[-1]})

    # -- status callback (engine thread, every status interval) ----------------------------------------------------
    def on_status(self, run: BridgedRun) -> None:
        """Refresh the snapshot; publish ``pnl`` and ``health``."""
        counters = run.counters()
        now = self.clock()
        prices = counters.get("last_price", {})
        for symbol, price in prices.items():
            if self._prices.get(symbol) != price:
                self._seen[symbol] = now.isoformat()
        self._prices = dict(prices)
        counters["last_seen"] = dict(self._seen)
        self.snapshot.update(counters)
        realized = Decimal(str(counters.get("realized_pnl", "0")))
        self.hub.publish("pnl", pnl_event(realized, run.node.manager.trades(open_only=True), marks_of(counters)))
        self.hub.publish("health", self._health(counters))

    def _health(self, counters: dict[str, Any]) -> dict[str, Any]:
        sim_now = counters.get("sim_now")
        info = RunInfo(id=0, mode="", feed=self.run.feed_name, status="running", heartbeat=self.clock(),
                       sim_now=datetime.fromisoformat(sim_now) if sim_now else None)
        return health(info, counters).model_dump(mode="json")
