"""`theo orders` and `theo positions`: what the journal and the broker know about orders and positions."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_store
from theo.cli.tables import WIDE, Column, OutputFormat, fitted_table, price_text, qty_text, short_ids, write_records
from theo.config import TheoConfig
from theo.core.time import exchange_time
from theo.model.orders import Order, OrderRequest

_num = qty_text
ORDER_COLUMNS = (Column("id"), Column("time (ET)", 2), Column("symbol"), Column("side"),
                 Column("qty", justify="right"), Column("type", 1), Column("price", 0, "right"),
                 Column("tif", 5), Column("status"), Column("filled", 1, "right"), Column("avg price", 1, "right"),
                 Column("fills", 4, "right"), Column("tag", 3), Column("reason", 3, max_width=32))


def _price(r: OrderRequest) -> str:
    """The order's own price: its limit, its stop (``stop 10.00 limit 9.95``) or its trail."""
    if r.trail_amount:
        return f"trail {price_text(r.trail_amount)}"
    if r.trail_percent:
        return f"trail {_num(r.trail_percent)}%"
    if r.stop_price is not None and r.limit_price is not None:
        return f"{price_text(r.stop_price)} / {price_text(r.limit_price)}"
    return price_text(r.stop_price if r.stop_price is not None else r.limit_price)


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else _num(value)


def _record(o: Order) -> dict[str, Any]:
    """An order as plain data for CSV and JSON: full id, exact values, UTC times."""
    r = o.request
    return {"client_order_id": o.client_order_id, "created_at": o.created_at.isoformat() if o.created_at else "",
            "symbol": r.symbol, "side": r.side.value, "quantity": _num(r.quantity), "type": r.order_type.value,
            "limit_price": _exact(r.limit_price), "stop_price": _exact(r.stop_price),
            "trail_amount": _exact(r.trail_amount), "trail_percent": _exact(r.trail_percent), "tif": r.tif.value,
            "status": o.status.value, "filled_qty": _num(o.filled_qty), "avg_fill_price": _exact(o.avg_fill_price),
            "fills": [{"exec_id": f.exec_id, "quantity": _num(f.quantity), "price": _num(f.price),
                       "ts": f.ts.isoformat()} for f in o.fills],
            "tag": str(r.tag), "reason": o.reason}


@friendly_errors
def orders_command(
    config: ConfigOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only orders still open (working, pending, unknown).")]
    = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table (for people), csv or json (full ids, "
                                              "UTC times)")] = OutputFormat.table,
    wide: Annotated[bool, typer.Option("--wide", help="Full order ids and every column, whatever the width.")]
    = False,
) -> None:
    """List orders with their state and fills (ids shortened, columns fitted to the terminal; see --wide)."""
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

    cfg = get_config(config)
    orders = OrderJournal(open_store(cfg)).load_orders(open_only=open_only)
    if fmt is not OutputFormat.table:
        write_records([_record(o) for o in orders], fmt)
        return
    if not orders:
        console.print("no open orders" if open_only else "no orders in the journal")
        return
    ids = {o.client_order_id: o.client_order_id for o in orders} if wide else short_ids(
        o.client_order_id for o in orders)
    rows = []
    for o in orders:
        r = o.request
        rows.append({"id": ids[o.client_order_id], "time (ET)": exchange_time(o.created_at), "symbol": r.symbol,
                     "side": r.side.value, "qty": _num(r.quantity), "type": r.order_type.value,
                     "price": _price(r), "tif": r.tif.value,
                     "status": o.status.value, "filled": _num(o.filled_qty), "avg price": price_text(o.avg_fill_price),
                     "fills": str(len(o.fills)), "tag": str(r.tag), "reason": o.reason})
    title = f"{'open ' if open_only else ''}orders ({len(orders)})"
    table, hidden = fitted_table(ORDER_COLUMNS, rows, None if wide else console.width, title=title)
    (Console(width=WIDE) if wide else console).print(table)
    notes = ["ids shortened"] if any(k != v for k, v in ids.items()) else []
    notes += [f"left out for width: {', '.join(hidden)}"] if hidden else []
    if notes:
        err_console.print(f"{'; '.join(notes)} (--wide shows everything, --format json the full records)",
                          soft_wrap=True, highlight=False)


@friendly_errors
def positions_command(config: ConfigOption = None) -> None:
    """Show positions as the broker and the journal see them, and any difference."""
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

    cfg = get_config(config)
    journal = OrderJournal(open_store(cfg)).positions()
    broker: dict[str, Decimal] | None = None
    note = ""
    if cfg.execution.broker == "simulated":
        from theo.adapters.sim.state import load_state, state_path

        path = state_path(cfg.app.data_dir, cfg.execution.sim.state_file)
        if path.exists():
            st = load_state(path, cfg.execution.sim.initial_cash)
            broker = {k: p.quantity for k, p in st.positions.items() if p.quantity != 0}
        else:
            note = f"(no simulated broker state at {path} yet: broker positions unknown)"
    else:
        broker, note = asyncio.run(_ibkr_positions(cfg))
    table = Table(title="positions")
    for col in ("symbol", "journal", "broker", "difference"):
        table.add_column(col)
    diffs = 0
    for sym in sorted(set(journal) | set(broker or {})):
        j = journal.get(sym, Decimal(0))
        if broker is None:
            table.add_row(sym, _num(j), "?", "")
            continue
        b = broker.get(sym, Decimal(0))
        diffs += j != b
        table.add_row(sym, _num(j), _num(b), "" if j == b else f"[bold red]{_num(j - b)}[/]")
    if table.row_count:
        console.print(table)
    else:
        console.print("no positions")
    if note:
        console.print(note)
    if broker is not None:
        console.print("journal and broker agree" if not diffs else
                      f"[bold red]{diffs} position(s) differ[/]: the engine reconciles on start (`theo run`)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("orders")(orders_command)
    app.command("positions")(positions_command)


async def _ibkr_positions(cfg: TheoConfig) -> tuple[dict[str, Decimal] | None, str]:
    """IBKR's positions of the configured account, read on a short look-only connection ([execution.ibkr]
    command_client_id, so it works beside a running ``theo run``); ``None`` and why when TWS is not reachable."""
    from theo.adapters.ibkr.connection import IbkrSession
    from theo.adapters.ibkr.parsing import dec, symbol_of

    ib = cfg.execution.ibkr.for_command(connect_timeout_seconds=min(cfg.execution.ibkr.connect_timeout_seconds, 5.0))
    session = IbkrSession(ib, readonly=True)  # look-only: any account of the login may be read
    try:
        await session.connect(attempts=2)
        held = {symbol_of(p.contract): dec(p.position) or Decimal(0)
                for p in session.ib.positions(session.account)}
        return {k: v for k, v in held.items() if v}, f"(IBKR account {session.account} at {ib.host}:{ib.port})"
    except ConnectionError as exc:
        return None, f"(IBKR not reachable, broker positions unknown: {exc})"
    finally:
        await session.close()
