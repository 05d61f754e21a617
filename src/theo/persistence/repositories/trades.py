"""Trades, their events and the daily P&L in SQL (tables of ``persistence/models/trades.py``).

Writes happen after the order has been handed to the broker, never before: the order journal already
holds the intent, and :meth:`TradeStore.load_trades` with the journal rebuilds a trade after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Engine, Table, case, func, insert, select, update

from theo.model.enums import Side
from theo.model.ledger import PnL
from theo.model.money import ZERO
from theo.model.trades import ExitReason, Trade, TradeStatus
from theo.persistence.db import transaction
from theo.persistence.models.trades import PnlDailyRow, TradeEventRow, TradeRow
from theo.persistence.prepared import HeldConnection, PreparedInsert, PreparedUpdate


def _norm(v: Decimal | None) -> Decimal | None:
    if v is None:
        return None
    d = Decimal(v)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _fields(t: Trade, now: datetime) -> dict[str, Any]:
    return {"account": t.account, "strategy": t.strategy, "ss_type": t.ss_type,
            "ss_signal_type": "Long" if t.side is Side.BUY else "Short", "symbol": t.symbol,
            "side": t.side.value, "status": t.status.value, "planned_qty": t.planned_qty, "entry_qty": t.entry_qty,
            "exit_qty": t.exit_qty, "entry_price": t.entry_price, "exit_price": t.exit_price, "stop": t.stop,
            "initial_stop": t.initial_stop, "target": t.target, "trailing_pct": t.trailing_pct, "risk": t.risk,
            "realised_pnl": t.realised, "charges": t.charges, "net_pnl": t.realised - t.charges,
            "exit_reason": t.exit_reason.value if t.exit_reason else "", "comment": t.comment,
            "multiplier": t.multiplier, "entry_order_id": t.entry_order_id,
            "exit_order_ids": ",".join(t.exit_orders), "signal_id": t.signal_id, "entry_ts": t.entry_ts,
            "exit_ts": t.exit_ts, "updated_at": now}


@dataclass(frozen=True, slots=True)
class TradeFilter:
    """Which trades a query selects: ``open`` (Waiting or Running) or ``closed``; an entry in ``[start, end)``;
    ``filled`` keeps only trades with an entry fill (the deals report's rows)."""

    status: str | None = None
    symbol: str | None = None
    strategy: str | None = None
    side: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    filled: bool = False


@dataclass(frozen=True, slots=True)
class TradeTotals:
    """Sums over the trades a filter selects (stored realised P&L: open trades count what they realised)."""

    count: int
    open: int
    realised: Decimal
    charges: Decimal
    net: Decimal
    wins: int
    losses: int


def _where(q: Any, f: TradeFilter) -> Any:
    if f.status == "open":
        q = q.where(TradeRow.status != TradeStatus.CLOSED.value)
    elif f.status == "closed":
        q = q.where(TradeRow.status == TradeStatus.CLOSED.value)
    if f.symbol:
        q = q.where(TradeRow.symbol == f.symbol)
    if f.strategy:
        q = q.where(TradeRow.strategy == f.strategy)
    if f.side:
        q = q.where(TradeRow.side == f.side)
    if f.start is not None:
        q = q.where(TradeRow.entry_ts >= f.start)
    if f.end is not None:
        q = q.where(TradeRow.entry_ts < f.end)
    if f.filled:
        q = q.where(TradeRow.entry_qty > 0)
    return q


TRADES = cast(Table, TradeRow.__table__)
TRADE_EVENTS = cast(Table, TradeEventRow.__table__)
_COLUMNS = tuple(_fields(Trade(strategy="", symbol="", side=Side.BUY, planned_qty=ZERO, entry_order_id=""),
                         datetime(2000, 1, 1, tzinfo=UTC)))


class SqlTradeStore:
    """Trades and their events in SQLite or PostgreSQL (the trade manager's ``TradeStore``).

    Writes are Core statements on a held connection (prepared ones on SQLite): a trade is saved after each of
    its orders is handed to the broker, on the path of the next one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held = HeldConnection(engine)
        sqlite = engine.dialect.name == "sqlite"
        self._insert_trade = PreparedInsert(TRADES, engine.dialect) if sqlite else None
        self._update_trade = PreparedUpdate(TRADES, engine.dialect, _COLUMNS, "id") if sqlite else None
        self._insert_event = PreparedInsert(TRADE_EVENTS, engine.dialect) if sqlite else None

    def close(self) -> None:
        """Give back the connection kept for writes (reopened on the next write)."""
        self._held.close()

    def save(self, trade: Trade, now: datetime, kind: str, payload: dict[str, Any] | None = None,
             actor: str = "engine") -> int:
        """Insert or update ``trade`` and append one event, in one transaction; return the trade id."""
        fields = _fields(trade, now)
        insert_trade, update_trade, insert_event = self._insert_trade, self._update_trade, self._insert_event
        with self._held.begin() as conn:
            if trade.id is None:
                row = {"created_at": trade.created_at or now, **fields}
                if insert_trade is not None and insert_trade.covers(row):
                    key = insert_trade.run(conn, [row])
                else:
                    key = int(conn.execute(insert(TRADES).values(row).returning(TRADES.c.id)).scalar_one())
            else:
                key = trade.id
                if update_trade is not None:
                    changed = update_trade.run(conn, (*fields.values(), key))
                else:
                    changed = conn.execute(update(TRADES).where(TRADES.c.id == key).values(fields)).rowcount
                if changed != 1:
                    raise KeyError(f"trade {key} is not in the store")
            event = {"trade_id": key, "ts": now, "kind": kind, "payload": payload or {}, "actor": actor}
            if insert_event is not None and insert_event.covers(event):
                insert_event.run(conn, [event])
            else:
                conn.execute(insert(TRADE_EVENTS), event)
        trade.id = int(key)
        return trade.id

    def save_daily(self, account: str, day: date, rows: Iterable[tuple[str, PnL, int]], equity: Decimal | None,
                   now: datetime) -> None:
        """Upsert the day's P&L per strategy (``""`` = the account)."""
        with transaction(self.engine) as s:
            for strategy, pnl, count in rows:
                row = s.get(PnlDailyRow, (account, day, strategy))
                if row is None:
                    row = PnlDailyRow(account=account, day=day, strategy=strategy)
                    s.add(row)
                row.realised, row.unrealised, row.charges, row.net = pnl.realised, pnl.unrealised, pnl.charges, \
                    pnl.net
                row.trades, row.updated_at = count, now
                row.equity = equity if strategy == "" else None

    def load_trades(self, *, start: datetime | None = None, end: datetime | None = None, strategy: str | None = None,
                    open_only: bool = False) -> list[Trade]:
        """Trades by entry time (``start`` <= entry < ``end``), oldest first."""
        with transaction(self.engine) as s:
            q = select(TradeRow).order_by(TradeRow.entry_ts, TradeRow.id)
            if start is not None:
                q = q.where(TradeRow.entry_ts >= start)
            if end is not None:
                q = q.where(TradeRow.entry_ts < end)
            if strategy:
                q = q.where(TradeRow.strategy == strategy)
            if open_only:
                q = q.where(TradeRow.status != TradeStatus.CLOSED.value)
            return [_to_trade(r) for r in s.scalars(q)]

    def page(self, f: TradeFilter, limit: int, offset: int, *, by_entry: bool = False,
             newest_first: bool = True, count: bool = True) -> tuple[list[Trade], int]:
        """One page of the trades ``f`` selects and how many it selects in all (-1 without ``count``).

        Ordered by id (creation), or with ``by_entry`` by entry time then id (the deals report's order).
        """
        with transaction(self.engine) as s:
            total = int(s.scalar(_where(select(func.count()).select_from(TradeRow), f)) or 0) if count else -1
            keys = (TradeRow.entry_ts, TradeRow.id) if by_entry else (TradeRow.id,)
            q = _where(select(TradeRow), f).order_by(*(k.desc() if newest_first else k for k in keys))
            rows = s.scalars(q.limit(limit).offset(offset)).all() if limit else s.scalars(q).all()
            return [_to_trade(r) for r in rows], total

    def iter_trades(self, f: TradeFilter, chunk: int = 5000) -> Iterable[list[Trade]]:
        """Every trade ``f`` selects, by entry time then id, in chunks (keyset pages: constant cost each; Core
        rows, for exports of the whole store)."""
        after: tuple[datetime, int] | None = None
        t = TRADES.c
        while True:
            q = _where(select(TRADES), f).where(t.entry_ts.is_not(None))
            if after is not None:
                q = q.where((t.entry_ts > after[0]) | ((t.entry_ts == after[0]) & (t.id > after[1])))
            with self.engine.connect() as conn:
                rows = conn.execute(q.order_by(t.entry_ts, t.id).limit(chunk)).all()
            if not rows:
                return
            yield [_to_trade(cast(TradeRow, r)) for r in rows]
            after = (rows[-1].entry_ts, rows[-1].id)

    def totals(self, f: TradeFilter) -> TradeTotals:
        """Count, realised P&L, charges, net P&L, winners and losers of the trades ``f`` selects."""
        closed = TradeRow.status == TradeStatus.CLOSED.value
        q = _where(select(func.count(), func.sum(case((closed, 0), else_=1)), func.sum(TradeRow.realised_pnl),
                          func.sum(TradeRow.charges), func.sum(TradeRow.net_pnl),
                          func.sum(case((closed & (TradeRow.net_pnl > 0), 1), else_=0)),
                          func.sum(case((closed & (TradeRow.net_pnl < 0), 1), else_=0))).select_from(TradeRow), f)
        with transaction(self.engine) as s:
            n, n_open, realised, charges, net, wins, losses = s.execute(q).one()
        return TradeTotals(int(n or 0), int(n_open or 0), _money(realised), _money(charges), _money(net),
                           int(wins or 0), int(losses or 0))

    def get(self, trade_id: int) -> Trade | None:
        with transaction(self.engine) as s:
            row = s.get(TradeRow, trade_id)
            return None if row is None else _to_trade(row)

    def ids_by_signal(self, signal_ids: Sequence[int]) -> dict[int, int]:
        """The trade id of each signal id that opened one."""
        out: dict[int, int] = {}
        with transaction(self.engine) as s:
            for lo in range(0, len(signal_ids), 500):
                q = select(TradeRow.signal_id, TradeRow.id).where(TradeRow.signal_id.in_(signal_ids[lo:lo + 500]))
                out.update({int(sid): int(tid) for sid, tid in s.execute(q) if sid is not None})
        return out

    def touching(self, symbol: str, start: datetime, end: datetime) -> list[Trade]:
        """Trades of ``symbol`` entered before ``end`` and not closed before ``start`` (a chart's markers)."""
        with transaction(self.engine) as s:
            q = (select(TradeRow).where(TradeRow.symbol == symbol, TradeRow.entry_ts < end,
                                        (TradeRow.exit_ts.is_(None)) | (TradeRow.exit_ts >= start))
                 .order_by(TradeRow.entry_ts, TradeRow.id))
            return [_to_trade(r) for r in s.scalars(q)]

    def events(self, trade_id: int) -> list[dict[str, Any]]:
        with transaction(self.engine) as s:
            rows = s.scalars(select(TradeEventRow).where(TradeEventRow.trade_id == trade_id)
                             .order_by(TradeEventRow.id))
            return [{"ts": r.ts, "kind": r.kind, "payload": r.payload, "actor": r.actor} for r in rows]


def _money(v: Decimal | float | None) -> Decimal:
    """A summed money column: SQLite sums Numeric as a float, so it is rounded back to the column's scale."""
    if v is None:
        return ZERO
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    return d.quantize(Decimal("0.00000001")).normalize() + 0


def _to_trade(r: TradeRow) -> Trade:
    t = Trade(strategy=r.strategy, symbol=r.symbol, side=Side(r.side), planned_qty=_norm(r.planned_qty) or ZERO,
              entry_order_id=r.entry_order_id, multiplier=_norm(r.multiplier) or Decimal(1),
              stop=_norm(r.stop), target=_norm(r.target),
              trailing_pct=_norm(r.trailing_pct), ss_type=r.ss_type, signal_id=r.signal_id, account=r.account,
              id=r.id, status=TradeStatus(r.status), initial_stop=_norm(r.initial_stop),
              exit_reason=ExitReason(r.exit_reason) if r.exit_reason else None, entry_ts=r.entry_ts,
              exit_ts=r.exit_ts, created_at=r.created_at)
    t.restore(entry_qty=_norm(r.entry_qty) or ZERO, entry_price=_norm(r.entry_price),
              exit_qty=_norm(r.exit_qty) or ZERO, exit_price=_norm(r.exit_price),
              realised=_norm(r.realised_pnl) or ZERO, charges=_norm(r.charges) or ZERO)
    t.exit_orders = {cid: t.exit_reason or ExitReason.MANUAL for cid in r.exit_order_ids.split(",") if cid}
    base = t.comment
    extra = r.comment[len(base):].lstrip("; ") if r.comment.startswith(base) else r.comment
    t.comments = [c for c in extra.split("; ") if c] if extra else []
    return t
