"""``theo run --broker ibkr`` end to end on the fake TWS: data -> signal -> bracket -> fills -> exit -> deals."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes.tws import FakeTws
from tests.integration.ibkr.live import BuyFirstBar, live_config, shifted
from theo.cli.common import open_store
from theo.cli.main import app
from theo.model.enums import OrderStatus
from theo.node.live import LiveRun
from theo.risk.state import State

D = Decimal
pytestmark = pytest.mark.slow


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def test_a_full_paper_session_from_ticks_to_the_deals_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from theo.cli import run_cmd

    monkeypatch.setattr(run_cmd, "console", Console(width=200, force_terminal=False))  # whatever the worker's tty
    async def go() -> None:
        fake = await FakeTws().start()
        clock = shifted(fake)
        path, cfg = live_config(tmp_path, fake.port)
        run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[BuyFirstBar()])
        task = asyncio.ensure_future(run.run())
        try:
            await until(lambda: run.started, 8, "the run to start")
            await until(lambda: bool(fake.subscriptions("tbt")), 5, "the tick-by-tick subscription")
            # late in a second: IBKR stamps the prints with the whole second, which the node's time has passed
            # unless it allows for that resolution (lateness_seconds is 0 here)
            await until(lambda: fake.now().microsecond >= 600_000, 2, "the second's last part")
            fake.push_trade("AAPL", 100.0, 300)
            fake.push_trade("AAPL", 100.2, 200)
            service = run.node.service
            await until(lambda: len(service.orders) == 3, 75, "the bracket")
            entry = next(o for o in service.orders.values() if o.parent_id is None)
            await until(lambda: entry.status is OrderStatus.FILLED, 5, "the entry fill")
            assert entry.filled_qty == D(10)
            assert entry.avg_fill_price == D("100.2")
            stop = next(o for o in service.orders.values() if o.request.tag.value == "stop_loss")
            target = next(o for o in service.orders.values() if o.request.tag.value == "take_profit")
            assert (stop.request.stop_price, target.request.limit_price) == (D("98.2"), D("103.2"))
            await until(lambda: stop.status is OrderStatus.ACCEPTED, 5, "the stop to work")
            service.modify_order(stop.client_order_id, stop_price=D("99.5"))
            [stop_at_ib] = [o for o in fake.all_orders if o.order_ref == stop.client_order_id]
            await until(lambda: stop_at_ib.aux_price == 99.5, 5, "the stop to move at IBKR")
            await until(lambda: stop.request.stop_price == D("99.5"), 5, "the modification to be confirmed")
            fake.push_trade("AAPL", 103.5, 100)
            await until(lambda: target.status is OrderStatus.FILLED, 5, "the target fill")
            await until(lambda: stop.status is OrderStatus.CANCELLED, 5, "the stop to be cancelled (OCA)")
            await until(lambda: not run.node.manager.open_trade_list(), 5, "the trade to close")
            counters = run.counters()
            assert counters["late_ticks"] == 0
            assert counters["ibkr"]["link"] == "ready"
            assert counters["latency"]["ibkr:AAPL"]["n"] == 3  # exchange time vs arrival, per tick
            journal = counters["journal_write_seconds"]  # intents, acks, fills, the modification, the OCA cancel
            assert journal["buckets"][-1] == run.node.service.journal.write_seconds.count >= 8
            assert 0 < journal["sum"] < journal["buckets"][-1] * 2.5
            lag = counters["bar_lag_seconds"]["1m"]  # the bracket waited for the first 1-minute bar
            assert lag["buckets"][-1] >= 1
            lateness = run.config.marketdata.bars.lateness_seconds
            assert lateness <= lag["sum"] / lag["buckets"][-1] < lateness + 5
        finally:
            run.stop.set()
            await asyncio.wait_for(task, 10)
            await fake.stop()
        deals = CliRunner().invoke(app, ["report", "deals", "--config", str(path)])
        assert deals.exit_code == 0, deals.output
        [row] = list(csv.DictReader(io.StringIO(deals.output)))
        assert (row["strategy"], row["symbol"], row["entry_qty"], row["exit_qty"]) == ("probe", "AAPL", "10", "10")
        assert (D(row["entry_price"]), D(row["exit_price"])) == (D("100.2"), D("103.2"))
        assert D(row["pnl"]) == D("30.00")
        assert D(row["charges"]) == D("2.00")  # the broker's commission reports: 1.00 per fill
        assert D(row["net_pnl"]) == D("28.00")
        assert row["status"] == "Completed"
        status = CliRunner().invoke(app, ["status", "--config", str(path)], env={"COLUMNS": "200"})
        assert status.exit_code == 0, status.output
        assert "account DU1234567" in status.output
        assert re.search(r"ready \(green\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T,", status.output)
        assert "latency ibkr:AAPL" in status.output

    asyncio.run(go())


def test_a_position_at_the_broker_the_journal_does_not_know_halts_trading_with_an_alert(tmp_path: Path) -> None:
    async def go() -> None:
        fake = await FakeTws().start()
        fake.set_position("DU1234567", "MSFT", 50, 410.0)
        clock = shifted(fake)
        _, cfg = live_config(tmp_path, fake.port)
        run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[BuyFirstBar()], duration=1.5)
        try:
            status = await asyncio.wait_for(run.run(), 15)
        finally:
            await fake.stop()
        assert status.value == "stopped"
        assert run.node.manager.state.state is State.HALTED
        [text] = [a[2] for a in run.alerts if a[1] == "critical"]
        assert "MSFT journal 0 vs IBKR 50" in text
        assert "HALTED" in text

    asyncio.run(go())


def test_the_strategies_are_warmed_up_on_ibkr_history_before_trading_and_nothing_is_routed(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    async def go() -> None:
        fake = await FakeTws().start()
        first = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 09:30 ET, the session of SESSION_MOMENT
        fake.set_history("AAPL", [(first + timedelta(minutes=i), 100 + i / 10, 100.5 + i / 10, 99.5 + i / 10,
                                   100.2 + i / 10, 1000 + i) for i in range(30)])
        clock = shifted(fake)
        _, cfg = live_config(tmp_path, fake.port)
        strategy = BuyFirstBar()
        run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[strategy], duration=1.0)
        try:
            await asyncio.wait_for(run.run(), 20)
        finally:
            await fake.stop()
        assert run.warmed == 30
        history = [b for b in strategy.bars if b.end <= first + timedelta(minutes=30)]
        assert len(history) == 30
        assert (history[0].start, history[0].open, history[0].close) == (first, 100.0, 100.2)
        assert history[-1].end == first + timedelta(minutes=30)
        assert history[-1].close == pytest.approx(103.1)
        assert run.node.service.orders == {}  # the history's signal was not routed: nothing was sent
        assert fake.received(3) == []

    asyncio.run(go())


def test_a_capital_larger_than_the_ibkr_account_is_warned_about(tmp_path: Path) -> None:
    async def go() -> None:
        fake = await FakeTws(cash=40_000.0).start()
        clock = shifted(fake)
        _, cfg = live_config(tmp_path, fake.port, warmup_days=0)
        run = LiveRun(cfg, open_store(cfg), clock=clock, strategies=[BuyFirstBar()], duration=0.5)
        try:
            await asyncio.wait_for(run.run(), 15)
        finally:
            await fake.stop()
        [text] = [a[2] for a in run.alerts if a[1] == "warning"]
        assert "capital = 100000 USD" in text
        assert "worth 40000" in text

    asyncio.run(go())
