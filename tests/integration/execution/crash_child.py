"""A scripted order flow used by the crash-recovery test (``tests/integration/execution``).

``run_script(workdir, crash_after=N)`` runs the flow against a SQLite store and an on-disk simulated broker in
``workdir`` and kills its own process with SIGKILL just before its N-th durable step (a journal write or a
broker state write). Run again without ``crash_after``, it reconciles and finishes the flow: every action is
keyed by a signal id, so an action already done is not done twice. ``python -m tests.integration.execution.crash_child
WORKDIR`` runs it in a fresh interpreter (``THEO_CRASH_AFTER``, ``THEO_CRASH_SLOW`` seconds per bar).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import theo.config  # noqa: F401  (loads the config tree before the execution config)
from theo.adapters.sim import state as sim_module
from theo.adapters.sim.execution import SimulatedBroker
from theo.core.clock import SimulatedClock
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.execution.lock import SingleWriterLock
from theo.execution.service import OrderService
from theo.model.enums import InstrumentKind, OrderType, SessionKind, Side, TimeInForce
from theo.model.instruments import equity
from theo.model.market import Bar
from theo.model.orders import OrderRequest, OrderTag
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.leases import LeaseRepository
from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

T0 = datetime(2019, 2, 11, 14, 30, tzinfo=UTC)
INSTRUMENTS = {"SPY": equity("SPY", kind=InstrumentKind.ETF)}
BARS = 40
JOURNAL_STEPS = ("record_intents", "record_status", "record_modification", "record_event", "record_fill",
                 "map_broker_id")


def price_path(i: int) -> tuple[float, float, float, float]:
    """A fixed wavy price path around 271 (open, high, low, close)."""
    o = round(271 + 0.6 * math.sin(i / 3), 2)
    c = round(271 + 0.6 * math.sin((i + 1) / 3), 2)
    return o, round(max(o, c) + 0.07, 2), round(min(o, c) - 0.07, 2), c


def bars() -> list[Bar]:
    out = []
    for i in range(BARS):
        o, h, lo, c = price_path(i)
        start = T0 + timedelta(minutes=i)
        out.append(Bar("SPY", "1m", start, start + timedelta(minutes=1), o, h, lo, c, 120.0, 10,
                       SessionKind.REGULAR, "crash"))
    return out


def _r(signal_id: int, side: Side, qty: int, kind: OrderType, tag: OrderTag = OrderTag.ENTRY,
       **kw: Any) -> OrderRequest:
    return OrderRequest("SPY", side, Decimal(qty), kind, strategy="crash", signal_id=signal_id, tag=tag, **kw)


def _leg(side: Side, qty: int, kind: OrderType, tag: OrderTag, **kw: Any) -> OrderRequest:
    """A bracket child: the other side of its entry, reduce-only, good till cancelled."""
    return OrderRequest("SPY", side, Decimal(qty), kind, strategy="crash", tif=TimeInForce.GTC, reduce_only=True,
                        tag=tag, **kw)


def actions(svc: OrderService, i: int) -> None:
    """What the flow does after bar ``i``; each action is idempotent by its signal id."""
    buy, sell, gtc = Side.BUY, Side.SELL, TimeInForce.GTC
    sl, tp = OrderTag.STOP_LOSS, OrderTag.TAKE_PROFIT
    d = Decimal
    if i == 0:
        svc.create_order(_r(1, buy, 100, OrderType.MARKET))
        svc.create_order(_r(2, buy, 50, OrderType.LIMIT, limit_price=d("269.00"), tif=gtc))
    elif i == 2:  # a bracket whose entry waits for its limit; the children go out with it
        svc.submit_bracket(_r(3, buy, 30, OrderType.LIMIT, limit_price=d("271.60"), tif=gtc),
                           [_leg(sell, 30, OrderType.STOP, sl, stop_price=d("270.40")),
                            _leg(sell, 30, OrderType.LIMIT, tp, limit_price=d("271.75"))])
    elif i == 4:
        _cancel(svc, "crash-s2-entry")
        svc.create_order(_r(4, sell, 40, OrderType.STOP, tag=sl, stop_price=d("270.50"), tif=gtc))
    elif i == 6:  # a short at the market with a trailing stop child and a target
        _modify(svc, "crash-s4-stop_loss", stop_price=d("271.00"))
        svc.submit_bracket(_r(5, sell, 30, OrderType.MARKET, tif=gtc),
                           [_leg(buy, 30, OrderType.TRAILING_STOP, sl, stop_price=d("271.90"),
                                 trail_amount=d("0.30")),
                            _leg(buy, 30, OrderType.LIMIT, tp, limit_price=d("270.30"))])
    elif i == 8:  # move the resting stop child of bracket 3 while it protects the filled entry
        _modify(svc, "crash-s3-entry-sl", stop_price=d("270.60"))
    elif i == 9:
        svc.create_order(_r(6, sell, 20, OrderType.TRAILING_STOP, tag=OrderTag.EXIT_RULE, trail_amount=d("0.30"),
                            tif=gtc))
        svc.create_order(_r(7, buy, 80, OrderType.MARKET, tif=TimeInForce.IOC))
        svc.create_order(_r(8, buy, 80, OrderType.MARKET, tif=TimeInForce.FOK))
    elif i == 10:  # the short's target goes; its trailing stop stays
        _cancel(svc, "crash-s5-entry-tp")
    elif i == 14:
        svc.create_order(_r(9, sell, 150, OrderType.MARKET, tag=OrderTag.EXIT_RULE, tif=gtc))
        svc.create_order(_r(10, buy, 70, OrderType.STOP_LIMIT, stop_price=d("271.40"), limit_price=d("271.60"),
                            tif=gtc))
    elif i == 20:
        _modify(svc, "crash-s10-entry", quantity=d(90))
        svc.create_order(_r(11, buy, 60, OrderType.LIMIT, limit_price=d("270.70"), tif=gtc))
        svc.submit_bracket(_r(12, buy, 40, OrderType.LIMIT, limit_price=d("269.50"), tif=gtc),
                           [_leg(sell, 40, OrderType.STOP, sl, stop_price=d("269.00")),
                            _leg(sell, 40, OrderType.LIMIT, tp, limit_price=d("272.00"))])
    elif i == 26:
        _cancel(svc, "crash-s11-entry")
        _cancel(svc, "crash-s12-entry")  # its children go with it


def _cancel(svc: OrderService, cid: str) -> None:
    order = svc.get_order_status(cid)
    if order.is_open:
        svc.cancel_order(cid)


def _modify(svc: OrderService, cid: str, **changes: Any) -> None:
    order = svc.get_order_status(cid)
    if order.is_open and order.status.value != "CREATED":
        req = order.request
        if any(getattr(req, k) != v for k, v in changes.items()) and \
                (changes.get("quantity") is None or changes["quantity"] > order.filled_qty):
            svc.modify_order(cid, **changes)


class _Killer:
    """Counts durable steps and SIGKILLs this process just before step ``crash_after``."""

    def __init__(self, crash_after: int | None) -> None:
        self.crash_after = crash_after
        self.steps = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.steps += 1
            if self.crash_after is not None and self.steps >= self.crash_after:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)

        return counted


def open_store(workdir: Path) -> Any:
    fresh = not (workdir / "theo.db").exists()
    engine = make_engine(f"sqlite:///{workdir / 'theo.db'}")
    if fresh:  # a restart skips the migration check: the store was made by the first run
        upgrade(engine)
    return engine


def run_script(workdir: Path, crash_after: int | None = None, slow: float = 0.0,
               on_started: Callable[[], None] | None = None) -> int:
    """Run (or finish) the flow; return the number of durable steps taken."""
    killer = _Killer(crash_after)
    engine = open_store(workdir)
    config = ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.5, slippage_ticks=1))
    clock = SimulatedClock(T0)
    original_save = sim_module.persist
    sim_module.persist = killer.wrap(original_save)
    try:
        broker = SimulatedBroker(config, clock, INSTRUMENTS, workdir / "sim.db")
        journal = OrderJournal(engine, broker=broker.name, account="SIM")
        for name in JOURNAL_STEPS:
            setattr(journal, name, killer.wrap(getattr(journal, name)))
        svc = OrderService(broker, journal, clock, INSTRUMENTS, lock=SingleWriterLock(LeaseRepository(engine)))
        svc.start()
        if on_started is not None:
            on_started()
        for i, b in enumerate(bars()):
            clock.advance_to(b.end)
            broker.on_bar(b)
            actions(svc, i)
            if slow:
                time.sleep(slow)
        svc.stop()
    finally:
        sim_module.persist = original_save
        engine.dispose()
    return killer.steps


def main() -> None:
    crash = os.environ.get("THEO_CRASH_AFTER")
    steps = run_script(Path(sys.argv[1]), int(crash) if crash else None, float(os.environ.get("THEO_CRASH_SLOW", 0)),
                       on_started=lambda: print("STARTED", flush=True))
    print(f"DONE {steps}")


if __name__ == "__main__":
    main()
