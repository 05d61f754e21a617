"""`theo indicators`: compute indicator values for a bar file or stored bars, show, export or store them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from theo.cli.adjust_opts import AdjustOption, adjust_mode, stored_actions
from theo.cli.common import ConfigOption, console, err_console, friendly_errors, get_config, open_repositories
from theo.core.errors import ConfigError
from theo.core.time import exchange_time, to_us
from theo.model.symbols import parse_symbol

SPEC_DEFAULT = "atr:14,donchian:20,fractal:2,swing:2:2,pivot:classic"


def compute_columns(bars: Any, indicators: list[Any]) -> dict[str, Any]:
    """Flat column name -> array (batch forms); fractal/swing columns get their point's bar start too."""
    from theo.indicators import batch as vec
    from theo.indicators.fractals import Fractals
    from theo.indicators.registry import flat_name
    from theo.indicators.swings import Swings

    out: dict[str, Any] = {}
    for ind in indicators:
        for output, arr in ind.batch(bars).items():
            out[flat_name(ind, output)] = arr
        if isinstance(ind, Fractals | Swings):
            f = vec.fractals(bars.high, bars.low, ind.left, ind.right)
            out[f"{ind.name}_high_ts"] = np.where(f.high_index >= 0, bars.start_us[np.maximum(f.high_index, 0)], -1)
            out[f"{ind.name}_low_ts"] = np.where(f.low_index >= 0, bars.start_us[np.maximum(f.low_index, 0)], -1)
    return out


def _frame(bars: Any, columns: dict[str, Any]) -> Any:
    import pandas as pd

    ts = pd.to_datetime(bars.start_us, unit="us", utc=True)
    data: dict[str, Any] = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)$", r":\1", regex=True),
                            "open": bars.open, "high": bars.high, "low": bars.low, "close": bars.close}
    for name, arr in columns.items():
        if name.endswith("_ts"):
            stamps = pd.to_datetime(np.where(arr >= 0, arr, 0), unit="us", utc=True).strftime("%Y-%m-%dT%H:%M:%S")
            data[name] = np.where(arr >= 0, stamps + "+00:00", "")
        else:
            data[name] = arr
    return pd.DataFrame(data)


