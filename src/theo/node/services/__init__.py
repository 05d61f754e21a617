"""Long-running services: the market-data collector (``theo collect``) and the engine's components as separate
processes connected through NATS (docs/services.md).

``theo run`` keeps everything in one process on the in-process bus (the default). ``theo service run NAME``
runs one component; ``theo service install`` writes a systemd unit per service and a target that starts them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from theo.core.errors import ConfigError

if TYPE_CHECKING:
    from theo.node.services.runtime import ServiceRuntime


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name, what it does, the module whose ``run(rt)`` it is, what it reads and writes."""

    name: str
    summary: str
    module: str
    reads: str
    publishes: str


SERVICES: dict[str, ServiceSpec] = {s.name: s for s in (
    ServiceSpec("collector", "theo collect (feed -> quality gate -> recorder with spool); publishes the ticks",
                "theo.node.services.ingest", "the synthetic market, --replay files or Polygon ([collector])",
                "ticks.<SYM>, feed.*, quotes.<SYM>"),
    ServiceSpec("aggregator", "session-aligned bars and indicators; stores the bars",
                "theo.node.services.aggregator", "ticks.>", "bars.<tf>.<SYM>, indicators.swing.<SYM>"),
    ServiceSpec("trader", "scanner/strategies -> risk -> orders -> trade manager on the paper broker",
                "theo.node.services.trader", "ticks.>, feed.ended",
                "signals.new, orders.*, trades.*, risk.state, alerts"),
    ServiceSpec("api", "the dashboard and HTTP API, live events from the bus", "theo.node.services.web",
                "ticks, bars, signals, orders, trades, risk.state, alerts, feed.*", "-"),
    ServiceSpec("notifier", "Telegram alerts and commands ([telegram])", "theo.node.services.alerting",
                "signals, orders, trades.closed, risk.state, alerts, feed.*, indicators.swing.*, ticks", "-"),
)}


def service_main(name: str) -> Callable[[ServiceRuntime], int]:
    """The ``run`` function of service ``name`` (a clear error for an unknown name)."""
    spec = SERVICES.get(name)
    if spec is None:
        raise ConfigError(f"unknown service {name!r}; the services are {', '.join(SERVICES)} (theo service list)")
    main: Callable[[ServiceRuntime], int] = importlib.import_module(spec.module).run
    return main
