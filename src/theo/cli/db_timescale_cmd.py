"""`theo db timescale status|enable`: whether the store uses TimescaleDB, and converting a plain store to it."""

from __future__ import annotations

from typing import Annotated

import typer

from theo.cli.common import ConfigOption, friendly_errors, get_config, open_store

timescale_app = typer.Typer(help="TimescaleDB: status, and converting a plain PostgreSQL store.",
                            no_args_is_help=True)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@timescale_app.command("status")
@friendly_errors
def status(config: ConfigOption = None) -> None:
    """Print what the server offers (available, preloaded, installed) and what the store uses."""
    from theo.persistence.repositories import Repositories
    from theo.persistence.timescale import decide, store_probe

    cfg = get_config(config)
    store = open_store(cfg, migrate=False)
    try:
        typer.echo(f"database: {Repositories(store).schema.location}")
        found = store_probe(store)
        if found is None:
            typer.echo("timescaledb: not applicable (SQLite store)")
            return
        preloaded = found.preloaded
        typer.echo(f"available on the server: {found.available or 'no'}")
        typer.echo("preloaded: " + ("unknown (this user may not read shared_preload_libraries)"
                                    if preloaded is None else _yes(preloaded)))
        typer.echo(f"installed in this database: {found.installed or 'no'}")
        typer.echo(f"ticks is a hypertable: {_yes(found.hypertable)} (compression {_yes(found.compressed)})")
        typer.echo(f"continuous aggregates: {', '.join(found.aggregates) or 'none'}")
        decision = decide(found, "auto" if cfg.database.timescale == "require" else cfg.database.timescale)
        typer.echo(f"decision ([database] timescale = \"{cfg.database.timescale}\"): {decision.reason}")
        if decision.warning:
            typer.echo(f"warning: {decision.warning}", err=True)
        elif decision.use and not found.hypertable:
            typer.echo("next: `theo db timescale enable` makes ticks a hypertable (the data is kept)")
    finally:
        store.dispose()


@timescale_app.command("enable")
@friendly_errors
def enable(
    no_refresh: Annotated[bool, typer.Option("--no-refresh", help="leave the aggregates to their policies (the "
                                             "last 3 days) instead of refreshing them over all stored ticks")]
    = False,
    config: ConfigOption = None,
) -> None:
    """Make `ticks` a hypertable with its rows, add the continuous aggregates and policies (safe to repeat)."""
    from theo.persistence.timescale import enable as do_enable
    from theo.persistence.timescale import options_for

    cfg = get_config(config)
    store = open_store(cfg, migrate=True)
    try:
        opts = options_for(cfg.database, cfg.marketdata.conditions.ohlc_conditions)
        report = do_enable(store, opts, refresh=not no_refresh)
        after = report.after
        was = "already a hypertable" if report.before.hypertable else "converted to a hypertable"
        typer.echo(f"timescaledb: {after.installed} installed; ticks {was}")
        typer.echo(f"ticks: {report.ticks_before} before, {report.ticks_after} after")
        typer.echo(f"continuous aggregates: {', '.join(after.aggregates) or 'none'}"
                   + (" (refreshed over all ticks)" if report.refreshed else " (refreshed by their policies)"))
        typer.echo(f"compression: {_yes(after.compressed)}, policy after {opts.compress_after_days} days; retention: "
                   + (f"{opts.retention_days} days" if opts.retention_days else "none"))
    finally:
        store.dispose()
