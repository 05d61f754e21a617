"""`theo backtest` (one run over files or the database) and `theo backtest sweep` (parameter search)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_store
from theo.cli.progress import progress_bar
from theo.config import TheoConfig
from theo.core.errors import ConfigError

backtest_app = typer.Typer(help="Backtest the config's strategies on files or the database.",
                           no_args_is_help=False)

DataOption = Annotated[list[str] | None, typer.Option(
    "--data", "-d", help="market-data file (PATH or SYMBOL=PATH); repeat for more symbols", show_default=False)]
FromOption = Annotated[str | None, typer.Option("--from", help="first session date YYYY-MM-DD", show_default=False)]
ToOption = Annotated[str | None, typer.Option("--to", help="last session date YYYY-MM-DD", show_default=False)]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="output folder (default from the config)",
                                                show_default=False)]
DbOption = Annotated[str | None, typer.Option(
    "--db", help="read TIMEFRAME bars (e.g. 1m) of the strategies' symbols from the database", show_default=False)]
SyntheticOption = Annotated[bool, typer.Option(
    "--synthetic", help="backtest on the seeded synthetic market of [marketdata.synthetic] (the prints theo run "
    "trades; default range: the first session of [engine] synthetic_start)")]
EveryItemOption = Annotated[bool, typer.Option(
    "--every-item", help="show the broker every item instead of only those that can fill an order (slower; "
    "the same results, a check of the skipping)")]


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date; write YYYY-MM-DD") from None


def _load(config: TheoConfig, data: list[str] | None, start: str | None, end: str | None, db: str | None,
          synthetic: bool = False) -> Any:
    from theo.cli.adjust_opts import stored_actions
    from theo.node.data import load_database, load_files, parse_data_arg, symbol_of
    from theo.persistence.repositories import Repositories

    d0 = _date(start, "--from") or config.engine.backtest.start
    d1 = _date(end, "--to") or config.engine.backtest.end
    if d0 and d1 and d1 < d0:
        raise ConfigError(f"--to {d1} is before --from {d0}")
    if sum((bool(data), db is not None, synthetic)) > 1:
        raise ConfigError("give one source of market data: --data FILE, --db TIMEFRAME or --synthetic")
    if synthetic:
        from theo.node.synthetic_data import load_synthetic, strategy_symbols, synthetic_range

        return load_synthetic(config, strategy_symbols(config), *synthetic_range(config, d0, d1))
    if db is not None:
        from theo.persistence.repositories.bars import BarRepository
        from theo.strategy.registry import build_strategies

        symbols: list[str] = []
        for s in build_strategies(config.strategies):
            symbols += [sym for sym, _ in s.subscriptions if sym not in symbols]
        repos = Repositories(open_store(config))
        return load_database(BarRepository(repos.store), symbols, db, d0, d1, config,
                             stored_actions(config, symbols, config.marketdata.adjustment, repos),
                             history=repos.corporate_actions)
    files = [parse_data_arg(a) for a in data] if data else list(config.engine.backtest.data)
    named = [f.symbol or symbol_of(f.path) for f in files]
    return load_files(files, d0, d1, config, stored_actions(config, named, config.marketdata.adjustment))


def print_signal_summary(outcomes: Any, strategies: list[str]) -> None:
    """Signals found, executed, and ignored or refused by reason, per strategy."""
    from theo.analysis.signal_summary import signal_lines, summarise_signals

    console.print("[bold]Signals[/]")
    for line in signal_lines(summarise_signals(outcomes, strategies)):
        console.print(line, markup=False, highlight=False)


def _summary(metrics: dict[str, Any], folder: Path) -> Table:
    table = Table(title=f"Backtest summary ({folder})", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("final_equity", "total_return", "annual_return", "sharpe", "sortino", "max_drawdown",
                "max_drawdown_duration_days", "calmar", "trades", "win_rate", "profit_factor", "expectancy",
                "charges", "exposure", "path", "items", "adjustment"):
        v = metrics.get(key, "")
        table.add_row(key, _shown(key, v) if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
    return table


@backtest_app.callback(invoke_without_command=True)
@friendly_errors
def backtest(ctx: typer.Context, config: ConfigOption = None, data: DataOption = None, start: FromOption = None,
             end: ToOption = None, out: OutOption = None, db: DbOption = None,
             every_item: EveryItemOption = False, synthetic: SyntheticOption = False) -> None:
    """Backtest the config's strategies; write metrics, deals, orders, fills, signals and charts to --out."""
    if ctx.invoked_subcommand is not None:
        return
    from theo.analysis.outputs import write_outputs
    from theo.node.backtest import run_backtest

    cfg = get_config(config)
    market = _load(cfg, data, start, end, db, synthetic)
    folder = out or cfg.engine.backtest.out
    for note in market.notes:
        console.print(f"[yellow]note:[/] {note}")
    with progress_bar(f"computing signals on {market.items:,} items", unit="signals") as bar:
        def replayed(done: int, total: int) -> None:
            bar.update(done, total, "replaying signals")

        result = run_backtest(cfg, market, visit_all=every_item, progress=replayed)
        bar.restart("writing reports and charts", None)
        report = write_outputs(result, folder, title=f"{', '.join(s.name for s in cfg.strategies)} on "
                                                     f"{', '.join(market.symbols)}")
    for note in result.notes[len(market.notes):]:
        console.print(f"[yellow]note:[/] {note}")
    console.print(_summary(report.metrics, folder))
    print_signal_summary(result.signals(), [s.name for s in cfg.strategies])
    console.print(f"wrote {', '.join(sorted(p.name for p in folder.iterdir()))} to {folder}")


