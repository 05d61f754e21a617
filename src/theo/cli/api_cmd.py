"""`theo api`: the dashboard and its API alone, on the database, without an engine.

It shows what the database holds (trades, orders, the trading state, the latest run's heartbeat counters) and
takes operator commands (halt, resume, kill switch, settings) that a separately running ``theo run`` adopts
at its next sweep. Its event stream carries what this process sees: changes made through it, plus the trading
state, P&L and health as the store shows them (polled every few seconds); ticks, bars, orders and fills stream
only from the dashboard inside ``theo run``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_store


def api(config: ConfigOption = None,
        port: Annotated[int | None, typer.Option("--port", help="listen port (default [api] port)", min=1,
                                                 max=65535, show_default=False)] = None) -> None:
    """Serve the dashboard and API on the database, without the engine (Ctrl-C stops)."""
    from theo.api.app import create_app
    from theo.api.events import EventHub
    from theo.api.poller import StorePoller
    from theo.api.server import ApiServer
    from theo.api.services.context import ServiceContext
    from theo.api.services.users import ensure_first_admin

    cfg = get_config(config)
    if port is not None:
        cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"port": port})})
    hub = EventHub()
    ctx = ServiceContext(config=cfg, store=open_store(cfg), events=hub, config_path=config)
    ensure_first_admin(ctx)
    app = create_app(ctx)
    server = ApiServer(app, cfg.api)
    poller = StorePoller(ctx, hub)
    console.print(f"dashboard: {server.listen()}  (no engine in this process; Ctrl-C stops)", soft_wrap=True)
    poller.start()
    try:
        server.serve_foreground()
    finally:
        poller.stop()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("api")(friendly_errors(api))
