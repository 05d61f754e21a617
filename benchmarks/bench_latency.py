"""Paper and live latency: from a tick to the order handed to the broker, with the journal as it runs in production.

The node of ``theo run`` with its records in a SQLite file (WAL, ``synchronous=NORMAL``: what ``theo run``
uses; a process crash loses no committed write) and the simulated broker. Each trade:

1. an entry signal (a bracket: entry, stop-loss and take-profit resting at the broker), filled on the next tick;
2. a tick that reaches the risk-reduction level: the trade manager sends a market order for half the position
   (checked, journaled) and then shrinks the resting stop and target and moves the stop to break-even: timed
   from the tick's arrival to the market order handed to the broker (``Broker.submit``);
3. a tick through the break-even stop: the resting stop fills inside the broker on that tick: timed from the
   tick's arrival to the fill in the journal.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import Result, Section
from theo.config import TheoConfig
from theo.core.clock import SimulatedClock
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.signals import Signal
from theo.node.kernel import Mode, Node, build_node
from theo.node.paper import paper_stores
from theo.persistence.db import make_engine, upgrade

TRADES = 300
T0 = datetime(2026, 12, 1, 14, 31, tzinfo=UTC)


def _config(folder: Path) -> TheoConfig:
    return TheoConfig.model_validate({
        "app": {"data_dir": str(folder)}, "database": {"url": f"sqlite:///{folder / 'theo.db'}"},
        "risk": {"account": {"pdt_policy": "none", "limits": {"max_trades_per_day": 100000,
                                                              "default_target_r": 3}},
                 "breakers": {"max_drawdown_pct": "none"}, "rate_limit": {"max_orders": 100000},
                 "trade": {"time_exit": "none", "rr_trigger_r": 1, "rr_sell_pct": 50}},
        "strategies": [{"type": "donchian_breakout", "name": "lat", "symbols": ["SPY"], "timeframe": "1m",
                        "quantity": "100"}]})


def _node(folder: Path) -> Node:
    cfg = _config(folder)
    db = make_engine(cfg.database_url())
    upgrade(db)
    clock = SimulatedClock(T0)
    node = build_node(cfg, Mode.PAPER, start=T0, stores=paper_stores(cfg, db, clock), clock=clock)
    node.start()
    return node


def measure(trades: int = TRADES) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        node = _node(Path(tmp))
        broker = node.sim
        assert broker is not None
        handed: list[float] = []
        submit = broker.submit

        def timed_submit(order: Any) -> None:
            if order.request.order_type is OrderType.MARKET and order.request.tag.value == "risk_reduction":
                handed.append(time.perf_counter())
            submit(order)

        broker.submit = timed_submit  # type: ignore[method-assign]
        exit_latency: list[float] = []
        stop_latency: list[float] = []
        ts = T0
        price = 100.0
        for k in range(trades):
            sig = Signal("lat", "SPY", Side.BUY, ts, price)
            node.advance(ts)
            node.mark("SPY", price)
            node.decide(sig)  # the bracket: stop 1 % below, target 3 R above
            ts += timedelta(seconds=1)
            node.advance(ts)
            node.open_item("SPY", ts, ts, price, price, price, price, 100.0, True)  # the entry fills
            trade = node.manager.trades(open_only=True)[-1]
            assert trade.entry_price is not None
            assert trade.rr_f is not None
            up = trade.rr_f + 0.01
            ts += timedelta(seconds=1)
            node.advance(ts)
            n = len(handed)
            t0 = time.perf_counter()
            node.open_item("SPY", ts, ts, up, up, up, up, 100.0, True)  # reaches +1 R: risk reduction
            assert len(handed) == n + 1, "the risk-reduction order was not sent"
            exit_latency.append(handed[-1] - t0)
            ts += timedelta(seconds=1)
            node.advance(ts)
            node.open_item("SPY", ts, ts, up, up, up, up, 100.0, True)  # the market half fills
            down = float(trade.entry_price) - 0.05
            ts += timedelta(seconds=1)
            node.advance(ts)
            t0 = time.perf_counter()
            node.open_item("SPY", ts, ts, down, down, down, down, 100.0, True)  # through the break-even stop
            stop_latency.append(time.perf_counter() - t0)
            stop = next(o for cid in trade.protective if (o := node.service.lookup(cid)) is not None
                        and o.request.tag.value == "stop_loss")
            assert stop.status is OrderStatus.FILLED, f"trade {k}: the resting stop did not fill on the tick"
            ts += timedelta(seconds=5)
            price = down
        node.stop()
    return {"exit": exit_latency, "stop": stop_latency}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def run() -> Section:
    section = Section("Paper and live: tick to order, journal in production durability", "make bench BENCH=latency")
    measure(20)  # warm the caches (calendar, imports)
    out = measure()
    exits, stops = out["exit"], out["stop"]
    section.results += [
        Result("tick reaching the risk-reduction level -> market order handed to the broker, p99",
               _pct(exits, 0.99), "µs", "< 1,000 µs", _pct(exits, 0.99) < 1000,
               f"p50 {_pct(exits, 0.5):.0f} µs, mean {statistics.mean(exits) * 1e6:.0f} µs; before it the resting "
               f"stop and target were modified (journaled); {len(exits)} trades"),
        Result("tick through a resting stop -> filled inside the broker and journaled, p99", _pct(stops, 0.99), "µs",
               note=f"p50 {_pct(stops, 0.5):.0f} µs; the fill happens on the triggering tick"),
    ]
    section.notes += [
        "The order journal, the trades and the trading state are in a SQLite file in WAL mode with "
        "synchronous=NORMAL (docs/storage.md, Durability): every write is a committed transaction, which a crash "
        "of the process never loses; a power cut may lose the last ones. The simulated broker's state file (the "
        "venue's own books) is the same kind of file. As in `theo run`, a background thread checkpoints both "
        "(theo.persistence.checkpoint) and the collector is frozen after start-up.",
        "Wall time (time.perf_counter) of the engine's own work per tick, in one process; the machine is shared.",
    ]
    return section
