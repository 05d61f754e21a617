"""`theo data download`: historical bars from Interactive Brokers or Polygon into the bar store (resumable)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.cli.data_bars_cmd import _instant
from theo.core.errors import ConfigError
from theo.model.symbols import parse_symbol

if TYPE_CHECKING:
    from theo.adapters.download import BarStore, DownloadResult
    from theo.adapters.download import Progress as DownloadProgress
    from theo.config import TheoConfig


def register(app: typer.Typer) -> None:
    """Add `theo data download` to the `theo data` sub-app."""
    app.command("download")(download)


@friendly_errors
def download(
    symbols: Annotated[list[str], typer.Argument(help="symbols, e.g. SPY AAPL MESZ6", show_default=False)],
    start: Annotated[str, typer.Option("--from", help="first day (ET) or ISO time with offset",
                                       show_default=False)],
    end: Annotated[str, typer.Option("--to", help="last day (ET, included) or ISO time (excluded); default now",
                                     show_default=False)] = "",
    bar_size: Annotated[str, typer.Option("--bar-size", "-b", help="5s, 10s, 15s, 30s, 1m, 2m, 3m, 5m, 10m, 15m, "
                                                                   "30m or 1d")] = "1m",
    what_to_show: Annotated[str, typer.Option("--what-to-show", help="TRADES, MIDPOINT, BID, ASK ...")] = "TRADES",
    rth: Annotated[bool, typer.Option("--rth/--all-hours", help="regular hours only, or pre/post-market too")] = False,
    source: Annotated[str, typer.Option("--source", help="ibkr (TWS / IB Gateway) or polygon (REST aggregates, "
                                                         "key in $POLYGON_API_KEY)")] = "ibkr",
    config: ConfigOption = None,
) -> None:
    """Download historical bars from TWS / IB Gateway or Polygon into the store; chunks already stored are
    skipped."""
    from theo.adapters.ibkr.history import bar_size as check_bar_size
    from theo.adapters.polygon.download import timespan_of

    cfg = get_config(config)
    source = source.strip().lower()
    if source not in ("ibkr", "polygon"):
        raise ConfigError(f"--source {source!r}: use ibkr or polygon")
    if source == "polygon":
        timespan_of(bar_size)
        if what_to_show.upper() != "TRADES":
            raise ConfigError(f"--what-to-show {what_to_show!r}: Polygon aggregates are built from trades only")
        cfg.polygon.api_key()  # a missing key is named before anything is opened
    else:
        check_bar_size(bar_size)
    first = _instant(start, "--from", end=False)
    last = _instant(end, "--to", end=True) if end else datetime.now(UTC)
    if last <= first:
        raise ConfigError(f"--to {end!r} must be after --from {start!r}")
    names = [parse_symbol(s) for s in symbols if s.strip()]
    repos = open_repositories(cfg)
    if source == "polygon":
        code = asyncio.run(_run_polygon(cfg, repos.market_data, names, bar_size, first, last, rth))
    else:
        code = asyncio.run(_run(cfg, repos.market_data, names, bar_size, first, last, what_to_show.upper(), rth))
    raise typer.Exit(code)


async def _run(cfg: TheoConfig, store: BarStore, symbols: list[str], bar_size: str, start: datetime, end: datetime,
               what_to_show: str, rth: bool) -> int:
    from theo.adapters.ibkr.connection import IbkrSession
    from theo.adapters.ibkr.data import IbkrMarketData
    from theo.adapters.ibkr.download import download as run_download

    ib = cfg.execution.ibkr.for_command()
    session = IbkrSession(ib)
    md = IbkrMarketData(session, ib)
    try:
        try:
            await session.connect(attempts=3)
        except ConnectionError as exc:
            err_console.print(f"[bold red]error:[/] cannot reach TWS / IB Gateway: {escape(str(exc))}",
                              soft_wrap=True)
            return 2
        with _progress(bar_size) as progress:
            results = await run_download(md, store, symbols, bar_size, start, end, what_to_show=what_to_show,
                                         use_rth=rth, progress=progress)
        _summary(results)
        console.print(f"pacing: waited {md.pacer.waited:.1f} s for IBKR's limits, {md.history.violations} pacing "
                      f"violation(s) backed off")
        return 0
    finally:
        await session.close()


async def _run_polygon(cfg: TheoConfig, store: BarStore, symbols: list[str], bar_size: str, start: datetime,
                       end: datetime, rth: bool) -> int:
    from theo.adapters.polygon.download import download as run_download
    from theo.adapters.polygon.history import PolygonHistory
    from theo.core.calendar import get_calendar

    history = PolygonHistory(cfg.polygon, calendar=get_calendar(cfg.market.calendar, cfg.market))
    with _progress(bar_size) as progress:
        results = await run_download(history, store, symbols, bar_size, start, end, regular_only=rth,
                                     progress=progress)
    _summary(results)
    console.print(f"polygon: {history.requests} request(s) to {cfg.polygon.rest_url}")
    return 0


@contextmanager
def _progress(bar_size: str) -> Iterator[DownloadProgress]:
    """A progress bar per symbol while the download runs."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(symbol: str, done: int, total: int) -> None:
            if symbol not in tasks:
                tasks[symbol] = bar.add_task(f"{symbol} {bar_size}", total=total)
            bar.update(tasks[symbol], completed=done)

        yield progress


def _summary(results: list[DownloadResult]) -> None:
    table = Table("symbol", "chunks", "asked", "already stored", "market closed", "bars received", "bars new")
    for r in results:
        table.add_row(r.symbol, str(r.chunks), str(r.requested), str(r.skipped_stored), str(r.skipped_closed),
                      str(r.received), str(r.written))
    console.print(table)
