"""The dashboard inside ``theo run``: one :class:`EmbeddedApi` per run wires the event hub, the bridge to the
engine and the HTTP server (in its own thread, so the engine's event loop and timing are untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from theo.api.app import create_app
from theo.api.bridge import BridgedRun, EngineBridge
from theo.api.events import EventHub
from theo.api.server import ApiServer
from theo.api.services.context import ServiceContext
from theo.api.services.users import ensure_first_admin
from theo.config import TheoConfig
from theo.persistence.repositories import Store


class EmbeddedApi:
    """Start with :meth:`start` before the run, feed :meth:`on_status` from the run's status callback, and
    :meth:`stop` after it."""

    def __init__(self, config: TheoConfig, store: Store, run: BridgedRun, config_path: Path | None = None) -> None:
        self.hub = EventHub()
        self.bridge = EngineBridge(self.hub, run)
        self.ctx = ServiceContext(config=config, store=store, events=self.hub, config_path=config_path,
                                  run=self.bridge.snapshot)
        self.app = create_app(self.ctx)
        self.server = ApiServer(self.app, config.api)

    def start(self) -> str:
        """Create the first admin from the environment if needed, subscribe to the engine, serve; return the URL."""
        ensure_first_admin(self.ctx)
        url = self.server.start()
        self.bridge.attach()
        return url

    def on_status(self, run: Any) -> None:
        self.bridge.on_status(run)

    def stop(self) -> None:
        self.server.stop()
        self.bridge.detach()
