"""`theo report` commands: the deals report (plan §7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_store
from theo.core.errors import ConfigError

if TYPE_CHECKING:
    from theo.persistence.repositories.bars import BarRepository

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
    fmt: Annotated[str, typer.Option("--format", help="csv | json | html")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the deals report: one row per trade with P&L, charges and how it closed."""
    from theo.analysis.deals import build_deals, render_deals
    from theo.core.calendar import ET
    from theo.persistence.repositories.bars import BarRepository
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore as TradeStore

    if fmt not in ("csv", "json", "html"):
        raise ConfigError(f"--format={fmt!r} is not supported; use csv, json or html")
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
    marks = _last_closes(BarRepository(engine), {t.symbol for t in trades if t.is_open})
    text = render_deals(build_deals(trades, marks, fills), fmt)  # type: ignore[arg-type]
    if out is not None:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"{len(trades)} trades written to {out}")
    else:
        console.print(text, end="", markup=False, highlight=False, soft_wrap=True)


def _last_closes(bars: BarRepository, symbols: set[str]) -> dict[str, Decimal]:
    """Running trades are marked at the newest stored bar close of their symbol."""
    out: dict[str, Decimal] = {}
    for sym in sorted(symbols):
        close = bars.last_close(sym)
        if close is not None:
            out[sym] = Decimal(repr(close))
    return out


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(report_app, name="report")
