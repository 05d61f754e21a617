"""Same inputs and config give byte-identical outputs; a paper replay gives the backtest's deals."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import Engine, select

from tests.conftest import shared_file
from theo.config import TheoConfig
from theo.engine.backtest import run_backtest
from theo.engine.config import DataFile
from theo.engine.data import load_files
from theo.engine.live import PaperRun
from theo.reports.outputs import FILES, write_outputs
from theo.storage.models.engine import EngineJournalRow

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
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert list(metrics) == sorted(metrics)
    assert metrics["trades"] > 10
    assert (tmp_path / "a" / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "a" / "equity.html").read_text()
    assert "<svg" in html
    assert "http" not in html.replace("http-equiv", "")


def test_paper_replay_at_unlimited_speed_gives_the_backtest_deals(sqlite_engine: Engine) -> None:
    cfg = TheoConfig.model_validate(CONFIG)
    files = [DataFile(path=shared_file(f)) for f in FILES_IN]
    backtest = run_backtest(cfg, load_files(files))
    run = PaperRun(cfg, sqlite_engine, replay=files, speed=None)
    assert asyncio.run(run.run()) == "completed"
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(EngineJournalRow.payload).where(EngineJournalRow.kind == "trade")).scalars()
        paper = sorted((t["id"], t["entry_ts"], t["entry_price"], t["exit_ts"], t["exit_price"], t["exit_reason"])
                       for t in map(json.loads, rows))
    expected = sorted((t.id, t.entry_ts.isoformat(), str(t.entry_price), t.exit_ts and t.exit_ts.isoformat(),
                       t.exit_price and str(t.exit_price), t.exit_reason) for t in backtest.journal.trades)
    assert len(expected) > 10
    assert paper == expected
