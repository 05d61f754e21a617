"""`theo run` trades through the trade manager, the order service, its journal and the simulated broker:
what it does shows in the order journal, the trades table and the broker's state, and ``theo risk`` reaches it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import shared_file
from theo.adapters.sim.state import load_state
from theo.config import TheoConfig
from theo.execution.journal import OrderJournal
from theo.model.enums import OrderStatus
from theo.node.config import DataFile
from theo.node.desk import signal_id
from theo.node.paper import PaperRun
from theo.persistence.repositories.trading_state import TradingStateRepository
from theo.risk.state import State, StateChange
from theo.strategy.base import Signal
from theo.trading.store import TradeStore

CONFIG = {"strategies": [
    {"type": "donchian_breakout", "name": "don", "symbols": ["SPY", "QQQ"], "timeframe": "5m", "entry_period": 20,
     "exit_period": 10, "stop_loss_pct": 0.5, "take_profit_pct": 1.0, "trail_pct": 0.3}]}
FILES = ["eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz", "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz"]


def paper(tmp_path: Path, db: Engine) -> PaperRun:
    cfg = TheoConfig.model_validate({**CONFIG, "app": {"data_dir": str(tmp_path)}})
    return PaperRun(cfg, db, replay=[DataFile(path=shared_file(f)) for f in FILES], speed=None)


def test_the_run_is_in_the_order_journal_the_trades_table_and_the_broker(sqlite_engine: Engine,
                                                                        tmp_path: Path) -> None:
    run = paper(tmp_path, sqlite_engine)
    assert asyncio.run(run.run()) == "completed"
    orders = OrderJournal(sqlite_engine).load_orders()
    filled = [o for o in orders if o.status is OrderStatus.FILLED]
    assert len(filled) > 20
    assert {o.client_order_id for o in orders} == {r.id for r in run.journal.orders}
    # Every engine order record carries the journal's fill price and charges.
    by_id = {o.client_order_id: o for o in filled}
    for rec in run.journal.orders:
        if rec.id in by_id:
            assert rec.fill_price == by_id[rec.id].avg_fill_price
            assert rec.charges == sum((ex.charges.total for ex in by_id[rec.id].fills), Decimal(0))
    trades = TradeStore(sqlite_engine).load_trades()
    closed = [t for t in run.journal.trades if t.closed]
    assert len([t for t in trades if t.exit_ts is not None]) == len(closed) > 10
    net = sum((t.gross_pnl() - t.charges for t in closed), Decimal(0))
    assert sum((t.realised - t.charges for t in trades if t.exit_ts is not None), Decimal(0)) == net
    # The journal's positions equal the simulated broker's, which kept its state in the data folder.
    state = load_state(tmp_path / "sim_broker.db", Decimal(100_000))
    broker = {s: p.quantity for s, p in state.positions.items() if p.quantity != 0}
    assert OrderJournal(sqlite_engine).positions() == broker
    # Entry orders are named after their signal: the same signal after a restart finds its order.
    entry = next(r for r in run.journal.orders if r.purpose == "entry")
    sig = next(s.signal for s in run.journal.signals if s.status == "EXECUTED" and not s.signal.exit)
    assert entry.id.endswith(f"s{signal_id(sig)}-entry")


def test_a_second_start_of_a_finished_replay_sends_nothing_twice(sqlite_engine: Engine, tmp_path: Path) -> None:
    assert asyncio.run(paper(tmp_path, sqlite_engine).run()) == "completed"
    before = OrderJournal(sqlite_engine).load_orders()
    again = paper(tmp_path, sqlite_engine)
    assert asyncio.run(again.run()) == "completed"
    after = OrderJournal(sqlite_engine).load_orders()
    assert [(o.client_order_id, o.status, o.filled_qty) for o in after] == [
        (o.client_order_id, o.status, o.filled_qty) for o in before]
    assert again.state.resumed_to is not None
    assert len(again.journal.orders) == len(before)  # rebuilt from the journal, none added


def test_a_halt_from_theo_risk_reaches_the_run(sqlite_engine: Engine, tmp_path: Path) -> None:
    TradingStateRepository(sqlite_engine).append(StateChange(datetime(2026, 11, 24, tzinfo=UTC), State.HALTED,
                                                             State.ACTIVE, "test halt", "tester", ""))
    run = paper(tmp_path, sqlite_engine)
    assert asyncio.run(run.run()) == "completed"
    entries = [s for s in run.journal.signals if not s.signal.exit and s.status != "CANCELLED"]
    assert entries
    assert all(s.status == "FAILED" and s.note.startswith("TRADING_HALTED") for s in entries)
    assert not any(o.status is OrderStatus.FILLED for o in OrderJournal(sqlite_engine).load_orders())


def test_signal_ids_are_stable_and_distinct() -> None:
    from theo.model.enums import Side

    ts = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)
    a = Signal("don", "SPY", Side.BUY, ts, 270.0, "5m")
    assert signal_id(a) == signal_id(Signal("don", "SPY", Side.BUY, ts, 271.0, "5m"))
    others = {signal_id(Signal("don", "QQQ", Side.BUY, ts, 270.0, "5m")),
              signal_id(Signal("don", "SPY", Side.SELL, ts, 270.0, "5m")),
              signal_id(Signal("z", "SPY", Side.BUY, ts, 270.0, "5m")),
              signal_id(Signal("don", "SPY", Side.BUY, ts, 270.0, "5m", exit=True))}
    assert signal_id(a) not in others
    assert len(others) == 4
    assert 0 < signal_id(a) < 2**62


def test_scanners_gate_the_engine_signals_by_their_window_and_daily_limit() -> None:
    from theo.node.backtest import run_backtest
    from theo.node.data import load_files

    cfg = TheoConfig.model_validate({**CONFIG, "scanner": {"scanners": [
        {"name": "late-morning", "strategy": "don", "start_time": "10:00", "end_time": "12:00", "max_signals": 2,
         "direction": "long"}]}})
    result = run_backtest(cfg, load_files([DataFile(path=shared_file(f)) for f in FILES]))
    from theo.core.calendar import ET

    records = result.journal.signals
    passed = [r for r in records if not r.note.startswith("scanner")]
    refused = [r for r in records if r.note.startswith("scanner late-morning")]
    entries = [r.signal for r in passed if not r.signal.exit]
    assert entries
    assert refused
    # Every entry that reached the trade manager closed its bar inside the window, long only, at most 2 a day.
    for sig in entries:
        assert sig.side.value == "BUY"
        start = (sig.ts - timedelta(minutes=5)).astimezone(ET)  # 5-minute bars: the bar's start is gated
        assert time(10) <= start.time() < time(12)
    per_day: dict[object, int] = {}
    for sig in entries:
        day = sig.ts.astimezone(ET).date()
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) <= 2
    assert {r.note.split(": ")[1] for r in refused} >= {"window", "direction"}
