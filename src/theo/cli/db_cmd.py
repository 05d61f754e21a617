"""`theo db` commands: migrate the store and show its schema revision."""

from __future__ import annotations

import typer

from theo.cli.common import ConfigOption, friendly_errors, get_config, open_repositories

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
        typer.echo(f"settings: saved (capital {cfg.market.capital} USD, calendar {cfg.market.calendar})")
    finally:
        repos.close()


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


def register(app: typer.Typer) -> None:
    """Add `theo db ...` to the root app."""
    app.add_typer(db_app, name="db")
