"""From bus messages to alerts: the state the conversion needs (fills already reported, each stop's last
price, each symbol's trading day), kept small and updated on the engine's thread.

Ticks arrive many times a second, so :meth:`AlertMaker.on_tick` does a comparison and two stores unless the
tick starts a new day for its symbol. A symbol's *last* tick of a day is announced once the day's regular
session has closed (:meth:`AlertMaker.session_ends`, called with the notifier's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from theo.config.telegram import AlertKind
from theo.core.calendar import ET, MarketCalendar
from theo.core.time import from_us, to_us
from theo.indicators.swings import SwingEvent
from theo.model.enums import OrderStatus
from theo.model.orders import Order
from theo.node.notify.alerts import (
    Alert,
    Priority,
    et,
    fill_alerts,
    money,
    order_alert,
    qty,
    stop_alert,
)

_FILLS = (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)


@dataclass
class _Day:
    """One symbol's trading day as seen so far (times in µs since the epoch, converted only when announced)."""

    day: Any  # date (ET)
    ends_us: int  # the next ET midnight: a tick at or after it starts a new day
    first_us: int
    first_price: float
    last_us: int
    last_price: float
    ticks: int = 1
    closed: bool = False


def _day_of(ts_us: int) -> tuple[Any, int]:
    local = from_us(ts_us).astimezone(ET)
    day = local.date()
    nxt = datetime.combine(day + timedelta(days=1), datetime.min.time(), ET)
    return day, to_us(nxt)


class AlertMaker:
    """Stateful conversions (see the module docstring); every method returns the alerts to send."""

    def __init__(self, calendar: MarketCalendar) -> None:
        self.calendar = calendar
        self._fills: dict[str, int] = {}
        self._stops: dict[str, Decimal] = {}
        self._days: dict[str, _Day] = {}
        self._links: dict[str, str] = {}

    # -- orders -------------------------------------------------------------------------------------------------
    def on_order(self, order: Order) -> list[Alert]:
        out: list[Alert] = []
        cid = order.client_order_id
        if order.status in _FILLS or len(order.fills) > self._fills.get(cid, 0):
            out.extend(fill_alerts(order, self._fills.get(cid, 0)))
            self._fills[cid] = len(order.fills)
        else:
            alert = order_alert(order)
            if alert is not None:
                out.append(alert)
        stop = order.request.stop_price
        if stop is not None and order.is_open:
            before = self._stops.get(cid)
            if before is not None and before != stop:
                out.append(stop_alert(order, before, stop))
            self._stops[cid] = stop
        if order.is_terminal:
            self._stops.pop(cid, None)
            self._fills.pop(cid, None)
        return out

    # -- ticks and sessions ---------------------------------------------------------------------------------------
    def on_tick(self, symbol: str, ts_us: int, price: float) -> Alert | None:
        d = self._days.get(symbol)
        if d is not None and d.first_us <= ts_us < d.ends_us:
            d.last_us, d.last_price = ts_us, price
            d.ticks += 1
            return None
        if d is not None and ts_us < d.first_us:
            return None  # a late print of an earlier day: that day was announced already
        day, ends = _day_of(ts_us)
        self._days[symbol] = _Day(day, ends, ts_us, price, ts_us, price)
        ts = from_us(ts_us)
        text = f"First tick of the day: {symbol} @ {money(price)}\n{et(ts)}"
        return Alert(AlertKind.SESSION, f"session:first:{symbol}:{day.isoformat()}", text, Priority.LOW, ts)

    def days(self) -> set[Any]:
        """The (ET) days ticks were seen on."""
        return {d.day for d in self._days.values()}

    def session_ends(self, now: datetime) -> list[Alert]:
        """Last-tick alerts for symbols whose day's regular session has closed by ``now``."""
        out = []
        for symbol, d in self._days.items():
            if d.closed:
                continue
            try:
                session = self.calendar.session(d.day) if self.calendar.is_session(d.day) else None
            except Exception:  # a day outside the calendar's range
                session = None
            close = session.close if session is not None else from_us(d.ends_us)
            if now >= close:
                d.closed = True
                text = (f"Last tick of the day: {symbol} @ {money(d.last_price)}\n{et(from_us(d.last_us))} · "
                        f"{d.ticks:,} ticks since {et(from_us(d.first_us))}")
                out.append(Alert(AlertKind.SESSION, f"session:last:{symbol}:{d.day.isoformat()}", text,
                                 Priority.LOW, now))
        return out

    # -- swings, feed, connection ------------------------------------------------------------------------------
    @staticmethod
    def on_swing(ev: SwingEvent) -> Alert:
        parts = []
        if ev.high_changed and ev.high is not None:
            parts.append(f"new swing high {money(ev.high)} ({et(ev.high_ts, seconds=False)})")
        if ev.low_changed and ev.low is not None:
            parts.append(f"new swing low {money(ev.low)} ({et(ev.low_ts, seconds=False)})")
        text = f"{ev.symbol} {ev.timeframe}: " + "; ".join(parts) + f"\nconfirmed {et(ev.ts, seconds=False)}"
        return Alert(AlertKind.SWING, f"swing:{ev.key}", text, Priority.LOW, ev.ts or datetime.now(UTC))

    @staticmethod
    def on_feed(topic: str, event: Any) -> Alert | None:
        symbol = str(getattr(event, "symbol", ""))
        source = str(getattr(event, "source", "") or "feed")
        since = getattr(event, "since", None)
        if topic == "feed.stale":
            now = getattr(event, "at", None) or datetime.now(UTC)
            return Alert(AlertKind.CONNECTION, f"feed:stale:{symbol}:{since}",
                         f"No ticks for {symbol} from {source} since {et(since)}", Priority.NORMAL, now,
                         group=f"feed:{symbol}")
        if topic == "feed.resumed":
            now = getattr(event, "at", None) or datetime.now(UTC)
            return Alert(AlertKind.CONNECTION, f"feed:resumed:{symbol}:{since}",
                         f"Ticks for {symbol} flow again ({source}), silent since {et(since)}", Priority.NORMAL,
                         now, group=f"feed:{symbol}")
        return None

    def on_counters(self, counters: dict[str, Any], now: datetime) -> Alert | None:
        """A broker link change seen in the run's status counters (IBKR: ready, down, lost, closed)."""
        link = counters.get("ibkr")
        if not isinstance(link, dict):
            return None
        state = str(link.get("link", ""))
        if not state or state == "connecting" or self._links.get("ibkr") == state:
            return None
        first = "ibkr" not in self._links
        self._links["ibkr"] = state
        if first and state == "ready":
            return None  # the start alert already says the run is up
        detail = f"; {link['error']}" if link.get("error") else ""
        text = f"IBKR link {state} since {et(_parse(link.get('since')) or now)}{detail}"
        prio = Priority.NORMAL if state in ("ready", "closed") else Priority.URGENT
        return Alert(AlertKind.CONNECTION, f"link:ibkr:{state}:{link.get('since')}", text, prio, now,
                     group="link:ibkr")


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def start_alert(what: str, now: datetime) -> Alert:
    return Alert(AlertKind.SYSTEM, f"system:start:{now.isoformat()}", f"Theo started: {what}\n{et(now)}",
                 Priority.NORMAL, now)


def stop_alert_text(what: str, now: datetime) -> Alert:
    return Alert(AlertKind.SYSTEM, f"system:stop:{now.isoformat()}", f"Theo stopped: {what}\n{et(now)}",
                 Priority.NORMAL, now)


__all__ = ["AlertMaker", "qty", "start_alert", "stop_alert_text"]
