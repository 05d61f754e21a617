"""`theo config` commands: validate a file, show the effective configuration."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from theo.cli.common import ConfigOption, friendly_errors, get_config
from theo.config import load_config
from theo.config.render import summary, to_json, to_toml

config_app = typer.Typer(help="Check and print the configuration.", no_args_is_help=True)


class ShowFormat(StrEnum):
    toml = "toml"
    json = "json"


@config_app.command("validate")
@friendly_errors
def validate(
    file: Annotated[Path, typer.Argument(help="TOML config file to check", show_default=False)],
) -> None:
    """Check a config file (with environment overrides); list every problem found."""
    config = load_config(file)
    typer.echo(f"{file}: valid")
    for line in summary(config):
        typer.echo(f"  {line}")


@config_app.command("show")
@friendly_errors
def show(
    config: ConfigOption = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f", help="output format")] = ShowFormat.toml,
) -> None:
    """Print the effective configuration (secrets ***; times in ET with today's UTC equivalent)."""
    cfg = get_config(config)
    today = datetime.now(ZoneInfo(cfg.market.timezone)).date()
    text = to_json(cfg, today) if fmt is ShowFormat.json else to_toml(cfg, today)
    # Plain print: Rich markup would eat TOML's [section] headers.
    typer.echo(text.rstrip("\n"))


def register(app: typer.Typer) -> None:
    """Add `theo config ...` to the root app."""
    app.add_typer(config_app, name="config")
