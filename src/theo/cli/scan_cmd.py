"""`theo scan` commands: run strategies and scanners over history; list and clean stored signals."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_store
from theo.cli.tables import Column, fitted_table, price_text
from theo.core.calendar import ET
from theo.core.errors import ConfigError
from theo.core.time import exchange_time
from theo.model.symbols import parse_symbol
from theo.strategy.scanner.records import SignalRecord

if TYPE_CHECKING:
    from theo.strategy.scanner.run import ScanResult

scan_app = typer.Typer(help="Scan history for signals and manage stored signals.", no_args_is_help=False,
                       invoke_without_command=True)

FORMATS = ("table", "csv", "json")
COLUMNS = ("created_at", "strategy", "scanner", "symbol", "side", "exit", "entry_price", "stop_loss",
           "take_profit", "quantity", "option", "status", "active", "expires_at", "mode", "reason", "exchange",
           "order_type", "product_type", "timeframe", "bar_ts")


SIGNAL_COLUMNS = (Column("time (ET)"), Column("strategy", 1), Column("symbol"), Column("side"),
                  Column("entry", justify="right"), Column("stop", 1, "right"), Column("target", 1, "right"),
                  Column("option", 3), Column("status"), Column("reason", 2, max_width=30))


def _parse_data(items: Sequence[str]) -> dict[str, Path]:
    data: dict[str, Path] = {}
    for item in items:
        symbol, sep, path = item.partition("=")
        if not sep or not symbol or not path:
            raise ConfigError(f"--data {item!r}: expected SYMBOL=PATH, e.g. --data SPY=data/SPY_1min.csv.gz")
        data[parse_symbol(symbol, what=f"--data {item!r}: symbol")] = Path(path.strip())
    return data


def _option(r: SignalRecord) -> str:
    """``280.00 CALL 2019-02-15``: strike, right and expiration of an option signal."""
    if not r.option_right:
        return ""
    return " ".join(str(x) for x in (r.option_strike, r.option_right, r.option_expiry) if x is not None)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r}: expected a date YYYY-MM-DD (New York session date)") from None


def _row(r: SignalRecord, status: str = "", active: bool | None = None) -> dict[str, Any]:
    option = _option(r)
    return {
        "created_at": r.created_at.isoformat(), "strategy": r.strategy, "scanner": r.scanner, "symbol": r.symbol,
        "side": r.side.value, "exit": r.is_exit, "entry_price": r.entry_price, "stop_loss": r.stop_loss,
        "take_profit": r.take_profit, "quantity": r.quantity, "option": option,
        "status": status or r.status.value, "active": r.is_active if active is None else active,
        "expires_at": r.expires_at.isoformat() if r.expires_at else "", "mode": r.mode, "reason": r.reason,
        "exchange": r.exchange.value, "order_type": r.order_type.value, "product_type": r.product_type.value,
        "timeframe": r.timeframe, "bar_ts": r.bar_ts.isoformat(),
    }


def _print(records: Sequence[SignalRecord], fmt: str, title: str) -> None:
    rows = [_row(r) for r in records]
    if fmt == "json":
        out = [{**row, "inputs": dict(r.inputs)} for row, r in zip(rows, records, strict=True)]
        sys.stdout.write(json.dumps(out, indent=2, default=lambda v: str(v) if isinstance(v, Decimal) else v) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=[*COLUMNS, "inputs"], lineterminator="\n")
        writer.writeheader()
        for row, r in zip(rows, records, strict=True):
            writer.writerow({**{k: "" if v is None else v for k, v in row.items()},
                             "inputs": json.dumps(dict(r.inputs), sort_keys=True)})
        return
    if not records:
        console.print(f"{title}: nothing to list", highlight=False)
        return
    cells = [{"time (ET)": exchange_time(r.created_at), "strategy": r.scanner or r.strategy, "symbol": r.symbol,
              "side": r.side.value + (" exit" if r.is_exit else ""), "entry": price_text(r.entry_price),
              "stop": price_text(r.stop_loss), "target": price_text(r.take_profit), "option": _option(r),
              "status": r.status.value + ("" if r.is_active else " (inactive)"), "reason": r.reason}
             for r in records]
    table, hidden = fitted_table(SIGNAL_COLUMNS, cells, console.width, title=title)
    console.print(table)
    if hidden:
        err_console.print(f"left out for width: {', '.join(hidden)} (--format csv or json has every field)",
                          highlight=False, soft_wrap=True)


def _explanations(result: ScanResult) -> list[str]:
    """Per strategy the signals it found and kept; per scanner what it refused and how often each rule held."""
    kept = Counter(r.strategy for r in result.records)
    lines = []
    for name in result.strategies:
        found = result.found[name]
        if found:
            lines.append(f"strategy {name}: {found:,} signals found, {kept[name]:,} kept")
        else:
            lines.append(f"strategy {name}: no signal found (its rules never held on this data)")
    for name, counts in result.refused.items():
        if counts:
            lines.append(f"scanner {name} refused: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for rule, (held, tried) in result.rules.get(name, {}).items():
            if not tried:
                lines.append(f"scanner {name} rule '{rule}': never checked (no signal reached the rules)")
            elif not held:
                lines.append(f"scanner {name} rule '{rule}': never held ({tried:,} checks)")
            else:
                lines.append(f"scanner {name} rule '{rule}': held {held:,} of {tried:,} checks")
    return lines


@scan_app.callback()
@friendly_errors
def scan(
    ctx: typer.Context,
    config: ConfigOption = None,
    data: Annotated[list[str] | None, typer.Option("--data", help="SYMBOL=PATH of a bar file; repeat per symbol")]
    = None,
    from_: Annotated[str | None, typer.Option("--from", help="first session date kept (YYYY-MM-DD)")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last session date read (YYYY-MM-DD)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    store: Annotated[bool, typer.Option("--store/--no-store", help="save signals in the configured store")] = True,
) -> None:
    """Run the configured strategies and scanners over history bar by bar; print and store signals."""
    if ctx.invoked_subcommand is not None:
        return
    from theo.cli.adjust_opts import stored_actions
    from theo.persistence.signals import SignalStore
    from theo.strategy.scanner.run import run_scan

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if not data:
        raise ConfigError("no data given: pass --data SYMBOL=PATH for every symbol the strategies use")
    cfg = get_config(config)
    first, last = _day(from_, "--from"), _day(to, "--to")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"--from {first} is after --to {last}; give a --from on or before --to")
    start = datetime.combine(first, datetime.min.time(), tzinfo=ET).astimezone(UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=ET).astimezone(UTC) if last else None
    sink = SignalStore(open_store(cfg), cfg.scanner.user) if store else None
    files = _parse_data(data)
    result = run_scan(cfg, files, start=start, end=end, store=sink,
                      actions=stored_actions(cfg, files, cfg.marketdata.adjustment))
    _print(result.records, fmt, f"{len(result.records)} signals")
    for done in result.prepared.values():
        err_console.print(f"prices: {done.describe()}", markup=False, highlight=False)
        for note in done.notes:
            err_console.print(f"note: {note}", markup=False, highlight=False)
    notes = [f"{result.bars} bars", f"{len(result.records)} signals", f"{result.duplicates} duplicates suppressed"]
    if store:
        notes.append(f"{result.stored} stored")
    if result.warmup_signals:
        notes.append(f"{result.warmup_signals} before --from (warm-up, not kept)")
    err_console.print(", ".join(notes))
    for line in _explanations(result):
        err_console.print(line, markup=False, highlight=False)
    for signal, reason in result.rejected:
        err_console.print(f"rejected {signal.symbol} {signal.side.value} at {exchange_time(signal.ts)}: {reason}")
    if result.unused:
        err_console.print(f"not used by any enabled strategy, so not read: --data {', '.join(result.unused)}")
    for symbol, n in sorted(result.file_rejections.items()):
        if n:
            err_console.print(f"{symbol}: {n} rows of its file were rejected (see `theo data import` to inspect)")


@scan_app.command("signals")
@friendly_errors
def signals(
    config: ConfigOption = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="only this strategy")] = None,
    active: Annotated[bool, typer.Option("--active", help="only signals still active")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """List stored signals (oldest first)."""
    from theo.persistence.signals import SignalStore

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    cfg = get_config(config)
    stored = SignalStore(open_store(cfg), cfg.scanner.user).list(strategy=strategy, active=True if active else None)
    _print([s.record for s in stored], fmt, f"{len(stored)} stored signals")


@scan_app.command("cleanup")
@friendly_errors
def cleanup(
    config: ConfigOption = None,
    now: Annotated[str | None, typer.Option("--now", help="ISO time with offset (default: the current time)")]
    = None,
) -> None:
    """Deactivate and cancel stored signals whose expiry has passed."""
    from theo.persistence.signals import SignalStore

    at = datetime.now(UTC)
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            raise ConfigError(f"--now {now!r}: expected an ISO time such as 2019-02-15T21:00:00+00:00") from None
        if at.tzinfo is None:
            raise ConfigError(f"--now {now!r} has no UTC offset; add one (e.g. +00:00)")
    cfg = get_config(config)
    n = SignalStore(open_store(cfg), cfg.scanner.user).cleanup_expired(at)
    console.print(f"{n} expired signals cancelled")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(scan_app, name="scan")
