"""Helpers shared by the command modules: config loading, store opening, error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from theo.config import TheoConfig, load_config
from theo.config.loader import redact
from theo.core.errors import TheoError
from theo.persistence.repositories import Repositories, Store

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML config file (default: $THEO_CONFIG or built-in defaults)",
                 envvar="THEO_CONFIG", show_default=False),
]


def friendly_errors(func: F) -> F:
    """Turn a :class:`TheoError` into a one-paragraph message and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TheoError as exc:
            # Escape: messages quote TOML like "[market]", which Rich would take for markup.
            err_console.print(f"[bold red]error:[/] {escape(redact(str(exc)))}", highlight=False, markup=True,
                              soft_wrap=True)
            raise typer.Exit(code=2) from None
        except (IsADirectoryError, NotADirectoryError, PermissionError, FileNotFoundError) as exc:
            if exc.filename is None:
                raise
            # a path the user gave (--out '', a directory, a read-only place): say which and why, no traceback
            err_console.print(f"[bold red]error:[/] cannot use {escape(repr(str(exc.filename)))}: "
                              f"{escape(exc.strerror or type(exc).__name__)}; give a file path you can write",
                              highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


def get_config(path: Path | None) -> TheoConfig:
    """Load the configuration and set up logging from its ``[logging]`` section (stderr, so stdout stays clean).

    Below ``DEBUG`` the terminal gets warnings and errors only; info events go to the log file (``theo run``
    shows them all).
    """
    from theo.core.logging import configure_logging

    config = load_config(path)
    quiet = config.logging.level != "DEBUG"
    configure_logging(config.logging, data_dir=config.app.data_dir, console_level="WARNING" if quiet else None)
    return config


def open_store(config: TheoConfig, *, migrate: bool = True) -> Store:
    """Open the configured store, migrating it to the latest schema first (idempotent)."""
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    store = connect(config.database_url(), echo=config.database.echo, pool_size=config.database.pool_size)
    if migrate:
        SchemaRepository(store).upgrade(database=config.database,
                                        ohlc_conditions=config.marketdata.conditions.ohlc_conditions)
    return store


def open_repositories(config: TheoConfig, *, migrate: bool = True) -> Repositories:
    """The repositories of the configured store (see :func:`open_store`)."""
    return Repositories(open_store(config, migrate=migrate))


def is_terminal() -> bool:
    return sys.stdout.isatty()
