"""`theo data actions`: import, list, fetch and detect corporate actions (splits, dividends, symbol changes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.model.reference import CorporateAction
from theo.model.symbols import parse_symbol

actions_app = typer.Typer(help="Corporate actions: splits, reverse splits, dividends, symbol changes.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `theo data actions ...` to the `theo data` sub-app."""
    app.add_typer(actions_app, name="actions")


@actions_app.command("import")
@friendly_errors
def import_actions(
    file: Annotated[Path, typer.Argument(help="CSV with columns symbol, kind, ex_date[, ratio, amount, pay_date, "
                                              "new_symbol, source, note]", show_default=False)],
    config: ConfigOption = None,
) -> None:
    """Import corporate actions from a CSV file into the store (all rows or none; re-importing changes nothing)."""
    from theo.data.actions_csv import read_actions_csv

    actions = read_actions_csv(file)
    if not actions:
        raise ConfigError(f"{file}: no actions in the file (only a header?)")
    written = open_repositories(get_config(config)).corporate_actions.save_actions(actions)
    symbols = sorted({a.symbol for a in actions})
    console.print(f"{file}: {len(actions)} actions of {len(symbols)} symbol(s) ({', '.join(symbols[:10])}"
                  f"{' ...' if len(symbols) > 10 else ''}); {written} new or changed, "
                  f"{len(actions) - written} already stored", highlight=False)


