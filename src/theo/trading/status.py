"""Trade status per strategy and symbol (plan §6): last signal, trade status, order status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from theo.model.enums import OrderStatus, Side
from theo.model.trades import Trade

#: Plan §6 order status words for the order states of the journal.
ORDER_WORDS = {OrderStatus.CREATED: "Initiated", OrderStatus.SUBMITTED: "Placed", OrderStatus.ACCEPTED: "Placed",
               OrderStatus.PARTIALLY_FILLED: "Pending", OrderStatus.PENDING_CANCEL: "Pending",
               OrderStatus.PENDING_MODIFY: "Pending", OrderStatus.UNKNOWN: "Pending", OrderStatus.FILLED: "Success",
               OrderStatus.REJECTED: "Failed", OrderStatus.CANCELLED: "Failed", OrderStatus.EXPIRED: "Failed"}


@dataclass(frozen=True, slots=True)
class StatusRow:
    strategy: str
    symbol: str
    last_signal: str  # Long | Short | ""
    trade_status: str  # Running | Closed | Waiting | ""
    order_status: str  # Initiated | Placed | Pending | Success | Failed | ""
    open_qty: str = ""
    trade_id: int | None = None


def order_word(status: OrderStatus | None) -> str:
    return "" if status is None else ORDER_WORDS[status]


def build_status(trades: Iterable[Trade], last_signal: Mapping[tuple[str, str], Side],
                 order_status: Mapping[str, OrderStatus]) -> list[StatusRow]:
    """One row per (strategy, symbol) seen in signals or trades, showing its latest trade and order."""
    latest: dict[tuple[str, str], Trade] = {}
    for t in trades:
        latest[(t.strategy, t.symbol)] = t
    rows = []
    for key in sorted(set(latest) | set(last_signal)):
        side = last_signal.get(key)
        signal = "" if side is None else "Long" if side is Side.BUY else "Short"
        if key not in latest:
            rows.append(StatusRow(key[0], key[1], signal, "", ""))
            continue
        t = latest[key]
        # The latest order that did not end cancelled: a bracket's take-profit is cancelled when its stop fills.
        live = [cid for cid in t.exit_orders if order_status.get(cid) is not OrderStatus.CANCELLED]
        last_order = live[-1] if live else t.entry_order_id
        rows.append(StatusRow(key[0], key[1], signal, t.status.value, order_word(order_status.get(last_order)),
                              str(t.open_qty), t.id))
    return rows
