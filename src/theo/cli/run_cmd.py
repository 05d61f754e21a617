"""`theo run` (the engine in paper mode, live status) and `theo status` (state of a run from the DB)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from theo.cli.common import (
    ConfigOption,
    console,
    err_console,
    friendly_errors,
    get_config,
    is_terminal,
    open_store,
)
from theo.cli.tables import price_text, short_ids
from theo.config import TheoConfig
from theo.core.errors import ConfigError, DataError
from theo.core.time import exchange_time
from theo.model.enums import RunStatus
from theo.node.config import DataFile
from theo.persistence.repositories import Store


def run(config: ConfigOption = None,
        replay: Annotated[list[str] | None, typer.Option(
            "--replay", help="replay this tick/bar file (PATH or SYMBOL=PATH) instead of the synthetic market; "
            "repeat per file", show_default=False)] = None,
        speed: Annotated[float | None, typer.Option(
            "--speed", help="simulated seconds per wall second (default from [engine] speed)", min=0.001,
            show_default=False)] = None,
        unlimited: Annotated[bool, typer.Option("--unlimited", help="as fast as possible (no pacing)")] = False,
        duration: Annotated[float | None, typer.Option(
            "--duration", help="stop after this many wall seconds", min=0, show_default=False)] = None,
        broker: Annotated[str | None, typer.Option(
            "--broker", help="simulated (paper on the synthetic market or --replay) or ibkr (TWS / IB Gateway); "
            "default from [execution] broker", show_default=False)] = None,
        live: Annotated[bool, typer.Option(
            "--live", help="allow a live (real-money) IBKR account; it must also be [execution.ibkr] account")] = False,
        ) -> None:
    """Run the engine: paper on the simulated broker (synthetic market or --replay), or on IBKR with --broker ibkr.

    IBKR trades the paper account by default (--live for a live one). Ctrl-C stops, a restart resumes."""
    from theo.core.logging import configure_logging
    from theo.node.kernel import check_broker
    from theo.node.paper import PaperRun

    cfg = get_config(config)
    venue = (broker or cfg.execution.broker).strip().lower()
    if venue not in ("simulated", "ibkr"):
        raise ConfigError(f"--broker {broker}: unknown broker; use simulated or ibkr")
    check_broker(cfg, venue, live)  # before anything is created or recorded
    if venue == "ibkr":
        if cfg.feeds.secondary and cfg.feeds.primary != "ibkr":
            raise ConfigError(f'[feeds] primary = "{cfg.feeds.primary}": with --broker ibkr the primary feed is '
                              f'IBKR\'s; set primary = "ibkr" (the fail-over feed is [feeds] secondary)')
        if replay or speed is not None or unlimited:
            raise ConfigError("--replay, --speed and --unlimited drive the simulated market; with --broker ibkr "
                              "the market is IBKR's, in real time")
        _run_ibkr(cfg, live, duration, config)
        return
    if unlimited and speed is not None:
        raise ConfigError("--speed and --unlimited exclude each other; pick one")
    if not cfg.strategies:
        raise ConfigError(
            "the config has no [[strategies]], so there is nothing to trade; start with the shipped example: "
            "theo run --config config/theo.example.toml (or make run)"
        )
    files = _replay_files(replay) if replay else None
    configure_logging(cfg.logging, data_dir=cfg.app.data_dir)
    db = open_store(cfg)
    pace = None if unlimited else (speed if speed is not None else cfg.engine.speed)
    _drive(PaperRun(cfg, db, files, pace, duration), "items", db, config)


def _run_ibkr(cfg: TheoConfig, live: bool, duration: float | None, path: Path | None) -> None:
    """``theo run --broker ibkr``: the node on TWS / IB Gateway."""
    from theo.core.logging import configure_logging
    from theo.node.live import LiveRun

    if not cfg.strategies:
        raise ConfigError("the config has no [[strategies]], so there is nothing to trade")
    configure_logging(cfg.logging, data_dir=cfg.app.data_dir)
    db = open_store(cfg)
    run = LiveRun(cfg, db, live=live, duration=duration)
    ib = cfg.execution.ibkr
    console.print(f"connecting to TWS / IB Gateway at {ib.host}:{ib.port} (client id {ib.client_id}); "
                  f"Ctrl-C stops", soft_wrap=True)
    _drive(run, "ticks", db, path)
    if not run.connected:
        err_console.print(f"error: no connection to TWS / IB Gateway at {ib.host}:{ib.port} before the run ended: "
                          f"{run.session.last_error or 'no answer'}", soft_wrap=True)
        raise typer.Exit(code=1)


def _drive(run: Any, unit: str, db: Store, path: Path | None = None) -> None:
    """Run a :class:`~theo.node.paper.PaperRun` or :class:`~theo.node.live.LiveRun` with the status view in a
    terminal (structured status lines otherwise) until it ends; print its summary. With ``[api] enabled`` the
    dashboard serves beside it (its own thread) for as long as the run lasts."""
    from theo.core.logging import get_logger
    from theo.node.status import live_view, status_fields

    log = get_logger("theo.run")
    api = _start_api(run, db, path)
    try:
        notifier = _start_notifier(run, db, api)
    except BaseException:
        if api is not None:
            api.stop()
        raise
    watchers = [w for w in (api, notifier) if w is not None]

    def observed(show: Callable[[Any], None]) -> Callable[[Any], None]:
        if not watchers:
            return show

        def each(r: Any) -> None:
            show(r)
            for w in watchers:
                w.on_status(r)

        return each

    async def main() -> RunStatus:
        run.install_signal_handlers()
        if is_terminal():
            with Live(console=console, refresh_per_second=4, transient=False) as screen:
                return await run.run(observed(  # type: ignore[no-any-return]
                    lambda r: screen.update(live_view(r))))
        return await run.run(observed(  # type: ignore[no-any-return]
            lambda r: log.info("engine.status", **status_fields(r))))

    status: Any = "failed"
    try:
        status = asyncio.run(main())
    finally:
        if notifier is not None:
            notifier.stop(str(status))
        if api is not None:
            api.stop()
    c = run.counters()
    console.print(f"run {run.state.run_id} {status}: {c['items']:,} {unit}, {c['signals']} signals, "
                  f"{c['orders']} orders, {c['trades']} trades ({c['open_trades']} open), realized P&L "
                  f"{c['realized_pnl']} USD", soft_wrap=True)


def _start_api(run: Any, db: Store, path: Path | None) -> Any:
    """The dashboard beside the run (``[api] enabled``), started before the run so a taken port stops
    everything before the run is recorded; ``None`` when turned off."""
    if not run.config.api.enabled:
        return None
    from theo.api.embed import EmbeddedApi

    api = EmbeddedApi(run.config, db, run, path)
    url = api.start()
    err_console.print(f"dashboard: {url}", soft_wrap=True)
    return api


def _start_notifier(run: Any, db: Store, api: Any) -> Any:
    """Telegram alerts and commands beside the run (``[telegram] enabled``), on their own thread; ``None`` when
    turned off. A missing or refused token stops here, before the run starts."""
    if not run.config.telegram.enabled:
        return None
    from theo.node.notify.service import EmbeddedNotifier

    notifier = EmbeddedNotifier(run, db, events=api.hub if api is not None else None,
                                view=api.bridge.snapshot if api is not None else None)
    notifier.start()
    names = ", ".join(r.label for r in run.config.telegram.recipients) or "no recipients"
    err_console.print(f"telegram: alerts to {names}" + (", commands on" if run.config.telegram.commands else ""),
                      soft_wrap=True)
    return notifier


def _replay_files(args: list[str]) -> list[DataFile]:
    """Parse and check ``--replay`` values before a run is recorded, so a typo leaves no crashed run behind."""
    from theo.node.data import parse_data_arg, symbol_of

    files = [parse_data_arg(a) for a in args]
    for f in files:
        if not f.path.is_file():
            raise DataError(f"--replay {f.path}: no such file; check the path")
        if not f.symbol:
            symbol_of(f.path)  # raises with the SYMBOL=PATH hint when the name does not start with a symbol
    return files


def status(config: ConfigOption = None,
           run_id: Annotated[int | None, typer.Option("--run", help="run id (default: latest)",
                                                      show_default=False)] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print the state of the latest (or --run) engine run from the database."""
    from theo.node.status import describe

    cfg = get_config(config)
    info = describe(open_store(cfg), run_id)
    if info is None:
        if run_id is not None:
            err_console.print(f"no engine run {run_id} in the database; omit --run to see the latest",
                              soft_wrap=True)
        else:
            err_console.print("no engine run recorded yet; start one with `theo run`")
        raise typer.Exit(code=1)
    if as_json:
        console.print_json(json.dumps(info, default=str))
        return
    table = Table(title=f"theo run #{info['run']} ({info['mode']}, {info['feed']})", show_header=False)
    table.add_column("field")
    table.add_column("value")
    c = info["counters"]
    sim_label = "market time" if info["feed"] == "ibkr" else "simulated time"
    for key, value in (("status", info["status"]), ("pid", info["pid"]), ("started", exchange_time(info["started"])),
                       ("stopped", exchange_time(info["stopped"])), ("heartbeat", exchange_time(info["heartbeat"])),
                       (sim_label, exchange_time(c.get("sim_now"))), ("items", f"{c.get('items', 0):,}"),
                       ("signals", c.get("signals", 0)), ("orders", c.get("orders", 0)),
                       ("closed trades", info["closed_trades"]), ("realized P&L", f"{info['realized_pnl']} USD"),
                       ("last prices", ", ".join(f"{k} {v:.2f}" for k, v in c.get("last_price", {}).items()))):
        table.add_row(key, str(value))
    link = c.get("ibkr")
    if isinstance(link, dict):  # a run on IBKR: the connection and the feed's delay
        table.add_row("IBKR", f"{link.get('link')} ({link.get('status')}) since {exchange_time(link.get('since'))}, "
                              f"account {link.get('account') or '-'}, {link.get('reconnects', 0)} reconnect(s)"
                              + (f"; {link['error']}" if link.get("error") else ""))
        table.add_row("alerts", str(c.get("alerts", 0)))
    feeds = c.get("feeds")
    if isinstance(feeds, dict):  # a run with a fail-over feed: where each symbol comes from
        dark = f"; no fresh feed: {', '.join(feeds['unavailable'])}" if feeds["unavailable"] else ""
        table.add_row("feeds", f"primary {feeds['primary']}, secondary {feeds['secondary']}: "
                               f"{feeds['failovers']} fail-over(s), {feeds['failbacks']} fail-back(s){dark}")
        table.add_row("feed per symbol", ", ".join(f"{sym} {src}" for sym, src in feeds["active"].items()))
    for name, lat in sorted(c.get("latency", {}).items()):
        p95 = f", p95 {lat['p95_ms']} ms" if "p95_ms" in lat else ""
        table.add_row(f"latency {name}", f"p50 {lat['p50_ms']} ms{p95}, p99 {lat['p99_ms']} ms ({lat['n']} ticks)")
    console.print(table)
    if info["open_trades"]:
        t = Table(title="open trades")
        for col in ("id", "symbol", "side", "quantity", "entry price", "entry (ET)"):
            t.add_column(col)
        for tr in info["open_trades"]:
            t.add_row(str(tr["id"]), tr["symbol"], tr["side"], tr["quantity"], price_text(
                None if tr["entry_price"] is None else Decimal(tr["entry_price"])), exchange_time(tr["entry_ts"]))
        console.print(t)
    if info["working_orders"]:
        short = short_ids(o["id"] for o in info["working_orders"])
        console.print(f"working orders: {', '.join(short.values())} (full ids: --json)", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("run")(friendly_errors(run))
    app.command("status")(friendly_errors(status))
