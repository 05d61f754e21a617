"""No fresh market data, no new entries: the trading state follows the feeds' outages.

The guard listens to the two signs that a subscribed symbol has no fresh data while its market is open: the
quality gate's ``feed.stale`` (no tick passed the gate for ``[marketdata.gate] stale_after_seconds``; with one
feed that is the whole story) and the fail-over supervisor's ``feed.unavailable`` (neither feed is fresh for
``[feeds] stale_after_seconds``). While any symbol is dark it holds the trading state at REDUCING (no new
entries; exits and protective orders keep working) and raises an alert. When every symbol has data again
(``feed.resumed`` / ``feed.available``) it puts the state back to ACTIVE, but only when it was the guard that
left ACTIVE and nobody has changed the state since: an operator's HALT or REDUCING is never overridden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from theo.core.bus import MessageBus, Subscription
from theo.core.logging import get_logger
from theo.data.failover.events import FeedsAvailable, FeedsUnavailable
from theo.data.gate import FeedResumed, FeedStale
from theo.risk.state import FEED_GUARD, State, TradingState

log = get_logger("theo.node.feed_guard")
ACTOR = FEED_GUARD  # an automatic actor: its resume is not a person's
Alert = Callable[[str, str], None]


class FeedGuard:
    """Hold REDUCING while a symbol has no fresh feed (see the module docstring)."""

    def __init__(self, bus: MessageBus, state: TradingState, alert: Alert | None = None) -> None:
        self.bus = bus
        self.state = state
        self.alert: Alert = alert or self._publish_alert
        self.dark: dict[tuple[str, str], datetime] = {}  # (symbol, who said so) -> since
        self.reduced = False  # the guard moved ACTIVE -> REDUCING and has not given it back yet
        self._subs: list[Subscription] = [bus.subscribe(t, self._on_event) for t in (
            "feed.stale", "feed.resumed", "feed.unavailable", "feed.available")]
        last = state.history[-1] if state.history else None
        if state.state is State.REDUCING and last is not None and last.actor == ACTOR:
            # A previous run stopped during an outage: this run watches the feeds afresh and reduces again
            # as soon as a symbol is without data; left as it was, nothing would ever lift it.
            state.resume("a new run watches the market data again (the previous run reduced for missing data)",
                         ACTOR)

    def close(self) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs.clear()

    def _on_event(self, _topic: str, event: Any) -> None:
        if isinstance(event, FeedStale):
            self._went_dark(event.symbol, "gate", event.since, f"no tick of {event.symbol} from "
                            f"{event.source or 'the feed'} since {event.since.isoformat()}")
        elif isinstance(event, FeedsUnavailable):
            self._went_dark(event.symbol, "feeds", event.since, event.reason)
        elif isinstance(event, FeedResumed):
            self._came_back(event.symbol, "gate")
        elif isinstance(event, FeedsAvailable):
            self._came_back(event.symbol, "feeds")

    def _went_dark(self, symbol: str, origin: str, since: datetime, why: str) -> None:
        first = not self.dark
        self.dark[(symbol, origin)] = since
        if not first:
            return
        current = self.state.state
        if current is State.ACTIVE:
            self.reduced = self.state.reduce(f"no fresh market data for {symbol}: {why}", ACTOR)
            self.alert("critical", f"no fresh market data for {symbol} ({why}); trading is REDUCING: no new "
                                   f"entries, exits and protective orders keep working. It returns to ACTIVE by "
                                   f"itself when data is fresh again")
        else:
            self.alert("critical", f"no fresh market data for {symbol} ({why}); trading stays {current.value}")

    def _came_back(self, symbol: str, origin: str) -> None:
        if self.dark.pop((symbol, origin), None) is None or self.dark:
            return
        if not self.reduced:
            self.alert("info", f"market data is fresh again for {symbol}")
            return
        self.reduced = False
        last = self.state.history[-1] if self.state.history else None
        if self.state.state is State.REDUCING and last is not None and last.actor == ACTOR:
            self.state.resume(f"market data is fresh again ({symbol} was the last without)", ACTOR)
            self.alert("info", "market data is fresh again for every symbol; trading is ACTIVE again")
        else:
            log.info("feed_guard.left_alone", state=self.state.state.value,
                     changed_by=last.actor if last is not None else "")
            self.alert("info", f"market data is fresh again; trading stays {self.state.state.value} (changed "
                               f"by {last.actor if last is not None else 'someone else'} meanwhile)")

    def _publish_alert(self, level: str, text: str) -> None:
        self.bus.publish("alerts", {"level": level, "text": text, "source": "marketdata"})
