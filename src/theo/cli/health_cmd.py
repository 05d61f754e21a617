"""`theo health`: the readiness checks of ``/readyz`` run from the command line (for systemd, cron, monitors).

It reads the configured database and the latest engine run record; the memory check is this command's own
process. Exit status: 0 every check passed, 1 a check failed, 2 the configuration is wrong.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_store


def health(config: ConfigOption = None,
           as_json: Annotated[bool, typer.Option("--json", help="print the checks as JSON")] = False) -> None:
    """Check the database, the broker link of the latest run, data freshness, disk space and memory."""
    from theo.api.events import NoEvents
    from theo.api.services.context import ServiceContext
    from theo.api.services.health import readiness

    cfg = get_config(config)
    ctx = ServiceContext(config=cfg, store=open_store(cfg, migrate=False), events=NoEvents())
    try:
        result = readiness(ctx)
    finally:
        ctx.store.dispose()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        table = Table(title="theo health: " + ("ready" if result.ready else "NOT ready"))
        for col in ("check", "ok", "detail"):
            table.add_column(col)
        for c in result.checks:
            table.add_row(escape(c.name), "[green]yes[/]" if c.ok else "[red]NO[/]", escape(c.detail))
        console.print(table)
    if not result.ready:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("health")(friendly_errors(health))
