"""The notifier: a bus subscriber that turns the engine's events into Telegram alerts (plan §12).

=========================  =====================================================
bus topic                  alert (kind)
=========================  =====================================================
``signals.new``            new signal (signal)
``orders.*``               placed, rejected, cancelled, expired (order); fills (fill); a moved stop (stop)
``trades.closed``          the closed trade with its P&L (trade)
``risk.state``             trading state change, kill switch (risk, urgent)
``alerts``                 errors and warnings (error), other notices (system)
``feed.stale|resumed``     a symbol's ticks stopped or flow again (connection)
``indicators.swing.*``     new swing high / low (swing)
``ticks.*``                first tick of a symbol's day; the last one after the close (session)
status counters            broker link changes (connection)
timer                      the daily summary after the close (summary)
=========================  =====================================================

Handlers run on the publisher's thread (the engine's) and only build a short text and queue it
(:class:`~theo.node.notify.outbox.Outbox`); the :class:`~theo.node.notify.worker.TelegramWorker` sends on its
own thread. Works on any :class:`~theo.core.bus.base.MessageBus`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from theo.config.telegram import AlertKind, Recipient, TelegramConfig
from theo.core.bus.base import MessageBus, Subscription
from theo.core.calendar import ET, MarketCalendar
from theo.core.logging import get_logger
from theo.core.time import to_us
from theo.indicators.swings import SwingEvent
from theo.model.market import Tick
from theo.model.orders import Order
from theo.model.signals import Signal
from theo.model.trades import Trade
from theo.node.kernel import signal_id
from theo.node.notify.alerts import Alert, Priority, bus_alert, signal_alert, state_alert, trade_closed_alert
from theo.node.notify.events import AlertMaker
from theo.node.notify.outbox import Outbox, SentLog
from theo.risk.state import StateChange

log = get_logger(__name__)
Clock = Callable[[], datetime]


def _wall() -> datetime:
    return datetime.now(UTC)


class Notifier:
    """Fan-out of alerts to recipients; ``clock`` is the market's (a paper run's simulated time), ``wall`` the
    recipients' (quiet hours are about people's nights, whatever day a replay is on)."""

    def __init__(self, cfg: TelegramConfig, calendar: MarketCalendar, *, clock: Clock = _wall, wall: Clock = _wall,
                 sent: SentLog | None = None, summary: Callable[[date], str | None] | None = None) -> None:
        self.cfg = cfg
        self.calendar = calendar
        self.clock = clock
        self.wall = wall
        self.outbox = Outbox(cfg.queue_size, sent)
        self.maker = AlertMaker(calendar)
        self.summary = summary
        self.wake: Callable[[], None] = lambda: None
        self.quiet_skipped = 0
        self._subs: list[tuple[MessageBus, Subscription]] = []
        self._lock = threading.Lock()  # the maker's state: bus handlers may come from several threads (NATS)
        self._watched: set[date] = set()
        self._summarised: set[date] = set()

    # -- queueing (publisher's thread) --------------------------------------------------------------------------
    def publish(self, alert: Alert) -> int:
        """Queue ``alert`` for every recipient that takes its kind and is not in quiet hours; the number queued."""
        now_et = self.wall().astimezone(ET).time()
        chats: list[tuple[int, bool]] = []
        for r in self.cfg.recipients:
            if alert.kind not in r.kinds:
                continue
            if alert.priority < Priority.URGENT and r.is_quiet(now_et):
                self.quiet_skipped += 1
                log.debug("telegram.quiet", chat=r.chat_id, key=alert.key)
                continue
            chats.append((r.chat_id, alert.priority == Priority.LOW))
        n = self.outbox.put(alert, chats) if chats else 0
        if n:
            self.wake()
        return n

    def recipients_for(self, kind: AlertKind) -> list[Recipient]:
        return [r for r in self.cfg.recipients if kind in r.kinds]

    # -- the bus -------------------------------------------------------------------------------------------------
    def attach(self, bus: MessageBus, *, ticks: bool = True) -> None:
        """Subscribe to ``bus`` (on the thread that owns it); ``ticks=False`` when ticks come another way."""
        routes: list[tuple[str, Callable[[str, Any], None]]] = [
            ("signals.new", self.on_signal), ("orders.*", self.on_order), ("trades.closed", self.on_trade),
            ("risk.state", self.on_state), ("alerts", self.on_alert), ("feed.*", self.on_feed),
            ("indicators.swing.*", self.on_swing)]
        if ticks:
            routes.append(("ticks.*", self.on_tick))
        for pattern, handler in routes:
            self._subs.append((bus, bus.subscribe(pattern, handler)))

    def detach(self) -> None:
        for bus, sub in self._subs:
            bus.unsubscribe(sub)
        self._subs.clear()

    def on_signal(self, _topic: str, sig: Signal) -> None:
        self.publish(signal_alert(sig, signal_id(sig)))

    def on_order(self, _topic: str, order: Order) -> None:
        with self._lock:
            alerts = self.maker.on_order(order)
        for a in alerts:
            self.publish(a)

    def on_trade(self, _topic: str, trade: Trade) -> None:
        self.publish(trade_closed_alert(trade))

    def on_state(self, _topic: str, change: StateChange) -> None:
        self.publish(state_alert(change))

    def on_alert(self, _topic: str, message: dict[str, Any]) -> None:
        now = self.clock()
        bucket = int(now.timestamp() // (self.cfg.repeat_minutes * 60))
        self.publish(bus_alert(message, now, bucket))

    def on_feed(self, topic: str, event: Any) -> None:
        alert = self.maker.on_feed(topic, event)
        if alert is not None:
            self.publish(alert)

    def on_swing(self, _topic: str, event: SwingEvent) -> None:
        self.publish(self.maker.on_swing(event))

    def on_tick(self, _topic: str, tick: Tick) -> None:
        self.tick(tick.symbol, to_us(tick.ts), float(tick.price))

    def tick(self, symbol: str, ts_us: int, price: float) -> None:
        """A trade print (a paper run's item observer calls this directly: its ticks are not on the bus)."""
        with self._lock:
            alert = self.maker.on_tick(symbol, ts_us, price)
        if alert is not None:
            self.publish(alert)

    def on_counters(self, counters: dict[str, Any]) -> None:
        with self._lock:
            alert = self.maker.on_counters(counters, self.clock())
        if alert is not None:
            self.publish(alert)

    # -- timers (the worker's loop, every second) -------------------------------------------------------------------
    def _session(self, day: date) -> Any:
        try:
            return self.calendar.session(day) if self.calendar.is_session(day) else None
        except Exception:  # a day outside the calendar's range (a paper clock before its first tick)
            return None

    async def timers(self) -> None:
        """Last-tick alerts after each close; the daily summary ``summary_delay_minutes`` after the close of
        every session day the notifier watched (its clock was inside the session, or ticks of the day came)."""
        now = self.clock()
        with self._lock:
            ends = self.maker.session_ends(now)
            days = self.maker.days()
        for a in ends:
            self.publish(a)
        delay = timedelta(minutes=self.cfg.summary_delay_minutes)
        today = now.astimezone(ET).date()
        s = self._session(today)
        if s is not None and s.open <= now < s.close + delay:
            self._watched.add(today)
        self._watched.update(d for d in days if d not in self._summarised)
        for day in sorted(self._watched):
            s = self._session(day)
            if s is None:
                self._watched.discard(day)
            elif now >= s.close + delay:
                self._watched.discard(day)
                self._summarised.add(day)
                text = await asyncio.to_thread(self.summary, day) if self.summary is not None else None
                if text:
                    self.publish(Alert(AlertKind.SUMMARY, f"summary:{day.isoformat()}", text, Priority.LOW, now))
