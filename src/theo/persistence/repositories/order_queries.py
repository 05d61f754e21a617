"""Reads of the order journal for the dashboard: filtered pages, orders by id, by signal and by trade."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from theo.model.events import Execution
from theo.model.orders import OPEN_STATUSES, Order
from theo.model.trades import Trade
from theo.persistence.db import transaction
from theo.persistence.models.orders import FillRow, OrderEventRow, OrderRow
from theo.persistence.models.trades import TradeRow
from theo.persistence.repositories.base import Repository
from theo.persistence.repositories.orders import fill_to_execution, row_to_order

_CHUNK = 500


def _with_fills(s: Session, rows: Sequence[OrderRow]) -> list[Order]:
    ids = [r.client_order_id for r in rows]
    by_order: dict[str, list[Execution]] = defaultdict(list)
    for lo in range(0, len(ids), _CHUNK):
        for f in s.scalars(select(FillRow).where(FillRow.client_order_id.in_(ids[lo:lo + _CHUNK]))
                           .order_by(FillRow.id)):
            by_order[f.client_order_id].append(fill_to_execution(f))
    return [row_to_order(r, by_order.get(r.client_order_id, [])) for r in rows]


class OrderQueries(Repository):
    """Orders as the dashboard lists them (each with its fills)."""

    def page(self, *, status: str | None = None, symbol: str | None = None, limit: int = 100, offset: int = 0,
             newest_first: bool = True) -> tuple[list[Order], int]:
        """Orders of ``status`` (an order status, or ``open`` for every working one) and ``symbol``, by creation
        time, and how many match in all."""
        conds: list[Any] = []
        if status == "open":
            conds.append(OrderRow.status.in_([st.value for st in OPEN_STATUSES]))
        elif status:
            conds.append(OrderRow.status == status)
        if symbol:
            conds.append(OrderRow.symbol == symbol)
        keys = (OrderRow.created_at, OrderRow.client_order_id)
        with transaction(self.engine) as s:
            total = int(s.scalar(select(func.count()).select_from(OrderRow).where(*conds)) or 0)
            q = select(OrderRow).where(*conds).order_by(*(k.desc() if newest_first else k for k in keys))
            rows = s.scalars(q.limit(limit).offset(offset)).all()
            return _with_fills(s, rows), total

    def by_ids(self, ids: Sequence[str]) -> list[Order]:
        """The orders with these client order ids (unknown ones left out), oldest first."""
        out: list[Order] = []
        with transaction(self.engine) as s:
            for lo in range(0, len(ids), _CHUNK):
                rows = s.scalars(select(OrderRow).where(OrderRow.client_order_id.in_(ids[lo:lo + _CHUNK]))).all()
                out.extend(_with_fills(s, rows))
        return sorted(out, key=lambda o: (o.created_at is None, o.created_at, o.client_order_id))

    def ids_by_signal(self, signal_ids: Sequence[int]) -> dict[int, list[str]]:
        """The client order ids born from each signal id, oldest first."""
        out: dict[int, list[str]] = defaultdict(list)
        with transaction(self.engine) as s:
            for lo in range(0, len(signal_ids), _CHUNK):
                q = (select(OrderRow.signal_id, OrderRow.client_order_id)
                     .where(OrderRow.signal_id.in_(signal_ids[lo:lo + _CHUNK]))
                     .order_by(OrderRow.created_at, OrderRow.client_order_id))
                for sid, cid in s.execute(q):
                    if sid is not None:
                        out[int(sid)].append(cid)
        return dict(out)

    def trade_ids(self, orders: Sequence[Order]) -> dict[str, int]:
        """The trade each order belongs to (as its entry or one of its exits), by client order id.

        Entries are found by their unique id and bracket legs by their signal; an exit sent for another
        signal (an exit rule) is looked up among its strategy's trades of the symbol.
        """
        out: dict[str, int] = {}
        with transaction(self.engine) as s:
            for lo in range(0, len(orders), _CHUNK):
                chunk = orders[lo:lo + _CHUNK]
                cids = {o.client_order_id for o in chunk}
                sids = sorted({o.request.signal_id for o in chunk if o.request.signal_id is not None})
                q = select(TradeRow.id, TradeRow.entry_order_id, TradeRow.exit_order_ids).where(
                    or_(TradeRow.entry_order_id.in_(cids), TradeRow.signal_id.in_(sids)))
                self._match(s.execute(q), cids, out)
            for o in orders:
                if o.client_order_id in out:
                    continue
                q = select(TradeRow.id, TradeRow.entry_order_id, TradeRow.exit_order_ids).where(
                    TradeRow.strategy == o.request.strategy, TradeRow.symbol == o.request.symbol,
                    TradeRow.exit_order_ids.contains(o.client_order_id))
                self._match(s.execute(q), {o.client_order_id}, out)
        return out

    @staticmethod
    def _match(rows: Any, cids: set[str], out: dict[str, int]) -> None:
        for tid, entry, exits in rows:
            for cid in (entry, *exits.split(",")):
                if cid in cids:
                    out[cid] = int(tid)

    def events(self, client_order_id: str) -> list[dict[str, Any]]:
        """The order's events, oldest first."""
        with transaction(self.engine) as s:
            rows = s.scalars(select(OrderEventRow).where(OrderEventRow.client_order_id == client_order_id)
                             .order_by(OrderEventRow.id)).all()
            return [{"ts": r.ts, "kind": r.kind, "status_from": r.status_from, "status_to": r.status_to,
                     "payload": r.payload, "source": r.source} for r in rows]

    def fills_of(self, trades: Sequence[Trade]) -> dict[str, list[Execution]]:
        """The executions of the trades' entry and exit orders, by client order id (Core rows: an export reads
        one per order of every deal)."""
        ids = [cid for t in trades for cid in (t.entry_order_id, *t.exit_orders) if cid]
        out: dict[str, list[Execution]] = defaultdict(list)
        fills = cast(Table, FillRow.__table__)
        with self.engine.connect() as conn:
            for lo in range(0, len(ids), _CHUNK):
                q = select(fills).where(fills.c.client_order_id.in_(ids[lo:lo + _CHUNK])).order_by(fills.c.id)
                for row in conn.execute(q):
                    out[row.client_order_id].append(fill_to_execution(cast(FillRow, row)))
        return dict(out)
