"""`theo corr matrix` and `theo corr rolling`: correlations of bar series from files or the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from theo.cli.adjust_opts import AdjustOption, adjust_mode, stored_actions
from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.core.errors import ConfigError
from theo.core.time import EXCHANGE_ZONE
from theo.model.symbols import parse_symbol

corr_app = typer.Typer(help="Rolling Pearson/Spearman/Kendall correlation of bar series.", no_args_is_help=True)

FilesOpt = Annotated[list[str] | None, typer.Option("--file", "-f", help="SYM=PATH of a bar file; repeat it.")]
SymbolsOpt = Annotated[str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols, e.g. SPY,QQQ.")]
TimeframeOpt = Annotated[str | None, typer.Option("--timeframe", "-t", help="Bar timeframe, e.g. 1m, 15m, 1d.")]
MethodOpt = Annotated[str, typer.Option("--method", "-m", help="pearson, spearman or kendall.")]
WindowOpt = Annotated[int, typer.Option("--window", "-w", help="Points per window.")]
MinOpt = Annotated[int | None, typer.Option("--min-points", help="Fewer common points give no value "
                                            "(default: min(30, window)).")]
OnOpt = Annotated[str, typer.Option("--on", help="returns (log returns) or prices.")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


def _series(files: list[str] | None, symbols: str | None, timeframe: str | None,
            config: Path | None, adjust: str | None = None) -> dict[str, Any]:
    """Load each symbol's bars (files first, else the store), adjusted as ``--adjust`` or the config says;
    all must share one timeframe."""
    from theo.data.corporate_actions_join import JoinedHistory
    from theo.indicators.source import bars_from_file, bars_from_store

    cfg = get_config(config)
    mode = adjust_mode(cfg, adjust)
    limits = cfg.marketdata.bar_limits
    wanted = [parse_symbol(s, what="--symbols") for s in symbols.split(",") if s.strip()] if symbols else []
    loaded: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for item in files or []:
        if "=" not in item:
            raise ConfigError(f"--file {item!r}: write it as SYM=PATH, e.g. SPY=data/SPY_15min.csv.gz")
        sym, path = item.split("=", 1)
        paths[parse_symbol(sym, what=f"--file {item!r}: symbol")] = path.strip()
    missing = [s for s in wanted if s not in paths]
    if missing and timeframe is None:
        raise ConfigError(f"reading {', '.join(missing)} from the store needs --timeframe")
    repos = open_repositories(cfg) if missing else None
    actions = stored_actions(cfg, list(paths), mode, repos)
    for sym, path in paths.items():
        loaded[sym] = bars_from_file(path, sym, timeframe, adjust=mode, actions=actions[sym], limits=limits)
    if missing:
        assert repos is not None
        assert timeframe is not None
        history = JoinedHistory(repos.market_data, repos.corporate_actions, mode)  # symbol changes join
        for sym in missing:
            loaded[sym] = bars_from_store(history, sym, timeframe, adjust=mode, limits=limits,
                                          actions=history.adjusting([sym])[sym])
    order = wanted or list(loaded)
    tfs = {loaded[s].bars.timeframe for s in order}
    if len(tfs) > 1:
        raise ConfigError(f"the series have different timeframes ({', '.join(sorted(tfs))}); "
                          "give bars of one timeframe (--timeframe names a file's bar size, it does not resample)")
    for s in order:
        for line in loaded[s].rejected[:5]:
            err_console.print(f"rejected row {line}", highlight=False)
        if len(loaded[s].rejected) > 5:
            err_console.print(f"... {len(loaded[s].rejected) - 5} more rejected rows of {s}", highlight=False)
    return {s: loaded[s] for s in order}


def _say_prices(data: dict[str, Any]) -> None:
    """How each series' prices were adjusted (table output; json carries it as ``adjustment``)."""
    for lb in data.values():
        console.print(f"prices: {lb.adjustment}", highlight=False)


