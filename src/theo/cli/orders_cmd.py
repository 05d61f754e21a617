"""`theo orders` and `theo positions`: what the journal and the broker know about orders and positions."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_store
from theo.config import TheoConfig


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _px(value: Decimal | None) -> str:
    """A price with at least two decimals (271.60, not 271.6); finer ticks and averages keep theirs."""
    if value is None:
        return ""
    text = _num(value)
    decimals = len(text.partition(".")[2])
    return f"{value:.2f}" if decimals < 2 else text


@friendly_errors
def orders_command(
    config: ConfigOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only orders still open (working, pending, unknown).")]
    = False,
) -> None:
    """List orders with their state and fills."""
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

    cfg = get_config(config)
    orders = OrderJournal(open_store(cfg)).load_orders(open_only=open_only)
    if not orders:
        console.print("no open orders" if open_only else "no orders in the journal")
        return
    table = Table(title=f"{'open ' if open_only else ''}orders ({len(orders)})")
    for col in ("client order id", "symbol", "side", "qty", "type", "limit", "stop", "tif", "status", "filled",
                "avg price", "fills", "tag", "reason"):
        table.add_column(col, overflow="fold")
    for o in orders:
        r = o.request
        stop = r.stop_price
        trail = f"trail {_px(r.trail_amount)}" if r.trail_amount else f"trail {_num(r.trail_percent)}%" \
            if r.trail_percent else _px(stop)
        fills = ", ".join(f"{_num(f.quantity)}@{_px(f.price)}" for f in o.fills)
        table.add_row(o.client_order_id, r.symbol, r.side.value, _num(r.quantity), r.order_type.value,
                      _px(r.limit_price), trail, r.tif.value, o.status.value, _num(o.filled_qty),
                      _px(o.avg_fill_price.quantize(Decimal("0.0001")) if o.avg_fill_price is not None else None),
                      fills, r.tag, o.reason)
    console.print(table)


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