@backtest_app.command("sweep")
@friendly_errors
def sweep(config: ConfigOption = None, data: DataOption = None, start: FromOption = None, end: ToOption = None,
          out: OutOption = None, db: DbOption = None,
          strategy: Annotated[str | None, typer.Option("--strategy", "-s", help="strategy name (default: first)",
                                                       show_default=False)] = None,
          grid: Annotated[list[str] | None, typer.Option(
              "--grid", "-g", help="NAME=V1,V2,... or NAME=LO:HI:STEP; repeat per parameter")] = None,
          random: Annotated[int | None, typer.Option("--random", help="run N random combinations of the grid",
                                                     show_default=False, min=1)] = None,
          seed: Annotated[int, typer.Option("--seed", help="seed of --random")] = 0,
          metric: Annotated[str, typer.Option("--metric", "-m", help="rank runs by this metric")] = "sharpe",
          jobs: Annotated[int, typer.Option("--jobs", "-j", help="parallel processes", min=1)] = 2,
          top: Annotated[int, typer.Option("--top", help="rows shown in the table", min=1)] = 10,
          ) -> None:
    """Run a grid or random search over a strategy's parameters; rank by --metric; report the best run."""
    from theo.analysis.outputs import write_outputs
    from theo.analysis.sweep import combinations, parse_values, run_sweep, with_params
    from theo.node.backtest import run_backtest

    cfg = get_config(config)
    if not cfg.strategies:
        raise ConfigError("the config has no [[strategies]] to sweep")
    name = strategy or cfg.strategies[0].name
    if not grid:
        raise ConfigError("give at least one --grid NAME=VALUES")
    combos = combinations([parse_values(g) for g in grid], random, seed)
    market = _load(cfg, data, start, end, db)
    runs = run_sweep(cfg, market, name, combos, metric, jobs)
    folder = out or cfg.engine.backtest.out / "sweep"
    folder.mkdir(parents=True, exist_ok=True)
    keys = sorted({k for r in runs for k in r.params})
    cols = ("sharpe", "total_return", "max_drawdown", "trades", "win_rate", "profit_factor")
    with (folder / "sweep.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["rank", *keys, metric, *[c for c in cols if c != metric], "error"])
        for i, r in enumerate(runs, 1):
            m = r.metrics
            w.writerow([i, *[r.params.get(k) for k in keys], _fmt(m.get(metric)),
                        *[_fmt(m.get(c)) for c in cols if c != metric], m.get("error", "")])
    table = Table(title=f"Sweep of {name}: {len(runs)} runs by {metric}")
    for k in ["#", *keys]:
        table.add_column(k, justify="right")
    for k in [metric, *[c for c in cols if c != metric]]:  # spaced names wrap, so values fit 80 columns
        table.add_column(k.replace("_", " "), justify="right")
    for i, r in enumerate(runs[:top], 1):
        m = r.metrics
        table.add_row(str(i), *[str(r.params.get(k)) for k in keys],
                      *[_shown(c, v) if isinstance(v := m.get(c), float) else _fmt(v)
                        for c in [metric, *[c for c in cols if c != metric]]])
    console.print(table)
    best = next((r for r in runs if "error" not in r.metrics), None)
    if best is not None:
        result = run_backtest(with_params(cfg, name, best.params), market)
        write_outputs(result, folder / "best", title=f"best {name} {best.params}")
        console.print(f"best {best.params}; its report is in {folder / 'best'}; all runs in {folder / 'sweep.csv'}")


PERCENT_METRICS = frozenset({"total_return", "annual_return", "max_drawdown", "win_rate", "exposure"})
MONEY_METRICS = frozenset({"final_equity", "expectancy", "charges"})  # USD: cents, as a trader reads them


def _shown(key: str, v: float) -> str:
    """A metric as a person reads it: fractions as percent, money in cents, ratios to three decimals."""
    if key in PERCENT_METRICS:
        return f"{v * 100:.2f} %"
    return f"{v:,.2f}" if key in MONEY_METRICS else f"{v:,.3f}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return "" if v is None else str(v)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(backtest_app, name="backtest")


