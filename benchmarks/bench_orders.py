"""Orders and the simulated broker: the per-bar cost the engine pays, order round trips through the journal,
recovery time, and the crash/restart cycle.

No numeric targets are set; the figures show where the time goes. Bars are real SPY 1-minute bars
(eqker, 2019-02-11..15) when ../shared/data is present, else a synthetic path of the same length.
"""

from __future__ import annotations

import csv
import gzip
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.common import Result, Section, best_of, data_file, peak_rss_mb

ORDERS = 300


def _bars() -> list:  # type: ignore[type-arg]
    import theo.config  # noqa: F401
    from theo.model.enums import SessionKind
    from theo.model.market import Bar

    path = data_file("eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz")
    rows: list[tuple[datetime, float, float, float, float, float]] = []
    if path is not None:
        with gzip.open(path, "rt") as fh:
            for r in csv.DictReader(fh):
                ts = datetime.fromisoformat(r["ts"]).astimezone(UTC)
                rows.append((ts, float(r["open"]), float(r["high"]), float(r["low"]), float(r["close"]),
                             float(r["volume"])))
    else:
        start = datetime(2019, 2, 11, 14, 30, tzinfo=UTC)
        rows = [(start + timedelta(minutes=i), 271.0, 271.1, 270.9, 271.0, 1e5) for i in range(1950)]
    return [Bar("SPY", "1m", ts, ts + timedelta(minutes=1), o, h, lo, c, v, 0, SessionKind.REGULAR, "bench")
            for ts, o, h, lo, c, v in rows]


def _broker(state: Path | None = None):  # type: ignore[no-untyped-def]
    from theo.adapters.sim.execution import SimulatedBroker
    from theo.core.clock import SimulatedClock
    from theo.execution.config import ExecutionConfig
    from theo.model.instruments import equity

    clock = SimulatedClock(datetime(2019, 2, 11, 14, 0, tzinfo=UTC))
    return SimulatedBroker(ExecutionConfig(), clock, {"SPY": equity("SPY")}, state), clock


def _per_bar(bars: list) -> list[Result]:  # type: ignore[type-arg]
    from theo.model.enums import OrderType, Side, TimeInForce
    from theo.model.orders import Order, OrderRequest

    broker, _ = _broker()
    t_idle, _ = best_of(lambda: [broker.on_bar(b) for b in bars], repeat=5)

    def working() -> None:
        b2, _clock = _broker()
        for i in range(10):  # ten far-away GTC limits keep working all week
            req = OrderRequest("SPY", Side.BUY, Decimal(10), OrderType.LIMIT, limit_price=Decimal("200.00"),
                               tif=TimeInForce.GTC)
            b2.submit(Order(f"b-{i}", req))
        for b in bars:
            b2.on_bar(b)

    t_work, _ = best_of(working, repeat=3)
    n = len(bars)
    return [Result("on_bar, nothing working (fast path)", n / t_idle, "bars/s"),
            Result("on_bar, 10 working GTC orders (in memory)", n / t_work, "bars/s")]


def _round_trips(bars: list) -> list[Result]:  # type: ignore[type-arg]
    from theo.adapters.sim.execution import SimulatedBroker
    from theo.core.calendar import get_calendar
    from theo.core.clock import SimulatedClock
    from theo.execution.config import ExecutionConfig
    from theo.execution.service import OrderService
    from theo.model.instruments import equity
    from theo.persistence.db import make_engine, upgrade
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

    get_calendar("XNYS")  # built once per process; not part of an order's cost
    out: list[Result] = []
    for label, on_disk in (("in-memory broker", False), ("on-disk broker state", True)):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/theo.db")
            upgrade(engine)
            clock = SimulatedClock(bars[0].start)
            inst = {"SPY": equity("SPY")}
            broker = SimulatedBroker(ExecutionConfig(), clock, inst, Path(tmp) / "sim.db" if on_disk else None)
            svc = OrderService(broker, OrderJournal(engine, broker="sim"), clock, inst)
            svc.start()

            t, _ = best_of(lambda svc=svc, clock=clock, broker=broker: _trade(svc, clock, broker, bars), repeat=1)
            out.append(Result(f"order create -> fill -> journal, SQLite + {label}", ORDERS / t, "orders/s",
                              note="intent, submit, accept, fill: 4 journal transactions per order"))
            t_rec, report = best_of(svc.reconcile, repeat=3)
            out.append(Result(f"reconcile after {ORDERS} filled orders ({label})", t_rec * 1000, "ms",
                              note=report.summary()))
            engine.dispose()
    return out


