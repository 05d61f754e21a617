"""`theo futures` commands: contract expiries and roll dates, continuous series from contract files."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.core.errors import DataError

futures_app = typer.Typer(help="Futures contracts (MES, ES): expiries, roll dates and continuous series.",
                          no_args_is_help=True)

_SYMBOL_IN_NAME = re.compile(r"(?:^|[_\-.])((?:MES|ES)[FGHJKMNQUVXZ]\d{1,2})(?=[_\-.]|$)")


@futures_app.command("contracts")
@friendly_errors
def contracts_cmd(
    root: Annotated[str, typer.Option("--root", help="Futures root: MES or ES")] = "MES",
    year: Annotated[int, typer.Option("--year", help="Year of the expiries to list")] = date.today().year,
    roll_days: Annotated[int | None, typer.Option("--roll-days", help="Roll N business days before expiry "
                                                  "instead of the CME convention (expiry − 8 days)")] = None,
) -> None:
    """Print the contracts of a year with their last trading day and roll date."""
    from theo.data.futures import contracts, get_spec

    spec = get_spec(root)
    table = Table("contract", "local symbol", "month", "last trading day", "roll date",
                  title=f"{spec.description}: ${spec.multiplier} × index, tick {spec.tick_size} = ${spec.tick_value}")
    for c in contracts(spec.root, year):
        expiry = c.expiry()
        roll = c.roll_date(business_days=roll_days)
        table.add_row(c.symbol, c.local_symbol, c.contract_month, f"{expiry:%a %Y-%m-%d}", f"{roll:%a %Y-%m-%d}")
    console.print(table)


def _symbol_for(path: Path) -> str:
    found = _SYMBOL_IN_NAME.findall(path.name.upper())
    if len(found) != 1:
        raise DataError(f"{path.name}: cannot tell the contract from the file name; pass --symbols "
                        "(one per file, e.g. --symbols ESZ13 --symbols ESH14)")
    return str(found[0])


@futures_app.command("continuous")
@friendly_errors
def continuous_cmd(
    extra_files: Annotated[list[Path] | None, typer.Argument(help="More per-contract bar files",
                                                              show_default=False)] = None,
    files: Annotated[list[Path] | None, typer.Option("--files", help="Per-contract bar files (CSV/CSV.gz); "
                                                     "the files may also follow as arguments")] = None,
    symbols: Annotated[list[str] | None, typer.Option("--symbols", help="Contract of each file, in order "
                                                      "(default: read from the file names, e.g. ESZ13)")] = None,
    method: Annotated[str, typer.Option("--method", help="Back-adjustment: difference or ratio")] = "difference",
    roll: Annotated[str, typer.Option("--roll", help="Roll rule: volume (crossover) or calendar")] = "calendar",
    roll_days: Annotated[int | None, typer.Option("--roll-days", help="Calendar roll N business days before "
                                                  "expiry (default: CME convention, expiry − 8 days)")] = None,
    roll_date: Annotated[str | None, typer.Option("--roll-date", help="Force the first roll on this trading "
                                                  "day (YYYY-MM-DD)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the series to this CSV file")] = None,
    store: Annotated[bool, typer.Option("--store", help="Save the roll events in the database")] = False,
    config: ConfigOption = None,
) -> None:
    """Build a back-adjusted continuous series from per-contract bar files and report its rolls."""
    from theo.data.futures import parse_symbol
    from theo.data.futures.bars import read_contract_bars
    from theo.data.futures.continuous import CalendarRoll, Method, VolumeRoll, build_continuous

    paths = [*(files or []), *(extra_files or [])]
    if not paths:
        raise typer.BadParameter("give at least one per-contract bar file", param_hint="--files")
    if method not in ("difference", "ratio"):
        raise typer.BadParameter(f"{method!r}: use difference or ratio", param_hint="--method")
    if roll not in ("volume", "calendar"):
        raise typer.BadParameter(f"{roll!r}: use volume or calendar", param_hint="--roll")
    if symbols and len(symbols) != len(paths):
        raise typer.BadParameter(f"{len(symbols)} symbol(s) for {len(paths)} file(s); give one per file",
                                 param_hint="--symbols")
    names = symbols or [_symbol_for(p) for p in paths]
    chain = [read_contract_bars(p, parse_symbol(s)) for p, s in zip(paths, names, strict=True)]
    for bars, path in zip(chain, paths, strict=True):
        if bars.rejected:
            err_console.print(f"{path.name}: {len(bars.rejected)} row(s) rejected, first: {bars.rejected[0]}")
    forced: dict[str, date] = {}
    if roll_date is not None:
        try:
            forced[min(chain, key=lambda b: b.contract).contract.symbol] = date.fromisoformat(roll_date)
        except ValueError:
            raise typer.BadParameter(f"{roll_date!r} is not a date; use YYYY-MM-DD", param_hint="--roll-date") \
                from None
    calendar = CalendarRoll(business_days=roll_days, dates=forced)
    rule = calendar if roll == "calendar" else VolumeRoll(fallback=calendar)
    kind: Method = "ratio" if method == "ratio" else "difference"
    series = build_continuous(chain, rule, kind)
    console.print(f"{series.symbol}: {len(series)} bars from {', '.join(c.symbol for c in series.contracts)} "
                  f"({roll} roll, {method} adjustment)")
    for ev in series.rolls:
        console.print(f"  roll {ev.from_symbol} → {ev.to_symbol} on {ev.roll_day} at bar {ev.ts.isoformat()}: "
                      f"{ev.from_price} → {ev.to_price} (difference {ev.difference:+g}, ratio {ev.ratio:.6f})")
    if not series.rolls:
        console.print(f"  no roll inside the data: {series.contracts[0].symbol} stays the contract to trade")
    last = series.contracts[-1]
    console.print(f"  contract for orders after the last bar: {last.symbol} (local symbol {last.local_symbol})")
    if out is not None:
        series.write_csv(out)
        console.print(f"  written to {out}")
    if store:
        written = open_repositories(get_config(config)).futures.save(series.rolls)
        console.print(f"  roll events stored ({written} new or changed)")


def register(app: typer.Typer) -> None:
    """Add `theo futures ...` to the root app."""
    app.add_typer(futures_app, name="futures")
