"""The ``theo`` command: every sub-command module registers itself here."""

from __future__ import annotations

import typer
from typer.core import TyperOption

from theo import __version__
from theo.cli import (
    api_cmd,
    archive_cmd,
    backtest_cmd,
    calendar_cmd,
    collect_cmd,
    config_cmd,
    corr_cmd,
    data_cmd,
    db_cmd,
    futures_cmd,
    health_cmd,
    ib_cmd,
    indicators_cmd,
    notify_cmd,
    orders_cmd,
    report_cmd,
    risk_cmd,
    run_cmd,
    scan_cmd,
    service_cmd,
    users_cmd,
)

app = typer.Typer(
    name="theo",
    help="Theo: algorithmic trading for U.S. markets (backtest, paper and live on one engine).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_typed = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: typer.Context) -> str | None:
    # Typer 0.29 labels every on/off flag "<bool>" in --help, which reads as if it took a value.
    return None if self.is_flag else _typed(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign,assignment]

for module in (config_cmd, calendar_cmd, db_cmd, data_cmd, archive_cmd, futures_cmd, indicators_cmd, corr_cmd, scan_cmd,
               orders_cmd, report_cmd, risk_cmd, run_cmd, backtest_cmd, ib_cmd, users_cmd, api_cmd,
               health_cmd, notify_cmd, collect_cmd, service_cmd):
    module.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"theo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Theo: algorithmic trading for U.S. markets."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
