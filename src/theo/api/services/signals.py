"""Signals: every signal a paper or live run saw (its run journal) with what the engine did with it, in plain
words, and the orders and trade it led to."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.query import Page, check_page, choice, symbol_value
from theo.model.enums import SignalStatus
from theo.node.kernel import signal_key_id
from theo.persistence.repositories.order_queries import OrderQueries
from theo.persistence.repositories.runs import SqlRunStore
from theo.persistence.repositories.trades import SqlTradeStore

_RULE = re.compile(r"^([a-z][a-z0-9_]*): (.+)$", re.DOTALL)
STATUS_WORDS = {SignalStatus.EXECUTED: "order sent", SignalStatus.CANCELLED: "ignored",
                SignalStatus.FAILED: "refused", SignalStatus.PENDING: "waiting", SignalStatus.VALIDATED: "accepted"}


class SignalItem(BaseModel):
    """A signal and its outcome. ``id`` is the signal's stable id (a string: it has 62 bits), the one its orders
    and trade carry as ``signal_id``; ``reason`` says in plain words what the engine did and why; ``rule`` is
    the risk rule that refused it (empty otherwise); ``exit`` marks a signal to close a position."""

    id: str
    ts: datetime
    strategy: str
    symbol: str
    side: str
    status: str
    reason: str
    order_ids: list[str]
    trade_id: int | None
    exit: bool
    price: float | None
    rule: str
    why: str


def _plain(status: SignalStatus, note: str) -> tuple[str, str]:
    """(reason, rule): a risk refusal ``rule_name: text`` becomes ``refused by the rule name limit: text``."""
    m = _RULE.match(note) if status is SignalStatus.FAILED else None
    if m:
        rule, text = m.groups()
        return f"refused by the {rule.replace('_', ' ')} rule: {text}", rule
    if note:
        return note, ""
    return STATUS_WORDS.get(status, status.value.lower()), ""


def _item(p: dict[str, Any], orders: dict[int, list[str]], trades: dict[int, int]) -> SignalItem:
    sid = _sid(p)
    status = SignalStatus(p["status"])
    reason, rule = _plain(status, p.get("note", ""))
    return SignalItem(id=str(sid), ts=datetime.fromisoformat(p["ts"]), strategy=p["strategy"], symbol=p["symbol"],
                      side=p["side"], status=status.value, reason=reason, order_ids=orders.get(sid, []),
                      trade_id=trades.get(sid), exit=bool(p.get("exit")), price=p.get("price"), rule=rule,
                      why=p.get("reason", ""))


def _sid(p: dict[str, Any]) -> int:
    return signal_key_id(p["strategy"], p["symbol"], p["side"], bool(p.get("exit")), p["ts"])


def _items(ctx: ServiceContext, payloads: list[dict[str, Any]]) -> list[SignalItem]:
    ids = [_sid(p) for p in payloads]
    orders = OrderQueries(ctx.store).ids_by_signal(ids)
    trades = SqlTradeStore(ctx.store).ids_by_signal(ids)
    return [_item(p, orders, trades) for p in payloads]


def list_signals(ctx: ServiceContext, actor: Actor, *, status: str | None = None, symbol: str | None = None,
                 strategy: str | None = None, limit: int = 100, offset: int = 0) -> Page[SignalItem]:
    """Signals of every run, newest first, filtered by status, symbol and strategy."""
    actor.require(Role.VIEWER, "reading signals")
    check_page(limit, offset)
    st = choice(status, [s.value for s in SignalStatus], "status", upper=True)
    sym = symbol_value(symbol)
    rows = [p for p in SqlRunStore(ctx.store).journal_of_kind("signal")
            if (st is None or p["status"] == st) and (sym is None or p["symbol"] == sym)
            and (not strategy or p["strategy"] == strategy)]
    return Page[SignalItem](items=_items(ctx, rows[offset:offset + limit]), total=len(rows))


def signal_by_id(ctx: ServiceContext, signal_id: int) -> SignalItem | None:
    """The recorded signal with this id, ``None`` when no run journal has it."""
    for p in SqlRunStore(ctx.store).journal_of_kind("signal"):
        if _sid(p) == signal_id:
            return _items(ctx, [p])[0]
    return None
