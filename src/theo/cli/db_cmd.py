"""`theo db` commands: migrate the store and show its schema revision."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from theo.cli.common import ConfigOption, friendly_errors, get_config, open_store
from theo.core.errors import StorageError

db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)


@db_app.command("upgrade")
@friendly_errors
def upgrade(config: ConfigOption = None) -> None:
    """Migrate the store to the latest schema and save the universal settings."""
    from theo.persistence.db import current_revision, mask_url
    from theo.persistence.settings import save_settings

    cfg = get_config(config)
    engine = open_store(cfg, migrate=True)
    try:
        save_settings(engine, cfg.market)
        typer.echo(f"database: {mask_url(str(engine.url))}")
        typer.echo(f"revision: {current_revision(engine)} (head)")
        typer.echo(f"settings: saved (capital {cfg.market.capital} USD, calendar {cfg.market.calendar})")
    finally:
        engine.dispose()


@db_app.command("current")
@friendly_errors
def current(config: ConfigOption = None) -> None:
    """Print the store's schema revision and whether it is up to date."""
    from theo.persistence.db import head_revision, mask_url

    cfg = get_config(config)
    engine = open_store(cfg, migrate=False)
    try:
        rev = _revision(engine)
        head = head_revision()
        typer.echo(f"database: {mask_url(str(engine.url))}")
        if rev is None:
            typer.echo(f"revision: none (empty store); run `theo db upgrade` to create it at {head}")
        elif rev == head:
            typer.echo(f"revision: {rev} (head)")
        else:
            typer.echo(f"revision: {rev} (behind head {head}); run `theo db upgrade`")
    finally:
        engine.dispose()


def _revision(engine: Engine) -> str | None:
    from sqlalchemy.exc import OperationalError

    from theo.persistence.db import current_revision, mask_url

    try:
        return current_revision(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot read {mask_url(str(engine.url))}: {exc.orig}; check database.url and "
                           "that the server is running") from None


def register(app: typer.Typer) -> None:
    """Add `theo db ...` to the root app."""
    app.add_typer(db_app, name="db")
