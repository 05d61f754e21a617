"""Same inputs and config give byte-identical outputs; a paper replay gives the backtest's deals."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tests.conftest import shared_file
from theo.analysis.outputs import FILES, write_outputs
from theo.config import TheoConfig
from theo.node.backtest import run_backtest
from theo.node.config import DataFile
from theo.node.data import load_files
from theo.node.paper import PaperRun
from theo.persistence.models.engine import EngineJournalRow

CONFIG = {"strategies": [
    {"type": "donchian_breakout", "name": "don", "symbols": ["SPY", "QQQ"], "timeframe": "5m", "entry_period": 20,
     "exit_period": 10, "stop_loss_pct": 0.5, "take_profit_pct": 1.0, "trail_pct": 0.3},
    {"type": "zscore_reversion", "name": "z", "symbols": ["QQQ"], "timeframe": "1m", "lookback": 30}]}
FILES_IN = ["eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz", "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz"]


def test_two_runs_write_byte_identical_outputs(tmp_path: Path) -> None:
    cfg = TheoConfig.model_validate(CONFIG)
    files = [DataFile(path=shared_file(f)) for f in FILES_IN]
    for name in ("a", "b"):
        write_outputs(run_backtest(cfg, load_files(files)), tmp_path / name)
    charts = sorted(p.name for p in (tmp_path / "a").glob("price_*.png"))
    assert charts == ["price_QQQ.png", "price_SPY.png"]
    for f in (*FILES, *charts):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert list(metrics) == sorted(metrics)
    assert metrics["trades"] > 10
    assert (tmp_path / "a" / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "a" / "equity.html").read_text()
    assert "<svg" in html
    assert "http" not in html.replace("http-equiv", "")


def paper_config(tmp_path: Path) -> TheoConfig:
    """CONFIG with the paper account's broker state file under ``tmp_path``."""
    return TheoConfig.model_validate({**CONFIG, "app": {"data_dir": str(tmp_path)}})


def order_rows(orders: list[Any]) -> list[tuple[object, ...]]:
    """What two runs must agree on for each order: id, kind, prices, final state and its fills."""
    return sorted(((o.client_order_id, o.request.order_type.value, o.request.tag.value, o.request.quantity,
                    o.request.limit_price, o.request.stop_price, o.status.value, o.filled_qty, o.avg_fill_price,
                    o.reason, tuple((f.exec_id, f.ts, f.price, f.quantity, f.charges.total) for f in o.fills))
                   for o in orders), key=lambda row: str(row[0]))


def trade_rows(trades: list[Any]) -> list[tuple[object, ...]]:
    return sorted(((t.entry_order_id, t.entry_ts, t.entry_price, t.entry_qty, t.exit_ts, t.exit_price, t.exit_qty,
                    t.realised, t.charges, t.exit_reason and t.exit_reason.value) for t in trades),
                  key=lambda row: str(row[0]))


def test_paper_replay_at_unlimited_speed_gives_the_backtest_orders_fills_and_deals(sqlite_engine: Engine,
                                                                                    tmp_path: Path) -> None:
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore

    cfg = TheoConfig.model_validate(CONFIG)
    files = [DataFile(path=shared_file(f)) for f in FILES_IN]
    backtest = run_backtest(cfg, load_files(files))
    assert backtest.visited < backtest.data.items  # the backtest skipped items where nothing could happen
    run = PaperRun(paper_config(tmp_path), sqlite_engine, replay=files, speed=None)
    assert asyncio.run(run.run()) == "completed"
    paper_orders = SqlOrderJournal(sqlite_engine).load_orders()
    assert len(backtest.orders()) > 30
    assert order_rows(paper_orders) == order_rows(backtest.orders())
    paper_trades = SqlTradeStore(sqlite_engine).load_trades()
    assert trade_rows(paper_trades) == trade_rows([t for t in backtest.trades()])
    assert [(o.signal.ts, o.signal.symbol, o.status, o.note) for o in run.node.signals.outcomes()] == \
        [(o.signal.ts, o.signal.symbol, o.status, o.note) for o in backtest.signals()]


def test_paper_replay_journal_on_postgresql_is_idempotent(pg_engine: Engine, tmp_path: Path) -> None:
    from theo.persistence.repositories.orders import SqlOrderJournal

    cfg = paper_config(tmp_path)
    files = [DataFile(path=shared_file(f)) for f in FILES_IN]
    first = PaperRun(cfg, pg_engine, replay=files, speed=None)
    assert asyncio.run(first.run()) == "completed"
    orders = order_rows(SqlOrderJournal(pg_engine).load_orders())
    again = PaperRun(cfg, pg_engine, replay=files, speed=None)  # same account: everything is caught up, not re-sent
    assert asyncio.run(again.run()) == "completed"
    with pg_engine.connect() as conn:
        rows = conn.execute(select(EngineJournalRow.kind, EngineJournalRow.key)).all()
    assert len(rows) == len(set(rows))
    assert order_rows(SqlOrderJournal(pg_engine).load_orders()) == orders
    assert len(orders) > 30


def test_backtest_reads_bars_from_the_database(sqlite_engine: Engine) -> None:
    from theo.core.time import from_us
    from theo.node.data import load_database
    from theo.persistence.db import transaction
    from theo.persistence.models.core import BarRow
    from theo.persistence.repositories.bars import BarRepository

    data = load_files([DataFile(path=shared_file(FILES_IN[0]))])
    s = data.series["SPY"]
    with transaction(sqlite_engine) as session:
        session.add_all(BarRow(symbol="SPY", timeframe="1m", start=from_us(int(s.start_us[i])),
                               end=from_us(int(s.end_us[i])), open=float(s.open[i]), high=float(s.high[i]),
                               low=float(s.low[i]), close=float(s.close[i]), volume=float(s.volume[i]),
                               tick_count=0, session="REGULAR", source="test", flags="") for i in range(len(s)))
    db = load_database(BarRepository(sqlite_engine), ["SPY"], "1m")
    assert (db.series["SPY"].close == s.close).all()
    assert (db.series["SPY"].start_us == s.start_us).all()
    assert (db.series["SPY"].end_us == s.end_us).all()
    cfg = TheoConfig.model_validate({"strategies": [CONFIG["strategies"][0] | {"symbols": ["SPY"]}]})
    a, b = run_backtest(cfg, data), run_backtest(cfg, db)
    assert trade_rows(a.trades()) == trade_rows(b.trades())
    assert len(a.trades()) > 3


def test_live_status_and_theo_status_describe_a_finished_run(sqlite_engine: Engine, tmp_path: Path) -> None:
    from rich.console import Console

    from theo.node.status import describe, live_view

    cfg = paper_config(tmp_path)
    run = PaperRun(cfg, sqlite_engine, replay=[DataFile(path=shared_file(f)) for f in FILES_IN], speed=None)
    asyncio.run(run.run())
    console = Console(record=True, width=160)
    console.print(live_view(run))
    text = console.export_text()
    assert "theo run #1" in text
    assert "QQQ" in text
    assert "last signals" in text
    info = describe(sqlite_engine)
    assert info is not None
    assert info["status"] == "completed"
    assert info["closed_trades"] == sum(1 for t in run.node.manager.trades() if not t.is_open)
    assert info["counters"]["signals"] == len(run.node.signals)
    assert info["last_signals"]
