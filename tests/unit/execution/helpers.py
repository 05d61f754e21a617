"""Test rig for the execution component: a store, a simulated clock and broker, the order service."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

import theo.config  # noqa: F401  (imports the config tree before execution.config)
from theo.adapters.sim.execution import SimulatedBroker
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.execution.config import ExecutionConfig
from theo.execution.service import OrderService
from theo.model.enums import InstrumentKind, SessionKind, TimeInForce
from theo.model.events import BrokerEvent
from theo.model.instruments import Instrument, equity
from theo.model.market import Bar
from theo.model.orders import OrderRequest, OrderTag
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

#: 2019-02-11 09:30 ET (EST, UTC-5).
T0 = datetime(2019, 2, 11, 14, 30, tzinfo=UTC)
INSTRUMENTS: dict[str, Instrument] = {"SPY": equity("SPY", kind=InstrumentKind.ETF), "AAPL": equity("AAPL")}
D = Decimal

_TEMPLATE: dict[str, Path] = {}


def migrated_sqlite(path: Path) -> Engine:
    """A migrated SQLite store at ``path``; copies one migrated template (migrating takes a while)."""
    template = _TEMPLATE.get("db")
    if template is None or not template.exists():
        fast = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
        template = fast / f"theo-execution-template-{os.getpid()}.db"
        template.unlink(missing_ok=True)
        eng = make_engine(f"sqlite:///{template}")
        upgrade(eng)
        eng.dispose()
        _TEMPLATE["db"] = template
        atexit.register(template.unlink, missing_ok=True)  # /dev/shm is memory: leave nothing behind
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def bar(start: datetime, o: float, h: float, lo: float, c: float, v: float = 100_000, symbol: str = "SPY",
        session: SessionKind = SessionKind.REGULAR) -> Bar:
    return Bar(symbol, "1m", start, start + timedelta(minutes=1), o, h, lo, c, v, 10, session, "test")


def minute(i: int, base: datetime = T0) -> datetime:
    return base + timedelta(minutes=i)


@dataclass
class Rig:
    engine: Engine
    clock: SimulatedClock
    broker: SimulatedBroker
    journal: OrderJournal
    service: OrderService
    bus: InMemoryBus
    published: list[tuple[str, Any]] = field(default_factory=list)
    events: list[BrokerEvent] = field(default_factory=list)

    def feed(self, b: Bar) -> None:
        """Deliver a closed bar as the engine does: the clock is at the bar's end."""
        if self.clock.now() < b.end:
            self.clock.advance_to(b.end)
        self.broker.on_bar(b)


def make_rig(tmp_path: Path, *, engine: Engine | None = None, config: ExecutionConfig | None = None,
             instruments: dict[str, Instrument] | None = None, state_file: str | None = "sim.db",
             start: datetime = T0, pre_trade: Callable[..., None] | None = None, start_service: bool = True) -> Rig:
    engine = engine or migrated_sqlite(tmp_path / "theo.db")
    clock = SimulatedClock(start)
    inst = instruments or INSTRUMENTS
    broker = SimulatedBroker(config or ExecutionConfig(), clock, inst,
                             tmp_path / state_file if state_file else None)
    journal = OrderJournal(engine, broker=broker.name, account="SIM")
    bus = InMemoryBus(raise_errors=True)
    svc = OrderService(broker, journal, clock, inst, bus, pre_trade)
    rig = Rig(engine, clock, broker, journal, svc, bus)
    bus.subscribe("orders.>", lambda topic, msg: rig.published.append((topic, msg.status)))
    broker.subscribe(rig.events.append)
    if start_service:
        svc.start()
    return rig


def req(side: str = "BUY", qty: int = 100, kind: str = "MARKET", symbol: str = "SPY", **kw: Any) -> OrderRequest:
    from theo.model.enums import OrderType, Side

    return OrderRequest(symbol=symbol, side=Side(side), quantity=Decimal(qty), order_type=OrderType(kind), **kw)


def children(entry_side: str, qty: int, *, stop: str | None = None, target: str | None = None,
             trail_percent: str | None = None, trail_amount: str | None = None, trigger: str | None = None,
             tif: TimeInForce = TimeInForce.GTC, **kw: Any) -> list[OrderRequest]:
    """The protective children of an entry on ``entry_side``: a stop (a trailing stop with a trail), a target."""
    from theo.model.enums import Side

    side = Side(entry_side).opposite.value
    out = []
    if stop is not None or trail_percent is not None or trail_amount is not None:
        trailing = trail_percent is not None or trail_amount is not None
        out.append(req(side, qty, "TRAILING_STOP" if trailing else "STOP", stop_price=None if stop is None else D(stop),
                       trail_percent=None if trail_percent is None else D(trail_percent),
                       trail_amount=None if trail_amount is None else D(trail_amount),
                       trail_trigger=None if trigger is None else D(trigger), tif=tif, reduce_only=True,
                       tag=OrderTag.STOP_LOSS, **kw))
    if target is not None:
        out.append(req(side, qty, "LIMIT", limit_price=D(target), tif=tif, reduce_only=True, tag=OrderTag.TAKE_PROFIT,
                       **kw))
    return out