def _fmt(v: float) -> str:
    return "" if not np.isfinite(v) else f"{v:.4f}"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(corr_app, name="corr")

    @corr_app.command("matrix")
    @friendly_errors
    def matrix(files: FilesOpt = None, symbols: SymbolsOpt = None, timeframe: TimeframeOpt = None,
               method: MethodOpt = "pearson", window: WindowOpt = 100, min_points: MinOpt = None,
               on: OnOpt = "returns", fmt: FormatOpt = "table",
               max_staleness: Annotated[int, typer.Option("--max-staleness", help="Bars a pair's last common "
                                                          "bar may lag the newest bar before it is stale.")] = 5,
               adjust: AdjustOption = None, config: ConfigOption = None) -> None:
        """Correlation matrix of N symbols over their last --window common points."""
        from theo.data.bars.timeframes import parse_timeframe
        from theo.indicators.correlation import correlation_matrix

        data = _series(files, symbols, timeframe, config, adjust)
        if len(data) < 2:
            raise ConfigError("a correlation matrix needs at least two symbols (--symbols or --file)")
        tf = next(iter(data.values())).bars.timeframe
        stale_us = max_staleness * parse_timeframe(tf).length_us
        m = correlation_matrix({s: (lb.bars.start_us, lb.bars.close) for s, lb in data.items()}, method,
                               window, on, min_points, stale_us)
        syms = list(m.symbols)
        if fmt == "json":
            console.print_json(json.dumps({
                "symbols": syms, "method": method, "window": window, "on": on, "timeframe": tf,
                "values": [[None if not np.isfinite(v) else float(v) for v in row] for row in m.values],
                "n_points": m.n_points.tolist(), "status": m.status.tolist(),
                "adjustment": {s: lb.adjustment for s, lb in data.items()}}))
        elif fmt == "csv":
            typer.echo("symbol," + ",".join(syms))
            for s, row in zip(syms, m.values, strict=True):
                typer.echo(s + "," + ",".join("" if not np.isfinite(v) else repr(float(v)) for v in row))
        elif fmt == "table":
            console.print(f"{method} correlation of {on}, {tf}, last {window} common points", highlight=False)
            _say_prices(data)
            t = Table()
            t.add_column("")
            for s in syms:
                t.add_column(s, justify="right", no_wrap=True)
            for i, s in enumerate(syms):
                t.add_row(s, *(_fmt(v) if m.status[i, j] == "ok" else str(m.status[i, j]).replace("_", " ")
                               for j, v in enumerate(m.values[i])))
            console.print(t)
        else:
            raise ConfigError(f"--format {fmt!r} is unknown; use table, csv or json")

    @corr_app.command("rolling")
    @friendly_errors
    def rolling(files: FilesOpt = None, symbols: SymbolsOpt = None, timeframe: TimeframeOpt = None,
                method: MethodOpt = "pearson", window: WindowOpt = 100, min_points: MinOpt = None,
                on: OnOpt = "returns", fmt: FormatOpt = "table",
                out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the whole series as CSV.")]
                = None,
                tail: Annotated[int | None, typer.Option("--tail", help="Print only the last N rows (table: "
                                                         "20 unless given; csv/json: all unless given).")] = None,
                adjust: AdjustOption = None, config: ConfigOption = None) -> None:
        """Rolling correlation series of one pair, stamped at each common bar start."""
        import pandas as pd

        from theo.indicators.correlation import rolling_pair

        if fmt not in ("table", "csv", "json"):
            raise ConfigError(f"--format {fmt!r} is unknown; use table, csv or json")
        if tail is not None and tail < 1:
            raise ConfigError(f"--tail {tail}: give a number of rows of at least 1")
        data = _series(files, symbols, timeframe, config, adjust)
        if len(data) != 2:
            raise ConfigError(f"rolling correlation needs exactly two symbols, got {len(data)}: "
                              f"{', '.join(data) or 'none'}")
        (sa, a), (sb, b) = data.items()
        mp = min(30, window) if min_points is None else min_points
        ts, r = rolling_pair(a.bars.start_us, a.bars.close, b.bars.start_us, b.bars.close, window=window,
                             method=method, min_points=mp, on=on)
        stamps = pd.to_datetime(ts, unit="us", utc=True).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        frame = pd.DataFrame({"ts": stamps, f"{method}_{sa}_{sb}": r})
        if out is not None:
            frame.to_csv(out, index=False, na_rep="")
            console.print(f"wrote {len(frame)} rows to {out}", highlight=False)
            _say_prices(data)
        elif fmt == "csv":
            shown = frame if tail is None else frame.tail(tail)
            typer.echo(shown.to_csv(index=False, na_rep=""), nl=False)
        elif fmt == "json":
            shown = frame if tail is None else frame.tail(tail)
            console.print_json(json.dumps([{"ts": t, "value": None if not np.isfinite(v) else float(v)}
                                           for t, v in shown.itertuples(index=False)]))
        else:
            n = 20 if tail is None else tail
            console.print(f"{method} {sa}/{sb} {on}, window {window} (last {min(n, len(frame))} of {len(frame)})",
                          highlight=False)
            _say_prices(data)
            t = Table()
            t.add_column("time (ET)", no_wrap=True)
            t.add_column("value", justify="right")
            k = min(n, len(frame))
            shown_ts = pd.to_datetime(ts[len(ts) - k:], unit="us", utc=True).tz_convert(EXCHANGE_ZONE)
            for when, row in zip(shown_ts, frame.tail(n).itertuples(index=False), strict=True):
                t.add_row(when.strftime("%Y-%m-%d %H:%M:%S"), _fmt(row[1]) or "not enough data")
            console.print(t)
