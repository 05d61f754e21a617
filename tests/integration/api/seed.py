"""Records for the API tests, written through the real repositories: trades, a run's heartbeat, orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from theo.model.enums import OrderType, Side
from theo.model.orders import Order, OrderRequest
from theo.model.trades import ExitReason, Trade
from theo.persistence.repositories.orders import SqlOrderJournal
from theo.persistence.repositories.runs import SqlRunStore
from theo.persistence.repositories.trades import SqlTradeStore

D = Decimal


def trade(store: Engine, symbol: str, side: Side, qty: str, entry: str, entry_ts: datetime, *,
          exit_price: str | None = None, exit_ts: datetime | None = None, charge: str = "0.5",
          strategy: str = "s1") -> Trade:
    """Save a trade with one entry fill (and one exit fill that closes it when ``exit_price`` is given)."""
    t = Trade(strategy=strategy, symbol=symbol, side=side, planned_qty=D(qty), entry_order_id=f"e-{symbol}-{entry_ts}")
    t.add_entry_fill(D(qty), D(entry), D(charge), entry_ts)
    if exit_price is not None and exit_ts is not None:
        t.add_exit_fill(D(qty), D(exit_price), D(charge), exit_ts)
        t.close(ExitReason.PROFIT_TARGET, exit_ts)
    SqlTradeStore(store).save(t, exit_ts or entry_ts, "test")
    return t


def running(store: Engine, now: datetime, counters: dict[str, Any], *, mode: str = "paper",
            feed: str = "synthetic") -> int:
    """A run row with a fresh heartbeat at ``now`` and ``counters`` (as ``theo run`` writes them)."""
    runs = SqlRunStore(store)
    run_id = runs.open(mode, feed, "", now, crashed=None)
    runs.write(run_id, [], now, counters, {}, "running", None)
    return run_id


def working_order(store: Engine, cid: str, symbol: str, limit: str, at: datetime) -> None:
    order = Order(cid, OrderRequest(symbol, Side.BUY, D(5), OrderType.LIMIT, limit_price=D(limit)), created_at=at,
                  updated_at=at)
    SqlOrderJournal(store, broker="sim").record_intent(order, at)
