"""The notifier as a unit: alerts, commands and the Telegram thread, started and stopped together.

* :class:`NotifierService` builds the pieces from ``[telegram]`` (the token from the environment).
* :class:`EmbeddedNotifier` runs it inside ``theo run`` (paper or IBKR) beside the engine.
* :func:`run_notifier` runs it alone on any :class:`~theo.core.bus.base.MessageBus` (``theo notify``; a
  NATS bus once the services run apart) until ``stop`` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from theo.adapters.telegram import TelegramClient, bot_token
from theo.adapters.telegram.commands import command_handlers
from theo.api.services.context import Actor, EventSink, Role, RunView, ServiceContext
from theo.config import TheoConfig
from theo.core.bus.base import MessageBus
from theo.core.calendar import get_calendar
from theo.core.logging import get_logger
from theo.node.notify import replies
from theo.node.notify.alerts import money
from theo.node.notify.commands import CommandDesk
from theo.node.notify.events import start_alert, stop_alert_text
from theo.node.notify.notifier import Notifier
from theo.node.notify.outbox import SentLog
from theo.node.notify.sentlog import StoredSentLog
from theo.node.notify.swings import SwingWatch
from theo.node.notify.worker import TelegramWorker
from theo.persistence.repositories import Store

log = get_logger(__name__)
SYSTEM = Actor("telegram", Role.VIEWER, origin="telegram")


class _NoEvents:
    """No dashboard in this process: live events have nowhere to go."""

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        return None


def _wall() -> datetime:
    return datetime.now(UTC)


class NotifierService:
    """See the module docstring; :class:`~theo.core.errors.ConfigError` at construction when the token is missing
    and at :meth:`start` when Telegram refuses it."""

    def __init__(self, config: TheoConfig, store: Store, *, clock: Callable[[], datetime] = _wall,
                 events: EventSink | None = None, run: RunView | None = None, sent: SentLog | None = None) -> None:
        tg = config.telegram
        token = bot_token(tg)
        self.ctx = ServiceContext(config=config, store=store, events=events or _NoEvents(), run=run)
        calendar = get_calendar(config.market.calendar, config.market)
        sent = sent if sent is not None else StoredSentLog(store)
        self.notifier = Notifier(tg, calendar, clock=clock, sent=sent, summary=self._summary)
        self.desk = CommandDesk(tg, self.ctx)
        handlers = command_handlers(self.desk.on_command, self.desk.on_button) if tg.commands else []
        self.client = TelegramClient(tg, token, handlers)
        self.worker = TelegramWorker(tg, self.client, self.notifier.outbox, self.notifier.timers)
        self.notifier.wake = self.worker.wake

    def _summary(self, day: date) -> str | None:
        try:
            return replies.daily_summary(self.ctx, SYSTEM, day)
        except Exception:  # the store is down: say so rather than skip the day silently
            log.exception("telegram.summary_failed", day=day.isoformat())
            return f"Daily summary {day.isoformat()}: could not be built (see Theo's log)"

    def start(self) -> None:
        self.worker.start()

    def stop(self, drain_seconds: float = 2.0) -> None:
        self.worker.stop(drain_seconds)


class EmbeddedNotifier:
    """The notifier inside ``theo run``: subscribes to the run's bus (and a paper run's tick and bar observers,
    which do not travel on the bus), follows its status callback, and says when the run starts and stops."""

    def __init__(self, run: Any, store: Store, *, events: EventSink | None = None,
                 view: RunView | None = None) -> None:
        self.run = run
        node = run.node
        self.service = NotifierService(run.config, store, clock=node.clock.now, events=events, run=view)
        self.notifier = self.service.notifier
        self.swings = SwingWatch.stored(run.config, node.bus, store)
        self.paper = hasattr(run, "on_item")

    def start(self) -> None:
        """Start the Telegram thread, then subscribe (on the engine's thread, before the run starts)."""
        self.service.start()
        self.notifier.attach(self.run.node.bus, ticks=not self.paper)
        if self.paper:
            self._chain_observers()
        elif getattr(self.run, "driver", None) is not None and hasattr(self.run.driver, "on_bar"):
            self._chain_driver_bars(self.run.driver)
        else:
            self.swings.attach()
        symbols = ", ".join(self.run.node.symbols)
        self.notifier.publish(start_alert(f"{self.run.feed_name} run, {symbols}", _wall()))

    def _chain_observers(self) -> None:
        prev_item, prev_bar = self.run.on_item, self.run.on_bar
        tick = self.notifier.tick
        on_bar = self.swings.on_bar

        def item(it: Any) -> None:
            if prev_item is not None:
                prev_item(it)
            if it[1] == it[2]:  # a tick (start == end)
                tick(it[0], it[1], it[6])

        def bar(b: Any) -> None:
            if prev_bar is not None:
                prev_bar(b)
            on_bar(b)

        self.run.on_item, self.run.on_bar = item, bar

    def _chain_driver_bars(self, driver: Any) -> None:
        """A live run's strategy bars come from its stream driver (the bus carries the feed's bars)."""
        prev, on_bar = driver.on_bar, self.swings.on_bar

        def bar(b: Any) -> None:
            if prev is not None:
                prev(b)
            on_bar(b)

        driver.on_bar = bar

    def on_status(self, run: Any) -> None:
        self.notifier.on_counters(run.counters())

    def stop(self, status: str = "stopped", drain_seconds: float = 5.0) -> None:
        """Say the run stopped, unsubscribe, and give the queue ``drain_seconds`` to go out."""
        try:
            try:
                c = self.run.counters()
            except Exception:  # a run that failed half-built: still say it stopped
                c = {}
            self.notifier.publish(stop_alert_text(
                f"{self.run.feed_name} run {status}: {c.get('signals', 0)} signals, {c.get('orders', 0)} orders, "
                f"{c.get('trades', 0)} trades, realized P&L {money(c.get('realized_pnl'))} USD", _wall()))
        finally:
            self.notifier.detach()
            self.swings.detach()
            self.service.stop(drain_seconds)


def run_notifier(config: TheoConfig, store: Store, bus: MessageBus, stop: threading.Event) -> NotifierService:
    """Run the notifier and the commands on ``bus`` against ``store`` until ``stop`` is set; return the stopped
    service (its counters: ``notifier.outbox.delivered``, ``dropped``...)."""
    service = NotifierService(config, store)
    service.start()
    service.notifier.attach(bus)
    service.notifier.publish(start_alert("notifier service", _wall()))
    try:
        stop.wait()
    finally:
        service.notifier.publish(stop_alert_text("notifier service", _wall()))
        service.notifier.detach()
        service.stop()
    return service
