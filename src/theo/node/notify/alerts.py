"""Alerts: what the notifier sends, and the texts made from the engine's events.

Each alert has a *key* naming the event it reports (a signal's id, an order's id and status, a fill's
execution id, a trade's id...), so the same event published twice (a restart replaying, an at-least-once
transport redelivering) is sent once. Texts are plain (no Markdown, nothing to escape); money has two decimals
and times are New York time, as a trader reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

from theo.config.telegram import AlertKind
from theo.core.calendar import ET
from theo.model.enums import OrderStatus, OrderType
from theo.model.orders import Order, OrderTag
from theo.model.signals import Signal
from theo.model.trades import Trade
from theo.risk.state import State, StateChange

CENT = Decimal("0.01")


class Priority(IntEnum):
    """Which alerts go first when the queue is full (LOW first) and which ring in quiet hours (URGENT only)."""

    LOW = 0  # summaries, swings, session ticks: dropped first, sent silently
    NORMAL = 1
    URGENT = 2  # risk state, kill switch, errors


@dataclass(frozen=True)
class Alert:
    """One message for every recipient that takes ``kind``; ``group``: a newer queued alert of the same group
    replaces an older one that was not sent yet (the feed is up again: "feed down" is no longer news)."""

    kind: AlertKind
    key: str
    text: str
    priority: Priority = Priority.NORMAL
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
    group: str = ""


def money(value: Decimal | float | int | None) -> str:
    """``1234.5`` → ``1,234.50``; ``None`` → ``-``."""
    if value is None:
        return "-"
    return f"{Decimal(str(value)).quantize(CENT):,}"


def signed(value: Decimal) -> str:
    q = value.quantize(CENT)
    return f"+{q:,}" if q > 0 else f"{q:,}"


def qty(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def et(ts: datetime | None, seconds: bool = True) -> str:
    """``2024-03-01 10:31:05 ET`` (the date, then New York wall time)."""
    if ts is None:
        return "-"
    return ts.astimezone(ET).strftime("%Y-%m-%d %H:%M:%S ET" if seconds else "%Y-%m-%d %H:%M ET")


def signal_alert(sig: Signal, sid: int) -> Alert:
    what = f"exit {sig.side.value}" if sig.exit else sig.side.value
    frame = f", {sig.timeframe}" if sig.timeframe else ""
    lines = [f"Signal {what} {sig.symbol} @ {money(sig.price)} ({sig.strategy}{frame})", et(sig.ts)]
    if sig.stop_loss is not None:
        lines.insert(1, f"stop {money(sig.stop_loss)}")
    if sig.reason:
        lines.insert(1, sig.reason)
    return Alert(AlertKind.SIGNAL, f"signal:{sid}", "\n".join(lines), Priority.NORMAL, sig.ts)


def _price(o: Order) -> str:
    req = o.request
    if req.order_type is OrderType.MARKET:
        return "MARKET"
    parts = [req.order_type.value]
    if req.limit_price is not None:
        parts.append(f"limit {money(req.limit_price)}")
    if req.stop_price is not None:
        parts.append(f"stop {money(req.stop_price)}")
    return " ".join(parts)


def _tag(o: Order) -> str:
    tag = o.request.tag
    return f" [{tag.value.replace('_', ' ')}]" if tag is not OrderTag.NONE else ""


_ORDER_WORDS = {OrderStatus.ACCEPTED: "Order placed", OrderStatus.REJECTED: "Order REJECTED",
                OrderStatus.CANCELLED: "Order cancelled", OrderStatus.EXPIRED: "Order expired",
                OrderStatus.UNKNOWN: "Order state UNKNOWN"}


def order_alert(o: Order) -> Alert | None:
    """Placed / rejected / cancelled / expired / unknown; ``None`` for fills (see :func:`fill_alerts`)."""
    word = _ORDER_WORDS.get(o.status)
    if word is None:
        return None
    text = f"{word}: {o.side.value} {qty(o.quantity)} {o.symbol} {_price(o)}{_tag(o)}"
    if o.reason and o.status is not OrderStatus.ACCEPTED:
        text += f"\n{o.reason}"
    ts = o.updated_at or datetime.now(UTC)
    text += f"\n{et(ts)} · {o.client_order_id}"
    prio = Priority.URGENT if o.status in (OrderStatus.REJECTED, OrderStatus.UNKNOWN) else Priority.NORMAL
    return Alert(AlertKind.ORDER, f"order:{o.client_order_id}:{o.status.value}", text, prio, ts)


def fill_alerts(o: Order, seen: int) -> list[Alert]:
    """One alert per fill of ``o`` after the first ``seen`` (keyed by execution id)."""
    out = []
    for f in o.fills[seen:]:
        part = "Filled" if o.status is OrderStatus.FILLED and f is o.fills[-1] else "Partly filled"
        text = (f"{part}: {f.side.value} {qty(f.quantity)} {f.symbol} @ {money(f.price)}{_tag(o)}\n"
                f"{qty(o.filled_qty)}/{qty(o.quantity)} done · {et(f.ts)} · {o.client_order_id}")
        out.append(Alert(AlertKind.FILL, f"fill:{f.exec_id}", text, Priority.NORMAL, f.ts))
    return out


def stop_alert(o: Order, before: Decimal, after: Decimal) -> Alert:
    ts = o.updated_at or datetime.now(UTC)
    text = (f"Stop moved: {o.symbol} {o.side.value} stop {money(before)} → {money(after)}{_tag(o)}\n"
            f"{et(ts)} · {o.client_order_id}")
    return Alert(AlertKind.STOP, f"stop:{o.client_order_id}:{after}", text, Priority.NORMAL, ts)


def trade_closed_alert(t: Trade) -> Alert:
    pnl = t.realised - t.charges
    exit_price = t.exit_value / t.exit_qty if t.exit_qty else None
    cost = t.entry_value
    pct = f" ({pnl / cost * 100:+.2f}%)" if cost else ""
    direction = "long" if t.side.value == "BUY" else "short"
    reason = t.exit_reason.value.replace("_", " ") if t.exit_reason is not None else "closed"
    text = (f"Trade closed: {t.symbol} {direction} {qty(t.exit_qty)} ({t.strategy})\n"
            f"entry {money(t.entry_price)} → exit {money(exit_price)} · {reason}\n"
            f"P&L {signed(pnl)} USD{pct} (charges {money(t.charges)})\n{et(t.exit_ts)}")
    return Alert(AlertKind.TRADE, f"trade:{t.id}:closed", text, Priority.NORMAL, t.exit_ts or datetime.now(UTC))


def state_alert(change: StateChange) -> Alert:
    kill = change.reason.startswith("kill switch")
    head = "KILL SWITCH" if kill and change.state is State.HALTED else f"Trading {change.state.value}"
    text = f"{head} (was {change.previous.value})\n{change.reason}\nby {change.actor or '-'} · {et(change.ts)}"
    return Alert(AlertKind.RISK, f"state:{change.ts.isoformat()}:{change.state.value}", text, Priority.URGENT,
                 change.ts)


def bus_alert(message: dict[str, Any], now: datetime, repeat_bucket: int) -> Alert:
    """An ``alerts`` message (``level``, ``text``, ``source``): errors urgent, warnings normal, the rest info.

    The same text in the same ``repeat_bucket`` (``[telegram] repeat_minutes`` window) has the same key: a
    repeating error does not flood the chat."""
    level = str(message.get("level", "info")).lower()
    text = str(message.get("text", "")).strip() or "(no text)"
    source = str(message.get("source", "") or "")
    urgent = level in ("error", "critical")
    kind = AlertKind.ERROR if urgent or level == "warning" else AlertKind.SYSTEM
    head = {"error": "ERROR", "critical": "CRITICAL", "warning": "Warning"}.get(level, "Info")
    body = f"{head}{' (' + source + ')' if source else ''}: {text}\n{et(now)}"
    return Alert(kind, f"alert:{level}:{source}:{text}:{repeat_bucket}", body,
                 Priority.URGENT if urgent else Priority.NORMAL, now)
