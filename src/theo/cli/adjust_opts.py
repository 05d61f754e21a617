"""The ``--adjust`` option and the corporate actions a reading command adjusts with (from the store)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.model.enums import Adjustment
from theo.model.reference import CorporateAction

if TYPE_CHECKING:
    from theo.persistence.repositories import Repositories

AdjustOption = Annotated[str | None, typer.Option(
    "--adjust", help="Price adjustment on read: none, splits or splits+dividends (default: [marketdata] adjust).",
    show_default=False)]


def adjust_mode(config: TheoConfig, value: str | None, *, raw: bool = False) -> Adjustment:
    """``--adjust`` (or ``--raw``) over the config's ``[marketdata] adjust``."""
    if raw:
        if value not in (None, Adjustment.NONE.value):
            raise ConfigError(f"--raw and --adjust {value} contradict each other; give one")
        return Adjustment.NONE
    if value is None:
        return config.marketdata.adjustment
    try:
        return Adjustment(value.strip().lower())
    except ValueError:
        raise ConfigError(f"--adjust {value!r} is unknown; use one of "
                          f"{', '.join(a.value for a in Adjustment)}") from None


def store_exists(config: TheoConfig) -> bool:
    """Whether the configured store is there to read (a server URL, or an existing SQLite file)."""
    url = config.database_url()
    if not url.startswith("sqlite"):
        return True
    path = url.split(":///", 1)[-1]
    return path == ":memory:" or Path(path).is_file()


def stored_actions(config: TheoConfig, symbols: Iterable[str], mode: Adjustment,
                   repos: Repositories | None = None) -> dict[str, list[CorporateAction]]:
    """Each symbol's corporate actions from the store; none when nothing is adjusted or no store exists yet
    (a command reading files only must not create one)."""
    wanted = list(symbols)
    if mode is Adjustment.NONE:
        return {s: [] for s in wanted}
    if repos is None:
        if not store_exists(config):
            return {s: [] for s in wanted}
        from theo.cli.common import open_repositories

        repos = open_repositories(config)
    return {s: repos.corporate_actions.actions(s) for s in wanted}
