"""Risk and trade management: latency from the tick that crosses a stop to the exit order handed to the broker.

Real SPY trade prints (Lean, 2013-10-07..11, regular session) drive one SPY trade at a time: each trade is
opened with a stop 2 cents below and a target 4 cents above the print, so the tape crosses a level every few
seconds. 50 other trades stay open on other symbols the whole time (the per-tick path is indexed by symbol,
so they cost nothing). The clock starts at ``perf_counter_ns`` just before ``TradeManager.on_tick(tick)``
and stops when ``Broker.submit`` is entered for the exit. Between the two: the float level test, the
pre-trade check of the exit (state gate, closing-order test), order validation, the client order id, and
the order journal committing the intent with its SUBMITTED status in one transaction (ARCHITECTURE.md §5:
persisted before sent).

Three journals: SQLite on disk (WAL, synchronous=NORMAL, as ``theo run`` uses it), SQLite on a memory file
system (/dev/shm), and no journal at all (the in-process path alone). Target (issue 6): p99 < 200 µs in
process; the old system polled every 5 s.
"""

from __future__ import annotations

import csv
import gc
import gzip
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.common import Result, Section, data_file, peak_rss_mb

SAMPLES = 1500
OTHERS = 50
TARGET_US = 200.0


def _ticks() -> list[tuple[datetime, float, float]]:
    path = data_file("lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz")
    out: list[tuple[datetime, float, float]] = []
    if path is None:
        start = datetime(2013, 10, 7, 13, 30, tzinfo=UTC)
        return [(start + timedelta(milliseconds=50 * i), 168.0 + 0.05 * ((i // 7) % 5), 100.0)
                for i in range(200_000)]
    with gzip.open(path, "rt") as fh:
        for row in csv.DictReader(fh):
            ts = row["ts"]
            if ts[11:16] < "09:30" or ts[11:16] >= "15:50":
                continue
            out.append((datetime.fromisoformat(ts).astimezone(UTC), float(row["price"]), float(row["size"])))
    return out


def _null_journal() -> Any:
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

    class NullJournal(OrderJournal):
        """Keeps nothing: measures the in-process path alone."""

        def __init__(self) -> None:
            pass

        def record_intents(self, orders: Any, ts: Any, *, source: str = "", actor: str = "") -> None:
            return None

        def record_status(self, *a: Any, **k: Any) -> None:
            return None

        def record_modification(self, *a: Any, **k: Any) -> None:
            return None

        def record_event(self, *a: Any, **k: Any) -> None:
            return None

        def record_fill(self, *a: Any, **k: Any) -> bool:
            return True

        def map_broker_id(self, *a: Any, **k: Any) -> None:
            return None

        def load_order(self, client_order_id: str) -> None:
            return None

        def ids_with_prefix(self, prefix: str) -> list[str]:
            return []

        def load_orders(self, *a: Any, **k: Any) -> list[Any]:
            return []

        def exec_ids(self) -> set[str]:
            return set()

        def positions(self) -> dict[str, Any]:
            return {}

    return NullJournal()


def _run(journal_kind: str, ticks: list[tuple[datetime, float, float]]) -> dict[str, list[float]]:
    import theo.config  # noqa: F401
    from theo.adapters.sim.execution import SimulatedBroker
    from theo.config.market import MarketConfig
    from theo.core.bus.memory import InMemoryBus
    from theo.core.clock import SimulatedClock
    from theo.execution.config import ExecutionConfig
    from theo.execution.service import OrderService
    from theo.model.enums import Side
    from theo.model.instruments import equity
    from theo.model.market import Tick
    from theo.model.signals import Signal
    from theo.model.trades import TradeStatus
    from theo.persistence.db import make_engine, upgrade
    from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal
    from theo.risk.config import RiskConfig
    from theo.trading.manager import TradeManager

    class TimedBroker(SimulatedBroker):
        submitted_ns = 0

        def submit(self, order: Any) -> None:
            if not self.submitted_ns:
                self.submitted_ns = time.perf_counter_ns()
            super().submit(order)

    others = [f"X{i:02d}" for i in range(OTHERS)]
    instruments = {s: equity(s) for s in ["SPY", *others]}
    clock = SimulatedClock(ticks[0][0])
    engine = None
    if journal_kind == "null":
        journal = _null_journal()
    else:
        base = Path("/dev/shm") if journal_kind == "shm" and Path("/dev/shm").is_dir() else None
        folder = Path(tempfile.mkdtemp(dir=base))
        engine = make_engine(f"sqlite:///{folder / 'theo.db'}")
        upgrade(engine)
        journal = OrderJournal(engine, broker="sim", account="SIM")
    broker = TimedBroker(ExecutionConfig(), clock, instruments)
    bus = InMemoryBus()
    svc = OrderService(broker, journal, clock, instruments, bus)
    svc.start()
    config = RiskConfig.model_validate({
        "account": {"pdt_policy": "none", "limits": {"max_active_trades": 1000, "max_trades_per_day": 100_000,
                                                     "max_trade_qty": 100, "daily_loss_limit_pct": None}},
        "breakers": {"max_drawdown_pct": None}, "rate_limit": {"max_orders": 1_000_000},
        "trade": {"time_exit": None}})
    market = MarketConfig(capital=Decimal(100_000_000))
    mgr = TradeManager(svc, clock, None, config, bus, engine, market=market)
    t0 = ticks[0][0]
    for sym in others:  # background trades, never crossed
        tick = Tick(sym, t0, 100.0, 100.0, "bench")
        mgr.on_tick(tick)
        mgr.open_trade(Signal("bg", sym, Side.BUY, t0, 100.0, stop_loss=50.0, take_profit=200.0))
        broker.on_tick(tick)
    latencies: list[float] = []
    quiet: list[float] = []
    trade = None
    gc.collect()
    gc.freeze()  # what a latency-minded engine does after start-up: old objects leave the collector's scans
    for ts, price, size in ticks:
        if len(latencies) >= SAMPLES:
            break
        if clock.now() < ts:
            clock.advance_to(ts)
        tick = Tick("SPY", ts, price, size, "bench")
        if trade is None or trade.status is TradeStatus.CLOSED:
            mgr.on_tick(tick)
            trade = mgr.open_trade(Signal("bench", "SPY", Side.BUY, ts, price, stop_loss=price - 0.02,
                                          take_profit=price + 0.04))
            broker.on_tick(tick)
            continue
        broker.submitted_ns = 0
        start = time.perf_counter_ns()
        mgr.on_tick(tick)
        end = time.perf_counter_ns()
        if broker.submitted_ns:
            latencies.append((broker.submitted_ns - start) / 1000)
        elif trade.status is TradeStatus.RUNNING and trade.pending_exit is None:
            quiet.append((end - start) / 1000)
        broker.on_tick(tick)
    gc.unfreeze()
    if engine is not None:
        engine.dispose()
    return {"exit": latencies, "quiet": quiet}


def _commit_floor(n: int = 1000) -> list[float]:
    """One intent row + its event committed with SQLAlchemy Core on a held connection (no ORM session)."""
    from sqlalchemy import insert

    import theo.config  # noqa: F401
    from theo.persistence.db import make_engine, upgrade
    from theo.persistence.models.orders import OrderEventRow, OrderRow

    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'theo.db'}")
    upgrade(engine)
    now = datetime.now(UTC)
    out = []
    with engine.connect() as conn:
        for i in range(n):
            start = time.perf_counter_ns()
            conn.execute(insert(OrderRow.__table__), {
                "client_order_id": f"x{i}", "symbol": "SPY", "side": "SELL", "quantity": Decimal(100),
                "order_type": "MARKET", "tif": "DAY", "routing": "SMART", "allocation": "FIFO",
                "product_type": "MARGIN", "outside_rth": False, "reduce_only": True, "tag": "stop_loss",
                "account": "", "broker": "sim", "strategy": "s", "received_at": now, "status": "CREATED",
                "filled_qty": Decimal(0), "reason": "", "actor": "", "revision": 0, "created_at": now,
                "updated_at": now})
            conn.execute(insert(OrderEventRow.__table__), {"client_order_id": f"x{i}", "ts": now, "kind": "intent",
                                                           "payload": {}, "source": "engine", "actor": ""})
            conn.commit()
            out.append((time.perf_counter_ns() - start) / 1000)
    engine.dispose()
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def run() -> Section | None:
    ticks = _ticks()
    section = Section(
        title="Risk and trade management: stop-cross to exit order",
        command="python -m benchmarks risk",
        notes=[f"{SAMPLES} exits per journal kind on real SPY prints (2013-10-07..11) with {OTHERS} other open "
               "trades; latency = Broker.submit entered minus the start of TradeManager.on_tick.",
               "The journal write is the order service's: the intent and its SUBMITTED status are committed "
               "before the broker sees the order, in one SQLite transaction (a prepared insert on the DBAPI "
               "cursor of a connection the journal keeps open; no read of the store on the way). Without a "
               "journal the rest of the path (level test, pre-trade gate, validation, id) is what remains.",
               "quiet tick = a tick of a symbol with a running trade that crosses nothing.",
               "Why the journal misses the p99 target: SQLite itself (one order row with three indexes, two event "
               "rows, the commit) takes ~0.1-0.2 ms inside the engine, where other connections' commits (trade "
               "store, decision log) invalidate the journal connection's page cache, and a commit has millisecond "
               "tails (WAL appends, checkpoints with fsync, a shared 2-core machine). A durable intent before "
               "sending therefore cannot meet 200 µs p99 on SQLite; the in-process path does. The remaining "
               "option is to group-commit intents off the hot path and reconcile with the broker's order "
               "reference after a crash, which gives up 'persisted before sent' (ARCHITECTURE.md §5).",
               "The collector is frozen after set-up (gc.freeze()), as a latency-minded engine does after start-up; "
               "without it an earlier run measured 4.3 ms p99 in process (full collections over the loaded ticks)."])
    for kind, label in (("disk", "SQLite journal on disk"), ("shm", "SQLite journal on /dev/shm"),
                        ("null", "no journal (in-process path)")):
        out = _run(kind, ticks)
        lat, quiet = out["exit"], out["quiet"]
        p50, p99 = _pct(lat, 50), _pct(lat, 99)
        section.results.append(Result(f"stop-cross -> broker, p50 ({label})", round(p50, 1), "µs"))
        section.results.append(Result(f"stop-cross -> broker, p99 ({label})", round(p99, 1), "µs",
                                      target=f"< {TARGET_US:g} µs", met=p99 < TARGET_US,
                                      note=f"n={len(lat)}, mean {statistics.fmean(lat):.1f} µs" if lat else ""))
        if kind == "null":
            section.results.append(Result("quiet tick with a running trade, p50", round(_pct(quiet, 50), 2), "µs",
                                          note=f"n={len(quiet)}"))
            section.results.append(Result("quiet tick with a running trade, p99", round(_pct(quiet, 99), 2), "µs"))
    floor = _commit_floor()
    section.results.append(Result("one intent committed with SQLAlchemy Core, p50 (disk)", round(_pct(floor, 50), 1),
                                  "µs", note="held connection, no ORM session: the floor of a durable journal"))
    section.results.append(Result("one intent committed with SQLAlchemy Core, p99 (disk)", round(_pct(floor, 99), 1),
                                  "µs"))
    section.results.append(Result("peak RSS", round(peak_rss_mb(), 1), "MB"))
    return section
