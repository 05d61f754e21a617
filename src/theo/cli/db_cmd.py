"""`theo db` commands: migrate the store, show its schema revision, back it up and restore it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from theo.cli.common import ConfigOption, friendly_errors, get_config, open_repositories
from theo.persistence.repositories import Store

db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)


@db_app.command("upgrade")
@friendly_errors
def upgrade(config: ConfigOption = None) -> None:
    """Migrate the store to the latest schema and save the universal settings."""
    cfg = get_config(config)
    repos = open_repositories(cfg, migrate=True)
    try:
        repos.settings.save(cfg.market)
        typer.echo(f"database: {repos.schema.location}")
        typer.echo(f"revision: {repos.schema.revision()} (head)")
        _timescale_line(repos.store, cfg.database.timescale)
        typer.echo(f"settings: saved (capital {cfg.market.capital} USD, calendar {cfg.market.calendar})")
    finally:
        repos.close()


def _timescale_line(store: Store, mode: str) -> None:
    """On PostgreSQL: whether TimescaleDB is used, a warning when it is installed but unusable."""
    from theo.persistence.timescale import decide, store_probe

    found = store_probe(store)
    if found is None:
        return
    decision = decide(found, mode)
    typer.echo(f"timescaledb: {decision.reason}")
    if decision.warning:
        typer.echo(f"warning: {decision.warning}", err=True)
    elif decision.use and not found.hypertable:
        typer.echo("timescaledb: ticks is not a hypertable yet; `theo db timescale enable` converts it (data kept)")


@db_app.command("current")
@friendly_errors
def current(config: ConfigOption = None) -> None:
    """Print the store's schema revision and whether it is up to date."""
    cfg = get_config(config)
    repos = open_repositories(cfg, migrate=False)
    try:
        rev = repos.schema.revision()
        head = repos.schema.head()
        typer.echo(f"database: {repos.schema.location}")
        if rev is None:
            typer.echo(f"revision: none (empty store); run `theo db upgrade` to create it at {head}")
        elif rev == head:
            typer.echo(f"revision: {rev} (head)")
        else:
            typer.echo(f"revision: {rev} (behind head {head}); run `theo db upgrade`")
    finally:
        repos.close()


@db_app.command("backup")
@friendly_errors
def backup(
    out: Annotated[Path | None, typer.Option("--out", help="backup file (default <data_dir>/backups/theo-<UTC>.*)")]
    = None,
    config: ConfigOption = None,
) -> None:
    """Back up the store into one file (SQLite online backup / pg_dump) with a manifest beside it."""
    from theo.persistence.backup import backup as take_backup
    from theo.persistence.backup import manifest_path

    cfg = get_config(config)
    path, manifest = take_backup(cfg, out)
    typer.echo(f"backup: {path} ({manifest.size} bytes, sha256 {manifest.sha256})")
    typer.echo(f"manifest: {manifest_path(path)}")
    typer.echo(f"source: {manifest.source} (revision {manifest.schema_revision})")
    _echo_counts(manifest.row_counts)


@db_app.command("restore")
@friendly_errors
def restore(
    file: Annotated[Path, typer.Argument(help="a backup written by `theo db backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="overwrite a store that is not empty")] = False,
    config: ConfigOption = None,
) -> None:
    """Check a backup against its manifest and restore it into the configured store; verify the row counts."""
    from theo.persistence.backup import restore as do_restore

    cfg = get_config(config)
    manifest, counts = do_restore(cfg, file, yes=yes)
    typer.echo(f"restored: {file} (taken {manifest.created_at}, revision {manifest.schema_revision})")
    _echo_counts(counts)
    typer.echo("row counts match the manifest; next: `theo db upgrade`, then reconcile (docs/operations.md)")


def _echo_counts(counts: dict[str, int]) -> None:
    for name, rows in counts.items():
        typer.echo(f"  {name:<14} {rows:>10}")


def register(app: typer.Typer) -> None:
    """Add `theo db ...` to the root app."""
    from theo.cli.db_timescale_cmd import timescale_app

    db_app.add_typer(timescale_app, name="timescale")
    app.add_typer(db_app, name="db")
