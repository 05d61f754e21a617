"""The notifier inside a run on IBKR (the fake TWS): the session's first tick, the entry's fill, the stop moved at
the broker, the closed trade with its P&L, and the run's start and stop reach the chat."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeBotApi
from tests.fakes.tws import FakeTws
from tests.integration.ibkr.live import BuyFirstBar, live_config, shifted
from tests.integration.ibkr.test_live_run import until
from tests.integration.notify.conftest import TRADER, texts
from theo.cli.common import open_store
from theo.config import TheoConfig
from theo.model.enums import OrderStatus
from theo.node.live import LiveRun
from theo.node.notify.service import EmbeddedNotifier

D = Decimal
pytestmark = pytest.mark.slow


def test_an_ibkr_runs_fill_stop_move_and_closed_trade_reach_the_chat(tmp_path: Path, fake: FakeBotApi) -> None:
    async def go() -> EmbeddedNotifier:
        tws = await FakeTws().start()
        _path, base = live_config(tmp_path, tws.port)
        data = base.model_dump(mode="json")
        data["telegram"] = {"enabled": True, "base_url": fake.base_url, "commands": False, "chat_per_second": 50,
                            "chat_burst": 5, "recipients": [{"chat_id": TRADER, "role": "trader"}]}
        cfg = TheoConfig.model_validate(data)
        db = open_store(cfg)
        run = LiveRun(cfg, db, clock=shifted(tws), strategies=[BuyFirstBar()])
        notifier = EmbeddedNotifier(run, db)
        notifier.start()
        task = asyncio.ensure_future(run.run(notifier.on_status))
        try:
            await until(lambda: run.started, 8, "the run to start")
            await until(lambda: bool(tws.subscriptions("tbt")), 5, "the tick-by-tick subscription")
            tws.push_trade("AAPL", 100.0, 300)
            tws.push_trade("AAPL", 100.2, 200)
            service = run.node.service
            await until(lambda: len(service.orders) == 3, 75, "the bracket")
            stop = next(o for o in service.orders.values() if o.request.tag.value == "stop_loss")
            await until(lambda: stop.status is OrderStatus.ACCEPTED, 5, "the stop to work")
            service.modify_order(stop.client_order_id, stop_price=D("99.5"))
            await until(lambda: stop.request.stop_price == D("99.5"), 5, "the modification to be confirmed")
            tws.push_trade("AAPL", 103.5, 100)
            await until(lambda: not run.node.manager.open_trade_list(), 10, "the trade to close")
            await until(lambda: any(t.startswith("Trade closed") for t in texts(fake, TRADER)), 5, "the alert")
        finally:
            run.stop.set()
            await asyncio.wait_for(task, 10)
            notifier.stop()
            await tws.stop()
        return notifier

    asyncio.run(go())
    got = texts(fake, TRADER)
    assert got[0].startswith("Theo started: ibkr run, AAPL")
    assert any(t.startswith("First tick of the day: AAPL @ 100.00") for t in got)
    assert any(t.startswith("Filled: BUY 10 AAPL @ 100.20 [entry]") for t in got)
    assert any(t.startswith("Stop moved: AAPL SELL stop 98.20 → 99.50 [stop loss]") for t in got)
    closed = next(t for t in got if t.startswith("Trade closed"))
    assert "entry 100.20 → exit 103.20" in closed
    assert got[-1].startswith("Theo stopped: ibkr run")
    assert len(got) == len(set(got))
