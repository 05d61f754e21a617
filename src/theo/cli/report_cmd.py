"""`theo report` commands: the deals report (plan §7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, is_terminal, open_store
from theo.cli.tables import CENT, WIDE, Column, fitted_table, price_text, qty_text
from theo.core.errors import ConfigError
from theo.core.time import exchange_time

if TYPE_CHECKING:
    from theo.analysis.deals import Deal

report_app = typer.Typer(help="Reports from the journal: deals.", no_args_is_help=True)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a date; use YYYY-MM-DD (an ET trading date)") from None


@report_app.command("deals")
@friendly_errors
def deals_command(
    config: ConfigOption = None,
    start: Annotated[str | None, typer.Option("--from", help="First entry date, YYYY-MM-DD (ET), inclusive.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last entry date, YYYY-MM-DD (ET), inclusive.")] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="Only this strategy's trades.")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="table | csv | json | html (default: table on a terminal, else csv)",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="table: every column, whatever the width.")] = False,
) -> None:
    """Print the deals report: one row per trade with P&L, charges and how it closed.

    On a terminal it is a table fitted to the width (entry and exit in ET); piped or with --out it stays the
    full CSV (every column, for scripts), unless --format says otherwise.
    """
    from theo.analysis.deals import build_deals, last_close_marks, render_deals
    from theo.core.calendar import ET
    from theo.persistence.repositories.bars import BarRepository
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore as TradeStore

    fmt = fmt or ("table" if out is None and is_terminal() else "csv")
    if fmt not in ("table", "csv", "json", "html"):
        raise ConfigError(f"--format={fmt!r} is not supported; use table, csv, json or html")
    first, last = _day(start, "--from"), _day(end, "--to")
    if first and last and first > last:
        raise ConfigError(f"--from={first} is after --to={last}; swap them")
    cfg = get_config(config)
    engine = open_store(cfg)
    lo = datetime.combine(first, time(0), tzinfo=ET).astimezone(UTC) if first else None
    hi = datetime.combine(last + timedelta(days=1), time(0), tzinfo=ET).astimezone(UTC) if last else None
    trades = TradeStore(engine).load_trades(start=lo, end=hi, strategy=strategy)
    fills: dict[str, list] = {}  # type: ignore[type-arg]
    for ex in OrderJournal(engine).fills():
        fills.setdefault(ex.client_order_id, []).append(ex)
    marks = last_close_marks(BarRepository(engine), trades)
    deals = build_deals(trades, marks, fills)
    if fmt == "table":
        _print_table(deals, out, wide)
        return
    text = render_deals(deals, fmt)  # type: ignore[arg-type]
    if out is not None:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"{len(trades)} trades written to {out}")
    else:
        console.print(text, end="", markup=False, highlight=False, soft_wrap=True)


DEAL_COLUMNS = (Column("trade", justify="right"), Column("strategy", 3), Column("symbol"), Column("side"),
                Column("qty", justify="right"), Column("entry", justify="right"), Column("exit", 1, "right"),
                Column("net P&L", justify="right"), Column("net %", 2, "right"), Column("charges", 4, "right"),
                Column("entry (ET)", 2), Column("exit (ET)", 3), Column("status"),
                Column("how it closed", 2, max_width=24))


def _print_table(deals: Sequence[Deal], out: Path | None, wide: bool) -> None:
    if out is not None:
        raise ConfigError("--format table is for the terminal; write a file with --format csv, json or html")
    if not deals:
        console.print("no trades in this range")
        return
    rows = [{"trade": "" if d.trade_id is None else str(d.trade_id), "strategy": d.strategy, "symbol": d.symbol,
             "side": d.ss_signal_type, "qty": qty_text(d.entry_qty), "entry": price_text(d.entry_price),
             "exit": price_text(d.exit_price), "net P&L": f"{d.net_pnl.quantize(CENT):,f}",
             "net %": "" if d.net_pnl_pct is None else f"{d.net_pnl_pct.quantize(CENT):f}",
             "charges": f"{d.charges.quantize(CENT):f}", "entry (ET)": exchange_time(d.entry_date, empty=""),
             "exit (ET)": exchange_time(d.exit_date, empty=""), "status": d.status,
             "how it closed": d.comment.split(";", 1)[0]} for d in deals]
    net = sum((d.net_pnl for d in deals), Decimal(0))
    table, hidden = fitted_table(DEAL_COLUMNS, rows, None if wide else console.width,
                                 title=f"deals ({len(deals)}), net P&L {net.quantize(CENT):,f} USD")
    (Console(width=WIDE) if wide else console).print(table)
    if hidden:
        err_console.print(f"left out for width: {', '.join(hidden)} (--wide shows them, --format csv every "
                          f"column)", soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(report_app, name="report")
