"""`theo data` commands: import files and print or export bars."""

from __future__ import annotations

import typer

from theo.cli import data_actions_cmd, data_bars_cmd, data_download_cmd, data_import_cmd

data_app = typer.Typer(help="Import market data and inspect stored ticks and bars.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `theo data ...` to the root app."""
    data_import_cmd.register(data_app)
    data_bars_cmd.register(data_app)
    data_download_cmd.register(data_app)
    data_actions_cmd.register(data_app)
    app.add_typer(data_app, name="data")
