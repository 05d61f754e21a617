"""`theo data bars`: print or export stored bars (or bars aggregated from stored ticks)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.core.errors import ConfigError
from theo.model.market import Bar
from theo.model.symbols import parse_symbol

FORMATS = ("table", "csv", "json")


def register(app: typer.Typer) -> None:
    """Add `theo data bars` to the `theo data` sub-app."""
    app.command("bars")(bars)


def _instant(value: str, option: str, *, end: bool) -> datetime:
    """A date (ET day; ``--to`` includes the whole day) or an ISO datetime with an offset."""
    from theo.core.calendar import ET

    try:
        d = date.fromisoformat(value)
        day = d + timedelta(days=1) if end else d
        return datetime.combine(day, time(0), tzinfo=ET)
    except ValueError:
        pass
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date (2013-10-07) or an ISO time "
                          "(2013-10-07T09:30:00-04:00)") from None
    if ts.tzinfo is None:
        raise ConfigError(f"{option} {value!r} has no UTC offset; add one (e.g. -04:00) or give a date")
    return ts


def _render(rows: list[Bar], fmt: str) -> str:
    fields = ["start", "end", "session", "open", "high", "low", "close", "volume", "tick_count", "flags"]
    recs = [{"start": b.start.isoformat(), "end": b.end.isoformat(), "session": str(b.session), "open": b.open,
             "high": b.high, "low": b.low, "close": b.close, "volume": b.volume, "tick_count": b.tick_count,
             "flags": ",".join(sorted(b.flags))} for b in rows]
    if fmt == "json":
        return json.dumps(recs, indent=1)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(recs)
    return buf.getvalue()


@friendly_errors
def bars(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="instrument symbol", show_default=False)],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="1m, 5m, 15m, 30m, 60m, any Nm, 1h or 1d")] = "5m",
    start: Annotated[str, typer.Option("--from", help="first day (ET) or ISO time with offset",
                                       show_default=False)] = "",
    end: Annotated[str, typer.Option("--to", help="last day (ET, included) or ISO time (excluded)",
                                     show_default=False)] = "",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write to this file instead of the terminal",
                                             show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Print or export bars; aggregates stored ticks when no bars of that timeframe are stored."""
    from theo.cli.progress import progress_bar
    from theo.core.calendar import get_calendar
    from theo.data.bars.sql import aggregate_sql
    from theo.data.bars.timeframes import parse_timeframe
    from theo.data.conditions import ConditionFilter

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not valid: use one of {', '.join(FORMATS)}")
    try:
        tf = parse_timeframe(timeframe)
    except ValueError as exc:
        raise ConfigError(f"--timeframe: {exc}") from None
    if not start or not end:
        raise ConfigError("give both --from and --to (dates such as 2013-10-07, or ISO times with an offset)")
    a, b = _instant(start, "--from", end=False), _instant(end, "--to", end=True)
    if b <= a:
        raise ConfigError(f"--to {end} is not after --from {start}")
    cfg = get_config(config)
    repos = open_repositories(cfg)
    sym = parse_symbol(symbol, what="--symbol")
    try:
        rows = repos.market_data.stored_bars(sym, tf.label, a, b)
        if not rows:
            stored_calendar = repos.instruments.calendar(sym)
            cal = get_calendar(cfg.market.calendar if stored_calendar is None else stored_calendar, cfg.market)
            err_console.print(f"no stored {tf.label} bars for {sym}; aggregating the stored ticks instead")
            with progress_bar(f"aggregating {sym}", unit="sessions") as bar:
                rows = aggregate_sql(repos.market_data, sym, tf, a, b, cal,
                                     ConditionFilter.from_config(cfg.marketdata.conditions),
                                     lambda done, total: bar.update(done, total)).to_bars("ticks")
    finally:
        repos.close()
    if not rows:
        err_console.print(f"no bars and no ticks stored for {sym} between {a.isoformat()} and {b.isoformat()}")
        raise typer.Exit(code=1)
    if out is not None:
        out.write_text(_render(rows, "csv" if fmt == "table" else fmt))
        err_console.print(f"wrote {len(rows)} {tf.label} bars of {sym} to {out}")
        return
    if fmt != "table":
        typer.echo(_render(rows, fmt), nl=False)
        return
    from theo.core.calendar import ET

    cells = [(r.start.astimezone(ET).strftime("%Y-%m-%d %H:%M"), str(r.session), _price(r.open), _price(r.high),
              _price(r.low), _price(r.close), f"{r.volume:,.0f}", str(r.tick_count), ",".join(sorted(r.flags)))
             for r in rows]
    table = Table(title=f"{sym} {tf.label} bars ({len(rows)})")
    names = ("start (ET)", "session", "open", "high", "low", "close", "volume", "ticks", "flags")
    widths = [max(len(col), *(len(c[i]) for c in cells)) for i, col in enumerate(names)]
    # Every column but the flags keeps its full width, so a narrow terminal shortens the flags, not a price.
    widths[-1] = max(len("flags"), min(widths[-1], console.width - sum(w + 3 for w in widths[:-1]) - 4))
    for col, width in zip(names, widths, strict=True):
        table.add_column(col, justify="left" if col in ("start (ET)", "session", "flags") else "right",
                         no_wrap=True, overflow="ellipsis", min_width=width, max_width=width)
    for c in cells:
        table.add_row(*c)
    console.print(table)


def _price(value: float) -> str:
    """A bar price with at least two decimals and every decimal the data has: ``271.00``, ``269.855``."""
    text = f"{value:g}" if abs(value) < 1e15 else f"{value:f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}" if "e" not in text else text
