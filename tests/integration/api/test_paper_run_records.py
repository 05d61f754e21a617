"""A short paper run on the synthetic market: its 1-minute bars land in the store once (a restart's catch-up
adds no duplicates), and its signals link to the orders and trades they led to."""

from __future__ import annotations

import asyncio
import sqlite3
import tomllib
from datetime import timedelta
from itertools import takewhile
from pathlib import Path

import numpy as np
import pytest

from tests.integration.api.records import VIEWER, context
from theo.api.services import charts, signals, trades
from theo.cli.common import open_store
from theo.config import TheoConfig
from theo.core.time import from_us
from theo.data.bars.batch import aggregate_ticks
from theo.node.paper import PaperRun

CONFIG = """
[app]
data_dir = "{data}"

[engine]
status_interval = 0.05

[risk.account.limits]
max_active_trades = 50
max_trades_per_day = 500
max_total_risk_pct = 100

[[strategies]]
type = "donchian_breakout"
name = "d"
symbols = ["SPY", "QQQ"]
timeframe = "1m"
entry_period = 5
exit_period = 3
quantity = 10
"""


def _run_until(cfg: TheoConfig, sim_until: timedelta) -> PaperRun:
    run = PaperRun(cfg, open_store(cfg), speed=None)
    until = cfg.engine.synthetic_start + sim_until

    def check(r: PaperRun) -> None:
        if r.state.sim_now is not None and r.state.sim_now >= until:
            r.stop.set()

    assert asyncio.run(run.run(check)) == "stopped"
    return run


def _bars(db: Path) -> list[tuple[str, int, float, float, float, float, float, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select symbol, start, open, high, low, close, volume, source from bars "
                            "where timeframe = '1m' order by symbol, start").fetchall()


@pytest.mark.slow
def test_the_paper_run_stores_its_minute_bars_once_and_links_signals_orders_and_trades(tmp_path: Path) -> None:
    path = tmp_path / "theo.toml"
    path.write_text(CONFIG.format(data=tmp_path / "var"), encoding="utf-8")
    cfg = TheoConfig.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    db = tmp_path / "var" / "theo.db"
    first = _run_until(cfg, timedelta(minutes=50))
    journal = first.counters()["journal_write_seconds"]  # exported as theo_journal_write_seconds
    assert journal["buckets"][-1] == first.node.service.journal.write_seconds.count  # type: ignore[attr-defined]
    assert journal["buckets"][-1] >= 2 * len(first.node.service.orders) > 0  # at least the intent and the fill
    stored = _bars(db)
    assert first.bars.written == len(stored) > 80
    assert {s for s, *_ in stored} == {"SPY", "QQQ"}
    assert {r[-1] for r in stored} == {"paper-synthetic"}
    again = _run_until(cfg, timedelta(minutes=75))  # its catch-up replays the first run's bars
    after = _bars(db)
    assert set(stored) <= set(after)
    assert len(after) > len(stored)
    assert len({(s, t) for s, t, *_ in after}) == len(after)
    assert again.bars.written == len(after) - len(stored)

    # The stored bars are the batch aggregation of the run's own ticks.
    from theo.node.gate import EngineGate
    from theo.node.paper import synthetic_items

    gate = EngineGate(cfg, from_us(0))
    end_us = max(r[1] for r in after)
    ticks = [i for i in takewhile(lambda i: i[1] < end_us, synthetic_items(cfg, gate)) if i[0] == "SPY"]
    cols = type("Ticks", (), {"ts_us": np.array([i[1] for i in ticks]), "price": np.array([i[6] for i in ticks]),
                              "size": np.array([i[7] for i in ticks]),
                              "condition": np.array([""] * len(ticks))})()
    batch = aggregate_ticks("SPY", cols, "1m", first.node.calendar_of("SPY"))
    spy = [r for r in after if r[0] == "SPY"]
    k = min(len(spy), len(batch)) - 1  # the batch's last bar may be unfinished
    assert np.allclose([r[2:6] for r in spy[:k]], np.c_[batch.open, batch.high, batch.low, batch.close][:k])

    ctx = context(open_store(cfg), tmp_path / "var", path)
    sigs = signals.list_signals(ctx, VIEWER, limit=1000)
    assert sigs.total > 0
    executed = [s for s in sigs.items if s.status == "EXECUTED" and not s.exit]
    assert executed
    assert all(s.order_ids for s in executed)
    linked = [s for s in executed if s.trade_id is not None]
    assert linked
    first_signal = linked[-1]  # the oldest: its bars are closed and stored
    t = trades.get_trade(ctx, VIEWER, first_signal.trade_id)
    assert t.signal_id == first_signal.id
    assert t.signal is not None
    assert t.signal.id == first_signal.id
    assert t.orders[0].id in first_signal.order_ids
    assert t.orders[0].signal_id == first_signal.id
    chart = charts.chart(ctx, VIEWER, symbol=t.symbol, timeframe="1m", limit=5000)
    assert any(m.kind == "entry" and m.trade_id == t.id for m in chart.markers)