@actions_app.command("list")
@friendly_errors
def list_actions(
    symbol: Annotated[str | None, typer.Argument(help="symbol; without it, every symbol with its count",
                                                 show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
    config: ConfigOption = None,
) -> None:
    """List the stored corporate actions of SYMBOL, oldest first."""
    repo = open_repositories(get_config(config)).corporate_actions
    if symbol is None:
        counts = repo.symbols()
        if not counts:
            console.print("no corporate actions stored; import some with `theo data actions import FILE`")
            return
        for s, n in counts.items():
            typer.echo(f"{s}\t{n}")
        return
    sym = parse_symbol(symbol, what="symbol")
    # a symbol change is stored under the old ticker; the new one's listing shows it too (it joins the history)
    actions = sorted([*repo.actions(sym), *(c for c in repo.changes_into(sym) if c.symbol != sym)],
                     key=lambda a: (a.ex_date, a.kind.value, a.symbol))
    if fmt == "csv":
        typer.echo(actions_csv(actions), nl=False)
        return
    if fmt != "table":
        raise ConfigError(f"--format {fmt!r} is unknown; use table or csv")
    if not actions:
        console.print(f"no corporate actions of {sym} stored; import them with `theo data actions import FILE` "
                      f"or fetch them with `theo data actions fetch {sym}`", highlight=False)
        return
    table = Table(title=f"Corporate actions of {sym} (ex-date: first session on the new basis; "
                        "splits as new:old shares)")
    for col in ("ex-date", "kind", "figure", "pay date", "source"):
        table.add_column(col, no_wrap=True)
    table.add_column("note")
    for a in actions:
        figure = a.figure if a.symbol == sym else f"{a.symbol} {a.figure}"  # a change into SYMBOL: from where
        table.add_row(str(a.ex_date), a.kind.value, figure, str(a.pay_date or ""), a.source, a.note)
    console.print(table)


def actions_csv(actions: list[CorporateAction]) -> str:
    """Actions in the import format (so a listing can be edited and imported again)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["symbol", "kind", "ex_date", "ratio", "amount", "pay_date", "new_symbol", "source", "note"])
    for a in actions:
        w.writerow([a.symbol, a.kind.value, a.ex_date, "" if a.ratio is None else f"{a.ratio.normalize():f}",
                    "" if a.amount is None else f"{a.amount.normalize():f}", a.pay_date or "", a.new_symbol or "",
                    a.source, a.note])
    return buf.getvalue()


@actions_app.command("detect")
@friendly_errors
def detect(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="bar file (raw prices)")] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", "-s", help="symbol (stored bars, or the file's)")] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="stored bars of this timeframe")] = "1d",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write the suggestions as an importable CSV "
                                             "(check them first)")] = None,
    config: ConfigOption = None,
) -> None:
    """SUGGEST splits from overnight price gaps of raw bars. Nothing is stored or adjusted: check each suggestion
    against the company's announcement, then `theo data actions import` it."""
    from theo.data.split_detect import suggest_splits
    from theo.indicators.source import bars_from_file, bars_from_store
    from theo.model.enums import Adjustment

    if file is None and symbol is None:
        raise ConfigError("give --file BARS.csv, or --symbol S [--timeframe 1d] to read stored bars")
    sym = parse_symbol(symbol, what="--symbol") if symbol else None
    if file is not None:
        loaded = bars_from_file(file, sym, None, adjust=Adjustment.NONE)
    else:
        assert sym is not None
        loaded = bars_from_store(open_repositories(get_config(config)).market_data, sym, timeframe,
                                 adjust=Adjustment.NONE)
    bars = loaded.bars
    found = suggest_splits(bars.start_us, bars.open, bars.close)
    console.print(f"SUGGESTED splits of {bars.symbol} from price gaps in {loaded.source} (not stored; a gap can be "
                  f"a crash or a rally: verify each one):", highlight=False)
    if not found:
        console.print("  none: no overnight gap looks like a split ratio")
    for s in found:
        console.print(f"  {s.ex_date} {s.kind.value} {s.ratio_text}: close {s.previous_close:g} -> open "
                      f"{s.open:g} ({s.error_pct:.1f}% from the exact ratio)", highlight=False)
    if out is not None:
        rows = [CorporateAction(bars.symbol, s.kind, s.ex_date, ratio=s.ratio_decimal, source="csv",
                                note=f"detected from a price gap {s.previous_close:g} -> {s.open:g}; verify")
                for s in found]
        out.write_text(actions_csv(rows), encoding="utf-8")
        err_console.print(f"wrote {len(rows)} suggestion(s) to {out}; check them, then "
                          f"`theo data actions import {out}`", highlight=False)


@actions_app.command("fetch")
@friendly_errors
def fetch(
    symbols: Annotated[list[str], typer.Argument(help="symbols, e.g. AAPL VXX", show_default=False)],
    source: Annotated[str, typer.Option("--source", help="polygon: splits and dividends (key from the "
                                        "environment, [polygon]); ibkr: the next announced dividend (TWS / IB "
                                        "Gateway)")] = "polygon",
    since: Annotated[str | None, typer.Option("--from", help="first ex-date YYYY-MM-DD (where the source "
                                              "keeps history)", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Fetch corporate actions from a provider into the store (saving the same action again changes nothing)."""
    cfg = get_config(config)
    names = [parse_symbol(s, what="symbol") for s in symbols if s.strip()]
    if not names:
        raise ConfigError("give at least one symbol, e.g. theo data actions fetch AAPL")
    first = None
    if since is not None:
        try:
            first = date.fromisoformat(since)
        except ValueError:
            raise ConfigError(f"--from {since!r} is not a date; write YYYY-MM-DD") from None
    if source not in SOURCES:
        raise ConfigError(f"--source {source!r} is unknown; use {' or '.join(SOURCES)}")
    found = SOURCES[source](cfg, names, first)
    store = open_repositories(cfg).corporate_actions
    for symbol in names:
        got = found.get(symbol, [])
        written = store.save_actions(got)
        kinds = ", ".join(sorted({a.kind.value for a in got})) or "nothing"
        console.print(f"{symbol}: {len(got)} action(s) from {source} ({kinds}); {written} new or changed",
                      highlight=False)


def _fetch_ibkr(cfg: TheoConfig, symbols: list[str], _since: date | None) -> dict[str, list[CorporateAction]]:
    """IBKR announces dividends only (generic tick 456): the next ex-date and amount per symbol."""
    import asyncio

    from theo.adapters.ibkr.connection import IbkrSession
    from theo.adapters.ibkr.data import IbkrMarketData
    from theo.core.errors import FeedError

    async def run() -> dict[str, list[CorporateAction]]:
        ib = cfg.execution.ibkr.for_command()
        session = IbkrSession(ib)
        md = IbkrMarketData(session, ib)
        try:
            await session.connect(attempts=3)
        except ConnectionError as exc:
            raise FeedError(f"cannot reach TWS / IB Gateway: {exc}") from None
        try:
            return {s: await md.get_corporate_actions(s) for s in symbols}
        finally:
            await session.close()

    return asyncio.run(run())


def _fetch_polygon(cfg: TheoConfig, symbols: list[str], since: date | None) -> dict[str, list[CorporateAction]]:
    """Polygon's splits and dividends (the key from the environment variable ``[polygon] api_key_env`` names)."""
    from theo.adapters.polygon.reference import PolygonReference

    return PolygonReference(cfg.polygon).actions(symbols, since)


Fetcher = Callable[[TheoConfig, list[str], date | None], dict[str, list[CorporateAction]]]
#: Providers of ``theo data actions fetch --source``.
SOURCES: dict[str, Fetcher] = {"polygon": _fetch_polygon, "ibkr": _fetch_ibkr}