def _trade(svc, clock, broker, bars: list) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Alternate market buys and sells, each filled by the next bar and journaled."""
    from theo.model.enums import OrderType, Side
    from theo.model.orders import OrderRequest

    for i in range(ORDERS):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        svc.create_order(OrderRequest("SPY", side, Decimal(10), OrderType.MARKET))
        b = bars[i % len(bars)]
        start = clock.now()
        broker.on_bar(b.__class__(b.symbol, b.timeframe, start, start + timedelta(minutes=1), b.open, b.high,
                                  b.low, b.close, b.volume, 0, b.session, "bench"))
        clock.advance_to(start + timedelta(minutes=1))


def _crash_cycle() -> list[Result]:
    from tests.integration.execution import crash_child as _crashchild

    from theo.core.calendar import get_calendar

    get_calendar("XNYS")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "run"
        work.mkdir()
        t, steps = best_of(lambda: _crashchild.run_script(work), repeat=1)
    return [Result("crash-test flow (40 bars, 14 orders), fresh store", t * 1000, "ms",
                   note=f"{steps} durable steps (journal writes + broker state writes)")]


def _history(n: int):  # type: ignore[no-untyped-def]
    """A simulated broker (in memory) with ``n`` filled market orders and one working GTC limit."""
    from theo.model.enums import OrderType, SessionKind, Side, TimeInForce
    from theo.model.market import Bar
    from theo.model.orders import Order, OrderRequest

    broker, clock = _broker()
    t = clock.now()
    for i in range(n):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        broker.submit(Order(f"h-{i}", OrderRequest("SPY", side, Decimal(10), OrderType.MARKET, tif=TimeInForce.GTC)))
        broker.on_bar(Bar("SPY", "1m", t, t + timedelta(minutes=1), 271.0, 271.1, 270.9, 271.0, 1e5, 0,
                          SessionKind.REGULAR, "bench"))
        t += timedelta(minutes=1)
    broker.submit(Order("working", OrderRequest("SPY", Side.BUY, Decimal(10), OrderType.LIMIT,
                                                limit_price=Decimal("200.00"), tif=TimeInForce.GTC)))
    return broker


def _json_file_save(state, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole state as one JSON file (temp file + fsync + rename), the baseline the SQLite store beats."""
    import json
    import os

    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(state.to_json(), separators=(",", ":")).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _state_saves() -> list[Result]:
    from theo.adapters.sim.state import StateStore, persist, save_state

    out: list[Result] = []
    for n in (100, 10_000):
        broker = _history(n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sim.db"
            save_state(broker.state, path)
            store = StateStore(path)
            store.load(Decimal(0))
            reps = 50
            t, _ = best_of(lambda store=store, st=broker.state, reps=reps: [persist(store, st, ["working"])
                                                                  for _ in range(reps)], repeat=3)
            store.close()
            t_json, _ = best_of(lambda st=broker.state, p=Path(tmp) / "state.json": [_json_file_save(st, p)
                                                                                     for _ in range(5)], repeat=1)
        out.append(Result(f"broker state save (SQLite), {n:,} orders in the history", t / reps * 1000, "ms",
                          note="one changed order + account rows, one fsynced transaction"))
        out.append(Result(f"whole-file JSON rewrite, {n:,} orders", t_json / 5 * 1000, "ms",
                          note="for comparison: grows with the history"))
    return out


def run() -> Section | None:
    bars = _bars()
    section = Section(title="Orders and the simulated broker", command="python -m benchmarks orders")
    section.results += _per_bar(bars)
    section.results += _round_trips(bars)
    section.results += _state_saves()
    section.results += _crash_cycle()
    section.results.append(Result("peak RSS", peak_rss_mb(), "MB"))
    section.notes.append(f"{len(bars)} SPY 1-minute bars; no targets set.")
    section.notes.append("The paper broker's state is a SQLite file (WAL, synchronous=FULL): each change is one "
                         "transaction writing only what changed; backtests run the broker in memory "
                         "(state_path=None).")
    return section
