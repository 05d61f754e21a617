"""Trades, risk decisions, trading state and daily P&L on PostgreSQL (the production store)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.unit.execution.helpers import T0, make_rig
from tests.unit.trading.rig import TradingRig, make_manager, signal
from theo.core.errors import RiskDenied
from theo.model.enums import OrderStatus as S
from theo.model.trades import ExitReason, TradeStatus
from theo.persistence.db import transaction
from theo.persistence.models.trades import PnlDailyRow, RiskDecisionRow
from theo.persistence.repositories.trades import SqlTradeStore as TradeStore
from theo.persistence.repositories.trading_state import TradingStateRepository
from theo.risk.config import RiskConfig
from theo.risk.state import State, current_state

D = Decimal


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def test_a_trade_day_on_postgresql(pg_engine: Engine, tmp_path: Path) -> None:
    rig = make_rig(tmp_path, engine=pg_engine, state_file=None)
    config = RiskConfig.model_validate({"account": {"limits": {"max_active_trades": 1}}})
    r = TradingRig(rig, make_manager(rig, config))
    r.tick(sec(0), 100.0)
    t, _ = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    with pytest.raises(RiskDenied):
        r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0, strategy="s2"))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 103.0)  # the target resting at the broker fills
    r.manager.sweep(sec(3))
    r.manager.kill(flatten=False, reason="end of test", actor="pytest")
    assert t is not None
    assert t.status is TradeStatus.CLOSED
    [stored] = TradeStore(pg_engine).load_trades()
    assert (stored.exit_reason, stored.entry_price, stored.exit_price, stored.realised, stored.charges) == \
        (ExitReason.PROFIT_TARGET, D(100), D(103), D(3000), D("10.33"))
    assert next(e["kind"] for e in TradeStore(pg_engine).events(stored.id or 0)) == "opened"
    target = rig.journal.load_order(f"{t.entry_order_id}-tp")  # the resting child traded, on PostgreSQL too
    assert target is not None
    assert (target.status, target.parent_id, target.avg_fill_price) == (S.FILLED, t.entry_order_id, D(103))
    state, rows = current_state(TradingStateRepository(pg_engine))
    assert state is State.HALTED
    assert [r.state for r in rows] == ["HALTED", "REDUCING"]
    with transaction(pg_engine) as s:
        denials = [d.rule for d in s.scalars(select(RiskDecisionRow).where(RiskDecisionRow.allowed.is_(False)))]
        daily = {row.strategy: row.net for row in s.scalars(select(PnlDailyRow))}
    assert denials == ["MAX_ACTIVE_TRADES"]
    assert daily == {"s1": D("2989.67"), "": D("2989.67")}
