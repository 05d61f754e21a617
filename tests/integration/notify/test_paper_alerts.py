"""A paper run with the notifier embedded: its events reach the chats through the real client and the fake
Bot API, each once, and trading does not wait for Telegram."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.fakes.telegram import FakeBotApi
from tests.integration.notify.conftest import TRADER, VIEWER, telegram_config, texts
from theo.cli.common import open_store
from theo.config import TheoConfig
from theo.node.notify.service import EmbeddedNotifier
from theo.node.paper import PaperRun

STRATEGY = {"type": "donchian_breakout", "name": "d", "symbols": ["SPY", "QQQ"], "timeframe": "1m",
            "entry_period": 5, "exit_period": 3, "quantity": 10}


def _config(fake: FakeBotApi, tmp_path: Path, **telegram: Any) -> TheoConfig:
    base = telegram_config(fake, tmp_path, **telegram).model_dump(mode="json")
    base.update({"strategies": [STRATEGY], "engine": {"status_interval": 0.05},
                 "risk": {"account": {"limits": {"max_active_trades": 50, "max_trades_per_day": 500,
                                                 "max_total_risk_pct": 100}}}})
    base["api"] = {"enabled": False}
    return TheoConfig.model_validate(base)


def _run(cfg: TheoConfig, minutes: int) -> tuple[PaperRun, EmbeddedNotifier]:
    db = open_store(cfg)
    run = PaperRun(cfg, db, speed=None)
    notifier = EmbeddedNotifier(run, db)
    notifier.start()
    until = cfg.engine.synthetic_start + timedelta(minutes=minutes)

    def check(r: PaperRun) -> None:
        notifier.on_status(r)
        if r.state.sim_now is not None and r.state.sim_now >= until:
            r.stop.set()

    try:
        assert asyncio.run(run.run(check)) == "stopped"
    finally:
        notifier.stop()
    return run, notifier


def test_a_paper_runs_signals_orders_fills_and_ticks_reach_both_chats_once(fake: FakeBotApi,
                                                                            tmp_path: Path) -> None:
    cfg = _config(fake, tmp_path, global_per_second=1000.0, chat_per_second=500.0)
    run, notifier = _run(cfg, 30)
    got = texts(fake, TRADER)
    assert got[0].startswith("Theo started: synthetic run, SPY, QQQ")
    assert got[-1].startswith("Theo stopped: synthetic run stopped")
    c = run.counters()
    assert c["signals"] > 0
    assert c["orders"] > 0
    signals = [t for t in got if t.startswith("Signal ")]
    fills = [t for t in got if t.startswith(("Filled", "Partly filled"))]
    assert len(signals) == c["signals"]
    assert fills
    assert all(" @ " in t for t in fills)
    firsts = [t for t in got if t.startswith("First tick of the day")]
    assert sorted(t.split(":")[1].split("@")[0].strip() for t in firsts) == ["QQQ", "SPY"]
    closed = [t for t in got if t.startswith("Trade closed: ")]
    assert len(closed) == c["trades"] - c["open_trades"] > 0
    assert all(re.search(r"\nP&L [+-]?[\d,]+\.\d\d USD \([+-]\d+\.\d\d%\)", t) for t in closed)
    assert all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ET", t) for t in got)  # New York times
    assert len(got) == len(set(got))  # nothing twice
    assert texts(fake, VIEWER) == got  # every kind goes to both by default
    assert notifier.notifier.outbox.dropped.total() == 0