def _cell(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "" if np.isnan(v) else f"{float(v):.6g}"
    text = str(v)
    return _header(text) if len(text) >= 19 and text[10:11] == "T" else text  # a *_ts column: the bar it names


def _header(iso: str) -> str:
    """A bar start (ISO, UTC) as two lines of exchange time: the date, then ``09:30:00 EDT``."""
    date, _, clock = exchange_time(iso).partition(" ")
    return f"{date}\n{clock}"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("indicators")
    @friendly_errors
    def indicators(
        file: Annotated[Path | None, typer.Option("--file", "-f", help="Bar file (CSV/CSV.gz/Parquet).")] = None,
        symbol: Annotated[str | None, typer.Option("--symbol", "-s", help="Symbol (stored bars, or the file's).")]
        = None,
        timeframe: Annotated[str | None, typer.Option("--timeframe", "-t", help="Bar timeframe, e.g. 15m, 1h, 1d.")]
        = None,
        spec: Annotated[str, typer.Option("--indicators", "-i", help="Comma-separated list, e.g. "
                                          "atr:14,donchian:20,fractal:2,swing:5:5,pivot:classic.")] = SPEC_DEFAULT,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write every bar's values to this CSV.")]
        = None,
        save: Annotated[bool, typer.Option("--save", help="Also store the values in indicator_values.")] = False,
        tail: Annotated[int, typer.Option("--tail", help="Bars to print when --out is not given.")] = 4,
        since: Annotated[datetime | None, typer.Option("--since", help="Show/save values from this UTC date/time "
                                                       "on (earlier bars still warm the indicators up).")]
        = None,
        all_sessions: Annotated[bool, typer.Option("--all-sessions", help="Pivots from all bars, not only "
                                                   "regular-session ones.")] = False,
        calendar: Annotated[str, typer.Option("--calendar", help="Session calendar for pivots: XNYS or "
                                              "CME_EQUITY.")] = "XNYS",
        raw: Annotated[bool, typer.Option("--raw", help="Raw prices: the same as --adjust none.")] = False,
        adjust: AdjustOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Compute indicator values per bar and print, export (--out) or store (--save) them."""
        from theo.core.calendar import get_calendar
        from theo.data.corporate_actions_join import JoinedHistory
        from theo.indicators.pivots import Pivots
        from theo.indicators.registry import parse_spec
        from theo.indicators.source import bars_from_file, bars_from_store, symbol_from_path
        from theo.indicators.store import IndicatorWriter

        if file is None and symbol is None:
            raise ConfigError("give --file BARS.csv, or --symbol S --timeframe TF to read stored bars")
        symbol = parse_symbol(symbol, what="--symbol") if symbol is not None else None
        cal = get_calendar(calendar)
        inds = parse_spec(spec, cal)
        if all_sessions:
            for ind in inds:
                if isinstance(ind, Pivots):
                    ind.regular_only = False
        repos = None
        cfg = get_config(config)
        mode = adjust_mode(cfg, adjust, raw=raw)
        limits = cfg.marketdata.bar_limits
        if file is not None:
            sym = symbol or symbol_from_path(file)
            loaded = bars_from_file(file, sym, timeframe, adjust=mode, limits=limits,
                                    actions=stored_actions(cfg, [sym], mode)[sym])
        else:
            if symbol is None or timeframe is None:
                raise ConfigError("reading stored bars needs both --symbol and --timeframe")
            repos = open_repositories(cfg)
            # Every stored bar is read so values from --since on have their full warm-up (the same values
            # as without --since); only the display and --save start at --since.
            # A symbol change joins the old ticker's bars before it (unless unadjusted).
            history = JoinedHistory(repos.market_data, repos.corporate_actions, mode)
            loaded = bars_from_store(history, symbol, timeframe, adjust=mode, limits=limits,
                                     actions=history.adjusting([symbol])[symbol])
        err_console.print(f"prices: {loaded.adjustment}", highlight=False)
        for line in loaded.rejected[:20]:
            err_console.print(f"rejected row {line}", highlight=False)
        if len(loaded.rejected) > 20:
            err_console.print(f"... and {len(loaded.rejected) - 20} more rejected rows", highlight=False)
        bars = loaded.bars
        columns = compute_columns(bars, inds)
        frame = _frame(bars, columns)
        first = 0
        if since is not None:
            since_utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since
            first = int(np.searchsorted(bars.start_us, to_us(since_utc)))
            if first == len(bars):
                raise ConfigError(f"no bars of {bars.symbol} {bars.timeframe} from --since {since_utc.isoformat()} "
                                  f"on; the last one starts {exchange_time(bars.start(len(bars) - 1))}")
            frame = frame.iloc[first:]
        if out is not None:
            frame.to_csv(out, index=False, na_rep="")
            console.print(f"wrote {len(frame)} rows × {len(columns)} indicator columns to {out}", highlight=False)
        else:
            shown = frame.tail(tail)
            table = Table(title=f"{bars.symbol} {bars.timeframe} ({loaded.source}, {mode.value}), last "
                                f"{len(shown)} bars (columns: bar start, New York time)")
            table.add_column("output", no_wrap=True)
            for ts in shown["ts"]:
                table.add_column(_header(str(ts)), justify="right")
            for col in shown.columns[1:]:
                table.add_row(str(col), *(_cell(v) for v in shown[col]))
            console.print(table)
        if save:
            if repos is None:
                repos = open_repositories(cfg)
            writer = IndicatorWriter(repos.indicators)
            by_output = {(ind.name, o): arr[first:] for ind in inds for o, arr in ind.batch(bars).items()}
            writer.add_columns(bars.symbol, bars.timeframe, bars.start_us[first:], by_output)
            writer.flush()
            console.print(f"stored {writer.written} values in indicator_values", highlight=False)
