"""`theo run` (its stop line, panel and counters) and `theo status` report the same realized P&L."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.unit.trading.rig import make_manager, make_trading_rig, signal
from theo.model.enums import Side
from theo.model.trades import TradeStatus
from theo.node.pnl import AccountRealized, realized_pnl
from theo.persistence.repositories.trades import SqlTradeStore

T = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)  # 10:00 ET


def test_a_restarted_run_reports_the_closed_trades_of_the_store_as_theo_status_does(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, start=T)
    r.tick(T, 100.0)
    t, _ = r.manager.open_trade(signal(T, 100.0, stop=99.0))
    assert t is not None
    r.tick(T + timedelta(seconds=1), 100.0)
    r.manager.on_signal(signal(T + timedelta(seconds=1), 101.0, Side.SELL, exit=True))
    r.tick(T + timedelta(seconds=2), 101.0)
    assert t.status is TradeStatus.CLOSED
    first = AccountRealized(r.manager)()
    assert first == (t.realised - t.charges).quantize(Decimal("0.01"))
    assert first > 0
    restarted = make_manager(r.rig)  # a new process: recovery holds only open trades, none here
    assert restarted.trades() == []
    stored = SqlTradeStore(r.rig.engine).load_trades()
    assert AccountRealized(restarted)() == realized_pnl(stored) == first
